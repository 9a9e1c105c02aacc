// pgark restore: an archive into a database.
#include <algorithm>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/backup_source.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "cli/confirm.h"
#include "cli/progress_display.h"
#include "engine/pg/conninfo.h"
#include "engine/restore/replace.h"
#include "engine/restore/restore_engine.h"
#include "engine/restore/use_list.h"
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
  bool single_transaction = false, list = false, globals = false;
  bool no_tablespaces = false, no_comments = false, no_security_labels = false;
  bool no_publications = false, no_subscriptions = false;
  bool disable_triggers = false;
  bool precheck = false, no_precheck = false;
  std::string superuser;
  std::string maintenance_work_mem = "auto";
  std::vector<std::string> schemas, exclude_schemas, tables, exclude_tables;
  std::string use_list;
  std::vector<std::string> sections;  // --section, repeatable as in pg_restore
  std::string progress = "auto";
  bool replace = false, terminate_connections = false, yes = false;
  bool list_pre_restore = false, drop_pre_restore = false;
  int keep_pre_restore = 0;
  KeySourceFlags keys;
  bool jobs_given = false;  // -j on the command line (the default 4 does not clash with -1)
  bool keep_given = false;
};

// The database a restore writes into must be named: -d (a name, or dbname in a conninfo) or
// PGDATABASE. libpq's last fallback, the database named after the user, is a target nobody
// chose (`--clean` would drop objects there). With -C the archive names it.
absl::Status CheckTargetNamed(const RestoreFlags& flags) {
  if (flags.create && !flags.list_pre_restore && !flags.drop_pre_restore) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(std::string database, pg::ConninfoExplicitDatabase(flags.conninfo));
  if (!database.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "no target database: give -d DBNAME (or set PGDATABASE), or -C to create the archive's database");
}

// Flags that would be silently ignored are refused instead.
absl::Status CheckFlagCombinations(const RestoreFlags& flags) {
  if (flags.single_transaction && flags.jobs_given && flags.jobs > 1) {
    return absl::InvalidArgumentError("-1/--single-transaction runs on one connection: it cannot be used with -j > 1");
  }
  if (flags.create && flags.clean && flags.single_transaction) {
    // -C --clean drops the existing database before the transaction begins (DROP DATABASE
    // cannot run in one): -1 could not bring it back, and a failure would lose it.
    return absl::InvalidArgumentError(
        "-C --clean drops the existing database before -1's transaction begins, so a failure would lose it: "
        "use --replace (it restores into a new database and swaps it in only once verified, keeping the old "
        "one), or -C --clean without -1");
  }
  if (flags.keep_given && !flags.drop_pre_restore) {
    return absl::InvalidArgumentError("--keep is only used with --drop-pre-restore");
  }
  return absl::OkStatus();
}

// --list-pre-restore / --drop-pre-restore: housekeeping of the copies --replace keeps.
absl::Status RunPreRestoreHousekeeping(const RestoreFlags& flags) {
  if (flags.drop_pre_restore) {
    if (flags.keep_pre_restore < 0) return absl::InvalidArgumentError("--keep must be 0 or more");
    engine::restore::PreRestoreRetention rule;
    rule.keep = flags.keep_pre_restore;
    PGARK_ASSIGN_OR_RETURN(
        engine::restore::PreRestoreDropOutcome outcome,
        engine::restore::DropPreRestoreCopies(flags.conninfo, rule,
                                              flags.terminate_connections ? engine::restore::BusyCopy::kTerminate
                                                                          : engine::restore::BusyCopy::kStop));
    for (const auto& copy : outcome.dropped) absl::PrintF("dropped %s\n", copy.name);
    PGARK_LOG(kInfo) << "dropped " << outcome.dropped.size() << " pre-restore database(s)";
    return absl::OkStatus();
  }
  PGARK_ASSIGN_OR_RETURN(std::vector<engine::restore::PreRestoreCopy> copies,
                         engine::restore::ListPreRestoreCopies(flags.conninfo));
  const absl::Time now = absl::Now();
  // Said on stderr, so that stdout stays empty for a script.
  if (copies.empty()) {
    PGARK_LOG(kInfo) << "no pre-restore databases (nor unfinished --replace databases) for this database";
  }
  for (const auto& copy : copies) {
    if (copy.incomplete) {
      absl::PrintF("%s  %s  incomplete: %s\n", copy.name, HumanBytes(static_cast<double>(copy.size_bytes)),
                   copy.sessions > 0 ? absl::StrCat("in use by ", copy.sessions, " session(s), a --replace may be running")
                                     : std::string("left by a --replace that did not finish (dropped by --drop-pre-restore)"));
      continue;
    }
    absl::PrintF("%s  %s  %s ago\n", copy.name, HumanBytes(static_cast<double>(copy.size_bytes)),
                 absl::FormatDuration(absl::Trunc(now - copy.taken, absl::Seconds(1))));
  }
  return absl::OkStatus();
}

// --maintenance-work-mem: "auto" (-1), "server" (0) or a size of at least 1MB, in kB.
absl::StatusOr<int64_t> MaintenanceWorkMemKb(const std::string& text) {
  if (text == "auto") return -1;
  if (text == "server") return 0;
  PGARK_ASSIGN_OR_RETURN(int64_t bytes, ParseSize(text));
  if (bytes < (int64_t{1} << 20) || bytes > (int64_t{INT32_MAX} << 10)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--maintenance-work-mem ", text, ": give auto, server or a size from 1MB to 2TB"));
  }
  return bytes >> 10;
}

engine::RestoreOptions ToOptions(const RestoreFlags& flags, format::KeyRing keys) {
  engine::RestoreOptions options;
  options.conninfo = flags.conninfo;
  options.jobs = flags.jobs;
  options.create = flags.create;
  options.clean = flags.clean;
  options.if_exists = flags.if_exists;
  options.no_owner = flags.no_owner;
  options.no_acl = flags.no_acl;
  options.no_tablespaces = flags.no_tablespaces;
  options.no_comments = flags.no_comments;
  options.no_security_labels = flags.no_security_labels;
  options.no_publications = flags.no_publications;
  options.no_subscriptions = flags.no_subscriptions;
  options.single_transaction = flags.single_transaction;
  if (flags.precheck) options.precheck = true;
  if (flags.no_precheck) options.precheck = false;
  options.disable_triggers = flags.disable_triggers;
  options.superuser = flags.superuser;
  options.globals = flags.globals;
  options.schemas = flags.schemas;
  options.exclude_schemas = flags.exclude_schemas;
  options.tables = flags.tables;
  options.exclude_tables = flags.exclude_tables;
  if (!flags.sections.empty()) {
    auto has = [&](const char* section) {
      return std::find(flags.sections.begin(), flags.sections.end(), section) != flags.sections.end();
    };
    options.pre_data = has("pre-data");
    options.data = has("data");
    options.post_data = has("post-data");
  }
  options.keys = std::move(keys);
  options.confirm = TerminalConfirmation(
      flags.yes, flags.replace ? "--replace will restore the archive into a new database and keep this one "
                                 "renamed as <name>_pre_restore_<UTC time>"
                               : "--clean will DROP the archive's objects in it and restore them from the archive");
  return options;
}

void LogResult(const engine::RestoreResult& result) {
  PGARK_LOG(kInfo) << "restored into '" << result.database << "': " << result.pre_data_items
                   << " pre-data items, " << result.tables << " tables (" << result.rows << " rows, "
                   << result.streams << " streams), " << result.large_objects << " large objects, "
                   << result.sequences << " sequences, " << result.post_data_items << " post-data items ("
                   << result.attached_using_index << " constraints attached USING INDEX), "
                   << result.acl_items << " privilege items, " << result.post_acl_items
                   << " post-ACL items in " << absl::StrFormat("%.2f", result.seconds) << " s (data+post-data "
                   << absl::StrFormat("%.2f", result.data_seconds) << " s)";
  if (result.type_oids_patched > 0) {
    PGARK_LOG(kInfo) << "restore: " << result.type_oids_patched << " embedded type OIDs patched for the target";
  }
}

absl::Status RunRestoreCommand(const RestoreFlags& flags) {
  PGARK_RETURN_IF_ERROR(CheckFlagCombinations(flags));
  if (!flags.list) PGARK_RETURN_IF_ERROR(CheckTargetNamed(flags));
  if (flags.list_pre_restore || flags.drop_pre_restore) return RunPreRestoreHousekeeping(flags);
  if (flags.source.empty()) {
    return absl::InvalidArgumentError("no archive given: pgark restore [options] FILE|-|s3://BUCKET/KEY");
  }
  if (flags.if_exists && !flags.clean) {
    return absl::InvalidArgumentError("--if-exists is only used with -c/--clean");  // as pg_restore
  }
  PGARK_RETURN_IF_ERROR(CheckArchivePath("restore", flags.source, ArchiveAccess::kStreamOrFile));
  if (!flags.superuser.empty() && !flags.disable_triggers) {
    return absl::InvalidArgumentError("--superuser is only used with --disable-triggers");
  }
  PGARK_ASSIGN_OR_RETURN(format::KeyRing keys, LoadKeys(flags.keys));
  if (flags.list) {
    PGARK_ASSIGN_OR_RETURN(engine::OpenedArchive archive, engine::OpenArchiveForRead(flags.source));
    PGARK_ASSIGN_OR_RETURN(std::string listing, engine::ListArchive(archive, keys));
    fwrite(listing.data(), 1, listing.size(), stdout);
    return absl::OkStatus();
  }
  PGARK_ASSIGN_OR_RETURN(const int64_t maintenance_work_mem_kb, MaintenanceWorkMemKb(flags.maintenance_work_mem));
  engine::RestoreOptions options = ToOptions(flags, std::move(keys));
  options.maintenance_work_mem_kb = maintenance_work_mem_kb;
  if (!flags.use_list.empty()) {
    PGARK_ASSIGN_OR_RETURN(std::set<int> listed, engine::restore::ReadUseList(flags.use_list));
    options.use_list = std::move(listed);
  }
  engine::TransferProgress progress;
  options.progress = &progress;
  ProgressDisplay display(flags.progress, &progress);
  if (options.confirm) {
    // The live line must not overwrite the question.
    options.confirm = [&display, ask = std::move(options.confirm)](
                          const engine::restore::DatabaseDescription& description) {
      display.Pause();
      absl::Status answer = ask(description);
      display.Resume();
      return answer;
    };
  }
  if (flags.replace) {
    engine::restore::ReplaceOptions replace;
    replace.restore = std::move(options);
    replace.terminate_connections = flags.terminate_connections;
    absl::StatusOr<engine::restore::ReplaceResult> result = engine::restore::RunReplace(replace, flags.source);
    display.Stop();
    PGARK_RETURN_IF_ERROR(result.status());
    LogResult(result->restore);
    PGARK_LOG(kInfo) << "replaced database '" << result->database << "' (" << result->verified_tables
                     << " tables verified against the archive's row counts"
                     << (result->terminated_sessions > 0
                             ? absl::StrCat(", ", result->terminated_sessions, " sessions terminated")
                             : "")
                     << "); "
                     << (result->old_kept_as.empty()
                             ? std::string("there was no previous database")
                             : absl::StrCat("the previous database is kept as '", result->old_kept_as,
                                            "' (drop it with pgark restore --drop-pre-restore)"));
    return absl::OkStatus();
  }
  absl::StatusOr<engine::RestoreResult> result = engine::RunRestore(options, flags.source);
  display.Stop();
  PGARK_RETURN_IF_ERROR(result.status());
  LogResult(*result);
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupRestoreCommand(CLI::App& app) {
  auto flags = std::make_shared<RestoreFlags>();
  app.add_option("archive", flags->source, "archive: FILE, '-' for stdin, or s3://BUCKET/KEY");
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("--config", flags->config_file,
                 "backup configuration: ARCHIVE is then 'latest' or a name from `pgark list`");
  CLI::Option* jobs = AddJobsOption(app, &flags->jobs, "parallel loader connections (default 4)");
  app.add_flag("-C,--create", flags->create, "create the database before restoring into it");
  app.add_flag("-c,--clean", flags->clean, "drop existing objects before recreating them");
  app.add_flag("--if-exists", flags->if_exists,
               "accepted with --clean for pg_restore compatibility: pgark's drops always use IF EXISTS");
  app.add_flag("-O,--no-owner", flags->no_owner, "do not restore object ownership");
  app.add_flag("-x,--no-acl", flags->no_acl, "do not restore privileges (GRANT/REVOKE)");
  app.add_flag("--no-tablespaces", flags->no_tablespaces,
               "create everything in the target database's default tablespace");
  app.add_flag("--no-comments", flags->no_comments, "do not restore comments");
  app.add_flag("--no-security-labels", flags->no_security_labels, "do not restore security labels");
  app.add_flag("--no-publications", flags->no_publications, "do not restore publications");
  app.add_flag("--no-subscriptions", flags->no_subscriptions, "do not restore subscriptions");
  app.add_flag("-1,--single-transaction", flags->single_transaction,
               "restore in one transaction: all or nothing");
  CLI::Option* precheck = app.add_flag(
      "--precheck", flags->precheck,
      "check every frame's header and storage checksum before changing anything, so a damaged archive is "
      "refused with nothing changed (default for local files; for s3:// it downloads the archive twice)");
  app.add_flag("--no-precheck", flags->no_precheck,
               "skip that check: damage in a data frame is then found when its table is loaded, after the "
               "tables loaded before it (without -1)")
      ->excludes(precheck);
  app.add_flag("-l,--list", flags->list, "list the archive's contents and stop");
  app.add_option("-L,--use-list", flags->use_list,
                 "restore only the items whose lines (from -l) this file keeps; comment a line out with ';' "
                 "(the order of the lines is not used)");
  app.add_flag("--globals", flags->globals,
               "first create the roles and tablespaces of a 'pgark dump --globals' archive (existing ones are skipped)");
  app.add_option("-n,--schema", flags->schemas, "restore only schemas matching this pattern (repeatable)")
      ->allow_extra_args(false);  // one value each, so a following archive stays positional
  app.add_option("-N,--exclude-schema", flags->exclude_schemas, "skip schemas matching this pattern (repeatable)")
      ->allow_extra_args(false);  // one value each, so a following archive stays positional
  app.add_option("-t,--table", flags->tables, "restore only tables matching this pattern (repeatable)")
      ->allow_extra_args(false);  // one value each, so a following archive stays positional
  app.add_option("-T,--exclude-table", flags->exclude_tables, "skip tables matching this pattern (repeatable)")
      ->allow_extra_args(false);  // one value each, so a following archive stays positional
  app.add_option("--section", flags->sections,
                 "pre-data | data | post-data (repeatable: the sections given run); data alone loads into an "
                 "existing schema: tables load after the tables their FOREIGN KEYs reference, triggers fire "
                 "(see --disable-triggers)")
      ->check(CLI::IsMember({"pre-data", "data", "post-data"}))
      ->allow_extra_args(false);  // one value each, so a following archive stays positional
  app.add_flag("--disable-triggers", flags->disable_triggers,
               "when loading into existing tables (--section data): disable their triggers, FOREIGN KEY "
               "checks included, during the load and put them back after it, also on failure (needs a "
               "superuser, or the tables' owner when there are no FOREIGN KEYs)");
  app.add_option("--superuser", flags->superuser,
                 "with --disable-triggers: SET ROLE to this role to disable and re-enable the triggers");
  app.add_option("--maintenance-work-mem", flags->maintenance_work_mem,
                 "memory each connection's index builds may use: SIZE, 'server' (the server's setting) or "
                 "'auto' (default: 1GB shared by the connections, at least 64MB each; never below the server's)");
  AddProgressOption(app, &flags->progress);
  app.add_flag("--replace", flags->replace,
               "restore into a new database, verify it, then swap it in for the -d database, keeping the old "
               "one as <db>_pre_restore_<UTC time>");
  app.add_flag("--terminate-connections", flags->terminate_connections,
               "with --replace / --drop-pre-restore: terminate other sessions of the database instead of failing");
  app.add_flag("-y,--yes", flags->yes, "do not ask before replacing or dropping existing objects");
  app.add_flag("--list-pre-restore", flags->list_pre_restore,
               "list the <db>_pre_restore_* databases --replace kept for the -d database (and the "
               "temporary databases of killed --replace runs, marked incomplete), and stop");
  app.add_flag("--drop-pre-restore", flags->drop_pre_restore,
               "drop the <db>_pre_restore_* databases of the -d database (see --keep) and the unused "
               "temporary databases of killed --replace runs, and stop");
  CLI::Option* keep =
      app.add_option("--keep", flags->keep_pre_restore, "with --drop-pre-restore: keep the newest N (default 0)")
          ->check(CLI::Validator(
              [](const std::string& value) -> std::string {
                int n = 0;
                return absl::SimpleAtoi(value, &n) && n >= 0 ? "" : "'" + value + "' is not a whole number of 0 or more";
              },
              "N >= 0", "keep"));
  AddKeySourceOptions(app, &flags->keys);
  return [flags, jobs, keep]() -> absl::Status {
    flags->jobs_given = jobs->count() > 0;
    flags->keep_given = keep->count() > 0;
    if (!flags->list_pre_restore && !flags->drop_pre_restore) {
      PGARK_RETURN_IF_ERROR(ResolveBackupSource(flags->config_file, &flags->source, &flags->keys));
    }
    return RunRestoreCommand(*flags);
  };
}

}  // namespace pgark::cli
