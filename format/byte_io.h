#pragma once
// Byte sinks and sources: the only way the archive format touches storage.
//
// format/ never includes engine/ headers. engine/archive_io.h adapts
// storage::ObjectWriter / ObjectReader to these interfaces; tests use the in-memory
// StringSink / StringSource below.
//
// Ownership: the writer and readers borrow a sink/source; the caller keeps it alive
// until the writer has finished (or been destroyed) or the reader is destroyed.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::format {

// Where an archive is written, strictly in order (a file, a pipe, an S3 multipart upload).
// Never asked to seek. Used by one thread at a time: ArchiveWriter serializes calls.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `data`. After an error the sink is unusable and the archive is abandoned.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Makes everything durable and publishes it. Called once, by ArchiveWriter::Finish()
  // after the trailer, so an incomplete archive is never published.
  virtual absl::Status Close() = 0;
};

// An archive readable at any offset (a file, an S3 object via ranged GETs).
// Thread-safe: ReadAt() may be called concurrently from several threads.
class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  // Total size in bytes.
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // Appends exactly `length` bytes starting at `offset` to *out. Returns kOutOfRange
  // (or kDataLoss) if the object is shorter; readers report either as truncation.
  virtual absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) = 0;
};

// An archive read front to back once (stdin, a pipe). Used by one thread at a time.
class SequentialSource {
 public:
  virtual ~SequentialSource() = default;
  // Appends up to `max_bytes` (at least 1 unless at the end) to *out and returns the
  // count; 0 means end of input.
  virtual absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) = 0;
};

// In-memory sink: for tests, golden files and small archives. Not thread-safe.
class StringSink : public ByteSink {
 public:
  absl::Status Append(absl::string_view data) override;
  absl::Status Close() override;
  const std::string& data() const { return data_; }
  std::string& mutable_data() { return data_; }
  bool closed() const { return closed_; }

 private:
  std::string data_;
  bool closed_ = false;
};

// In-memory source over borrowed bytes (the caller keeps them alive). Both random access
// and sequential; Read() returns at most `read_granularity` bytes per call so tests can
// exercise short reads. ReadAt() is thread-safe; Read() is not.
class StringSource : public RandomAccessSource, public SequentialSource {
 public:
  explicit StringSource(absl::string_view data, size_t read_granularity = 1 << 20)
      : data_(data), granularity_(read_granularity == 0 ? 1 : read_granularity) {}
  absl::StatusOr<uint64_t> Size() override { return data_.size(); }
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override;
  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override;

 private:
  absl::string_view data_;
  size_t granularity_;
  size_t position_ = 0;
};

}  // namespace pgark::format
