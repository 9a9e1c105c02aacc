// pgark dev: quick snapshots of a development database.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct DevFlags {
  std::string conninfo;
  std::string name;
};

}  // namespace

CommandRunner SetupDevCommand(CLI::App& app) {
  auto flags = std::make_shared<DevFlags>();
  AddConnectionOption(app, &flags->conninfo);
  auto* save = app.add_subcommand("save", "save a snapshot of the database");
  save->add_option("name", flags->name, "snapshot name (default: a timestamp)");
  auto* load = app.add_subcommand("load", "replace the database with a snapshot");
  load->add_option("name", flags->name, "snapshot name (default: the newest)");
  app.add_subcommand("list", "list snapshots");
  app.add_subcommand("prune", "delete all but the newest snapshots");
  app.require_subcommand(1);
  return [flags]() -> absl::Status { return NotImplementedYet("dev"); };
}

}  // namespace pgark::cli
