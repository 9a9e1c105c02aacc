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
// Refused while parsing (exit 2): a string libpq cannot parse, and one holding a password,
// which every user of the machine could read in `ps` (PGPASSWORD or ~/.pgpass instead).
void AddConnectionOption(CLI::App& app, std::string* conninfo);

// -j/--jobs N (1..256), parallel connections/workers. Returns the option, so a command can
// tell whether it was given (CLI::Option::count).
CLI::Option* AddJobsOption(CLI::App& app, int* jobs, absl::string_view what);

// The archive `command` (restore, verify, inspect, export) is given: s3:// URIs pass; "-"
// passes unless stdin is a terminal for a command that reads a stream (it would wait for
// typed input without saying so: kInvalidArgument); a path is kNotFound when nothing is
// there and kInvalidArgument (exit 2) when it is not a regular file (a directory, or a pipe
// such as <(cat x)). The hint names the way out: "-" for a command that reads a stream
// (kStreamOrFile), a file for one that needs random access (kFileOnly: inspect, export).
enum class ArchiveAccess { kStreamOrFile, kFileOnly };
absl::Status CheckArchivePath(absl::string_view command, const std::string& source, ArchiveAccess access);

// -f OUTPUT of dump and export: "-" with stdout a terminal is refused (binary data), and so
// is a name that starts with '-' (`-f --force` took the flag as the file name): exit 2.
absl::Status CheckOutputTarget(absl::string_view command, const std::string& output);

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
