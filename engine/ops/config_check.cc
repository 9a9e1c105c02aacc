#include "engine/ops/config_check.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "engine/ops/sidecar.h"
#include "engine/pg/connection.h"
#include "engine/storage/storage_uri.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::ops {

absl::StatusOr<std::unique_ptr<storage::Storage>> OpenRoot(const std::string& root) {
  if (!IsS3Root(root)) {
    struct stat info;
    if (stat(root.c_str(), &info) != 0) {
      return base::ErrnoToStatus(
          errno, absl::StrCat("backup root '", root, "' (create it, or mount the backup disk)"));
    }
    if (!S_ISDIR(info.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat("backup root '", root, "' is not a directory"));
    }
  }
  return storage::OpenStorage(root, storage::StorageOptions());
}

absl::StatusOr<uint64_t> LocalFreeBytes(const std::string& root) {
  struct statvfs info;
  if (statvfs(root.c_str(), &info) != 0) {
    return base::ErrnoToStatus(errno, absl::StrCat("statvfs '", root, "'"));
  }
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

std::string LockDirFor(const BackupConfig& config) {
  if (!config.lock_dir.empty()) return config.lock_dir;
  if (!IsS3Root(config.backup_root)) return config.backup_root;
  return "/tmp";
}

absl::Status ProbeWritable(storage::Storage& storage) {
  std::string key = absl::StrCat(".pgark-write-test-", getpid());
  PGARK_RETURN_IF_ERROR(WriteSmallObject(storage, key, "pgark config check\n"));
  return storage.Remove(key);
}

namespace {

void CheckDatabase(absl::string_view key, const std::string& conninfo,
                   std::vector<ConfigProblem>* problems) {
  pg::ConnectOptions options;
  options.connect_timeout_seconds = 10;
  options.application_name = "pgark config check";
  auto conn = pg::Connection::Open(conninfo, options);
  if (!conn.ok()) {
    problems->push_back({std::string(key), "",
                         absl::StrCat("cannot connect: ", conn.status().message())});
  }
}

void CheckRoot(absl::string_view key, const std::string& root,
               std::vector<ConfigProblem>* problems) {
  auto storage = OpenRoot(root);
  absl::Status status = storage.ok() ? ProbeWritable(**storage) : storage.status();
  if (!status.ok()) {
    problems->push_back({std::string(key), "", absl::StrCat("is not writable: ", status.message())});
  }
}

}  // namespace

void CheckEnvironment(const BackupConfig& config, std::vector<ConfigProblem>* problems) {
  if (!config.database.empty()) CheckDatabase("PGARK_DATABASE", config.database, problems);
  if (config.verify == VerifyMode::kRestoreTest && !config.restore_test_database.empty()) {
    CheckDatabase("PGARK_RESTORE_TEST_DATABASE", config.restore_test_database, problems);
  }
  if (!config.backup_root.empty()) CheckRoot("PGARK_BACKUP_ROOT", config.backup_root, problems);
  if (!config.copy_to.empty()) CheckRoot("PGARK_COPY_TO", config.copy_to, problems);
}

}  // namespace pgark::ops
