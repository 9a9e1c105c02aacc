#pragma once
// FileStorage: a Storage over a local directory (the root); key "a/b.pgark" is the file
// <root>/a/b.pgark.
//
// Writes go to a temp file in the target's directory (".<name>.pgark-tmp-<host>.<pid>-XXXXXX",
// mode WriteOptions::file_mode, default 0600), held under flock(LOCK_EX) by its writer until
// Close(); the host and pid name the writer so that a later run can prove a temp file left by
// a killed process stale (RemoveStaleTemps). Close() fsyncs the temp file and publishes it: with
// link(2) when !overwrite (atomic, fails with kAlreadyExists if the key appeared meanwhile),
// with rename(2) otherwise; the directory is fsynced afterwards so the name survives a
// crash. A writer destroyed without a successful Close() unlinks its temp file. Missing
// directories (including the root) are created with mode 0700 on the first write.
// List() skips temp files. Copy() hard-links (falls back to a byte copy across devices).
//
// Thread-safety: all methods may be called concurrently (see storage.h).

#include <memory>
#include <string>
#include <vector>

#include "engine/storage/storage.h"

namespace pgark::storage {

class FileStorage final : public Storage {
 public:
  // `root` is a directory path (absolute or relative to the working directory); it need
  // not exist until the first write.
  explicit FileStorage(std::string root);

  StorageFeatures features() const override;
  std::string DisplayName() const override;
  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(absl::string_view key,
                                                           const WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(absl::string_view key) override;
  absl::StatusOr<ObjectInfo> Stat(absl::string_view key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(absl::string_view prefix) override;
  absl::Status Remove(absl::string_view key) override;
  absl::Status Copy(absl::string_view from, absl::string_view to) override;

  const std::string& root() const { return root_; }

  // Temp files left by writers that died without cleaning up (kill -9, power cut). A temp
  // file is provably stale only when all of these hold: its name carries this host's name
  // and a pid that is not running here, and no process holds its flock (a writer holds it
  // while it writes; the kernel drops it when the writer dies). Anything else is left alone:
  // a live writer's file is never touched; a pid reused by an unrelated process keeps a
  // stale file (safe, not removed); another host's files (a shared mount) and names without
  // a writer id (pgark before 2026-11-24) are reported as `unproven`.
  struct TempSweep {
    std::vector<std::string> stale;     // paths; removed by RemoveStaleTemps
    std::vector<std::string> unproven;  // paths of temp files whose writer cannot be checked
  };
  // Removes every provably stale temp file under the root (recursively). Errors: listing a
  // directory fails; a file that cannot be removed is an error naming it.
  absl::StatusOr<TempSweep> RemoveStaleTemps();
  // The temp files of `key` (same directory, same name) without removing anything.
  absl::StatusOr<TempSweep> FindStaleTemps(absl::string_view key);

 private:
  std::string PathOf(absl::string_view key) const;

  std::string root_;
};

// True for the names FileStorage gives its temp files (List() hides them; tools that
// clean up after a crash may remove them).
bool IsFileStorageTempName(absl::string_view file_name);

// The writer id FileStorage puts in its temp names: "<host>.<pid>", the host name with
// every character other than [A-Za-z0-9_-] replaced by '_' and cut to 64 characters.
std::string FileStorageWriterId();

}  // namespace pgark::storage
