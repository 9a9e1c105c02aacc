// pgark backup, list, prune, config: the scheduled job and its housekeeping.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct OpsFlags {
  std::string config_file;
  std::string now;  // overrides the clock (tests)
  bool dry_run = false;
  bool json = false;
};

void AddConfigOption(CLI::App& app, OpsFlags* flags) {
  app.add_option("--config", flags->config_file,
                 "KEY=VALUE configuration file (environment variables override it)");
}

}  // namespace

CommandRunner SetupBackupCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_option("--now", flags->now, "use this UTC time instead of the clock (YYYY-MM-DDTHH:MM:SSZ)");
  return [flags]() -> absl::Status { return NotImplementedYet("backup"); };
}

CommandRunner SetupListCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_flag("--json", flags->json, "print as JSON");
  return [flags]() -> absl::Status { return NotImplementedYet("list"); };
}

CommandRunner SetupPruneCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_flag("--dry-run", flags->dry_run, "show what would be deleted, delete nothing");
  app.add_option("--now", flags->now, "use this UTC time instead of the clock");
  return [flags]() -> absl::Status { return NotImplementedYet("prune"); };
}

CommandRunner SetupConfigCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  auto* check = app.add_subcommand("check", "validate the configuration and what it points to");
  AddConfigOption(*check, flags.get());
  app.require_subcommand(1);
  return [flags]() -> absl::Status { return NotImplementedYet("config check"); };
}

}  // namespace pgark::cli
