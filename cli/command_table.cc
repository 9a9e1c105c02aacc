#include "cli/command_table.h"

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/exit_code.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_util.h"

#ifndef PGARK_VERSION
#define PGARK_VERSION "unknown"
#endif

namespace pgark::cli {
namespace {

// "pgark" or "pgark dump": the command a message is about.
std::string CommandPath(const CLI::App& app) {
  std::string path = "pgark";
  for (const CLI::App* sub : app.get_subcommands()) absl::StrAppend(&path, " ", sub->get_name());
  return path;
}

// CLI11 messages start with a capital letter; ours are lower-case one-liners.
std::string LowerFirst(std::string message) {
  if (!message.empty()) message[0] = absl::ascii_tolower(message[0]);
  return message;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"dump", "dump a database into an archive (file, stdout or s3://)", &SetupDumpCommand},
      {"restore", "restore an archive into a database", &SetupRestoreCommand},
      {"verify", "check an archive's checksums and contents, optionally by a test restore",
       &SetupVerifyCommand},
      {"export", "write plain SQL (.sql.gz) from a database or an archive", &SetupExportCommand},
      {"inspect", "show an archive's header, key slots, streams, sizes and row counts",
       &SetupInspectCommand},
      {"keygen", "create a key file or an X25519 key pair for encryption", &SetupKeygenCommand},
      {"backup", "run the scheduled backup job (dump, checksum, verify, upload, prune, notify)",
       &SetupBackupCommand},
      {"list", "list backups in every tier with size, age and verification state",
       &SetupListCommand},
      {"prune", "apply the retention policy to the backup tiers", &SetupPruneCommand},
      {"dev", "fast uncompressed snapshots for development (save, load, list, prune)",
       &SetupDevCommand},
      {"config", "check a backup configuration", &SetupConfigCommand},
  };
  return kCommands;
}

int Run(int argc, char** argv) {
  CLI::App app("pgark: PostgreSQL backup and restore without pg_dump", "pgark");
  app.set_version_flag("--version", std::string("pgark ") + PGARK_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'pgark <command> --help' for a command's options. Exit codes: docs/error_codes.md");

  int verbose = 0;
  bool quiet = false;
  std::vector<std::pair<CLI::App*, CommandRunner>> runners;
  for (const Command& command : Commands()) {
    CLI::App* sub = app.add_subcommand(std::string(command.name), std::string(command.summary));
    sub->add_flag("-v,--verbose", verbose, "more detail on stderr (repeat for debug)");
    sub->add_flag("-q,--quiet", quiet, "only errors on stderr");
    runners.emplace_back(sub, command.setup(*sub));
  }

  // CLI11 says only "a subcommand is required" for a misspelt command.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const Command& command : Commands()) {
      known = known || command.name == argv[1];
      absl::StrAppend(&names, names.empty() ? "" : ", ", command.name);
    }
    if (!known) {
      std::cerr << "pgark: unknown command '" << argv[1] << "' (commands: " << names << ")\n"
                << "hint: run 'pgark --help' for usage\n";
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string path = CommandPath(app);
    std::cerr << path << ": " << LowerFirst(e.what()) << "\n"
              << "hint: run '" << path << " --help' for usage\n";
    return kExitUsage;
  }

  base::SetLogLevel(quiet ? base::LogLevel::kError
                          : (verbose > 0 ? base::LogLevel::kDebug : base::LogLevel::kInfo));
  base::InstallCancelSignalHandlers();

  for (auto& [sub, runner] : runners) {
    if (!sub->parsed()) continue;
    absl::Status status = runner();
    if (!status.ok()) {
      std::string path = CommandPath(app);
      std::cerr << path << ": " << status.message() << "\n";
      // A server's error (SQLSTATE classes 22/23/42 map to kInvalidArgument) or an object
      // store's 4xx is not about the command line: no usage hint then.
      if (status.code() == absl::StatusCode::kInvalidArgument &&
          base::GetPayload(status, base::kSqlStatePayload).empty() &&
          base::GetPayload(status, base::kHttpStatusPayload).empty()) {
        std::cerr << "hint: run '" << path << " --help' for usage\n";
      }
    }
    return ExitCodeFor(status);
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace pgark::cli
