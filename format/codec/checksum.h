#pragma once
// Checksums used by the format: CRC32C (frame/file headers), XXH3-64 (stored payloads,
// raw chunks), XXH3-128 (whole streams), SHA-256 (the whole archive, for sidecars).
// All functions are thread-safe; the streaming classes are used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace pgark::format {

// CRC32C (Castagnoli), as used by iSCSI and S3's x-amz-checksum-crc32c. Uses SSE4.2
// when the CPU has it, else a table. `crc` continues a previous value.
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

// The two CRC32C implementations behind Crc32c(), exposed so tests can check each against
// the published vectors. Same contract as Crc32c(). Crc32cSse42() REQUIRES
// Crc32cHaveSse42() (it executes the SSE4.2 crc32 instruction).
namespace internal {
uint32_t Crc32cTable(absl::string_view data, uint32_t crc = 0);
bool Crc32cHaveSse42();  // false on CPUs without SSE4.2 and on non-x86-64 builds
uint32_t Crc32cSse42(absl::string_view data, uint32_t crc = 0);
}  // namespace internal

uint64_t Xxh3_64(absl::string_view data, uint64_t seed = 0);

struct Digest128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Digest128& o) const { return high == o.high && low == o.low; }
  bool operator!=(const Digest128& o) const { return !(*this == o); }
  std::string Hex() const;  // 32 hex digits, high first
};
Digest128 Xxh3_128(absl::string_view data);

// Streaming XXH3-128 (per-stream digest).
class Xxh3_128Stream {
 public:
  Xxh3_128Stream();
  ~Xxh3_128Stream();
  Xxh3_128Stream(const Xxh3_128Stream&) = delete;
  Xxh3_128Stream& operator=(const Xxh3_128Stream&) = delete;
  void Update(absl::string_view data);
  Digest128 Final() const;

 private:
  void* state_;  // XXH3_state_t
};

// Streaming SHA-256 (OpenSSL's libcrypto: several times faster than libsodium's portable
// code where the CPU has SHA extensions; the archive writer hashes every byte it writes).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(absl::string_view data);
  std::string FinalHex();  // 64 hex digits; call once

 private:
  void* ctx_;  // EVP_MD_CTX
};

std::string HexEncode(absl::string_view bytes);

}  // namespace pgark::format
