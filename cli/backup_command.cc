// pgark backup, list, prune, config: the scheduled job and its housekeeping.
//
// Each command loads the configuration (engine/ops/config.h); any problem stops it with
// exit 2 after printing every problem on its own line, so cron mail shows all of them.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/archive_options.h"
#include "cli/backup_source.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "cli/exit_code.h"
#include "engine/archive_io.h"
#include "engine/dump/dump_engine.h"
#include "engine/verify/verify_engine.h"
#include "engine/ops/backup_run.h"
#include "engine/ops/backup_name.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/config.h"
#include "engine/ops/config_check.h"
#include "engine/ops/naming.h"
#include "engine/ops/notify/notifier.h"
#include "engine/ops/pre_restore_prune.h"
#include "engine/ops/run_lock.h"
#include "engine/ops/sql_gz_check.h"
#include "engine/export/sql_exporter.h"
#include "engine/options.h"
#include "engine/pg/connection.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace pgark::cli {
namespace {

struct OpsFlags {
  std::string config_file;
  std::string now;  // overrides the clock (tests, replays)
  bool dry_run = false;
  bool json = false;
};

void AddConfigOption(CLI::App& app, OpsFlags* flags) {
  app.add_option("--config", flags->config_file,
                 "KEY=VALUE configuration file (environment variables override it)");
}

// Loads the configuration; prints every problem and fails with kInvalidArgument (exit 2).
absl::StatusOr<ops::LoadedConfig> LoadConfig(const OpsFlags& flags) {
  ops::LoadedConfig loaded = ops::LoadBackupConfig(flags.config_file, ops::EnvironmentSnapshot());
  for (const ops::ConfigProblem& warning : loaded.warnings) {
    PGARK_LOG(kWarning) << "config: " << warning.ToString();
  }
  if (!loaded.problems.empty()) {
    for (const ops::ConfigProblem& problem : loaded.problems) {
      std::cerr << "pgark: config: " << problem.ToString() << "\n";
    }
    return absl::InvalidArgumentError(
        absl::StrCat(loaded.problems.size(), " problem(s) in the configuration",
                     flags.config_file.empty() ? "" : absl::StrCat(" '", flags.config_file, "'"),
                     "; run 'pgark config check' after fixing them"));
  }
  ops::ExportPassthroughValues(loaded.values);
  return loaded;
}

absl::StatusOr<absl::Time> NowFrom(const OpsFlags& flags) {
  if (flags.now.empty()) return absl::Now();
  return ops::ParseNowFlag(flags.now);
}

// Appends a line to PGARK_LOG_FILE; O_APPEND keeps concurrent writers' lines whole.
void AppendLogLine(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;
  // One record per line: a message that spans lines (a server's detail) is joined.
  std::string text = absl::StrReplaceAll(line, {{"\n", " "}}) + "\n";
  if (write(fd, text.data(), text.size()) < 0) {
    // Logging must never fail the run; stderr still has the line.
  }
  close(fd);
}

// The dump step of a PGARK_FORMAT=sql.gz run: the engine behind `pgark export` (multi-member
// gzip, parallel). Its gzip level is PGARK_COMPRESS's when that says gzip[:N] (zstd and none
// do not apply to gzip: the export's default level 6 is used). Large tables spill next to a
// local root, else to $TMPDIR. ExportDatabase closes (publishes) `out` only when complete.
absl::Status ExportWithEngine(const ops::BackupConfig& config, storage::ObjectWriter& out) {
  engine::ExportOptions options;
  options.conninfo = config.database;
  options.jobs = config.jobs;
  absl::string_view level = config.compress;
  if (absl::ConsumePrefix(&level, "gzip") && absl::ConsumePrefix(&level, ":")) {
    if (!absl::SimpleAtoi(level, &options.level)) options.level = 6;
  }
  if (!ops::IsS3Root(config.backup_root)) options.spill_dir = config.backup_root;
  PGARK_ASSIGN_OR_RETURN(engine::ExportResult result, engine::ExportDatabase(options, &out));
  PGARK_LOG(kInfo) << "export: " << result.tables << " tables, " << result.rows << " rows, "
                   << result.sql_bytes << " SQL bytes";
  return absl::OkStatus();
}

// The dump step of a run: the same engine and archive settings as `pgark dump`, configured
// from PGARK_DATABASE, PGARK_JOBS, PGARK_COMPRESS and the PGARK_ENCRYPT_* keys. RunDump
// closes (publishes) `out` only when the archive is complete.
absl::Status DumpWithEngine(const ops::BackupConfig& config, storage::ObjectWriter& out) {
  if (config.format == ops::BackupFormat::kSqlGz) return ExportWithEngine(config, out);
  engine::DumpOptions options = ops::DumpOptionsFor(config);
  format::WriterOptions writer_options;
  PGARK_RETURN_IF_ERROR(ParseCompression(config.compress, &writer_options));
  EncryptionSources keys;
  keys.passphrase_file = config.encrypt_passphrase_file;
  keys.passphrase_from_env = config.passphrase_from_env;
  keys.key_file = config.encrypt_key_file;
  if (!config.encrypt_recipient_file.empty()) keys.recipients.push_back(config.encrypt_recipient_file);
  PGARK_RETURN_IF_ERROR(LoadEncryption(keys, &writer_options.encryption));
  engine::ObjectSink sink(&out);
  engine::DumpProgress progress;
  PGARK_ASSIGN_OR_RETURN(engine::DumpResult result,
                         engine::RunDump(options, writer_options, &sink, &progress));
  PGARK_LOG(kInfo) << "dump: " << result.tables << " tables, " << result.rows << " rows";
  return absl::OkStatus();
}

// The verify step (PGARK_VERIFY=full | restore-test): the engine behind `pgark verify`, on the
// archive just written to the primary root, with the decryption keys the configuration names.
absl::Status VerifyWithEngine(const ops::VerifyRequest& request) {
  const ops::BackupConfig& config = *request.config;
  if (config.format == ops::BackupFormat::kSqlGz) {
    // gzip integrity (full), or a psql replay into a scratch database (restore-test).
    if (request.mode == ops::VerifyMode::kRestoreTest) {
      ops::SqlGzRestoreReport report;
      const std::string& server = config.restore_test_database.empty()
                                      ? config.database
                                      : config.restore_test_database;
      PGARK_RETURN_IF_ERROR(ops::RunSqlGzRestoreTest(*request.storage, request.key, server, &report));
      PGARK_LOG(kInfo) << "restore test: psql replayed " << report.copy_blocks << " COPY blocks, "
                       << report.loaded_rows << " rows";
      return absl::OkStatus();
    }
    return ops::GunzipObject(*request.storage, request.key).status();
  }
  engine::VerifyOptions options;
  KeySourceFlags key_flags;
  key_flags.passphrase_file = config.encrypt_passphrase_file;
  key_flags.key_file = config.encrypt_key_file;
  PGARK_ASSIGN_OR_RETURN(options.keys, LoadKeys(key_flags));
  std::string root = config.backup_root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  PGARK_ASSIGN_OR_RETURN(engine::OpenedArchive archive,
                         engine::OpenArchiveForRead(absl::StrCat(root, "/", request.key)));
  engine::VerifyReport report;
  if (request.mode == ops::VerifyMode::kRestoreTest) {
    return engine::RunRestoreTest(
        options, archive,
        config.restore_test_database.empty() ? config.database : config.restore_test_database,
        config.jobs, &report);
  }
  return engine::RunVerify(options, archive, config.jobs, &report);
}

absl::Status RunBackupCommand(const OpsFlags& flags) {
  PGARK_ASSIGN_OR_RETURN(absl::Time now, NowFrom(flags));
  PGARK_ASSIGN_OR_RETURN(ops::LoadedConfig loaded, LoadConfig(flags));
  const ops::BackupConfig& config = loaded.config;
  PGARK_ASSIGN_OR_RETURN(auto primary, ops::OpenRoot(config.backup_root));
  std::unique_ptr<storage::Storage> copy_to;
  if (!config.copy_to.empty()) {
    PGARK_ASSIGN_OR_RETURN(copy_to, ops::OpenRoot(config.copy_to));
  }
  auto http = ops::notify::NewCurlHttpTransport();
  auto mail = ops::notify::NewCurlMailTransport();
  auto notifiers = ops::notify::MakeNotifiers(config, http.get(), mail.get());

  ops::RunEnvironment env;
  env.primary = primary.get();
  env.copy_to = copy_to.get();
  env.dump = &DumpWithEngine;
  env.verify = &VerifyWithEngine;
  env.notifiers = &notifiers;
  env.lock_dir = ops::LockDirFor(config);
  if (config.check_free_space && !ops::IsS3Root(config.backup_root)) {
    std::string root = config.backup_root;
    env.free_bytes = [root]() { return ops::LocalFreeBytes(root); };
    std::string database = config.database;
    env.database_bytes = [database]() -> absl::StatusOr<uint64_t> {
      PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(database));
      PGARK_ASSIGN_OR_RETURN(pg::Result result,
                             conn->Query("SELECT pg_database_size(current_database())"));
      PGARK_ASSIGN_OR_RETURN(int64_t bytes, result.GetInt64(0, 0));
      return static_cast<uint64_t>(bytes);
    };
  }
  if (!config.log_file.empty()) {
    std::string path = config.log_file;
    env.log_line = [path](const std::string& line) { AppendLogLine(path, line); };
  }
  if (ops::PrunesPreRestoreCopies(config)) {
    // Ages of databases go by the real clock, never --now: a replayed run must not drop them.
    env.prune_more = [&config](bool* left) -> absl::StatusOr<std::string> {
      PGARK_ASSIGN_OR_RETURN(auto outcome, ops::PrunePreRestoreCopies(config, absl::Now(), false));
      *left = !outcome.skipped.empty() || !outcome.plan.in_use.empty();
      return ops::DescribePreRestorePrune(outcome, false);
    };
  }
  env.exit_code_for = &ExitCodeFor;
  ops::RunSummary summary = ops::RunBackup(config, now, env);
  if (summary.ok()) {
    std::cout << absl::StrFormat("%s  %s  %s\n", summary.file_name, ops::HumanBytes(summary.size_bytes),
                                 summary.verified ? "verified" : "not verified");
  }
  return summary.status;
}

std::string TierList(const ops::ListedBackup& backup) {
  std::vector<std::string> names;
  for (ops::Tier tier : backup.tiers) names.emplace_back(ops::TierName(tier));
  return absl::StrJoin(names, ",");
}

std::string Age(absl::Duration age) {
  if (age < absl::ZeroDuration()) return "future";
  int64_t hours = absl::ToInt64Hours(age);
  if (hours >= 48) return absl::StrCat(hours / 24, "d");
  if (hours >= 1) return absl::StrCat(hours, "h");
  return absl::StrCat(absl::ToInt64Minutes(age), "m");
}

nlohmann::json ListingJson(const ops::RootListing& listing, absl::Time now) {
  nlohmann::json backups = nlohmann::json::array();
  for (const ops::ListedBackup& backup : listing.backups) {
    nlohmann::json tiers = nlohmann::json::array();
    for (ops::Tier tier : backup.tiers) tiers.push_back(std::string(ops::TierName(tier)));
    nlohmann::json entry = {
        {"file", backup.file_name},
        {"format", std::string(ops::BackupFormatName(backup.format))},
        {"time", ops::FormatUtc(backup.time)},
        {"age_seconds", absl::ToInt64Seconds(now - backup.time)},
        {"size_bytes", backup.size},
        {"tiers", tiers},
        {"sidecar", backup.has_sidecar},
        {"verified", backup.verified.has_value()},
    };
    if (backup.verified.has_value()) {
      entry["verify_mode"] = backup.verified->mode;
      entry["verified_at"] = backup.verified->verified_at;
    }
    backups.push_back(std::move(entry));
  }
  return backups;
}

void PrintListing(const std::string& title, const ops::RootListing& listing, absl::Time now) {
  std::cout << title << "\n";
  if (listing.backups.empty()) {
    std::cout << "  (no backups)\n";
    return;
  }
  std::cout << absl::StrFormat("  %-40s %-20s %10s %6s %-8s %s\n", "FILE", "TIERS", "SIZE", "AGE",
                               "SIDECAR", "VERIFIED");
  for (const ops::ListedBackup& backup : listing.backups) {
    std::cout << absl::StrFormat(
        "  %-40s %-20s %10s %6s %-8s %s\n", backup.file_name, TierList(backup),
        ops::HumanBytes(backup.size), Age(now - backup.time), backup.has_sidecar ? "yes" : "MISSING",
        backup.verified.has_value() ? absl::StrCat(backup.verified->mode, " ", backup.verified->verified_at)
                                    : "no");
  }
}

absl::Status RunListCommand(const OpsFlags& flags) {
  PGARK_ASSIGN_OR_RETURN(absl::Time now, NowFrom(flags));
  PGARK_ASSIGN_OR_RETURN(ops::LoadedConfig loaded, LoadConfig(flags));
  const ops::BackupConfig& config = loaded.config;
  std::vector<std::pair<std::string, std::string>> roots = {{"root", config.backup_root}};
  if (!config.copy_to.empty()) roots.emplace_back("copy_to", config.copy_to);
  nlohmann::json json = {{"name", config.name}};
  // A root that cannot be listed (the backup disk is gone: the day this command matters most)
  // does not hide the others: they are listed, and its error is reported and returned.
  absl::Status first_failure;
  for (const auto& [label, root] : roots) {
    absl::StatusOr<std::unique_ptr<storage::Storage>> storage = ops::OpenRoot(root);
    absl::StatusOr<ops::RootListing> listing =
        storage.ok() ? ops::ListRoot(**storage, config.name) : absl::StatusOr<ops::RootListing>(storage.status());
    if (!listing.ok()) {
      if (first_failure.ok()) {
        first_failure = listing.status();  // printed when the command ends
      } else {
        PGARK_LOG(kError) << "cannot list " << root << ": " << listing.status().message();
      }
      if (flags.json) json[label] = {{"location", root}, {"error", std::string(listing.status().message())}};
      continue;
    }
    if (flags.json) {
      json[label] = {{"location", (*storage)->DisplayName()}, {"backups", ListingJson(*listing, now)}};
    } else {
      PrintListing(absl::StrCat(config.name, " in ", (*storage)->DisplayName(), ":"), *listing, now);
    }
  }
  if (flags.json) std::cout << json.dump(2) << "\n";
  return first_failure;
}

absl::Status RunPruneCommand(const OpsFlags& flags) {
  PGARK_ASSIGN_OR_RETURN(ops::LoadedConfig loaded, LoadConfig(flags));
  const ops::BackupConfig& config = loaded.config;
  // The roots are opened before the lock, as `pgark backup` does: a missing local root (an
  // unmounted disk) is then reported as such (exit 3), not as a lock file it cannot create.
  std::vector<std::unique_ptr<storage::Storage>> storages;
  for (const std::string& root : {config.backup_root, config.copy_to}) {
    if (root.empty()) continue;
    PGARK_ASSIGN_OR_RETURN(auto storage, ops::OpenRoot(root));
    storages.push_back(std::move(storage));
  }
  // The run lock keeps a hand-started prune from racing a scheduled backup.
  std::unique_ptr<ops::RunLock> lock;
  if (!flags.dry_run) {
    PGARK_ASSIGN_OR_RETURN(lock, ops::RunLock::Acquire(ops::LockDirFor(config), config.name, absl::Now()));
    if (!lock->takeover_note().empty()) {
      PGARK_LOG(kWarning) << lock->takeover_note();
    }
  }
  for (const std::unique_ptr<storage::Storage>& storage : storages) {
    PGARK_ASSIGN_OR_RETURN(ops::PruneOutcome outcome, ops::PruneRoot(*storage, config, flags.dry_run));
    const char* verb = flags.dry_run ? "would remove" : "removed";
    for (const std::string& key : outcome.removed_keys) {
      std::cout << verb << " " << storage->DisplayName() << "/" << key << "\n";
    }
    for (const std::string& key : outcome.rewritten_sidecars) {
      std::cout << (flags.dry_run ? "would rewrite " : "rewrote ") << storage->DisplayName() << "/"
                << key << "\n";
    }
    if (outcome.plan.protected_backup.has_value()) {
      std::cout << "kept " << *outcome.plan.protected_backup
                << " beyond retention: it is the newest verified backup\n";
    }
    std::cout << absl::StrFormat("%s: %s %d copies (%s), kept %d\n", storage->DisplayName(), verb,
                                 outcome.plan.remove.size(), ops::HumanBytes(outcome.removed_bytes),
                                 outcome.plan.keep.size());
  }
  if (ops::PrunesPreRestoreCopies(config)) {
    PGARK_ASSIGN_OR_RETURN(auto outcome, ops::PrunePreRestoreCopies(config, absl::Now(), flags.dry_run));
    for (const auto& copy : outcome.dropped) {
      std::cout << (flags.dry_run ? "would drop database " : "dropped database ") << copy.name << " ("
                << ops::HumanBytes(static_cast<uint64_t>(copy.size_bytes)) << ")\n";
    }
    std::cout << config.name << "'s server: " << ops::DescribePreRestorePrune(outcome, flags.dry_run) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunConfigCheck(const OpsFlags& flags) {
  ops::LoadedConfig loaded = ops::LoadBackupConfig(flags.config_file, ops::EnvironmentSnapshot());
  std::vector<ops::ConfigProblem> problems = loaded.problems;
  // Only a configuration that parses is worth connecting with.
  if (problems.empty()) {
    ops::ExportPassthroughValues(loaded.values);
    ops::CheckEnvironment(loaded.config, &problems);
  }
  for (const ops::ConfigProblem& warning : loaded.warnings) {
    std::cerr << "pgark config check: warning: " << warning.ToString() << "\n";
  }
  for (const ops::ConfigProblem& problem : problems) {
    std::cerr << "pgark config check: " << problem.ToString() << "\n";
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(problems.size(), " problem(s) in the configuration"));
  }
  const ops::BackupConfig& c = loaded.config;
  std::cout << "configuration ok: " << c.name << " -> " << c.backup_root
            << (c.copy_to.empty() ? "" : absl::StrCat(" and ", c.copy_to)) << ", keep "
            << c.retain_daily << "/" << c.retain_weekly << "/" << c.retain_monthly
            << " daily/weekly/monthly, verify " << ops::VerifyModeName(c.verify) << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolveBackupSource(const std::string& config_file, std::string* source,
                                 KeySourceFlags* keys) {
  if (config_file.empty()) {
    if (*source == "latest" && access(source->c_str(), F_OK) != 0) {
      return absl::InvalidArgumentError(
          "'latest' needs --config FILE: the backup configuration whose roots hold the backups");
    }
    return absl::OkStatus();
  }
  OpsFlags flags;
  flags.config_file = config_file;
  PGARK_ASSIGN_OR_RETURN(ops::LoadedConfig loaded, LoadConfig(flags));
  const ops::BackupConfig& config = loaded.config;
  std::vector<std::string> roots = {config.backup_root};
  if (!config.copy_to.empty()) roots.push_back(config.copy_to);
  const ops::BackupFormat pgark = ops::BackupFormat::kPgark;
  absl::Status last;
  for (const std::string& root : roots) {
    // The primary may be the thing that was lost: any failure there moves on to the copy.
    absl::StatusOr<ops::ResolvedBackup> resolved = [&]() -> absl::StatusOr<ops::ResolvedBackup> {
      PGARK_ASSIGN_OR_RETURN(auto storage, ops::OpenRoot(root));
      PGARK_ASSIGN_OR_RETURN(ops::RootListing listing, ops::ListRoot(*storage, config.name));
      return ops::ResolveBackupName(listing, *source, config.name, storage->DisplayName(), &pgark);
    }();
    if (!resolved.ok()) {
      // A wrong or ambiguous name is wrong on every root.
      if (resolved.status().code() == absl::StatusCode::kInvalidArgument ||
          resolved.status().code() == absl::StatusCode::kFailedPrecondition) {
        return resolved.status();
      }
      if (root != roots.back()) {
        PGARK_LOG(kWarning) << "resolving '" << *source << "' in " << root << ": "
                            << resolved.status().message() << "; trying " << roots.back();
      }
      last = resolved.status();
      continue;
    }
    std::string base = root;
    while (!base.empty() && base.back() == '/') base.pop_back();
    PGARK_LOG(kInfo) << "'" << *source << "' is " << resolved->key << " in " << root
                     << (resolved->verified ? " (verified)" : "");
    if (!resolved->verified) {
      PGARK_LOG(kWarning) << resolved->file_name
                          << " has no verification record: no backup of this root passed "
                             "verification; check it with `pgark verify` first if you can";
    }
    *source = absl::StrCat(base, "/", resolved->key);
    if (keys->key_file.empty() && keys->passphrase_file.empty() && keys->identity_file.empty()) {
      keys->key_file = config.encrypt_key_file;
      keys->passphrase_file = config.encrypt_passphrase_file;
    }
    return absl::OkStatus();
  }
  return last;
}

CommandRunner SetupBackupCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_option("--now", flags->now,
                 "use this UTC time instead of the clock (YYYY-MM-DDTHH:MM:SSZ or YYYYMMDD_HHMMSS)");
  return [flags]() -> absl::Status { return RunBackupCommand(*flags); };
}

CommandRunner SetupListCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_flag("--json", flags->json, "print as JSON");
  app.add_option("--now", flags->now, "compute ages against this UTC time instead of the clock");
  return [flags]() -> absl::Status { return RunListCommand(*flags); };
}

CommandRunner SetupPruneCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  AddConfigOption(app, flags.get());
  app.add_flag("--dry-run", flags->dry_run, "show what would be deleted, delete nothing");
  return [flags]() -> absl::Status { return RunPruneCommand(*flags); };
}

CommandRunner SetupConfigCommand(CLI::App& app) {
  auto flags = std::make_shared<OpsFlags>();
  auto* check = app.add_subcommand("check", "validate the configuration and what it points to");
  AddConfigOption(*check, flags.get());
  app.require_subcommand(1);
  return [flags]() -> absl::Status { return RunConfigCheck(*flags); };
}

}  // namespace pgark::cli
