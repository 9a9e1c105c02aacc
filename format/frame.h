#pragma once
// Frames: the 48-byte frame header and the payload (raw digest, codec bytes, AEAD).
// Internal to format/ (the writer and readers use it; docs/format.md specifies it).
//
// Errors returned here carry the failing layer as the message prefix ("framing: ",
// "storage checksum: ", "authentication: ", "decompression: ", "raw checksum: ") but no
// location; the caller prepends offset, stream and chunk (see ErrorAt in the reader).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "format/archive_constants.h"
#include "format/codec/chunk_cipher.h"
#include "format/codec/compressor.h"
#include "format/keys.h"

namespace pgark::format {

struct FrameHeader {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  CompressionType codec = CompressionType::kNone;
  int8_t level = 0;
  uint32_t stream_id = 0;
  uint32_t stored_len = 0;
  uint64_t seq = 0;
  uint64_t raw_offset = 0;
  uint32_t raw_len = 0;
  uint64_t payload_xxh3 = 0;
};

// Subkeys derived from the data key with crypto_kdf_derive_from_key(ctx "pgark-v1"):
// 1 = DATA and STREAM_END frames, 2 = META and INDEX frames, 3 = header/trailer MAC.
struct ArchiveKeys {
  std::string archive_id;  // 32 bytes
  bool encrypted = false;
  std::optional<ChunkCipher> data;
  std::optional<ChunkCipher> meta;
  SecretKey mac;
  // Seed of the raw-chunk XXH3: the first 8 archive-id bytes, so a chunk copied from
  // another (even unencrypted) archive fails its raw checksum.
  uint64_t seed() const;
  // Derives the subkeys from `dek`.
  void SetDataKey(const SecretKey& dek);
};

// Appends the 48-byte encoded header of `h` (with its CRC32C) to *out.
void EncodeFrameHeader(const FrameHeader& h, std::string* out);
// Parses and checks a 48-byte frame header: magic, CRC32C, known type/codec, flags,
// lengths against the caps (`max_raw` for DATA/META; the index has its own cap).
// Errors: kDataLoss "framing: ...".
absl::Status ParseFrameHeader(absl::string_view bytes, uint32_t max_raw, FrameHeader* out);

// The largest stored (payload) length a frame of at most `raw_cap` raw bytes may have: the
// codec's worst case plus fixed overhead.
constexpr uint64_t StoredLenCap(uint64_t raw_cap) { return raw_cap + (raw_cap >> 7) + (1u << 16); }

// Working buffers of EncodeFrame. A writer that keeps one per producer thread saves two
// chunk-sized allocations (and their page faults) per frame. Contents are meaningless
// between calls.
struct FrameScratch {
  std::string plain;  // encrypted frames: digest || codec bytes, before sealing
  std::string check;  // round-trip check: the decompressed chunk
};

// Builds a whole frame (header + payload) for `raw` and appends it to *out.
// `compressor` null = codec none. `verifier` non-null: decompress and compare the raw
// XXH3 before returning (writer round-trip check; kInternal on mismatch). `scratch`:
// optional reusable buffers (null = temporary ones). On error *out may hold a partial
// frame after its original size; callers discard it.
absl::Status EncodeFrame(const ArchiveKeys& keys, FrameType type, uint8_t flags, uint32_t stream_id,
                         uint64_t seq, uint64_t raw_offset, absl::string_view raw,
                         Compressor* compressor, Decompressor* verifier, std::string* out,
                         FrameScratch* scratch = nullptr);

// Per-reader decoding state: lazily created decompressors, one per codec, and the
// buffer for decrypted payloads (kept between frames). Not thread-safe.
class DecoderSet {
 public:
  absl::StatusOr<Decompressor*> Get(CompressionType type);

 private:
  friend absl::Status DecodeFramePayload(const ArchiveKeys&, const FrameHeader&,
                                         absl::string_view, absl::string_view, DecoderSet*,
                                         std::string*);
  std::unique_ptr<Decompressor> decoders_[3];
  std::string plain_;  // decrypted payload of the last encrypted frame
};

// The payload checks that need no key and no decompression: its length, its XXH3 (the
// storage checksum, docs/format.md) and its encrypted flag against the archive's.
// Errors: kDataLoss "framing: ...", "storage checksum: ...", "authentication: ...".
absl::Status CheckStoredPayload(const FrameHeader& h, absl::string_view payload, bool archive_encrypted);

// Checks and decodes a frame payload whose header `h` was parsed from `header_bytes`:
// payload XXH3 (no key needed), AEAD, decompression, raw XXH3. On success *raw holds
// exactly the frame's raw bytes (its previous contents are replaced); on error *raw is
// empty. The raw bytes are decoded over *raw's existing memory without zero-filling it
// first, so a reader that passes the same string for every chunk of a stream (the chunk
// sizes are about equal) neither allocates nor clears per chunk.
absl::Status DecodeFramePayload(const ArchiveKeys& keys, const FrameHeader& h,
                                absl::string_view header_bytes, absl::string_view payload,
                                DecoderSet* decoders, std::string* raw);

}  // namespace pgark::format
