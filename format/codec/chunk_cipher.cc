#include "format/codec/chunk_cipher.h"

#include <sodium.h>

namespace pgark::format {

void ChunkCipher::Seal(absl::string_view aad, absl::string_view plaintext,
                       std::string* out) const {
  size_t old = out->size();
  out->resize(old + kNonceSize + plaintext.size() + kTagSize);
  auto* base = reinterpret_cast<unsigned char*>(out->data() + old);
  // A fresh random nonce per frame: XChaCha20's 192-bit nonce makes random nonces safe
  // and needs no coordination between producer threads or retries.
  randombytes_buf(base, kNonceSize);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      base + kNonceSize, &clen, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(aad.data()), aad.size(), nullptr,
      base, key_.data());
}

absl::Status ChunkCipher::Open(absl::string_view aad, absl::string_view sealed,
                               std::string* out) const {
  if (sealed.size() < kOverhead) {
    return absl::DataLossError("authentication failed: sealed payload shorter than nonce + tag");
  }
  size_t old = out->size();
  out->resize(old + sealed.size() - kOverhead);
  absl::Status s = OpenTo(aad, sealed, out->data() + old);
  if (!s.ok()) out->resize(old);
  return s;
}

absl::Status ChunkCipher::OpenTo(absl::string_view aad, absl::string_view sealed,
                                 char* out) const {
  if (sealed.size() < kOverhead) {
    return absl::DataLossError("authentication failed: sealed payload shorter than nonce + tag");
  }
  const auto* base = reinterpret_cast<const unsigned char*>(sealed.data());
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out), &mlen, nullptr, base + kNonceSize,
          sealed.size() - kNonceSize, reinterpret_cast<const unsigned char*>(aad.data()),
          aad.size(), base, key_.data()) != 0) {
    return absl::DataLossError("authentication failed");
  }
  return absl::OkStatus();
}

}  // namespace pgark::format
