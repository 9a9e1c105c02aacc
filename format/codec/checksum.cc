#include "format/codec/checksum.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <array>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace pgark::format {
namespace {

// Table for the software CRC32C (reflected polynomial 0x82F63B78), built once.
struct Crc32cTable {
  std::array<std::array<uint32_t, 256>, 8> t;
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

uint32_t Crc32cSoftware(const uint8_t* p, size_t n, uint32_t crc) {
  static const Crc32cTable table;
  const auto& t = table.t;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= crc;
    crc = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^
          t[4][(word >> 24) & 0xFF] ^ t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^
          t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(const uint8_t* p, size_t n,
                                                          uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

namespace internal {
uint32_t Crc32cTable(absl::string_view data, uint32_t crc) {
  return ~Crc32cSoftware(reinterpret_cast<const uint8_t*>(data.data()), data.size(), ~crc);
}
bool Crc32cHaveSse42() {
#if defined(__x86_64__)
  return HaveSse42();
#else
  return false;
#endif
}
uint32_t Crc32cSse42(absl::string_view data, uint32_t crc) {
#if defined(__x86_64__)
  return ~Crc32cHardware(reinterpret_cast<const uint8_t*>(data.data()), data.size(), ~crc);
#else
  return Crc32cTable(data, crc);  // unreachable: callers check Crc32cHaveSse42()
#endif
}
}  // namespace internal

uint32_t Crc32c(absl::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  if (HaveSse42()) return ~Crc32cHardware(p, data.size(), crc);
#endif
  return ~Crc32cSoftware(p, data.size(), crc);
}

uint64_t Xxh3_64(absl::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

Digest128 Xxh3_128(absl::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Digest128{h.high64, h.low64};
}

std::string Digest128::Hex() const {
  std::string bytes(16, '\0');
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<char>(low >> (56 - 8 * i));
  }
  return HexEncode(bytes);
}

Xxh3_128Stream::Xxh3_128Stream() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}
Xxh3_128Stream::~Xxh3_128Stream() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Xxh3_128Stream::Update(absl::string_view data) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data.data(), data.size());
}
Digest128 Xxh3_128Stream::Final() const {
  XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return Digest128{h.high64, h.low64};
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  // Only allocation can fail here; a null context makes Update/FinalHex abort loudly.
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}
Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256Stream::Update(absl::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
std::string Sha256Stream::FinalHex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &n);
  return HexEncode(absl::string_view(reinterpret_cast<char*>(out), n));
}

std::string HexEncode(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0xF]);
  }
  return out;
}

}  // namespace pgark::format
