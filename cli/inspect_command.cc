// pgark inspect: what an archive holds, without reading its data.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct InspectFlags {
  std::string source;
  bool json = false;
};

}  // namespace

CommandRunner SetupInspectCommand(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  app.add_option("archive", flags->source, "archive FILE or s3://BUCKET/KEY")->required();
  app.add_flag("--json", flags->json, "print as JSON");
  return [flags]() -> absl::Status { return NotImplementedYet("inspect"); };
}

}  // namespace pgark::cli
