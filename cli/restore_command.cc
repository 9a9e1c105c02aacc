// pgark restore: an archive into a database.
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct RestoreFlags {
  std::string conninfo;
  std::string source;  // FILE | - | s3://...
  int jobs = 4;
  bool create = false, clean = false, if_exists = false, no_owner = false, no_acl = false;
  bool single_transaction = false, list = false;
  std::vector<std::string> schemas, tables;
  std::string section;
  KeySourceFlags keys;
};

// A local archive path must name a readable regular file before anything else happens.
absl::Status CheckLocalSource(const std::string& source) {
  if (source == "-" || absl::StartsWith(source, "s3://")) return absl::OkStatus();
  struct stat st;
  if (stat(source.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("archive '", source, "' not found"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("archive '", source, "' is not a regular file"));
  }
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupRestoreCommand(CLI::App& app) {
  auto flags = std::make_shared<RestoreFlags>();
  app.add_option("archive", flags->source, "archive: FILE, '-' for stdin, or s3://BUCKET/KEY")
      ->required();
  AddConnectionOption(app, &flags->conninfo);
  AddJobsOption(app, &flags->jobs, "parallel loader connections (default 4)");
  app.add_flag("-C,--create", flags->create, "create the database before restoring into it");
  app.add_flag("-c,--clean", flags->clean, "drop existing objects before recreating them");
  app.add_flag("--if-exists", flags->if_exists, "with --clean, use DROP ... IF EXISTS");
  app.add_flag("-O,--no-owner", flags->no_owner, "do not restore object ownership");
  app.add_flag("-x,--no-acl", flags->no_acl, "do not restore privileges (GRANT/REVOKE)");
  app.add_flag("-1,--single-transaction", flags->single_transaction,
               "restore in one transaction: all or nothing");
  app.add_flag("-l,--list", flags->list, "list the archive's contents and stop");
  app.add_option("-n,--schema", flags->schemas, "restore only this schema (repeatable)");
  app.add_option("-t,--table", flags->tables, "restore only this table (repeatable)");
  app.add_option("--section", flags->section, "pre-data | data | post-data")
      ->check(CLI::IsMember({"pre-data", "data", "post-data"}));
  AddKeySourceOptions(app, &flags->keys);
  return [flags]() -> absl::Status {
    absl::Status source = CheckLocalSource(flags->source);
    if (!source.ok()) return source;
    return NotImplementedYet("restore");
  };
}

}  // namespace pgark::cli
