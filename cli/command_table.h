#pragma once
// The pgark command line: a table of subcommands and the one entry point.
//
// Each subcommand lives in cli/<name>_command.cc and provides a Setup function that
// declares its flags on a CLI11 app and returns the runner to call once parsing
// succeeded. Runners return a Status; Run() prints a failed status as one line on
// stderr and turns it into the exit code (cli/exit_code.h). CLI11 exceptions never
// leave this module.

#include <functional>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"

namespace CLI {
class App;
}

namespace pgark::cli {

using CommandRunner = std::function<absl::Status()>;

struct Command {
  absl::string_view name;
  absl::string_view summary;
  // Declares the subcommand's flags on `app`; the returned runner reads the parsed values.
  CommandRunner (*setup)(CLI::App& app);
};

// Every subcommand, in the order `pgark --help` lists them.
const std::vector<Command>& Commands();

// Parses argv, runs the chosen subcommand and returns the process exit code.
int Run(int argc, char** argv);

// One Setup function per subcommand (cli/<name>_command.cc).
CommandRunner SetupDumpCommand(CLI::App& app);
CommandRunner SetupRestoreCommand(CLI::App& app);
CommandRunner SetupVerifyCommand(CLI::App& app);
CommandRunner SetupExportCommand(CLI::App& app);
CommandRunner SetupInspectCommand(CLI::App& app);
CommandRunner SetupKeygenCommand(CLI::App& app);
CommandRunner SetupBackupCommand(CLI::App& app);
CommandRunner SetupListCommand(CLI::App& app);
CommandRunner SetupPruneCommand(CLI::App& app);
CommandRunner SetupDevCommand(CLI::App& app);
CommandRunner SetupConfigCommand(CLI::App& app);

}  // namespace pgark::cli
