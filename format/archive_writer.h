#pragma once
// ArchiveWriter: writes a pgark v1 archive to a ByteSink, front to back, never seeking
// (a file, a pipe, an S3 multipart upload). Byte layout: docs/format.md.
//
//   Header | META frames | DATA + STREAM_END frames of many streams interleaved | INDEX | Trailer
//
// How to use:
//
//   format::WriterOptions options;
//   options.compression = format::CompressionType::kZstd;       // level: kDefaultZstdLevel
//   options.encryption.key_files.push_back(key);                 // optional; none = plain
//   PGARK_ASSIGN_OR_RETURN(auto writer, format::ArchiveWriter::Create(&sink, options));
//   PGARK_RETURN_IF_ERROR(writer->AddMetadata("catalog.json", catalog_json));
//   // One StreamWriter per stream; each may live on its own producer thread.
//   PGARK_ASSIGN_OR_RETURN(auto stream, writer->OpenStream(42));
//   for (each chunk of whole COPY tuples, <= options.chunk_size bytes)
//     PGARK_RETURN_IF_ERROR(stream->Append(chunk));             // compress+encrypt here
//   PGARK_RETURN_IF_ERROR(stream->Finish(/*row_count=*/rows));
//   PGARK_ASSIGN_OR_RETURN(format::WriteSummary summary, writer->Finish());  // closes sink
//   // summary.sha256_hex is the SHA-256 of every byte written (for the .sha256 sidecar).
//
// Threading: ArchiveWriter is thread-safe. Each StreamWriter is used by one thread at a
// time; different StreamWriters run concurrently. Compression, the round-trip check and
// encryption run on the calling (producer) thread; only appending the finished frame to
// the sink is serialized (one mutex), so frames land in completion order and the sink
// never does CPU work beyond the running SHA-256.
//
// Failure: the first error (sink, codec, bad argument) is sticky: every later call returns
// it, Finish() does not close the sink, and the caller abandons the sink (its destructor
// must discard the partial object). A writer destroyed without Finish() writes nothing
// more; the sink is never closed, so nothing is published.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "format/archive_constants.h"
#include "format/byte_io.h"
#include "format/keys.h"

namespace pgark::format {

struct WriterOptions {
  // Codec for DATA frames. Default zstd. META and INDEX frames always use zstd.
  CompressionType compression = CompressionType::kZstd;
  // Codec level. Default -1000 = the codec's default (kDefaultZstdLevel, kDefaultGzipLevel).
  // zstd: -7..19 (negative = fast modes); gzip: 1..12; none: ignored.
  int level = -1000;
  // Largest raw chunk a caller may pass to StreamWriter::Append(). Default 4 MiB;
  // kMinChunkSize..kMaxChunkSize. Stored in the header; readers enforce it.
  uint32_t chunk_size = kDefaultChunkSize;
  // Key slots; none = unencrypted archive (still checksummed everywhere).
  EncryptionOptions encryption;
  // Decompress every compressed chunk and compare its XXH3 before writing it (catches codec
  // and memory bugs on the writer). Default true; costs roughly one decompression.
  bool verify_round_trip = true;
  // Informational, stored in the header ("pgark 0.1.0").
  std::string writer_version = "pgark";
  // Archive id (32 bytes) for deterministic golden files in tests; empty = random.
  std::string archive_id_for_testing;
  // Creation time stored in the header (Unix µs) for deterministic golden files; 0 = now.
  uint64_t created_unix_us_for_testing = 0;
  // Tests of forward compatibility: the minor version written, and an unknown optional
  // header field (tag 0x7FFF) to add. Never set in production.
  uint16_t format_minor_for_testing = kFormatMinor;
  std::string unknown_header_field_for_testing;
};

// Returned by ArchiveWriter::Finish().
struct WriteSummary {
  std::string archive_id_hex;  // 64 hex digits; record it in the backup catalog
  uint64_t archive_bytes = 0;  // total bytes written, header to trailer
  std::string sha256_hex;      // SHA-256 of all archive bytes
  uint64_t raw_bytes = 0;      // sum of raw stream bytes
  uint64_t data_frames = 0;
  uint64_t streams = 0;
};

// Per-stream totals the writer put in the index (also returned by Finish()).
struct StreamTotals {
  uint32_t stream_id = 0;
  uint64_t chunks = 0;       // DATA frames
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;  // frame headers + payloads of the DATA frames
  uint64_t rows = 0;         // as passed to Finish()
  std::string digest_hex;    // XXH3-128 of the concatenated raw bytes
};

class ArchiveWriter;

// Writes one stream's chunks in order. Not thread-safe: one producer thread at a time.
class StreamWriter {
 public:
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Compresses, checks, encrypts and appends one chunk as the stream's next DATA frame.
  // The CALLER guarantees `raw` ends on a row (COPY tuple) boundary, unless
  // `ends_mid_row` is true: then the row continues in the next Append() (use this for
  // rows larger than chunk_size; every piece but the last sets it).
  // REQUIRES: 0 < raw.size() <= options.chunk_size. Errors: kInvalidArgument (size,
  // after Finish, previous chunk ended mid-row and the stream is being finished),
  // kInternal (round-trip mismatch: codec/memory bug), or the sticky writer error.
  absl::Status Append(absl::string_view raw, bool ends_mid_row = false);

  // Writes the STREAM_END frame (flag FINAL): chunk count, raw bytes, `row_count` (the
  // caller counts rows; the format does not parse COPY data) and the XXH3-128 digest.
  // An empty stream is just this frame. Errors: kFailedPrecondition if the last chunk
  // ended mid-row, or already finished.
  absl::Status Finish(uint64_t row_count);

  uint32_t stream_id() const { return stream_id_; }
  uint64_t chunks() const { return next_seq_; }
  uint64_t raw_bytes() const { return raw_offset_; }

 private:
  friend class ArchiveWriter;
  struct Codec;
  StreamWriter(ArchiveWriter* owner, uint32_t stream_id);

  ArchiveWriter* owner_;
  uint32_t stream_id_;
  uint64_t next_seq_ = 0;
  uint64_t raw_offset_ = 0;
  bool mid_row_ = false;
  bool finished_ = false;
  std::unique_ptr<Codec> codec_;
};

class ArchiveWriter {
 public:
  // Validates `options`, creates the data key and key slots (Argon2id runs here for
  // passphrase slots) and writes the file header to `sink` (borrowed; must outlive the
  // writer). Errors: kInvalidArgument (bad options), sink errors.
  static absl::StatusOr<std::unique_ptr<ArchiveWriter>> Create(ByteSink* sink,
                                                               const WriterOptions& options);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Appends a named metadata record (opaque bytes, e.g. catalog/DDL JSON from the
  // engine, or a per-stream descriptor "stream/42"). Compressed with zstd, encrypted with
  // the metadata subkey, split into META frames of at most chunk_size. May be called at
  // any time before Finish(), from any thread; readers get records in the order written.
  // Names: 1..kMaxMetadataNameSize bytes, unique. Body: up to kMaxMetadataSize.
  // Errors: kInvalidArgument (name empty/too long/duplicate, body too large), sticky error.
  absl::Status AddMetadata(absl::string_view name, absl::string_view body);

  // Starts stream `stream_id` (1..kMaxStreamId, each id once per archive). The returned
  // StreamWriter borrows this writer and must be finished (or destroyed) before Finish().
  // Errors: kInvalidArgument (id out of range or already used).
  absl::StatusOr<std::unique_ptr<StreamWriter>> OpenStream(uint32_t stream_id);

  // Writes the INDEX frame and the trailer, then closes the sink (publishing the
  // archive). REQUIRES: every opened stream finished; otherwise kFailedPrecondition and the
  // sink is not closed. Call once.
  absl::StatusOr<WriteSummary> Finish();

  // 32-byte archive id (raw bytes) and its hex form.
  const std::string& archive_id() const;
  std::string archive_id_hex() const;

  // Bytes appended to the sink so far (for progress displays). Thread-safe.
  uint64_t bytes_written() const;

  struct Impl;

 private:
  friend class StreamWriter;
  explicit ArchiveWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgark::format
