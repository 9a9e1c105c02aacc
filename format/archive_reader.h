#pragma once
// Readers of pgark v1 archives (byte layout: docs/format.md).
//
//  - ArchiveReader: random access (a file, an S3 object). Reads the trailer, the header
//    (unwrapping the data key), then the index; afterwards reads only the frames asked
//    for, coalescing adjacent frames of a stream into one ReadAt().
//  - ArchiveScanner: one sequential pass (stdin, a pipe). Frames come in file order and
//    are routed by stream id; completeness is proven at the end from the index+trailer.
//
// Both verify every frame they return: header CRC32C, XXH3 of the stored payload,
// AEAD (XChaCha20-Poly1305, whose associated data binds archive id, type, flags incl.
// FINAL, stream, seq, raw offset and lengths), decompression, XXH3 of the raw chunk, seq
// continuity, and the per-stream digest/counts against the authenticated index.
//
// How to use (random access):
//
//   format::ReaderOptions options;
//   options.keys = key_ring;                         // empty for unencrypted archives
//   PGARK_ASSIGN_OR_RETURN(auto reader, format::ArchiveReader::Open(&source, options));
//   PGARK_ASSIGN_OR_RETURN(std::string catalog, reader->ReadMetadata("catalog.json"));
//   for (const format::StreamInfo& s : reader->info().streams) {   // any thread per stream
//     PGARK_ASSIGN_OR_RETURN(auto chunks, reader->OpenStream(s.stream_id));
//     format::Chunk chunk;
//     while (true) {
//       PGARK_ASSIGN_OR_RETURN(bool more, chunks->Next(&chunk));
//       if (!more) break;                            // stream complete and verified
//       Feed(chunk.data, chunk.ends_mid_row);        // raw COPY bytes, in order
//     }
//   }
//
// How to use (pipe):
//
//   PGARK_ASSIGN_OR_RETURN(auto scanner, format::ArchiveScanner::Open(&stdin_source, options));
//   format::ScanItem item;
//   while (true) {
//     PGARK_ASSIGN_OR_RETURN(bool more, scanner->Next(&item));
//     if (!more) break;  // trailer reached: index, trailer and every stream verified
//     switch (item.kind) { case kMetadata: ...; case kChunk: route(item.chunk); ...; }
//   }
//
// Errors (all carry the layer, byte offset, frame ordinal when known, stream id and its
// description from ReaderOptions::describe_stream, chunk n of m, expected vs actual):
//   kDataLoss          corruption, tampering, truncation, reordering, splicing,
//                      an unencrypted archive when a key was given or required (exit 5)
//   kUnauthenticated   encrypted archive and no key given, or no given key opens any
//                      slot ("wrong key", checked via the key commitment) (exit 7)
//   kFailedPrecondition unknown major version; Argon2 params above the caps (exit 4)
//   kNotFound          ReadMetadata/OpenStream of a name/stream not in the archive
//   others             from the source (kUnavailable, kPermissionDenied...)
//
// Thread-safety: ArchiveReader is thread-safe after Open(): OpenStream()/ReadMetadata()
// may run concurrently (the source's ReadAt must be thread-safe). A ChunkReader and an
// ArchiveScanner are used by one thread at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "format/archive_constants.h"
#include "format/byte_io.h"
#include "format/keys.h"

namespace pgark::format {

struct ReaderOptions {
  KeyRing keys;
  // Optional: names a stream in error messages ("public.orders part 3"). Set by the
  // engine once it has read the per-stream descriptors from metadata. May be changed later
  // with ArchiveReader::set_describe_stream().
  std::function<std::string(uint32_t stream_id)> describe_stream;
  // Largest single ReadAt() used to coalesce adjacent frames of a stream. Default 8 MiB.
  size_t coalesce_bytes = 8u << 20;
};

// What ArchiveReader::CheckStoredFrames covers and how.
struct StoredCheckOptions {
  // The streams whose DATA and STREAM_END frames are checked; metadata frames always are.
  // Default nullopt: every stream.
  std::optional<std::set<uint32_t>> streams;
  // Threads, each taking a contiguous byte range of the frames (the source's ReadAt must be
  // thread-safe, as for OpenStream). Default 1: the calling thread only.
  int threads = 1;
  // The largest read of adjacent frames (a larger frame is read alone); each thread holds one
  // such buffer. 0: ReaderOptions::coalesce_bytes.
  size_t slice_bytes = 0;
};

// The file header, readable without a key.
struct HeaderInfo {
  uint16_t format_major = 0;
  uint16_t format_minor = 0;
  std::string archive_id_hex;
  bool encrypted = false;
  CipherId cipher = CipherId::kNone;
  CompressionType compression = CompressionType::kNone;  // default codec of DATA frames
  int level = 0;
  uint32_t chunk_size = 0;       // max raw bytes per frame
  uint64_t created_unix_us = 0;  // informational
  std::string writer_version;    // informational
  std::vector<KeySlotInfo> key_slots;
  uint32_t header_size = 0;
};

struct MetadataInfo {
  std::string name;
  uint64_t size = 0;    // raw bytes
  uint32_t frames = 0;
};

// Where one DATA frame is and what it holds (from the index).
struct ChunkLocation {
  uint64_t seq = 0;
  uint64_t file_offset = 0;  // of the frame header
  uint32_t stored_len = 0;   // payload bytes after the 48-byte frame header
  uint32_t raw_len = 0;
  uint64_t raw_offset = 0;
  bool ends_mid_row = false;
};

struct StreamInfo {
  uint32_t stream_id = 0;
  uint64_t chunks = 0;
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;  // DATA frames incl. headers
  uint64_t rows = 0;
  std::string digest_hex;     // XXH3-128 of the raw stream
};

struct ArchiveInfo {
  HeaderInfo header;
  uint64_t archive_size = 0;
  uint64_t frame_count = 0;  // every frame incl. META, STREAM_END and INDEX
  uint64_t raw_bytes = 0;    // sum over streams
  std::vector<MetadataInfo> metadata;  // in the order written
  std::vector<StreamInfo> streams;     // sorted by stream id
};

// A verified raw chunk.
struct Chunk {
  uint32_t stream_id = 0;
  uint64_t seq = 0;
  uint64_t raw_offset = 0;
  uint64_t file_offset = 0;
  bool ends_mid_row = false;  // the row continues in chunk seq+1
  std::string data;           // decompressed, decrypted, checked raw bytes
};

// Reads the file header only (no key, no trailer): for inspect and for deciding which key
// to ask for. Errors: kDataLoss (bad magic/CRC/lengths), kFailedPrecondition (major).
absl::StatusOr<HeaderInfo> ReadHeaderInfo(RandomAccessSource* source);

class ArchiveReader;

// Iterates a run of one stream's chunks in order. Used by one thread at a time.
class ChunkReader {
 public:
  virtual ~ChunkReader() = default;
  // Returns true and fills *chunk with the next verified chunk, or false at the end of
  // the run. When the run covers the whole stream, reaching the end also checks the
  // STREAM_END frame and the stream digest against the index. The random-access reader
  // decodes over chunk->data's memory: pass the same Chunk for every call, so a stream's
  // chunks need no new allocation or zero-fill, and leaves chunk->data empty on error.
  virtual absl::StatusOr<bool> Next(Chunk* chunk) = 0;
};

class ArchiveReader {
 public:
  // Reads and authenticates trailer, header and index; unwraps the data key from the
  // first slot a key in options.keys opens (key commitment checked first).
  // `source` is borrowed and must outlive the reader.
  static absl::StatusOr<std::unique_ptr<ArchiveReader>> Open(RandomAccessSource* source,
                                                             ReaderOptions options);
  virtual ~ArchiveReader() = default;

  virtual const ArchiveInfo& info() const = 0;
  // The chunk table of a stream. Errors: kNotFound.
  virtual absl::StatusOr<std::vector<ChunkLocation>> Chunks(uint32_t stream_id) const = 0;
  // Reads, verifies and reassembles a metadata record. Errors: kNotFound, kDataLoss.
  virtual absl::StatusOr<std::string> ReadMetadata(absl::string_view name) = 0;
  // Chunks [first_chunk, first_chunk + chunk_count) of a stream; chunk_count = UINT64_MAX
  // means to the end (then the STREAM_END frame and digest are verified too).
  // Errors: kNotFound (stream), kOutOfRange (run beyond the stream).
  virtual absl::StatusOr<std::unique_ptr<ChunkReader>> OpenStream(
      uint32_t stream_id, uint64_t first_chunk = 0, uint64_t chunk_count = UINT64_MAX) = 0;
  // Reads every frame in file order and verifies it (with the key: everything; the
  // frame checksums always). Returns the first failure.
  virtual absl::Status VerifyAll() = 0;
  // The storage-level check of every frame the index lists (see StoredCheckOptions), in file
  // order, without decompressing or decrypting anything: the frame header (magic, CRC32C,
  // lengths against the caps), its agreement with the index (type, offset, stream, seq, raw
  // offset, lengths, flags, payload checksum) and the XXH3 of the stored payload ("storage
  // checksum", docs/format.md). Catches damage to the stored bytes (bit rot, truncation, a
  // bad copy) before a restore changes anything; damage that keeps the storage checksum (a
  // writer bug, tampering by someone able to recompute it) is still only found by the AEAD,
  // decompression and raw checksum when the frame is read. Reads in coalesced slices of at
  // most StoredCheckOptions::slice_bytes (or one frame, capped like every frame), one slice
  // per thread at a time. Polls base::CheckCancelled() before each slice (kCancelled).
  // Errors: kDataLoss naming the frame's offset, stream and chunk (the lowest offset among
  // the failures found before every thread stopped), kCancelled, the source's errors.
  virtual absl::Status CheckStoredFrames(const StoredCheckOptions& options) = 0;
  virtual void set_describe_stream(std::function<std::string(uint32_t)> describe) = 0;
};

struct ScanItem {
  enum class Kind { kMetadata, kChunk, kStreamEnd };
  Kind kind = Kind::kChunk;
  std::string name;   // kMetadata: record name
  std::string body;   // kMetadata: record bytes
  Chunk chunk;        // kChunk; the scanner decodes over chunk.data's memory (reuse it)
  StreamInfo stream;  // kStreamEnd: totals of the finished stream (rows, digest...)
};

class ArchiveScanner {
 public:
  // Reads the header and unwraps the data key. `source` is borrowed.
  static absl::StatusOr<std::unique_ptr<ArchiveScanner>> Open(SequentialSource* source,
                                                              ReaderOptions options);
  virtual ~ArchiveScanner() = default;
  virtual const HeaderInfo& header() const = 0;
  // Next item in file order. Returns false once the index and trailer are read and every
  // check passed (each stream ended, counts/digests match the index, nothing after the
  // trailer). A truncated input is kDataLoss naming the streams left incomplete.
  virtual absl::StatusOr<bool> Next(ScanItem* item) = 0;
  // Complete after Next() returned false; before that, header and what was seen so far.
  virtual const ArchiveInfo& info() const = 0;
  virtual void set_describe_stream(std::function<std::string(uint32_t)> describe) = 0;
};

}  // namespace pgark::format
