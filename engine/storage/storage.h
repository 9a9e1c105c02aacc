#pragma once
// engine/storage: flat namespaces of byte objects (local directory, stdin/stdout, S3).
//
// A Storage is addressed by '/'-separated keys relative to the root it was opened with.
// It knows keys and bytes, not archives or frames. Backends come from a URI through
// OpenStorage() (storage_uri.h), so callers never branch on the backend.
//
// Thread-safety: every Storage method may be called concurrently. A returned
// ObjectWriter/ObjectReader is used by one thread at a time, except that
// ObjectReader::ReadAt() may be called concurrently when features().random_read.
//
// Write semantics: nothing written through an ObjectWriter is visible under its key until
// Close() returns OK (local: temp file + fsync + rename; S3: multipart upload completed in
// Close()). A writer destroyed without a successful Close() removes its temp file or
// aborts its upload.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pgark::storage {

// What a backend can do. Callers check these instead of the backend's type.
struct StorageFeatures {
  bool random_read = false;  // ObjectReader::ReadAt() and Size() work (stdin lacks them)
  bool list = false;         // List() works
  bool server_side_copy = false;  // Copy() is cheap (hard link, S3 CopyObject)
  // Reads cost no transfer (a local file): a second pass over an object costs page-cache or
  // disk reads only, unlike S3 (a second download). The restore's pre-check runs by default
  // only where this holds.
  bool local_read = false;
};

struct ObjectInfo {
  std::string key;       // relative to the storage root
  uint64_t size = 0;     // bytes
  absl::Time modified;   // last modification time
};

struct WriteOptions {
  // Replace an existing object. Default false: NewWriter fails with kAlreadyExists.
  bool overwrite = false;
  // Size hint (bytes) when known, so S3 can choose its part size. 0 = unknown.
  uint64_t expected_size = 0;
  // POSIX permission bits for local files. Default 0600: backups hold data.
  uint32_t file_mode = 0600;
};

class ObjectWriter {
 public:
  // Without a successful Close(): removes the temp file / aborts the upload; nothing published.
  virtual ~ObjectWriter() = default;
  // Appends bytes. Errors: kResourceExhausted (disk full), kUnavailable (network, retryable
  // attempts exhausted), kPermissionDenied.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Flushes, makes the data durable, and publishes the object under its key. After an error
  // nothing is published. REQUIRES: called at most once.
  virtual absl::Status Close() = 0;
  // Bytes appended so far.
  virtual uint64_t bytes_written() const = 0;
};

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Sequential read: appends up to `max_bytes` to *out. Returns the number appended; 0 means
  // end of object. Errors: kUnavailable, kDataLoss (object shorter than announced).
  virtual absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) = 0;
  // Random access (features().random_read): appends exactly `length` bytes from `offset` to
  // *out, or kOutOfRange if the object is shorter. Safe to call concurrently.
  virtual absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) = 0;
  // The object's size (features().random_read), else kUnimplemented.
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // Gives up on input that may never come: a Read waiting for a writer returns kCancelled
  // soon (standard input: within 100 ms) and every later Read fails. For a restore that
  // failed while the writer of a pipe stalls. Thread-safe: called from another thread than
  // the one reading. Default: nothing (reads that wait on no writer end by themselves).
  virtual void Abandon() {}
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual StorageFeatures features() const = 0;
  // A description for messages, never holding credentials ("file:///backups", "s3://b/prefix").
  virtual std::string DisplayName() const = 0;

  // Creates `key` for writing; see the write semantics above.
  // Errors: kAlreadyExists (exists and !options.overwrite), kFailedPrecondition (a file
  // store's key names a directory or device: only a file is replaced), kPermissionDenied,
  // kNotFound (bucket missing).
  virtual absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(absl::string_view key,
                                                                   const WriteOptions& options) = 0;
  // Opens `key` for reading. Errors: kNotFound, kPermissionDenied.
  virtual absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(absl::string_view key) = 0;
  // Errors: kNotFound.
  virtual absl::StatusOr<ObjectInfo> Stat(absl::string_view key) = 0;
  // Objects whose key starts with `prefix`, sorted by key. kUnimplemented unless features().list.
  virtual absl::StatusOr<std::vector<ObjectInfo>> List(absl::string_view prefix) = 0;
  // Deletes `key`. Deleting a missing key is OK (idempotent, as on S3).
  virtual absl::Status Remove(absl::string_view key) = 0;
  // Copies `from` to `to` inside this storage (hard link or server-side copy where
  // features().server_side_copy, else read + write). Errors: kNotFound, kAlreadyExists.
  virtual absl::Status Copy(absl::string_view from, absl::string_view to) = 0;
};

}  // namespace pgark::storage
