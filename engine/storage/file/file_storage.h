#pragma once
// FileStorage: a Storage over a local directory (the root); key "a/b.pgark" is the file
// <root>/a/b.pgark.
//
// Writes go to a temp file in the target's directory (".<name>.pgark-tmp-XXXXXX", mode
// WriteOptions::file_mode, default 0600), which Close() fsyncs and then publishes: with
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

 private:
  std::string PathOf(absl::string_view key) const;

  std::string root_;
};

// True for the names FileStorage gives its temp files (List() hides them; tools that
// clean up after a crash may remove them).
bool IsFileStorageTempName(absl::string_view file_name);

}  // namespace pgark::storage
