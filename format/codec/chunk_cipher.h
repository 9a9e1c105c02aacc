#pragma once
// AEAD for frame payloads: XChaCha20-Poly1305-IETF (libsodium) with a random 24-byte
// nonce per frame. Sealed form: nonce(24) || ciphertext || tag(16).
//
// The associated data is built by the frame layer (format/frame.h): "pgark-v1" ||
// archive_id || frame header bytes 0..36 (type, flags incl. FINAL, codec, stream id,
// stored_len, seq, raw_offset, raw_len), so moving, reordering, truncating or splicing a
// frame makes Open() fail.
//
// Thread-safe: a ChunkCipher holds only its key; Seal/Open may be called concurrently.
// The key is wiped on destruction.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "format/keys.h"

namespace pgark::format {

class ChunkCipher {
 public:
  static constexpr size_t kOverhead = 24 + 16;
  explicit ChunkCipher(const SecretKey& key) : key_(key) {}
  // Appends nonce || ciphertext || tag of `plaintext` to *out.
  void Seal(absl::string_view aad, absl::string_view plaintext, std::string* out) const;
  // Appends the plaintext to *out, or returns kDataLoss ("authentication failed") if the
  // sealed bytes, the AAD or the key differ. `sealed` shorter than kOverhead: kDataLoss.
  absl::Status Open(absl::string_view aad, absl::string_view sealed, std::string* out) const;
  // Like Open(), but writes the sealed.size() - kOverhead plaintext bytes to `out` (memory
  // the caller owns, so a reader can reuse one buffer without zero-filling it). On error the
  // bytes at `out` are unspecified and must be discarded. REQUIRES: sealed.size() >= kOverhead.
  absl::Status OpenTo(absl::string_view aad, absl::string_view sealed, char* out) const;

 private:
  SecretKey key_;
};

}  // namespace pgark::format
