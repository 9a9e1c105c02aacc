#pragma once
// Cuts the output of one `COPY ... TO STDOUT` into tuple-aligned chunks.
//
// Chunks hold whole tuples only, so any run of consecutive chunks of one COPY can be loaded
// by its own `COPY ... FROM STDIN`:
//   - text format: each chunk is a run of complete lines;
//   - binary format: the 19-byte file header (signature, flags, extension length, plus any
//     header extension) and the 2-byte trailer (int16 -1) are NOT part of any chunk. A loader
//     sends kCopyBinaryHeader, the chunks, then kCopyBinaryTrailer.
// A chunk is closed before a tuple that would take it past `chunk_size`, so chunks are at
// most chunk_size bytes, except that a tuple larger than chunk_size forms a chunk on its own
// (and, if the server ever sent CopyData messages that are not row-aligned, the chunk ends at
// the first tuple boundary past chunk_size). The last chunk is flagged final; it is empty only
// when the COPY produced no tuples.
//
// Memory: at most chunk_size + the largest tuple (+ one CopyData message) is buffered.
// The input is parsed, not trusted: a bad signature, an unknown critical header flag, a field
// count different from the expected column count, a negative length other than -1, data after
// the trailer or a missing trailer/newline give kDataLoss naming the source.
//
// Thread-compatible: one instance per COPY, used by one thread.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pgark::engine {

enum class CopyFormat : uint8_t { kText = 0, kBinary = 1 };

// "PGCOPY\n\377\r\n\0", flags 0, extension length 0: what loaders send before the chunks.
inline constexpr absl::string_view kCopyBinaryHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
// int16 -1: what loaders send after the chunks.
inline constexpr absl::string_view kCopyBinaryTrailer{"\377\377", 2};

struct CopyChunk {
  std::string data;   // whole tuples (see above)
  int64_t rows = 0;   // tuples in `data`
  bool final = false; // the last chunk of this COPY
};

class CopyChunker {
 public:
  // Called for each completed chunk, in order. A non-OK return stops the chunker: Add() and
  // Finish() return that status from then on. `chunk` is the chunker's own buffer, reused
  // for the next chunk: the callee may move from `chunk.data` (the chunker then allocates
  // anew) but must not keep references to it past the call.
  using ChunkCallback = std::function<absl::Status(CopyChunk& chunk)>;

  // `expected_fields`: number of columns of the COPY (checked on every binary tuple; -1 skips
  // the check). `source` names the table in error messages.
  CopyChunker(CopyFormat format, size_t chunk_size, int expected_fields, std::string source,
              ChunkCallback on_chunk);

  // Feeds one CopyData message (or any piece of the COPY stream).
  absl::Status Add(absl::string_view data);
  // Declares the end of the COPY: emits the final chunk. Errors: kDataLoss if the binary
  // trailer or the header never came, or the stream ends inside a tuple.
  absl::Status Finish();

  int64_t rows() const { return rows_total_; }
  // Tuple bytes passed on in chunks so far (header and trailer excluded).
  int64_t bytes() const { return bytes_total_; }

 private:
  absl::Status ConsumeHeader(absl::string_view* data);
  // Parses complete tuples starting at complete_end_; updates complete_end_/rows.
  absl::Status ParseTuples();
  absl::Status Emit(size_t length, bool final);
  absl::Status Corrupt(absl::string_view what) const;

  const CopyFormat format_;
  const size_t chunk_size_;
  const int expected_fields_;
  const std::string source_;
  ChunkCallback on_chunk_;

  std::string header_;          // binary header bytes gathered so far
  bool header_done_ = false;
  uint32_t header_ext_len_ = 0;
  bool trailer_seen_ = false;
  std::string buffer_;          // complete tuples [0, complete_end_) + a partial tuple
  size_t complete_end_ = 0;
  int64_t buffer_rows_ = 0;
  int64_t rows_total_ = 0;
  int64_t bytes_total_ = 0;
  CopyChunk chunk_;             // the chunk handed to on_chunk_; its storage alternates with buffer_'s
  absl::Status status_;
  bool finished_ = false;
};

}  // namespace pgark::engine
