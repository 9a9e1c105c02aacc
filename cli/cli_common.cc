#include "cli/cli_common.h"

#include <cstdint>
#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pgark::cli {

void AddConnectionOption(CLI::App& app, std::string* conninfo) {
  app.add_option("-d,--dbname", *conninfo,
                 "database name, conninfo string or postgresql:// URI (PG* variables apply)");
}

void AddJobsOption(CLI::App& app, int* jobs, absl::string_view what) {
  app.add_option("-j,--jobs", *jobs, std::string(what))->check(CLI::Range(1, 256));
}

void AddKeySourceOptions(CLI::App& app, KeySourceFlags* flags) {
  app.add_option("--passphrase-file", flags->passphrase_file,
                 "read the passphrase from this file (or set PGARK_PASSPHRASE)");
  app.add_option("--key-file", flags->key_file, "32-byte key file made by 'pgark keygen -o'");
  app.add_option("--identity", flags->identity_file,
                 "X25519 secret key file made by 'pgark keygen --x25519'");
}

absl::StatusOr<format::KeyRing> LoadKeys(const KeySourceFlags& flags) {
  return format::LoadKeyRing(flags.passphrase_file, flags.key_file, flags.identity_file,
                             std::getenv("PGARK_PASSPHRASE"));
}

absl::Status NotImplementedYet(absl::string_view command) {
  return absl::UnimplementedError(absl::StrCat("'pgark ", command, "' is not implemented yet"));
}

absl::StatusOr<int64_t> ParseSize(const std::string& text) {
  std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  size_t digits = 0;
  while (digits < value.size() && absl::ascii_isdigit(static_cast<unsigned char>(value[digits]))) ++digits;
  int64_t number = 0;
  if (digits == 0 || !absl::SimpleAtoi(value.substr(0, digits), &number)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size '", text, "' (e.g. 512MB, 2GB)"));
  }
  std::string unit(absl::StripAsciiWhitespace(value.substr(digits)));
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  if (unit == "t" || unit == "tb" || unit == "tib") shift = 40;
  if (shift < 0 || number > (INT64_MAX >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size '", text, "' (e.g. 512MB, 2GB)"));
  }
  return number << shift;
}

}  // namespace pgark::cli
