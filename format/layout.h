#pragma once
// File header (with key slots), trailer and index: encoding, parsing and key unwrapping.
// Internal to format/; byte layouts in docs/format.md. Parsers treat their input as
// untrusted: every count and length is checked against what remains and the caps in
// archive_constants.h before anything is allocated. Errors: kDataLoss ("framing: ...",
// "authentication: ..."), kFailedPrecondition (version, Argon2 caps), kUnauthenticated.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "format/archive_reader.h"
#include "format/codec/checksum.h"
#include "format/frame.h"
#include "format/keys.h"

namespace pgark::format {

struct FileHeader {
  uint16_t major = kFormatMajor;
  uint16_t minor = kFormatMinor;
  uint32_t header_len = 0;
  uint32_t flags = 0;
  std::string archive_id;  // 32 bytes
  CipherId cipher = CipherId::kNone;
  CompressionType codec = CompressionType::kZstd;
  int8_t level = 0;
  uint32_t chunk_size = kDefaultChunkSize;
  uint64_t created_unix_us = 0;
  std::string writer_version;
  std::string unknown_field;       // written as optional tag 0x7FFF (tests only)
  std::vector<std::string> slots;  // encoded key slots
  std::string commitment;          // 32 bytes when encrypted
  std::string mac;                 // 32 bytes
  std::string mac_input;           // header bytes covered by the MAC (parse only)

  bool encrypted() const { return cipher != CipherId::kNone; }
};

// Creates the key slots wrapping `dek` and the key commitment (writer). Runs Argon2id.
absl::Status CreateKeySlots(const EncryptionOptions& options, const SecretKey& dek,
                            FileHeader* header);
// Encodes the header, computing its MAC (with keys.mac when encrypted) and CRC.
std::string EncodeFileHeader(FileHeader* header, const ArchiveKeys& keys);
// From the first 64 bytes: header_len (checked against caps) and the version check.
absl::StatusOr<uint32_t> ParseHeaderPrefix(absl::string_view prefix);
// Parses a whole header (CRC, TLVs, slots); does not check the MAC.
absl::StatusOr<FileHeader> ParseFileHeader(absl::string_view bytes);
HeaderInfo ToHeaderInfo(const FileHeader& header);
// Unlocks the data key with `ring` (see keys.h), then fills *keys and verifies the
// header MAC. For unencrypted archives only the downgrade rule and the MAC apply.
absl::Status UnlockArchive(const FileHeader& header, const KeyRing& ring, ArchiveKeys* keys);

struct Trailer {
  uint64_t index_offset = 0;
  uint64_t archive_len = 0;  // = offset of the trailer
  uint32_t index_frame_len = 0;
  uint32_t frame_count = 0;
};
std::string EncodeTrailer(const Trailer& t, const FileHeader& header, const ArchiveKeys& keys);
absl::StatusOr<Trailer> ParseTrailer(absl::string_view bytes, const FileHeader& header,
                                     const ArchiveKeys& keys);

struct IndexFrameRef {
  uint64_t offset = 0;
  uint32_t stored_len = 0;
  uint32_t raw_len = 0;
  uint8_t flags = 0;
  uint64_t payload_xxh3 = 0;
};
struct IndexMeta {
  std::string name;
  uint64_t size = 0;
  std::vector<IndexFrameRef> frames;
};
struct IndexStream {
  uint32_t stream_id = 0;
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;
  uint64_t rows = 0;
  Digest128 digest;
  IndexFrameRef end;  // the STREAM_END frame
  std::vector<IndexFrameRef> chunks;
};
struct Index {
  std::vector<IndexMeta> metadata;
  std::vector<IndexStream> streams;  // sorted by stream id
};
std::string EncodeIndex(const Index& index);
absl::StatusOr<Index> ParseIndex(absl::string_view raw);

}  // namespace pgark::format
