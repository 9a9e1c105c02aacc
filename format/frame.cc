#include "format/frame.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "format/codec/checksum.h"
#include "format/wire.h"

namespace pgark::format {
namespace {

constexpr absl::string_view kAadPrefix = "pgark-v1";
constexpr size_t kAuthenticatedHeaderBytes = 36;  // header bytes 0..36 go into the AAD
constexpr uint8_t kKnownFlags = kFlagFinal | kFlagContinues | kFlagEncrypted;

bool KnownType(uint8_t t) { return t == 1 || t == 2 || t == 3 || t == 5; }

std::string BuildAad(const ArchiveKeys& keys, absl::string_view header_bytes) {
  std::string aad;
  aad.reserve(kAadPrefix.size() + kArchiveIdSize + kAuthenticatedHeaderBytes);
  wire::PutBytes(&aad, kAadPrefix);
  wire::PutBytes(&aad, keys.archive_id);
  wire::PutBytes(&aad, header_bytes.substr(0, kAuthenticatedHeaderBytes));
  return aad;
}

const ChunkCipher& CipherFor(const ArchiveKeys& keys, FrameType type) {
  // Domain separation: metadata and index never share a key with table data, so data
  // bytes can never be accepted as metadata (borg CVE-2023-36811).
  return (type == FrameType::kMeta || type == FrameType::kIndex) ? *keys.meta : *keys.data;
}

std::string Hex64(uint64_t v) { return absl::StrFormat("%016x", v); }

}  // namespace

uint64_t ArchiveKeys::seed() const {
  return archive_id.size() >= 8 ? wire::GetU64(archive_id.data()) : 0;
}

void ArchiveKeys::SetDataKey(const SecretKey& dek) {
  SecretKey sub;
  crypto_kdf_derive_from_key(sub.mutable_data(), SecretKey::kSize, 1, "pgark-v1", dek.data());
  data.emplace(sub);
  crypto_kdf_derive_from_key(sub.mutable_data(), SecretKey::kSize, 2, "pgark-v1", dek.data());
  meta.emplace(sub);
  crypto_kdf_derive_from_key(mac.mutable_data(), SecretKey::kSize, 3, "pgark-v1", dek.data());
  encrypted = true;
}

void EncodeFrameHeader(const FrameHeader& h, std::string* out) {
  size_t start = out->size();
  wire::PutBytes(out, kFrameMagic);
  wire::PutU8(out, static_cast<uint8_t>(h.type));
  wire::PutU8(out, h.flags);
  wire::PutU8(out, static_cast<uint8_t>(h.codec));
  wire::PutU8(out, static_cast<uint8_t>(h.level));
  wire::PutU32(out, h.stream_id);
  wire::PutU32(out, h.stored_len);
  wire::PutU64(out, h.seq);
  wire::PutU64(out, h.raw_offset);
  wire::PutU32(out, h.raw_len);
  wire::PutU32(out, 0);  // CRC placeholder at 36
  wire::PutU64(out, h.payload_xxh3);
  absl::string_view bytes(out->data() + start, kFrameHeaderSize);
  uint32_t crc = Crc32c(bytes.substr(0, 36));
  crc = Crc32c(bytes.substr(40, 8), crc);
  wire::SetU32(out, start + 36, crc);
}

absl::Status ParseFrameHeader(absl::string_view bytes, uint32_t max_raw, FrameHeader* out) {
  if (bytes.size() < kFrameHeaderSize) {
    return absl::DataLossError(absl::StrCat("framing: frame header truncated (", bytes.size(),
                                            " of 48 bytes)"));
  }
  if (bytes.substr(0, 4) != kFrameMagic) {
    return absl::DataLossError("framing: no frame magic 'PAF1' where a frame should start");
  }
  uint32_t stored_crc = wire::GetU32(bytes.data() + 36);
  uint32_t crc = Crc32c(bytes.substr(0, 36));
  crc = Crc32c(bytes.substr(40, 8), crc);
  if (crc != stored_crc) {
    return absl::DataLossError(absl::StrFormat(
        "framing: frame header checksum mismatch (stored %08x, computed %08x)", stored_crc, crc));
  }
  wire::Cursor c(bytes.substr(4));
  uint8_t type = c.U8();
  out->flags = c.U8();
  uint8_t codec = c.U8();
  out->level = static_cast<int8_t>(c.U8());
  out->stream_id = c.U32();
  out->stored_len = c.U32();
  out->seq = c.U64();
  out->raw_offset = c.U64();
  out->raw_len = c.U32();
  c.U32();
  out->payload_xxh3 = c.U64();
  if (!KnownType(type)) return absl::DataLossError(absl::StrCat("framing: unknown frame type ", type));
  out->type = static_cast<FrameType>(type);
  if (codec > 2) return absl::DataLossError(absl::StrCat("framing: unknown codec ", codec));
  out->codec = static_cast<CompressionType>(codec);
  if (out->flags & ~kKnownFlags) {
    return absl::DataLossError(absl::StrFormat("framing: unknown frame flags 0x%02x", out->flags));
  }
  uint64_t raw_cap = out->type == FrameType::kIndex ? kMaxIndexRawSize : max_raw;
  if (out->raw_len > raw_cap) {
    return absl::DataLossError(absl::StrCat("framing: raw length ", out->raw_len,
                                            " exceeds the limit ", raw_cap));
  }
  // Stored bytes can exceed raw bytes only by the codec's worst case plus fixed overhead.
  uint64_t stored_cap = StoredLenCap(raw_cap);
  if (out->stored_len > stored_cap) {
    return absl::DataLossError(absl::StrCat("framing: stored length ", out->stored_len,
                                            " exceeds the limit ", stored_cap));
  }
  return absl::OkStatus();
}

absl::Status EncodeFrame(const ArchiveKeys& keys, FrameType type, uint8_t flags, uint32_t stream_id,
                         uint64_t seq, uint64_t raw_offset, absl::string_view raw,
                         Compressor* compressor, Decompressor* verifier, std::string* out,
                         FrameScratch* scratch) {
  FrameScratch local;
  if (scratch == nullptr) scratch = &local;
  // Plaintext = raw XXH3 (8) || codec bytes. Unencrypted frames build it in place after
  // the header (no copy of the payload); encrypted ones in scratch->plain, sealed into *out.
  const size_t start = out->size();
  std::string* plain = out;
  size_t plain_start = start + kFrameHeaderSize;
  if (keys.encrypted) {
    plain = &scratch->plain;
    plain->clear();
    plain_start = 0;
  } else {
    out->resize(plain_start);  // header placeholder, encoded below
  }
  uint64_t raw_digest = Xxh3_64(raw, keys.seed());
  wire::PutU64(plain, raw_digest);
  CompressionType codec = CompressionType::kNone;
  int level = 0;
  if (compressor != nullptr && compressor->type() != CompressionType::kNone) {
    plain->reserve(plain_start + 8 + raw.size() / 2 + 64);
    {
      absl::Status s = compressor->Compress(raw, plain);
      if (!s.ok()) return s;
    }
    codec = compressor->type();
    level = compressor->level();
    if (verifier != nullptr) {
      // Round trip before anything is written: a codec or RAM bug must not produce an
      // archive that only fails at restore time (restic #4681).
      // Decoded over the previous chunk's bytes (no zero-fill of a reused buffer).
      std::string& check = scratch->check;
      check.resize(raw.size());
      absl::Status s = verifier->DecompressTo(absl::string_view(*plain).substr(plain_start + 8),
                                              raw.size(), check.data());
      if (!s.ok() || Xxh3_64(check, keys.seed()) != raw_digest) {
        return absl::InternalError(absl::StrCat(
            "compression round-trip check failed for stream ", stream_id, " chunk ", seq, " (",
            CompressionName(codec), " level ", level, "): ",
            s.ok() ? "raw checksum mismatch" : s.message()));
      }
    }
  } else {
    plain->append(raw.data(), raw.size());
  }
  const size_t plain_size = plain->size() - plain_start;

  FrameHeader h;
  h.type = type;
  h.flags = flags | (keys.encrypted ? kFlagEncrypted : 0);
  h.codec = codec;
  h.level = static_cast<int8_t>(level);
  h.stream_id = stream_id;
  h.stored_len = static_cast<uint32_t>(plain_size + (keys.encrypted ? ChunkCipher::kOverhead : 0));
  h.seq = seq;
  h.raw_offset = raw_offset;
  h.raw_len = static_cast<uint32_t>(raw.size());
  std::string header;
  EncodeFrameHeader(h, &header);  // payload_xxh3 filled in below
  if (keys.encrypted) {
    out->append(header);
    std::string aad = BuildAad(keys, absl::string_view(out->data() + start, kFrameHeaderSize));
    CipherFor(keys, type).Seal(aad, *plain, out);
  }
  uint64_t payload_digest = Xxh3_64(absl::string_view(out->data() + start + kFrameHeaderSize,
                                                      out->size() - start - kFrameHeaderSize));
  h.payload_xxh3 = payload_digest;
  // Encode the header with the payload digest (bytes 40..48 are not in the AAD).
  header.clear();
  EncodeFrameHeader(h, &header);
  out->replace(start, kFrameHeaderSize, header);
  return absl::OkStatus();
}

absl::StatusOr<Decompressor*> DecoderSet::Get(CompressionType type) {
  auto index = static_cast<size_t>(type);
  if (index >= 3) return absl::DataLossError("framing: unknown codec");
  if (!decoders_[index]) {
    auto d = NewDecompressor(type);
    if (!d.ok()) return d.status();
    decoders_[index] = *std::move(d);
  }
  return decoders_[index].get();
}

absl::Status CheckStoredPayload(const FrameHeader& h, absl::string_view payload, bool archive_encrypted) {
  if (payload.size() != h.stored_len) {
    return absl::DataLossError(absl::StrCat("framing: payload truncated (", payload.size(), " of ",
                                            h.stored_len, " bytes)"));
  }
  uint64_t digest = Xxh3_64(payload);
  if (digest != h.payload_xxh3) {
    return absl::DataLossError(absl::StrCat("storage checksum: payload checksum mismatch (stored ",
                                            Hex64(h.payload_xxh3), ", computed ", Hex64(digest),
                                            "); storage or transfer corruption"));
  }
  bool frame_encrypted = (h.flags & kFlagEncrypted) != 0;
  if (frame_encrypted != archive_encrypted) {
    return absl::DataLossError(absl::StrCat("authentication: frame is ",
                                            frame_encrypted ? "encrypted" : "not encrypted",
                                            " but the archive header says otherwise"));
  }
  return absl::OkStatus();
}

absl::Status DecodeFramePayload(const ArchiveKeys& keys, const FrameHeader& h,
                                absl::string_view header_bytes, absl::string_view payload,
                                DecoderSet* decoders, std::string* raw) {
  if (absl::Status stored = CheckStoredPayload(h, payload, keys.encrypted); !stored.ok()) {
    raw->clear();
    return stored;
  }
  // On any failure below *raw is left empty: no unverified byte reaches the caller.
  auto fail = [raw](absl::Status status) {
    raw->clear();
    return status;
  };
  absl::string_view plain_view = payload;
  if (keys.encrypted) {
    if (payload.size() < ChunkCipher::kOverhead) {
      return fail(absl::DataLossError("authentication: payload shorter than nonce + tag"));
    }
    // The decoder set's buffer keeps its size between frames of similar length, so resize()
    // zero-fills at most the growth, not the whole plaintext.
    std::string& plain = decoders->plain_;
    plain.resize(payload.size() - ChunkCipher::kOverhead);
    std::string aad = BuildAad(keys, header_bytes);
    absl::Status s = CipherFor(keys, h.type).OpenTo(aad, payload, plain.data());
    if (!s.ok()) {
      return fail(absl::DataLossError(
          "authentication: authentication failed although the storage checksum matches: the "
          "frame was modified, moved or spliced from another archive by someone able to "
          "recompute checksums"));
    }
    plain_view = plain;
  }
  if (plain_view.size() < kRawDigestSize) {
    return fail(absl::DataLossError("framing: payload shorter than its raw checksum"));
  }
  uint64_t raw_digest = wire::GetU64(plain_view.data());
  absl::string_view body = plain_view.substr(kRawDigestSize);
  // Decode over *raw's existing bytes: a buffer reused for the chunks of a stream already has
  // about the right size, so this resize zero-fills little or nothing (it used to zero-fill
  // every raw byte before the decoder overwrote it: ~7 % of a restore's client CPU).
  raw->resize(h.raw_len);
  if (h.codec == CompressionType::kNone) {
    if (body.size() != h.raw_len) {
      return fail(absl::DataLossError(absl::StrCat("decompression: stored chunk has ", body.size(),
                                                   " bytes, header says ", h.raw_len)));
    }
    if (!body.empty()) std::memcpy(raw->data(), body.data(), body.size());
  } else {
    auto decoder = decoders->Get(h.codec);
    if (!decoder.ok()) return fail(decoder.status());
    absl::Status s = (*decoder)->DecompressTo(body, h.raw_len, raw->data());
    if (!s.ok()) {
      return fail(absl::DataLossError(absl::StrCat("decompression: ", CompressionName(h.codec),
                                                   ": ", s.message())));
    }
  }
  uint64_t computed = Xxh3_64(*raw, keys.seed());
  if (computed != raw_digest) {
    return fail(absl::DataLossError(absl::StrCat(
        "raw checksum: chunk decoded but raw checksum mismatch (stored ", Hex64(raw_digest),
        ", computed ", Hex64(computed), "; codec ", CompressionName(h.codec), ")")));
  }
  return absl::OkStatus();
}

}  // namespace pgark::format
