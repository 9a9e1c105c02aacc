#include "tests/testing/fault_injection_storage.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "format/base/status_macros.h"

namespace pgark::testing {

using storage::ObjectReader;
using storage::ObjectWriter;

FaultPlan FailNthAppend(int n, absl::StatusCode code) {
  FaultPlan plan;
  plan.fail_append_at = n;
  plan.code = code;
  return plan;
}

FaultPlan FailClose(absl::StatusCode code) {
  FaultPlan plan;
  plan.fail_close = true;
  plan.code = code;
  return plan;
}

FaultPlan FailNthRead(int n, absl::StatusCode code) {
  FaultPlan plan;
  plan.fail_read_at = n;
  plan.code = code;
  return plan;
}

FaultPlan CorruptByteAt(int64_t offset) {
  FaultPlan plan;
  plan.corrupt_offset = offset;
  return plan;
}

FaultPlan HoldReadOf(int64_t offset) {
  FaultPlan plan;
  plan.hold_read_of = offset;
  return plan;
}

class FaultyWriter final : public ObjectWriter {
 public:
  FaultyWriter(FaultInjectionStorage* owner, std::unique_ptr<ObjectWriter> base)
      : owner_(owner), base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    int n = ++owner_->appends_;
    if (n == owner_->plan_.fail_append_at) return owner_->Injected(absl::StrCat("append #", n));
    return base_->Append(data);
  }
  absl::Status Close() override {
    if (owner_->plan_.fail_close) return owner_->Injected("close");
    return base_->Close();
  }
  uint64_t bytes_written() const override { return base_->bytes_written(); }

 private:
  FaultInjectionStorage* owner_;
  std::unique_ptr<ObjectWriter> base_;
};

class FaultyReader final : public ObjectReader {
 public:
  FaultyReader(FaultInjectionStorage* owner, std::unique_ptr<ObjectReader> base)
      : owner_(owner), base_(std::move(base)) {}

  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    PGARK_RETURN_IF_ERROR(CountRead());
    owner_->MaybeHold(position_, max_bytes);
    size_t old_size = out->size();
    PGARK_ASSIGN_OR_RETURN(size_t n, base_->Read(max_bytes, out));
    Corrupt(position_, out, old_size);
    position_ += n;
    return n;
  }
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    PGARK_RETURN_IF_ERROR(CountRead());
    owner_->MaybeHold(offset, length);
    size_t old_size = out->size();
    PGARK_RETURN_IF_ERROR(base_->ReadAt(offset, length, out));
    Corrupt(offset, out, old_size);
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }

 private:
  absl::Status CountRead() {
    int n = ++owner_->reads_;
    if (n == owner_->plan_.fail_read_at) return owner_->Injected(absl::StrCat("read #", n));
    return absl::OkStatus();
  }
  // `out` holds the bytes at object offset `offset` from index `start` on.
  void Corrupt(uint64_t offset, std::string* out, size_t start) {
    int64_t target = owner_->plan_.corrupt_offset;
    if (target < 0 || static_cast<uint64_t>(target) < offset) return;
    uint64_t index = static_cast<uint64_t>(target) - offset + start;
    if (index < out->size()) (*out)[index] ^= 1;
  }

  FaultInjectionStorage* owner_;
  std::unique_ptr<ObjectReader> base_;
  uint64_t position_ = 0;
};

FaultInjectionStorage::FaultInjectionStorage(storage::Storage* base, FaultPlan plan)
    : base_(base), plan_(plan) {}

absl::Status FaultInjectionStorage::Injected(absl::string_view what) const {
  return absl::Status(plan_.code, absl::StrCat("injected fault: ", what));
}

void FaultInjectionStorage::MaybeHold(uint64_t offset, size_t length) {
  const int64_t target = plan_.hold_read_of;
  if (target < 0 || static_cast<uint64_t>(target) < offset || static_cast<uint64_t>(target) - offset >= length) return;
  absl::MutexLock lock(&hold_mu_);
  if (held_ || released_) return;
  held_ = true;
  hold_mu_.Await(absl::Condition(&released_));
}

bool FaultInjectionStorage::WaitForHeldRead(absl::Duration timeout) {
  absl::MutexLock lock(&hold_mu_);
  return hold_mu_.AwaitWithTimeout(absl::Condition(&held_), timeout);
}

void FaultInjectionStorage::ReleaseHeldRead() {
  absl::MutexLock lock(&hold_mu_);
  released_ = true;
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> FaultInjectionStorage::NewWriter(
    absl::string_view key, const storage::WriteOptions& options) {
  if (plan_.fail_open) return Injected(absl::StrCat("opening '", key, "' for writing"));
  PGARK_ASSIGN_OR_RETURN(auto writer, base_->NewWriter(key, options));
  return std::make_unique<FaultyWriter>(this, std::move(writer));
}

absl::StatusOr<std::unique_ptr<ObjectReader>> FaultInjectionStorage::NewReader(
    absl::string_view key) {
  if (plan_.fail_open) return Injected(absl::StrCat("opening '", key, "' for reading"));
  PGARK_ASSIGN_OR_RETURN(auto reader, base_->NewReader(key));
  return std::make_unique<FaultyReader>(this, std::move(reader));
}

}  // namespace pgark::testing
