#pragma once
// Per-chunk compression codecs: zstd, raw deflate (libdeflate), none.
//
// Chunks are independent (no shared dictionary or window), so they compress and
// decompress in parallel and can be read at random. CompressionType values are persisted
// in frame headers (format/archive_constants.h).
//
// Thread-compatible: one Compressor/Decompressor per thread (they hold a ZSTD_CCtx /
// libdeflate compressor). Not thread-safe.

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "format/archive_constants.h"

namespace pgark::format {

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual CompressionType type() const = 0;
  virtual int level() const = 0;
  // Appends the compressed form of `input` to *output. Errors: kInternal (codec failure).
  virtual absl::Status Compress(absl::string_view input, std::string* output) = 0;
};

class Decompressor {
 public:
  virtual ~Decompressor() = default;
  // Decodes `input` into exactly `raw_size` bytes at `out` (which has room for raw_size
  // bytes), or returns kDataLoss (malformed input, or a size other than raw_size); on error
  // the bytes at `out` are unspecified. Writing into memory the caller already owns lets a
  // reader reuse one chunk-sized buffer without zero-filling it first.
  // REQUIRES: raw_size <= kMaxChunkSize (callers check lengths read from an archive first).
  virtual absl::Status DecompressTo(absl::string_view input, size_t raw_size, char* out) = 0;
  // Appends exactly `raw_size` bytes decoded from `input` to *output (DecompressTo into a
  // new tail, which std::string zero-fills first), or returns kDataLoss and leaves *output
  // as it was. Same REQUIRES.
  absl::Status Decompress(absl::string_view input, size_t raw_size, std::string* output);
};

// `level`: -1000 = the codec's default. Errors: kInvalidArgument (unknown type, level out
// of range: zstd ZSTD_minCLevel()..19, gzip 1..12).
absl::StatusOr<std::unique_ptr<Compressor>> NewCompressor(CompressionType type, int level);
// Errors: kDataLoss for a type this version does not know (it came from an archive).
absl::StatusOr<std::unique_ptr<Decompressor>> NewDecompressor(CompressionType type);

// "zstd", "gzip", "none".
const char* CompressionName(CompressionType type);
// Parses "zstd", "zstd:5", "gzip:9", "none" (the -Z flag). Level -1000 when not given.
absl::Status ParseCompressionSpec(absl::string_view spec, CompressionType* type, int* level);

}  // namespace pgark::format
