#pragma once
// Multi-member gzip output for `pgark export`.
//
// A gzip file may hold several members one after another (RFC 1952, 2.2); `gzip -t`, `zcat`,
// `gunzip -c` and Python's gzip module read them as one stream. pgark uses this to compress
// in parallel: each worker cuts its SQL text into blocks of about kGzipBlockBytes and turns
// each block into an independent member with libdeflate; the members of one unit (a table's
// COPY block, the DDL) are written to the output together, so the concatenated text is
// exactly the SQL script.
//
//   GzipOutput out(writer, level);           // writer: the destination object (borrowed)
//   GzipSpool spool(level, spill_dir);       // one per worker and unit of output
//   spool.Append(sql) ...                    // compresses full blocks as it goes
//   out.Commit(spool);                       // appends the unit's members, atomically
//   out.Close();                             // publishes the object (temp name -> final)
//
// Memory: a spool keeps at most kSpoolMemoryBytes of compressed bytes in memory, then moves
// them to an unlinked temporary file in spill_dir, so a worker exporting a large table while
// another worker owns the output never holds the table in memory.
//
// Thread-safety: GzipOutput is thread-safe (Commit serialises units). A GzipSpool is used
// by one thread at a time.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/storage.h"

struct libdeflate_compressor;

namespace pgark::engine {

inline constexpr size_t kGzipBlockBytes = 1 << 20;
inline constexpr size_t kSpoolMemoryBytes = 16 << 20;

// One libdeflate compressor. Levels 1-12 (libdeflate's range; 6 is gzip's default).
class GzipCompressor {
 public:
  // kInvalidArgument for a level outside 1-12.
  static absl::StatusOr<std::unique_ptr<GzipCompressor>> Create(int level);
  ~GzipCompressor();
  // Appends one complete gzip member holding `text` to *out.
  void CompressMember(absl::string_view text, std::string* out);

 private:
  explicit GzipCompressor(libdeflate_compressor* c) : compressor_(c) {}
  libdeflate_compressor* compressor_;
};

// The compressed members of one unit of output, built by one worker.
class GzipSpool {
 public:
  // `spill_dir`: where temporary files go ("" = $TMPDIR or /tmp).
  static absl::StatusOr<std::unique_ptr<GzipSpool>> Create(int level, std::string spill_dir);
  ~GzipSpool();

  // Adds SQL text; every full block becomes a member. Errors: temp-file I/O.
  absl::Status Append(absl::string_view text);
  // Compresses the last partial block. Called by GzipOutput::Commit.
  absl::Status Flush();
  uint64_t raw_bytes() const { return raw_bytes_; }
  uint64_t compressed_bytes() const { return compressed_bytes_; }

  // Writes everything spooled to `writer` and empties the spool for the next unit.
  absl::Status DrainTo(storage::ObjectWriter* writer);

 private:
  GzipSpool() = default;
  absl::Status CompressBlock();
  absl::Status Spill();

  std::unique_ptr<GzipCompressor> compressor_;
  std::string spill_dir_;
  std::string text_;        // pending uncompressed text (< one block)
  std::string compressed_;  // members not yet spilled
  FILE* spill_ = nullptr;   // unlinked temp file, or nullptr
  uint64_t raw_bytes_ = 0;
  uint64_t compressed_bytes_ = 0;
};

class GzipOutput {
 public:
  // `writer` is borrowed and must outlive this object.
  explicit GzipOutput(storage::ObjectWriter* writer) : writer_(writer) {}

  // Flushes `spool` and appends its members as one contiguous unit.
  absl::Status Commit(GzipSpool& spool);
  // Closes the writer, publishing the object. REQUIRES: no Commit() in progress.
  absl::Status Close();
  uint64_t raw_bytes() const;
  uint64_t compressed_bytes() const;

 private:
  mutable absl::Mutex mu_;
  storage::ObjectWriter* writer_ ABSL_GUARDED_BY(mu_);
  uint64_t raw_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compressed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pgark::engine
