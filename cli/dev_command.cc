// pgark dev: quick snapshots of a development database (docs/backup.md "Development snapshots").
//
// Snapshots are uncompressed pgark archives (-Z none: the fastest to write and to load)
// named <dir>/<NAME>.pgark, dir = --dir, PGARK_DEV_DIR or ./.pgark-dev (created mode 0700).
// `load` is `pgark restore --replace` that then drops the old database (the snapshots are
// the safety net). The dev options (-d, --config, --dir, -j, --progress) are accepted before
// and after the subcommand.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/archive_options.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "cli/dump_output.h"
#include "cli/progress_display.h"
#include "engine/archive_io.h"
#include "engine/dump/dump_engine.h"
#include "engine/ops/config.h"
#include "engine/restore/replace.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::cli {
namespace {

constexpr char kSuffix[] = ".pgark";

struct DevFlags {
  std::string conninfo;
  std::string config;
  std::string dir;
  std::string name;
  std::string progress = "auto";
  int jobs = 4;
  int keep = -1;
  bool force = false;
  bool terminate_connections = false;
  CLI::App* save = nullptr;
  CLI::App* load = nullptr;
  CLI::App* list = nullptr;
  CLI::App* prune = nullptr;
};

struct Snapshot {
  std::string name;
  std::string path;
  int64_t size = 0;
  absl::Time time;
};

std::string SnapshotDir(const DevFlags& flags) {
  if (!flags.dir.empty()) return flags.dir;
  if (const char* env = std::getenv("PGARK_DEV_DIR"); env != nullptr && *env != '\0') return env;
  return ".pgark-dev";
}

// -d, else PGARK_DATABASE_URL, else PGARK_DATABASE (environment, then --config FILE), else
// the PG* environment.
absl::StatusOr<std::string> DevConninfo(const DevFlags& flags) {
  if (!flags.conninfo.empty()) return flags.conninfo;
  for (const char* key : {"PGARK_DATABASE_URL", "PGARK_DATABASE"}) {
    if (const char* env = std::getenv(key); env != nullptr && *env != '\0') return std::string(env);
  }
  if (!flags.config.empty()) {
    std::ifstream in(flags.config);
    if (!in) return absl::NotFoundError(absl::StrCat("config file '", flags.config, "' cannot be read"));
    std::stringstream text;
    text << in.rdbuf();
    ops::ConfigValues values;
    std::vector<ops::ConfigProblem> problems;
    ops::ParseEnvText(text.str(), flags.config, &values, &problems);
    for (const char* key : {"PGARK_DATABASE_URL", "PGARK_DATABASE"}) {
      auto it = values.find(key);
      if (it != values.end() && !it->second.value.empty()) return it->second.value;
    }
  }
  return std::string();
}

absl::Status CheckName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 100 && name.front() != '.' && name.front() != '-';
  for (char c : name) ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid snapshot name '", name,
                                                 "': use letters, digits, '_', '-' and '.' (at most 100)"));
}

absl::Status EnsureDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) == 0) return absl::OkStatus();
  if (errno != EEXIST) return base::ErrnoToStatus(errno, absl::StrCat("creating snapshot directory '", dir, "'"));
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("'", dir, "' exists and is not a directory"));
  }
  return absl::OkStatus();
}

// Snapshots in the directory, newest first (by modification time).
absl::StatusOr<std::vector<Snapshot>> ListSnapshots(const std::string& dir) {
  std::vector<Snapshot> snapshots;
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return snapshots;
    return base::ErrnoToStatus(errno, absl::StrCat("reading snapshot directory '", dir, "'"));
  }
  while (struct dirent* entry = readdir(handle)) {
    std::string file = entry->d_name;
    if (!absl::EndsWith(file, kSuffix) || file.size() == sizeof(kSuffix) - 1 || file.front() == '.') continue;
    Snapshot snapshot;
    snapshot.name = file.substr(0, file.size() - (sizeof(kSuffix) - 1));
    snapshot.path = absl::StrCat(dir, "/", file);
    struct stat st;
    if (stat(snapshot.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    snapshot.size = st.st_size;
    snapshot.time = absl::TimeFromTimespec(st.st_mtim);
    snapshots.push_back(std::move(snapshot));
  }
  closedir(handle);
  std::sort(snapshots.begin(), snapshots.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.time != b.time ? a.time > b.time : a.name > b.name;
  });
  return snapshots;
}

absl::Status Save(const DevFlags& flags) {
  const std::string dir = SnapshotDir(flags);
  const std::string name =
      flags.name.empty() ? absl::FormatTime("%Y%m%d_%H%M%S", absl::Now(), absl::UTCTimeZone()) : flags.name;
  PGARK_RETURN_IF_ERROR(CheckName(name));
  PGARK_RETURN_IF_ERROR(EnsureDir(dir));
  const std::string path = absl::StrCat(dir, "/", name, kSuffix);
  engine::DumpOptions options;
  PGARK_ASSIGN_OR_RETURN(options.conninfo, DevConninfo(flags));
  options.jobs = flags.jobs;
  format::WriterOptions writer_options;
  PGARK_RETURN_IF_ERROR(ParseCompression("none", &writer_options));
  absl::StatusOr<engine::DumpResult> result =
      DumpToLocation(options, writer_options, path, flags.force, flags.progress);
  PGARK_RETURN_IF_ERROR(result.status());
  chmod(path.c_str(), 0600);
  absl::PrintF("saved snapshot %s: %d tables, %d rows, %s in %.1f s\n", name, result->tables, result->rows,
               HumanBytes(static_cast<double>(result->archive.archive_bytes)), result->seconds);
  return absl::OkStatus();
}

absl::Status Load(const DevFlags& flags) {
  const std::string dir = SnapshotDir(flags);
  PGARK_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, ListSnapshots(dir));
  const Snapshot* chosen = nullptr;
  if (flags.name.empty()) {
    if (snapshots.empty()) return absl::NotFoundError(absl::StrCat("no snapshots in '", dir, "'"));
    chosen = &snapshots.front();
  } else {
    PGARK_RETURN_IF_ERROR(CheckName(flags.name));
    for (const Snapshot& snapshot : snapshots) {
      if (snapshot.name == flags.name) chosen = &snapshot;
    }
    if (chosen == nullptr) {
      return absl::NotFoundError(absl::StrCat("no snapshot '", flags.name, "' in '", dir, "' (see pgark dev list)"));
    }
  }
  engine::restore::ReplaceOptions replace;
  PGARK_ASSIGN_OR_RETURN(replace.restore.conninfo, DevConninfo(flags));
  replace.restore.jobs = flags.jobs;
  replace.restore.application_name = "pgark dev load";
  replace.keep_old = false;  // the snapshot itself is the safety net
  // The old database's name is "<db>_pre_restore_<now>"; fixing `now` here lets us name it
  // once it has been dropped.
  replace.now = absl::Now();
  replace.terminate_connections = flags.terminate_connections;
  engine::TransferProgress progress;
  replace.restore.progress = &progress;
  ProgressDisplay display(flags.progress, &progress);
  absl::StatusOr<engine::restore::ReplaceResult> result = engine::restore::RunReplace(replace, chosen->path);
  display.Stop();
  PGARK_RETURN_IF_ERROR(result.status());
  if (result->replaced_existing && result->old_kept_as.empty()) {
    PGARK_LOG(kInfo) << "dev load: dropped the old database '"
                     << engine::restore::PreRestoreName(result->database, replace.now) << "'";
  }
  absl::PrintF("loaded snapshot %s into %s: %d tables, %d rows in %.1f s%s\n", chosen->name, result->database,
               result->restore.tables, result->restore.rows, result->restore.seconds,
               result->old_kept_as.empty()
                   ? ""
                   : absl::StrCat("; the old database could not be dropped and is kept as '", result->old_kept_as,
                                  "': drop it when done"));
  return absl::OkStatus();
}

std::string Age(absl::Duration age) {
  int64_t seconds = absl::ToInt64Seconds(age);
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 7200) return absl::StrCat(seconds / 60, "m");
  if (seconds < 172800) return absl::StrCat(seconds / 3600, "h");
  return absl::StrCat(seconds / 86400, "d");
}

absl::Status List(const DevFlags& flags) {
  PGARK_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, ListSnapshots(SnapshotDir(flags)));
  const absl::Time now = absl::Now();
  absl::PrintF("%-40s %12s %8s\n", "name", "size", "age");
  for (const Snapshot& snapshot : snapshots) {
    absl::PrintF("%-40s %12s %8s\n", snapshot.name, HumanBytes(static_cast<double>(snapshot.size)),
                 Age(now - snapshot.time));
  }
  return absl::OkStatus();
}

absl::Status Prune(const DevFlags& flags) {
  if (flags.keep < 0) return absl::InvalidArgumentError("pgark dev prune needs --keep N (N >= 0)");
  PGARK_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, ListSnapshots(SnapshotDir(flags)));
  for (size_t i = static_cast<size_t>(flags.keep); i < snapshots.size(); ++i) {
    if (unlink(snapshots[i].path.c_str()) != 0) {
      return base::ErrnoToStatus(errno, absl::StrCat("deleting snapshot '", snapshots[i].name, "'"));
    }
    absl::PrintF("deleted %s\n", snapshots[i].name);
  }
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupDevCommand(CLI::App& app) {
  auto flags = std::make_shared<DevFlags>();
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("--config", flags->config, "read PGARK_DATABASE(_URL) from this KEY=VALUE file");
  app.add_option("--dir", flags->dir, "snapshot directory (default PGARK_DEV_DIR or ./.pgark-dev)");
  AddJobsOption(app, &flags->jobs, "parallel connections (default 4)");
  AddProgressOption(app, &flags->progress);
  flags->save = app.add_subcommand("save", "save a snapshot of the database");
  flags->save->add_option("name", flags->name, "snapshot name (default: the UTC time, YYYYMMDD_HHMMSS)");
  flags->save->add_flag("--force", flags->force, "replace a snapshot of the same name");
  flags->load = app.add_subcommand("load", "replace the database with a snapshot");
  flags->load->add_option("name", flags->name, "snapshot name (default: the newest)");
  flags->load->add_flag("--terminate-connections", flags->terminate_connections,
                        "terminate other sessions of the database instead of failing");
  flags->list = app.add_subcommand("list", "list snapshots: name, size, age");
  flags->prune = app.add_subcommand("prune", "delete all but the newest N snapshots");
  flags->prune->add_option("--keep", flags->keep, "snapshots to keep")->required()->check(CLI::NonNegativeNumber);
  // `pgark dev save NAME -j 2` and `pgark dev save -d db NAME`: an option a subcommand does not
  // know goes to `dev`'s, wherever it stands.
  for (CLI::App* sub : {flags->save, flags->load, flags->list, flags->prune}) sub->fallthrough();
  app.require_subcommand(1);
  return [flags]() -> absl::Status {
    if (flags->save->parsed()) return Save(*flags);
    if (flags->load->parsed()) return Load(*flags);
    if (flags->list->parsed()) return List(*flags);
    return Prune(*flags);
  };
}

}  // namespace pgark::cli
