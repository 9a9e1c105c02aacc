#pragma once
// Flags and helpers shared by several subcommands, so they are spelled and checked
// the same way everywhere (pg_dump's names where the meaning is the same).

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "format/keys.h"

namespace CLI {
class App;
}

namespace pgark::cli {

// -d/--dbname: a database name, a conninfo string or a postgresql:// URI; PG* variables apply.
void AddConnectionOption(CLI::App& app, std::string* conninfo);

// -j/--jobs N (1..256), parallel connections/workers.
void AddJobsOption(CLI::App& app, int* jobs, absl::string_view what);

// Where the key for reading an encrypted archive comes from. Secrets are never on argv:
// only paths to files here, or the PGARK_PASSPHRASE environment variable.
struct KeySourceFlags {
  std::string passphrase_file;  // --passphrase-file F
  std::string key_file;         // --key-file F (32-byte key from `pgark keygen`)
  std::string identity_file;    // --identity F (X25519 secret key)
};
void AddKeySourceOptions(CLI::App& app, KeySourceFlags* flags);
// The keys named by `flags` plus PGARK_PASSPHRASE from the environment. Errors: as
// format::LoadKeyRing (unreadable or malformed key files), never echoing secrets.
absl::StatusOr<format::KeyRing> LoadKeys(const KeySourceFlags& flags);

// The status a subcommand returns while its engine is not built yet: exit 4.
absl::Status NotImplementedYet(absl::string_view command);

// "1GB", "512MB", "64kB", "100" (bytes); units are powers of 1024, as in PostgreSQL.
// kInvalidArgument for anything else, or a size beyond int64.
absl::StatusOr<int64_t> ParseSize(const std::string& text);

}  // namespace pgark::cli
