#include "cli/cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/pg/conninfo.h"

namespace pgark::cli {

void AddConnectionOption(CLI::App& app, std::string* conninfo) {
  app.add_option("-d,--dbname", *conninfo,
                 "database name, conninfo string or postgresql:// URI (PG* variables apply; "
                 "no password here: PGPASSWORD or ~/.pgpass)")
      ->check(CLI::Validator(
          [](const std::string& value) -> std::string {
            absl::Status syntax = pg::CheckConninfoSyntax(value);
            if (!syntax.ok()) return std::string(syntax.message());
            if (pg::ConninfoHasPassword(value)) {
              return "holds a password, which every user of this machine can read in the process "
                     "list: give it in PGPASSWORD or a ~/.pgpass file (PGPASSFILE) instead";
            }
            return "";
          },
          "", "conninfo"));
}

CLI::Option* AddJobsOption(CLI::App& app, int* jobs, absl::string_view what) {
  return app.add_option("-j,--jobs", *jobs, std::string(what))
      ->check(CLI::Validator(
          [](const std::string& value) -> std::string {
            int n = 0;
            if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 256) {
              return absl::StrCat("'", value, "' is not a whole number from 1 to 256");
            }
            return "";
          },
          "1..256", "jobs"));
}

absl::Status CheckArchivePath(absl::string_view command, const std::string& source, ArchiveAccess access) {
  if (source == "-") {
    if (access == ArchiveAccess::kFileOnly || !isatty(STDIN_FILENO)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("stdin is a terminal: pipe an archive into 'pgark ", command, " -' (or give a file)"));
  }
  if (absl::StartsWith(source, "s3://")) return absl::OkStatus();
  struct stat st;
  if (stat(source.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("archive '", source, "' not found"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("archive '", source, "' is not a regular file",
                     S_ISDIR(st.st_mode) ? " but a directory" : "",
                     access == ArchiveAccess::kStreamOrFile
                         ? " (to read an archive from a pipe, give '-' and pipe it in)"
                         : " (this command needs random access: save a stream to a file first)"));
  }
  return absl::OkStatus();
}

absl::Status CheckOutputTarget(absl::string_view command, const std::string& output) {
  if (output == "-") {
    if (!isatty(STDOUT_FILENO)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "stdout is a terminal: 'pgark ", command, " -f -' writes binary data; redirect it or give -f FILE"));
  }
  if (absl::StartsWith(output, "-")) {
    return absl::InvalidArgumentError(absl::StrCat("-f '", output, "' looks like a flag, not a file name (for a file "
                                                   "of that name, write ./", output, ")"));
  }
  return absl::OkStatus();
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
