#pragma once
// MemoryStorage: an in-memory Storage for unit tests (leveldb's memenv, ninja's
// VirtualFileSystem). Follows the storage.h contract exactly: writers publish only in a
// successful Close(), kAlreadyExists without overwrite, kNotFound for missing keys,
// List() sorted by key, Remove() idempotent, keys checked with ValidateKey().
//
// The features it reports can be restricted (e.g. no random_read, like stdin) so that code
// paths for weaker backends are testable; restricted calls then fail with kUnimplemented.
//
// Thread-safety: all methods may be called concurrently; readers see a snapshot of the
// object taken when they were opened.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/storage.h"

namespace pgark::testing {

class MemoryStorage final : public storage::Storage {
 public:
  // Default features: random_read, list and server_side_copy all true.
  MemoryStorage();
  explicit MemoryStorage(storage::StorageFeatures features);

  storage::StorageFeatures features() const override { return features_; }
  std::string DisplayName() const override { return "memory:"; }
  absl::StatusOr<std::unique_ptr<storage::ObjectWriter>> NewWriter(
      absl::string_view key, const storage::WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<storage::ObjectReader>> NewReader(absl::string_view key) override;
  absl::StatusOr<storage::ObjectInfo> Stat(absl::string_view key) override;
  absl::StatusOr<std::vector<storage::ObjectInfo>> List(absl::string_view prefix) override;
  absl::Status Remove(absl::string_view key) override;
  absl::Status Copy(absl::string_view from, absl::string_view to) override;

  // Test helpers. Put() publishes `data` under `key` (replacing it); Get() returns the
  // object's bytes or kNotFound; keys() lists every key.
  void Put(absl::string_view key, absl::string_view data);
  absl::StatusOr<std::string> Get(absl::string_view key) const;
  std::vector<std::string> keys() const;
  // Writers created and not yet closed or destroyed (to check that nothing leaks).
  int open_writers() const;

 private:
  friend class MemoryWriter;
  struct Object {
    std::shared_ptr<const std::string> data;
    absl::Time modified;
  };
  absl::Status Publish(const std::string& key, std::string data, bool overwrite);
  void WriterGone();

  const storage::StorageFeatures features_;
  mutable absl::Mutex mu_;
  std::map<std::string, Object> objects_ ABSL_GUARDED_BY(mu_);
  int open_writers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pgark::testing
