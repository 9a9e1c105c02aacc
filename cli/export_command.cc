// pgark export: plain SQL, gzip-compressed, from a database or an archive.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct ExportFlags {
  std::string conninfo;
  std::string source;  // an archive instead of a database
  std::string output;
  int jobs = 4;
  int level = 6;
  KeySourceFlags keys;
};

}  // namespace

CommandRunner SetupExportCommand(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  app.add_option("archive", flags->source, "export from this archive instead of a database");
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("-f,--file", flags->output, "output .sql.gz file, or '-' for stdout")->required();
  AddJobsOption(app, &flags->jobs, "parallel workers (default 4)");
  app.add_option("--level", flags->level, "gzip level 1-12 (default 6)")->check(CLI::Range(1, 12));
  AddKeySourceOptions(app, &flags->keys);
  return [flags]() -> absl::Status { return NotImplementedYet("export"); };
}

}  // namespace pgark::cli
