#include "format/layout.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/status_macros.h"
#include "format/wire.h"

namespace pgark::format {
namespace {

// Header TLV tags. Tags with bit 0x8000 are critical: a reader that does not know one
// must refuse the archive; other unknown tags are skipped (higher minor versions).
constexpr uint16_t kTagCreated = 1;
constexpr uint16_t kTagWriterVersion = 2;
constexpr uint16_t kTagKeySlot = 3;
constexpr uint16_t kTagCommitment = 4;
constexpr uint16_t kTagCritical = 0x8000;
constexpr size_t kHeaderSuffix = 32 + 4;  // MAC + CRC32C
constexpr uint8_t kArgon2id13 = 2;         // crypto_pwhash_ALG_ARGON2ID13, stored explicitly
constexpr size_t kWrappedSize = 32 + kTagSize;
constexpr size_t kSealedSize = 32 + crypto_box_SEALBYTES;
constexpr absl::string_view kSlotAadPrefix = "pgark-slot-v1";
constexpr absl::string_view kCommitDomain = "pgark-commit-v1";

absl::Status Framing(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("framing: ", what));
}

std::string Commitment(const SecretKey& dek, absl::string_view archive_id) {
  std::string msg = absl::StrCat(kCommitDomain, archive_id);
  unsigned char out[32];
  crypto_generichash(out, 32, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                     dek.data(), SecretKey::kSize);
  return std::string(reinterpret_cast<char*>(out), 32);
}

std::string Mac(absl::string_view data, const ArchiveKeys& keys, size_t len) {
  std::string out(len, '\0');
  if (keys.encrypted) {
    crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                       keys.mac.data(), SecretKey::kSize);
  } else {
    // Unencrypted archives: XXH3-128 detects accidental damage only (no key to MAC with).
    Digest128 d = Xxh3_128(data);
    std::string bytes;
    wire::PutU64(&bytes, d.low);
    wire::PutU64(&bytes, d.high);
    out.replace(0, 16, bytes);
  }
  return out;
}

std::string SlotAad(absl::string_view params, absl::string_view archive_id) {
  std::string aad = absl::StrCat(kSlotAadPrefix, params, archive_id);
  wire::PutU16(&aad, kFormatMajor);
  return aad;
}

void Wrap(const SecretKey& kek, const SecretKey& dek, absl::string_view aad, std::string* out) {
  ChunkCipher(kek).Seal(aad, absl::string_view(reinterpret_cast<const char*>(dek.data()), 32), out);
}

bool Unwrap(const SecretKey& kek, absl::string_view aad, absl::string_view sealed, SecretKey* dek) {
  std::string plain;
  if (!ChunkCipher(kek).Open(aad, sealed, &plain).ok() || plain.size() != 32) return false;
  *dek = SecretKey(reinterpret_cast<const uint8_t*>(plain.data()));
  sodium_memzero(plain.data(), plain.size());
  return true;
}

// A parsed key slot: `params` is the authenticated prefix, `sealed` the wrapped key.
struct Slot {
  KeySlotType type;
  std::string params;
  std::string key_id;  // hex
  std::string salt;
  ArgonParams argon;
  uint8_t alg = 0;
  std::string sealed;  // nonce||ct||tag, or the sealed box
};

absl::StatusOr<Slot> ParseSlot(absl::string_view bytes) {
  wire::Cursor c(bytes);
  Slot s;
  uint8_t type = c.U8();
  switch (type) {
    case 1:
      s.type = KeySlotType::kPassphrase;
      s.alg = c.U8();
      s.argon.ops = c.U64();
      s.argon.mem = c.U64();
      s.salt = std::string(c.Bytes(crypto_pwhash_SALTBYTES));
      s.params = std::string(bytes.substr(0, c.position()));
      s.sealed = std::string(c.Bytes(kNonceSize + kWrappedSize));
      break;
    case 2:
      s.type = KeySlotType::kKeyFile;
      s.key_id = HexEncode(c.Bytes(8));
      s.params = std::string(bytes.substr(0, c.position()));
      s.sealed = std::string(c.Bytes(kNonceSize + kWrappedSize));
      break;
    case 3:
      s.type = KeySlotType::kX25519;
      s.key_id = HexEncode(c.Bytes(8));
      s.params = std::string(bytes.substr(0, c.position()));
      s.sealed = std::string(c.Bytes(kSealedSize));
      break;
    default:
      return Framing(absl::StrCat("unknown key slot type ", type));
  }
  if (!c.ok() || c.remaining() != 0) return Framing("key slot has the wrong length");
  return s;
}

std::string IdBytes(const std::string& hex) {
  std::string out(8, '\0');
  size_t len = 0;
  sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), 8, hex.data(), hex.size(), nullptr,
                 &len, nullptr);
  return out;
}

void PutFrameRef(std::string* out, const IndexFrameRef& f) {
  wire::PutU64(out, f.offset);
  wire::PutU32(out, f.stored_len);
  wire::PutU32(out, f.raw_len);
  wire::PutU8(out, f.flags);
  wire::PutU64(out, f.payload_xxh3);
}
constexpr size_t kFrameRefSize = 25;
IndexFrameRef GetFrameRef(wire::Cursor* c) {
  IndexFrameRef f;
  f.offset = c->U64();
  f.stored_len = c->U32();
  f.raw_len = c->U32();
  f.flags = c->U8();
  f.payload_xxh3 = c->U64();
  return f;
}

}  // namespace

absl::Status CreateKeySlots(const EncryptionOptions& options, const SecretKey& dek,
                            FileHeader* header) {
  PGARK_RETURN_IF_ERROR(EnsureSodium());
  size_t count = options.passphrases.size() + options.key_files.size() + options.recipients.size();
  if (count > kMaxKeySlots) {
    return absl::InvalidArgumentError(absl::StrCat("too many key slots (", count, ", max ",
                                                   kMaxKeySlots, ")"));
  }
  for (const auto& p : options.passphrases) {
    if (p.passphrase.empty()) return absl::InvalidArgumentError("empty passphrase");
    if (p.params.ops < kArgonMinOps || p.params.ops > kArgonMaxOps ||
        p.params.mem < kArgonMinMem || p.params.mem > kArgonMaxMem) {
      return absl::InvalidArgumentError("Argon2id parameters out of range");
    }
    std::string slot;
    wire::PutU8(&slot, static_cast<uint8_t>(KeySlotType::kPassphrase));
    wire::PutU8(&slot, kArgon2id13);
    wire::PutU64(&slot, p.params.ops);
    wire::PutU64(&slot, p.params.mem);
    std::string salt(crypto_pwhash_SALTBYTES, '\0');
    randombytes_buf(salt.data(), salt.size());
    wire::PutBytes(&slot, salt);
    SecretKey kek;
    if (crypto_pwhash(kek.mutable_data(), 32, p.passphrase.view().data(), p.passphrase.view().size(),
                      reinterpret_cast<const unsigned char*>(salt.data()), p.params.ops,
                      p.params.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return absl::ResourceExhaustedError("Argon2id failed (out of memory?)");
    }
    Wrap(kek, dek, SlotAad(slot, header->archive_id), &slot);
    header->slots.push_back(std::move(slot));
  }
  for (const SecretKey& key : options.key_files) {
    std::string slot;
    wire::PutU8(&slot, static_cast<uint8_t>(KeySlotType::kKeyFile));
    wire::PutBytes(&slot, IdBytes(KeyFileId(key)));
    Wrap(key, dek, SlotAad(slot, header->archive_id), &slot);
    header->slots.push_back(std::move(slot));
  }
  for (const PublicKey& pk : options.recipients) {
    std::string slot;
    wire::PutU8(&slot, static_cast<uint8_t>(KeySlotType::kX25519));
    wire::PutBytes(&slot, IdBytes(RecipientId(pk)));
    std::string sealed(kSealedSize, '\0');
    if (crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()), dek.data(), 32,
                        pk.data()) != 0) {
      return absl::InvalidArgumentError("X25519 recipient key rejected");
    }
    wire::PutBytes(&slot, sealed);
    header->slots.push_back(std::move(slot));
  }
  header->commitment = Commitment(dek, header->archive_id);
  return absl::OkStatus();
}

std::string EncodeFileHeader(FileHeader* h, const ArchiveKeys& keys) {
  std::string out;
  wire::PutBytes(&out, kHeaderMagic);
  wire::PutU16(&out, h->major);
  wire::PutU16(&out, h->minor);
  wire::PutU32(&out, 0);  // header_len, set below
  wire::PutU32(&out, h->flags);
  wire::PutBytes(&out, h->archive_id);
  wire::PutU8(&out, static_cast<uint8_t>(h->cipher));
  wire::PutU8(&out, static_cast<uint8_t>(h->codec));
  wire::PutU8(&out, static_cast<uint8_t>(h->level));
  wire::PutU8(&out, 0);
  wire::PutU32(&out, h->chunk_size);
  wire::PutU32(&out, static_cast<uint32_t>(h->slots.size()));
  auto tlv = [&out](uint16_t tag, absl::string_view value) {
    wire::PutU16(&out, tag);
    wire::PutU32(&out, static_cast<uint32_t>(value.size()));
    wire::PutBytes(&out, value);
  };
  std::string created;
  wire::PutU64(&created, h->created_unix_us);
  tlv(kTagCreated, created);
  tlv(kTagWriterVersion, h->writer_version.substr(0, kMaxWriterVersionSize));
  for (const std::string& slot : h->slots) tlv(kTagKeySlot, slot);
  if (h->encrypted()) tlv(kTagCommitment, h->commitment);
  if (!h->unknown_field.empty()) tlv(0x7FFF, h->unknown_field);
  h->header_len = static_cast<uint32_t>(out.size() + kHeaderSuffix);
  wire::SetU32(&out, 12, h->header_len);
  h->mac = Mac(out, keys, 32);
  out.append(h->mac);
  wire::PutU32(&out, Crc32c(out));
  return out;
}

absl::StatusOr<uint32_t> ParseHeaderPrefix(absl::string_view prefix) {
  if (prefix.size() < kHeaderPrefixSize) {
    return Framing(absl::StrCat("file header truncated (", prefix.size(), " bytes)"));
  }
  if (prefix.substr(0, 8) != kHeaderMagic) {
    if (prefix.substr(0, 4) == kHeaderMagic.substr(0, 4)) {
      return Framing("file magic damaged (line endings or 8-bit transfer mangled the file?)");
    }
    return Framing("not a pgark archive (bad magic)");
  }
  uint16_t major = wire::GetU16(prefix.data() + 8);
  uint16_t minor = wire::GetU16(prefix.data() + 10);
  if (major != kFormatMajor) {
    return absl::FailedPreconditionError(
        absl::StrCat("archive format version ", major, ".", minor, " is not supported (this pgark "
                     "reads major version ", kFormatMajor, ")"));
  }
  uint32_t len = wire::GetU32(prefix.data() + 12);
  if (len < kHeaderPrefixSize + kHeaderSuffix || len > kMaxHeaderSize) {
    return Framing(absl::StrCat("file header length ", len, " out of range"));
  }
  return len;
}

absl::StatusOr<FileHeader> ParseFileHeader(absl::string_view bytes) {
  PGARK_ASSIGN_OR_RETURN(uint32_t len, ParseHeaderPrefix(bytes));
  if (bytes.size() < len) return Framing("file header truncated");
  bytes = bytes.substr(0, len);
  uint32_t stored_crc = wire::GetU32(bytes.data() + len - 4);
  uint32_t crc = Crc32c(bytes.substr(0, len - 4));
  if (crc != stored_crc) return Framing("file header checksum mismatch");
  FileHeader h;
  h.header_len = len;
  wire::Cursor c(bytes.substr(8));
  h.major = c.U16();
  h.minor = c.U16();
  c.U32();
  h.flags = c.U32();
  h.archive_id = std::string(c.Bytes(kArchiveIdSize));
  uint8_t cipher = c.U8();
  uint8_t codec = c.U8();
  h.level = static_cast<int8_t>(c.U8());
  c.U8();
  h.chunk_size = c.U32();
  uint32_t slot_count = c.U32();
  if (cipher > 1) return Framing(absl::StrCat("unknown cipher ", cipher));
  h.cipher = static_cast<CipherId>(cipher);
  if (codec > 2) return Framing(absl::StrCat("unknown default codec ", codec));
  h.codec = static_cast<CompressionType>(codec);
  if (h.chunk_size < kMinChunkSize || h.chunk_size > kMaxChunkSize) {
    return Framing(absl::StrCat("chunk size ", h.chunk_size, " out of range"));
  }
  if (slot_count > kMaxKeySlots) return Framing(absl::StrCat(slot_count, " key slots (max 16)"));
  if (((h.flags & kHeaderFlagEncrypted) != 0) != h.encrypted()) {
    return Framing("encryption flag and cipher disagree");
  }
  wire::Cursor tlvs(bytes.substr(kHeaderPrefixSize, len - kHeaderPrefixSize - kHeaderSuffix));
  while (tlvs.ok() && tlvs.remaining() > 0) {
    uint16_t tag = tlvs.U16();
    uint32_t size = tlvs.U32();
    absl::string_view value = tlvs.Bytes(size);
    if (!tlvs.ok()) return Framing("file header field overruns the header");
    switch (tag) {
      case kTagCreated:
        if (value.size() != 8) return Framing("bad creation time field");
        h.created_unix_us = wire::GetU64(value.data());
        break;
      case kTagWriterVersion:
        h.writer_version = std::string(value.substr(0, kMaxWriterVersionSize));
        break;
      case kTagKeySlot:
        if (h.slots.size() >= slot_count) return Framing("more key slots than announced");
        h.slots.emplace_back(value);
        break;
      case kTagCommitment:
        if (value.size() != 32) return Framing("bad key commitment field");
        h.commitment = std::string(value);
        break;
      default:
        if (tag & kTagCritical) {
          return absl::FailedPreconditionError(absl::StrCat(
              "archive needs a newer pgark (unknown critical header field ", tag, ")"));
        }
        break;  // unknown optional field from a newer minor version: skip
    }
  }
  if (!tlvs.ok()) return Framing("file header fields truncated");
  if (h.slots.size() != slot_count) return Framing("fewer key slots than announced");
  if (h.encrypted() && (h.slots.empty() || h.commitment.size() != 32)) {
    return Framing("encrypted archive without key slots or key commitment");
  }
  for (const std::string& slot : h.slots) PGARK_RETURN_IF_ERROR(ParseSlot(slot).status());
  h.mac = std::string(bytes.substr(len - kHeaderSuffix, 32));
  h.mac_input = std::string(bytes.substr(0, len - kHeaderSuffix));
  return h;
}

HeaderInfo ToHeaderInfo(const FileHeader& h) {
  HeaderInfo info;
  info.format_major = h.major;
  info.format_minor = h.minor;
  info.archive_id_hex = HexEncode(h.archive_id);
  info.encrypted = h.encrypted();
  info.cipher = h.cipher;
  info.compression = h.codec;
  info.level = h.level;
  info.chunk_size = h.chunk_size;
  info.created_unix_us = h.created_unix_us;
  info.writer_version = h.writer_version;
  info.header_size = h.header_len;
  for (const std::string& bytes : h.slots) {
    auto slot = ParseSlot(bytes);
    if (!slot.ok()) continue;  // ParseFileHeader already rejected malformed slots
    KeySlotInfo s;
    s.type = slot->type;
    s.key_id = slot->key_id;
    s.argon = slot->argon;
    info.key_slots.push_back(s);
  }
  return info;
}

absl::Status UnlockArchive(const FileHeader& header, const KeyRing& ring, ArchiveKeys* keys) {
  PGARK_RETURN_IF_ERROR(EnsureSodium());
  keys->archive_id = header.archive_id;
  if (!header.encrypted()) {
    if (!ring.empty() || ring.require_encryption) {
      return absl::DataLossError(absl::StrCat(
          "authentication: the archive is not encrypted but a key was given or required; "
          "refusing it (an unencrypted archive may have been substituted for an encrypted one)",
          KeySourceNote(ring)));
    }
    if (Mac(header.mac_input, *keys, 32) != header.mac) {
      return absl::DataLossError("framing: file header digest mismatch");
    }
    return absl::OkStatus();
  }
  std::vector<Slot> slots;
  for (const std::string& bytes : header.slots) {
    PGARK_ASSIGN_OR_RETURN(Slot s, ParseSlot(bytes));
    slots.push_back(std::move(s));
  }
  std::vector<std::string> needed;
  for (const Slot& s : slots) {
    needed.push_back(s.type == KeySlotType::kPassphrase ? "a passphrase"
                     : s.type == KeySlotType::kKeyFile
                         ? absl::StrCat("key file id ", s.key_id)
                         : absl::StrCat("X25519 identity for recipient ", s.key_id));
  }
  std::string needs = absl::StrJoin(needed, " or ");
  if (ring.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the archive is encrypted; it needs ", needs,
        " (--passphrase-file, PGARK_PASSPHRASE, --key-file or --identity)"));
  }
  SecretKey dek;
  bool found = false;
  std::string slot_name;
  for (size_t i = 0; i < slots.size() && !found; ++i) {
    const Slot& s = slots[i];
    std::string aad = SlotAad(s.params, header.archive_id);
    if (s.type == KeySlotType::kKeyFile) {
      for (const SecretKey& k : ring.key_files) {
        if (KeyFileId(k) != s.key_id) continue;
        if (!Unwrap(k, aad, s.sealed, &dek)) {
          return absl::DataLossError(absl::StrCat("authentication: key slot ", i + 1,
                                                  " (key file id ", s.key_id,
                                                  ") fails authentication; the header was modified"));
        }
        found = true;
        slot_name = absl::StrCat("slot ", i + 1, ", key id ", s.key_id);
        break;
      }
    } else if (s.type == KeySlotType::kX25519) {
      for (const X25519KeyPair& id : ring.identities) {
        if (RecipientId(id.public_key) != s.key_id) continue;
        if (crypto_box_seal_open(dek.mutable_data(),
                                 reinterpret_cast<const unsigned char*>(s.sealed.data()),
                                 s.sealed.size(), id.public_key.data(), id.secret_key.data()) != 0) {
          return absl::DataLossError(absl::StrCat("authentication: key slot ", i + 1,
                                                  " (recipient ", s.key_id,
                                                  ") fails authentication; the header was modified"));
        }
        found = true;
        slot_name = absl::StrCat("slot ", i + 1, ", recipient ", s.key_id);
        break;
      }
    }
  }
  for (size_t i = 0; i < slots.size() && !found && ring.passphrase; ++i) {
    const Slot& s = slots[i];
    if (s.type != KeySlotType::kPassphrase) continue;
    if (s.alg != kArgon2id13) {
      return absl::FailedPreconditionError(absl::StrCat("key slot ", i + 1,
                                                        ": unknown password hash algorithm ", s.alg));
    }
    // The parameters come from the archive: cap them before spending memory and time.
    if (s.argon.ops < kArgonMinOps || s.argon.ops > kArgonMaxOps || s.argon.mem < kArgonMinMem ||
        s.argon.mem > kArgonMaxMem) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key slot ", i + 1, ": Argon2id parameters (ops ", s.argon.ops, ", memory ", s.argon.mem,
          " bytes) exceed the limits (ops <= ", kArgonMaxOps, ", memory <= ", kArgonMaxMem, ")"));
    }
    SecretKey kek;
    absl::string_view pw = ring.passphrase->view();
    if (crypto_pwhash(kek.mutable_data(), 32, pw.data(), pw.size(),
                      reinterpret_cast<const unsigned char*>(s.salt.data()), s.argon.ops,
                      s.argon.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return absl::ResourceExhaustedError("Argon2id failed (out of memory?)");
    }
    if (Unwrap(kek, SlotAad(s.params, header.archive_id), s.sealed, &dek)) {
      found = true;
      slot_name = absl::StrCat("slot ", i + 1, ", passphrase");
    }
  }
  if (!found) {
    std::vector<std::string> given;
    if (ring.passphrase) given.push_back("a passphrase");
    for (const SecretKey& k : ring.key_files) given.push_back(absl::StrCat("key file id ", KeyFileId(k)));
    for (const X25519KeyPair& id : ring.identities) {
      given.push_back(absl::StrCat("identity for recipient ", RecipientId(id.public_key)));
    }
    return absl::UnauthenticatedError(absl::StrCat("wrong key: the archive needs ", needs,
                                                   "; you supplied ", absl::StrJoin(given, ", ")));
  }
  // A Poly1305 AEAD is not key-committing: check the commitment before trusting the key.
  if (Commitment(dek, header.archive_id) != header.commitment) {
    return absl::DataLossError(absl::StrCat("authentication: key commitment mismatch (", slot_name,
                                            "); the header was modified"));
  }
  keys->SetDataKey(dek);
  if (Mac(header.mac_input, *keys, 32) != header.mac) {
    return absl::DataLossError("authentication: file header MAC mismatch; the header was modified");
  }
  return absl::OkStatus();
}

std::string EncodeTrailer(const Trailer& t, const FileHeader& header, const ArchiveKeys& keys) {
  std::string out;
  wire::PutBytes(&out, kTrailerMagic);
  wire::PutU16(&out, kFormatMajor);
  wire::PutU16(&out, kFormatMinor);
  wire::PutU64(&out, t.index_offset);
  wire::PutU64(&out, t.archive_len);
  wire::PutU32(&out, t.index_frame_len);
  wire::PutU32(&out, t.frame_count);
  wire::PutBytes(&out, absl::string_view(header.archive_id).substr(0, 8));
  // The MAC covers the trailer, the full archive id and the header MAC, binding the
  // trailer to this exact header.
  out.append(Mac(absl::StrCat(out, header.archive_id, header.mac), keys, 16));
  wire::PutBytes(&out, kTrailerEndMagic);
  return out;
}

absl::StatusOr<Trailer> ParseTrailer(absl::string_view b, const FileHeader& header,
                                     const ArchiveKeys& keys) {
  if (b.size() != kTrailerSize || b.substr(56, 8) != kTrailerEndMagic || b.substr(0, 4) != kTrailerMagic) {
    return absl::DataLossError("completeness: archive truncated or has trailing data: no trailer "
                               "at the end (a crashed writer or an interrupted transfer?)");
  }
  if (wire::GetU16(b.data() + 4) != kFormatMajor) {
    return absl::DataLossError("framing: trailer version differs from the header's");
  }
  if (b.substr(32, 8) != absl::string_view(header.archive_id).substr(0, 8)) {
    return absl::DataLossError("framing: trailer belongs to another archive (archive id differs)");
  }
  std::string expected = Mac(absl::StrCat(b.substr(0, 40), header.archive_id, header.mac), keys, 16);
  if (expected != b.substr(40, 16)) {
    return absl::DataLossError(keys.encrypted ? "authentication: trailer MAC mismatch"
                                              : "framing: trailer digest mismatch");
  }
  Trailer t;
  t.index_offset = wire::GetU64(b.data() + 8);
  t.archive_len = wire::GetU64(b.data() + 16);
  t.index_frame_len = wire::GetU32(b.data() + 24);
  t.frame_count = wire::GetU32(b.data() + 28);
  return t;
}

std::string EncodeIndex(const Index& index) {
  std::string out;
  wire::PutBytes(&out, "PIDX");
  wire::PutU32(&out, static_cast<uint32_t>(index.metadata.size()));
  wire::PutU32(&out, static_cast<uint32_t>(index.streams.size()));
  for (const IndexMeta& m : index.metadata) {
    wire::PutU8(&out, static_cast<uint8_t>(m.name.size()));
    wire::PutBytes(&out, m.name);
    wire::PutU64(&out, m.size);
    wire::PutU32(&out, static_cast<uint32_t>(m.frames.size()));
    for (const IndexFrameRef& f : m.frames) PutFrameRef(&out, f);
  }
  for (const IndexStream& s : index.streams) {
    wire::PutU32(&out, s.stream_id);
    wire::PutU64(&out, s.chunks.size());
    wire::PutU64(&out, s.raw_bytes);
    wire::PutU64(&out, s.stored_bytes);
    wire::PutU64(&out, s.rows);
    wire::PutU64(&out, s.digest.high);
    wire::PutU64(&out, s.digest.low);
    PutFrameRef(&out, s.end);
    for (const IndexFrameRef& f : s.chunks) PutFrameRef(&out, f);
  }
  return out;
}

absl::StatusOr<Index> ParseIndex(absl::string_view raw) {
  wire::Cursor c(raw);
  if (c.Bytes(4) != "PIDX") return Framing("index: bad magic");
  uint32_t meta_count = c.U32();
  uint32_t stream_count = c.U32();
  // Each entry takes at least this many bytes, so counts are checked against what
  // remains before anything is reserved (zstd seekable numFrames bugs).
  constexpr size_t kMinMeta = 1 + 1 + 8 + 4;
  constexpr size_t kMinStream = 4 + 8 * 6 + kFrameRefSize;
  if (!c.ok() || meta_count > c.remaining() / kMinMeta ||
      stream_count > c.remaining() / kMinStream) {
    return Framing("index: entry counts exceed the index size");
  }
  Index index;
  index.metadata.reserve(meta_count);
  for (uint32_t i = 0; i < meta_count; ++i) {
    IndexMeta m;
    uint8_t name_len = c.U8();
    m.name = std::string(c.Bytes(name_len));
    m.size = c.U64();
    uint32_t frames = c.U32();
    if (!c.ok() || frames > c.remaining() / kFrameRefSize || m.size > kMaxMetadataSize ||
        name_len == 0) {
      return Framing("index: bad metadata entry");
    }
    m.frames.reserve(frames);
    for (uint32_t f = 0; f < frames; ++f) m.frames.push_back(GetFrameRef(&c));
    index.metadata.push_back(std::move(m));
  }
  index.streams.reserve(stream_count);
  for (uint32_t i = 0; i < stream_count; ++i) {
    IndexStream s;
    s.stream_id = c.U32();
    uint64_t chunks = c.U64();
    s.raw_bytes = c.U64();
    s.stored_bytes = c.U64();
    s.rows = c.U64();
    s.digest.high = c.U64();
    s.digest.low = c.U64();
    s.end = GetFrameRef(&c);
    if (!c.ok() || chunks > c.remaining() / kFrameRefSize) {
      return Framing("index: bad stream entry");
    }
    if (s.stream_id == kMetaStreamId || s.stream_id > kMaxStreamId ||
        (!index.streams.empty() && index.streams.back().stream_id >= s.stream_id)) {
      return Framing("index: stream ids out of order or out of range");
    }
    s.chunks.reserve(chunks);
    for (uint64_t f = 0; f < chunks; ++f) s.chunks.push_back(GetFrameRef(&c));
    index.streams.push_back(std::move(s));
  }
  if (!c.ok() || c.remaining() != 0) return Framing("index: length does not match its entries");
  return index;
}

}  // namespace pgark::format
