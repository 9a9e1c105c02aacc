#pragma once
// StdioStorage: the "-" target. NewWriter() streams to standard output, NewReader() reads
// standard input; the key is ignored (callers pass "-").
//
// Features: none. No random access, no Stat/List/Remove/Copy (kUnimplemented), so the
// archive format streams without its trailer here.
//
// Write semantics differ from the other backends, because a pipe cannot be unpublished:
// bytes reach the consumer as they are appended (in blocks of 1 MiB). A writer destroyed
// without Close() stops writing; the consumer sees a truncated stream, which the archive's
// trailer check reports as kDataLoss. Close() flushes and, if stdout is a regular file,
// fsyncs it.
//
// Only one writer and one reader may exist at a time (kFailedPrecondition otherwise).
// Thread-safety: as storage.h.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/storage/storage.h"

namespace pgark::storage {

class StdioStorage final : public Storage {
 public:
  // Uses file descriptors `in_fd` and `out_fd` (not owned; tests pass pipes).
  explicit StdioStorage(int in_fd = 0, int out_fd = 1);

  StorageFeatures features() const override { return {}; }
  std::string DisplayName() const override { return "-"; }
  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(absl::string_view key,
                                                           const WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(absl::string_view key) override;
  absl::StatusOr<ObjectInfo> Stat(absl::string_view key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(absl::string_view prefix) override;
  absl::Status Remove(absl::string_view key) override;
  absl::Status Copy(absl::string_view from, absl::string_view to) override;

 private:
  int in_fd_;
  int out_fd_;
  std::atomic<bool> writer_open_{false};
  std::atomic<bool> reader_open_{false};
};

}  // namespace pgark::storage
