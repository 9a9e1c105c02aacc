#include "tests/testing/memory_storage.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/storage/key.h"
#include "format/base/status_macros.h"

namespace pgark::testing {

using storage::ObjectInfo;
using storage::ObjectReader;
using storage::ObjectWriter;
using storage::StorageFeatures;
using storage::ValidateKey;
using storage::WriteOptions;

namespace {

StorageFeatures AllFeatures() {
  StorageFeatures f;
  f.random_read = true;
  f.list = true;
  f.server_side_copy = true;
  return f;
}

absl::Status NotFound(absl::string_view key) {
  return absl::NotFoundError(absl::StrCat("'", key, "' does not exist"));
}

class MemoryReader final : public ObjectReader {
 public:
  MemoryReader(std::shared_ptr<const std::string> data, bool random_read)
      : data_(std::move(data)), random_read_(random_read) {}

  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    size_t n = std::min(max_bytes, data_->size() - position_);
    out->append(*data_, position_, n);
    position_ += n;
    return n;
  }
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    if (!random_read_) return absl::UnimplementedError("ReadAt is not supported");
    if (offset > data_->size() || length > data_->size() - offset) {
      return absl::OutOfRangeError(absl::StrCat("reading ", length, " bytes at offset ", offset,
                                                " of a ", data_->size(), "-byte object"));
    }
    out->append(*data_, offset, length);
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> Size() override {
    if (!random_read_) return absl::UnimplementedError("Size is not supported");
    return data_->size();
  }

 private:
  std::shared_ptr<const std::string> data_;
  bool random_read_;
  size_t position_ = 0;
};

}  // namespace

class MemoryWriter final : public ObjectWriter {
 public:
  MemoryWriter(MemoryStorage* storage, std::string key, bool overwrite)
      : storage_(storage), key_(std::move(key)), overwrite_(overwrite) {}
  ~MemoryWriter() override { storage_->WriterGone(); }

  absl::Status Append(absl::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("append after close");
    data_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("close called twice");
    closed_ = true;
    return storage_->Publish(key_, std::move(data_), overwrite_);
  }
  uint64_t bytes_written() const override { return data_.size(); }

 private:
  MemoryStorage* storage_;
  std::string key_;
  bool overwrite_;
  std::string data_;
  bool closed_ = false;
};

MemoryStorage::MemoryStorage() : MemoryStorage(AllFeatures()) {}
MemoryStorage::MemoryStorage(StorageFeatures features) : features_(features) {}

absl::StatusOr<std::unique_ptr<ObjectWriter>> MemoryStorage::NewWriter(
    absl::string_view key, const WriteOptions& options) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  if (!options.overwrite && objects_.count(std::string(key)) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("'", key, "' already exists"));
  }
  ++open_writers_;
  return std::make_unique<MemoryWriter>(this, std::string(key), options.overwrite);
}

absl::Status MemoryStorage::Publish(const std::string& key, std::string data, bool overwrite) {
  absl::MutexLock lock(&mu_);
  if (!overwrite && objects_.count(key) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("'", key, "' already exists"));
  }
  objects_[key] = Object{std::make_shared<const std::string>(std::move(data)), absl::Now()};
  return absl::OkStatus();
}

void MemoryStorage::WriterGone() {
  absl::MutexLock lock(&mu_);
  --open_writers_;
}

absl::StatusOr<std::unique_ptr<ObjectReader>> MemoryStorage::NewReader(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(std::string(key));
  if (it == objects_.end()) return NotFound(key);
  return std::make_unique<MemoryReader>(it->second.data, features_.random_read);
}

absl::StatusOr<ObjectInfo> MemoryStorage::Stat(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(std::string(key));
  if (it == objects_.end()) return NotFound(key);
  return ObjectInfo{it->first, it->second.data->size(), it->second.modified};
}

absl::StatusOr<std::vector<ObjectInfo>> MemoryStorage::List(absl::string_view prefix) {
  if (!features_.list) return absl::UnimplementedError("List is not supported");
  PGARK_RETURN_IF_ERROR(storage::ValidatePrefix(prefix));
  absl::MutexLock lock(&mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(std::string(prefix));
       it != objects_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(ObjectInfo{it->first, it->second.data->size(), it->second.modified});
  }
  return out;
}

absl::Status MemoryStorage::Remove(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  objects_.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status MemoryStorage::Copy(absl::string_view from, absl::string_view to) {
  PGARK_RETURN_IF_ERROR(ValidateKey(from));
  PGARK_RETURN_IF_ERROR(ValidateKey(to));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(std::string(from));
  if (it == objects_.end()) return NotFound(from);
  if (objects_.count(std::string(to)) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("'", to, "' already exists"));
  }
  objects_[std::string(to)] = Object{it->second.data, absl::Now()};
  return absl::OkStatus();
}

void MemoryStorage::Put(absl::string_view key, absl::string_view data) {
  absl::MutexLock lock(&mu_);
  objects_[std::string(key)] = Object{std::make_shared<const std::string>(data), absl::Now()};
}

absl::StatusOr<std::string> MemoryStorage::Get(absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(std::string(key));
  if (it == objects_.end()) return NotFound(key);
  return *it->second.data;
}

std::vector<std::string> MemoryStorage::keys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [key, object] : objects_) out.push_back(key);
  return out;
}

int MemoryStorage::open_writers() const {
  absl::MutexLock lock(&mu_);
  return open_writers_;
}

}  // namespace pgark::testing
