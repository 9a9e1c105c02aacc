// pgark verify: checks an archive offline, or by a test restore.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct VerifyFlags {
  std::string source;
  KeySourceFlags keys;
  bool restore_test = false;
  std::string conninfo;
  bool json = false;
};

}  // namespace

CommandRunner SetupVerifyCommand(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  app.add_option("archive", flags->source, "archive: FILE, '-' for stdin, or s3://BUCKET/KEY")
      ->required();
  AddKeySourceOptions(app, &flags->keys);
  app.add_flag("--restore-test", flags->restore_test,
               "also restore into a scratch database on -d's server and compare");
  AddConnectionOption(app, &flags->conninfo);
  app.add_flag("--json", flags->json, "print the report as JSON");
  return [flags]() -> absl::Status { return NotImplementedYet("verify"); };
}

}  // namespace pgark::cli
