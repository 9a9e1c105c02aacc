// pgark verify: checks an archive offline, or by a test restore.
#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "engine/verify/verify_engine.h"
#include "format/base/status_macros.h"

namespace pgark::cli {
namespace {

struct VerifyFlags {
  std::string source;
  KeySourceFlags keys;
  bool restore_test = false;
  std::string conninfo;
  bool json = false;
  int jobs = 2;
};

}  // namespace

CommandRunner SetupVerifyCommand(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  app.add_option("archive", flags->source, "archive: FILE, '-' for stdin, or s3://BUCKET/KEY")
      ->required();
  AddKeySourceOptions(app, &flags->keys);
  app.add_flag("--restore-test", flags->restore_test,
               "instead of the offline check, restore into a scratch database on -d's server (every frame "
               "is checked while loading), compare row counts, drop it");
  AddConnectionOption(app, &flags->conninfo);
  app.add_flag("--json", flags->json, "print the report as JSON");
  AddJobsOption(app, &flags->jobs, "streams checked (or restore connections) in parallel (default 2)");
  return [flags]() -> absl::Status {
    PGARK_RETURN_IF_ERROR(CheckArchivePath("verify", flags->source, ArchiveAccess::kStreamOrFile));
    engine::VerifyOptions options;
    PGARK_ASSIGN_OR_RETURN(options.keys, LoadKeys(flags->keys));
    if (flags->restore_test && flags->conninfo.empty()) {
      return absl::InvalidArgumentError("--restore-test needs -d CONNINFO naming the server to use");
    }
    PGARK_ASSIGN_OR_RETURN(engine::OpenedArchive archive, engine::OpenArchiveForRead(flags->source));
    engine::VerifyReport report;
    absl::Status status = flags->restore_test
                              ? engine::RunRestoreTest(options, archive, flags->conninfo, flags->jobs, &report)
                              : engine::RunVerify(options, archive, flags->jobs, &report);
    std::string text = flags->json ? report.ToJson() : report.ToText();
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);
    return status;
  };
}

}  // namespace pgark::cli
