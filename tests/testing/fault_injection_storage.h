#pragma once
// FaultInjectionStorage: wraps any Storage and injects failures, for testing that callers
// clean up and report errors (leveldb's fault_injection_test.cc).
//
//   MemoryStorage base;
//   FaultInjectionStorage storage(&base, FailNthAppend(3));
//   EXPECT_THAT(WriteSampleArchive(storage, "x.pgark"), StatusIs(absl::StatusCode::kUnavailable));
//   EXPECT_THAT(base.Stat("x.pgark"), StatusIs(absl::StatusCode::kNotFound));
//
// Counters are shared by every writer/reader of the wrapper and count from 1. A failed
// Append or Close leaves the wrapped writer unclosed, so it is aborted when destroyed
// (nothing is published), exactly like a real backend after an error.
//
// A held read (HoldReadOf) stops the caller's thread inside a read until the test lets it
// go, so that something (an interrupt) lands while the code under test provably waits there:
//
//   FaultInjectionStorage storage(&base, HoldReadOf(data_offset));
//   ... start the reader in another thread ...
//   ASSERT_TRUE(storage.WaitForHeldRead(absl::Seconds(30)));
//   base::RequestCancel();
//   storage.ReleaseHeldRead();
//
// Thread-safety: as the wrapped storage; WaitForHeldRead and ReleaseHeldRead may be called
// from any thread. Does not own `base`, which must outlive it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/storage/storage.h"

namespace pgark::testing {

struct FaultPlan {
  // Fail the Nth Append() across all writers (0 = never).
  int fail_append_at = 0;
  // Fail every writer's Close() without publishing.
  bool fail_close = false;
  // Fail the Nth Read()/ReadAt() across all readers (0 = never).
  int fail_read_at = 0;
  // Fail NewWriter()/NewReader() calls.
  bool fail_open = false;
  // Flip the lowest bit of the byte at this object offset in everything read (-1 = never).
  int64_t corrupt_offset = -1;
  // Hold the first Read()/ReadAt() whose range includes this object offset, before it reads,
  // until ReleaseHeldRead() (-1 = never). Counted in reads() when it starts.
  int64_t hold_read_of = -1;
  // The error injected.
  absl::StatusCode code = absl::StatusCode::kUnavailable;
};

FaultPlan FailNthAppend(int n, absl::StatusCode code = absl::StatusCode::kUnavailable);
FaultPlan FailClose(absl::StatusCode code = absl::StatusCode::kUnavailable);
FaultPlan FailNthRead(int n, absl::StatusCode code = absl::StatusCode::kUnavailable);
FaultPlan CorruptByteAt(int64_t offset);
FaultPlan HoldReadOf(int64_t offset);

class FaultInjectionStorage final : public storage::Storage {
 public:
  FaultInjectionStorage(storage::Storage* base, FaultPlan plan);

  storage::StorageFeatures features() const override { return base_->features(); }
  std::string DisplayName() const override { return base_->DisplayName(); }
  absl::StatusOr<std::unique_ptr<storage::ObjectWriter>> NewWriter(
      absl::string_view key, const storage::WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<storage::ObjectReader>> NewReader(absl::string_view key) override;
  absl::StatusOr<storage::ObjectInfo> Stat(absl::string_view key) override {
    return base_->Stat(key);
  }
  absl::StatusOr<std::vector<storage::ObjectInfo>> List(absl::string_view prefix) override {
    return base_->List(prefix);
  }
  absl::Status Remove(absl::string_view key) override { return base_->Remove(key); }
  absl::Status Copy(absl::string_view from, absl::string_view to) override {
    return base_->Copy(from, to);
  }

  // Number of Append() / Read()+ReadAt() calls seen so far.
  int appends() const { return appends_.load(); }
  int reads() const { return reads_.load(); }

  // With FaultPlan::hold_read_of: waits up to `timeout` for the read to be held. True if it
  // is (it stays held until ReleaseHeldRead()).
  bool WaitForHeldRead(absl::Duration timeout);
  // Lets the held read go on (and no later read is held). Idempotent.
  void ReleaseHeldRead();

 private:
  friend class FaultyWriter;
  friend class FaultyReader;
  absl::Status Injected(absl::string_view what) const;
  // Holds the calling reader if [offset, offset + length) includes plan_.hold_read_of and no
  // read was held before.
  void MaybeHold(uint64_t offset, size_t length);

  storage::Storage* base_;
  const FaultPlan plan_;
  std::atomic<int> appends_{0};
  std::atomic<int> reads_{0};
  absl::Mutex hold_mu_;
  bool held_ ABSL_GUARDED_BY(hold_mu_) = false;
  bool released_ ABSL_GUARDED_BY(hold_mu_) = false;
};

}  // namespace pgark::testing
