#pragma once
// Persisted constants of the pgark archive format v1. The byte-level specification is
// docs/format.md; every value here appears there. Values are stable forever: add new
// ones, never renumber or reuse.

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace pgark::format {

// File header magic, PNG style: "PGAR" then CR LF SUB LF, so text-mode transfers and
// truncating tools are caught in the first 8 bytes.
inline constexpr absl::string_view kHeaderMagic{"PGAR\r\n\x1a\n", 8};
// Every frame header starts with this (a resync marker for scans of damaged archives).
inline constexpr absl::string_view kFrameMagic{"PAF1", 4};
// Trailer: starts with kTrailerMagic, ends with kTrailerEndMagic (the last 8 bytes of a
// complete archive).
inline constexpr absl::string_view kTrailerMagic{"PATR", 4};
inline constexpr absl::string_view kTrailerEndMagic{"PGARKEND", 8};

// Version of the format this code writes. A reader rejects a different major version
// (kFailedPrecondition) and tolerates a higher minor (unknown header TLVs are skipped).
inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 0;

inline constexpr size_t kHeaderPrefixSize = 64;  // fixed part of the file header
inline constexpr size_t kFrameHeaderSize = 48;
inline constexpr size_t kTrailerSize = 64;
inline constexpr size_t kArchiveIdSize = 32;
inline constexpr size_t kNonceSize = 24;   // XChaCha20 nonce
inline constexpr size_t kTagSize = 16;     // Poly1305 tag
inline constexpr size_t kRawDigestSize = 8;  // XXH3-64 of the raw chunk, first payload bytes

// Frame types (frame header byte 4).
enum class FrameType : uint8_t {
  kData = 1,       // a chunk of a stream's raw bytes
  kMeta = 2,       // (part of) a named metadata record
  kIndex = 3,      // the final index, exactly one, just before the trailer
  kStreamEnd = 5,  // closes a stream: chunk count, bytes, rows, digest; carries kFinal
};

// Frame flags (frame header byte 5).
inline constexpr uint8_t kFlagFinal = 0x01;      // last frame of its stream / metadata record
inline constexpr uint8_t kFlagContinues = 0x02;  // the chunk ends inside a row (or record)
inline constexpr uint8_t kFlagEncrypted = 0x04;  // payload is nonce || AEAD ciphertext || tag

// Compression codecs (frame header byte 6, header default codec).
enum class CompressionType : uint8_t {
  kNone = 0,
  kZstd = 1,
  kGzip = 2,  // raw deflate (RFC 1951) produced by libdeflate, gzip-compatible bitstream
};

// Ciphers (header byte 56).
enum class CipherId : uint8_t {
  kNone = 0,
  kXChaCha20Poly1305 = 1,  // libsodium crypto_aead_xchacha20poly1305_ietf
  // Reserved: 2 = AEGIS-256 (libsodium >= 1.0.19), 3 = AES-256-GCM.
};

// Key slot types.
enum class KeySlotType : uint8_t {
  kPassphrase = 1,  // Argon2id (crypto_pwhash ALG_ARGON2ID13) derived key wraps the data key
  kKeyFile = 2,     // 32-byte random key from a file wraps the data key
  kX25519 = 3,      // crypto_box_seal to a recipient public key
};

// Header flags (header bytes 16..20).
inline constexpr uint32_t kHeaderFlagEncrypted = 0x1;
inline constexpr uint32_t kHeaderFlagRowAligned = 0x2;  // DATA chunks end on row boundaries
                                                        // unless kFlagContinues is set

// Stream ids: 0 is used by META frames; the index frame uses kIndexStreamId. Data streams
// use 1..kMaxStreamId.
inline constexpr uint32_t kMetaStreamId = 0;
inline constexpr uint32_t kIndexStreamId = 0xFFFFFFFFu;
inline constexpr uint32_t kMaxStreamId = 0xFFFFFFF0u;

// Limits. Readers check every length read from an archive against these before
// allocating; writers refuse to exceed them.
inline constexpr uint32_t kDefaultChunkSize = 4u << 20;    // raw bytes per DATA frame
inline constexpr uint32_t kMinChunkSize = 4u << 10;
inline constexpr uint32_t kMaxChunkSize = 64u << 20;       // hard cap on raw_len
// Worst-case stored size for a kMaxChunkSize chunk (zstd bound + AEAD + raw digest).
inline constexpr uint32_t kMaxStoredChunk = kMaxChunkSize + (kMaxChunkSize >> 7) + (1u << 16);
inline constexpr uint32_t kMaxHeaderSize = 1u << 20;
inline constexpr uint32_t kMaxKeySlots = 16;
inline constexpr uint32_t kMaxMetadataNameSize = 255;
inline constexpr uint64_t kMaxMetadataSize = 256ull << 20;  // one metadata record, reassembled
inline constexpr uint32_t kMaxIndexRawSize = 1u << 30;      // decompressed index
inline constexpr uint32_t kMaxWriterVersionSize = 256;

// Argon2id parameters. Defaults are libsodium's MODERATE (ops 3, 256 MiB, ~0.4 s); readers
// refuse stored parameters above the caps before deriving anything (the parameters come
// from the archive and are attacker-controlled).
inline constexpr uint64_t kArgonDefaultOps = 3;
inline constexpr uint64_t kArgonDefaultMem = 256ull << 20;
inline constexpr uint64_t kArgonMaxOps = 16;
inline constexpr uint64_t kArgonMaxMem = 4ull << 30;
inline constexpr uint64_t kArgonMinOps = 1;
inline constexpr uint64_t kArgonMinMem = 8ull << 10;

// Default zstd level, chosen by bench/format_codec_bench.cc (numbers in docs/format.md).
inline constexpr int kDefaultZstdLevel = 1;
inline constexpr int kDefaultGzipLevel = 6;

}  // namespace pgark::format
