#pragma once
// engine/ops: the checks of `pgark config check` that touch the outside world, and opening
// the roots a configuration names.
//
// Thread-compatible; each call opens its own connections and storages.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/ops/config.h"
#include "engine/storage/storage.h"

namespace pgark::ops {

// Opens a root (PGARK_BACKUP_ROOT / PGARK_COPY_TO). A local root must already exist and be
// a directory: a missing root usually means an unmounted backup disk, and writing into the
// bare mount point would fill the wrong filesystem. Errors: kNotFound (missing local root),
// kFailedPrecondition (not a directory), kInvalidArgument (bad URI).
absl::StatusOr<std::unique_ptr<storage::Storage>> OpenRoot(const std::string& root);

// Free bytes available to us on a local root's filesystem (statvfs f_bavail).
absl::StatusOr<uint64_t> LocalFreeBytes(const std::string& root);

// Where the run lock lives: PGARK_LOCK_DIR, else a local root itself, else /tmp.
std::string LockDirFor(const BackupConfig& config);

// Appends a problem for each of: PGARK_DATABASE unreachable (connects with a 10 s timeout),
// PGARK_RESTORE_TEST_DATABASE unreachable (restore-test only), PGARK_BACKUP_ROOT /
// PGARK_COPY_TO missing or not writable (a probe object is written and removed). Messages
// never hold passwords.
void CheckEnvironment(const BackupConfig& config, std::vector<ConfigProblem>* problems);

// Probes `storage` by writing and removing a small object. Errors: the storage's.
absl::Status ProbeWritable(storage::Storage& storage);

}  // namespace pgark::ops
