#include "cli/cli_common.h"

#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"

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

}  // namespace pgark::cli
