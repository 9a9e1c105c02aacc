// pgark restore: an archive into a database.
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/backup_source.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "engine/restore/restore_engine.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"

namespace pgark::cli {
namespace {

struct RestoreFlags {
  std::string conninfo;
  std::string source;  // FILE | - | s3://... | a backup name with --config
  std::string config_file;  // resolve `source` as a backup name (cli/backup_source.h)
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
  app.add_option("--config", flags->config_file,
                 "backup configuration: ARCHIVE is then 'latest' or a name from `pgark list`");
  return [flags]() -> absl::Status {
    PGARK_RETURN_IF_ERROR(ResolveBackupSource(flags->config_file, &flags->source, &flags->keys));
    PGARK_RETURN_IF_ERROR(CheckLocalSource(flags->source));
    PGARK_ASSIGN_OR_RETURN(format::KeyRing keys, LoadKeys(flags->keys));
    if (flags->list) {
      PGARK_ASSIGN_OR_RETURN(engine::OpenedArchive archive, engine::OpenArchiveForRead(flags->source));
      PGARK_ASSIGN_OR_RETURN(std::string listing, engine::ListArchive(archive, keys));
      fwrite(listing.data(), 1, listing.size(), stdout);
      return absl::OkStatus();
    }
    engine::RestoreOptions options;
    options.conninfo = flags->conninfo;
    options.jobs = flags->jobs;
    options.create = flags->create;
    options.clean = flags->clean;
    options.if_exists = flags->if_exists;
    options.no_owner = flags->no_owner;
    options.no_acl = flags->no_acl;
    options.single_transaction = flags->single_transaction;
    options.schemas = flags->schemas;
    options.tables = flags->tables;
    if (!flags->section.empty()) {
      options.pre_data = flags->section == "pre-data";
      options.data = flags->section == "data";
      options.post_data = flags->section == "post-data";
    }
    options.keys = std::move(keys);
    PGARK_ASSIGN_OR_RETURN(engine::RestoreResult result, engine::RunRestore(options, flags->source));
    PGARK_LOG(kInfo) << "restored into '" << result.database << "': " << result.pre_data_items
                     << " pre-data items, " << result.tables << " tables (" << result.rows << " rows, "
                     << result.streams << " streams), " << result.large_objects << " large objects, "
                     << result.sequences << " sequences, " << result.post_data_items << " post-data items ("
                     << result.attached_using_index << " constraints attached USING INDEX), "
                     << result.acl_items << " privilege items, " << result.post_acl_items
                     << " post-ACL items in " << result.seconds << " s (data+post-data " << result.data_seconds
                     << " s)";
    return absl::OkStatus();
  };
}

}  // namespace pgark::cli
