// CRC32C against published test vectors (RFC 3720 appendix B.4, the CRC catalogue's check
// value), for both implementations (table and SSE4.2) and for the dispatching Crc32c();
// plus known-answer tests of SHA-256 and agreement checks between the CRC paths on
// every length and alignment that the 8-byte loops split differently.
#include "format/codec/checksum.h"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pgark::format {
namespace {

// Bit-at-a-time CRC32C straight from the definition (reflected polynomial 0x82F63B78),
// the referee for the two fast implementations.
uint32_t Crc32cBitwise(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

struct Vector {
  const char* name;
  std::string data;
  uint32_t crc;
};

// RFC 3720 (iSCSI) B.4 lists the CRC as the bytes sent on the wire (little-endian);
// e.g. "aa 36 91 8a" for 32 zero bytes is the value 0x8A9136AA.
std::vector<Vector> PublishedVectors() {
  std::string increasing, decreasing;
  for (int i = 0; i < 32; ++i) {
    increasing.push_back(static_cast<char>(i));
    decreasing.push_back(static_cast<char>(31 - i));
  }
  return {
      {"rfc3720_32_zeros", std::string(32, '\0'), 0x8A9136AAu},
      {"rfc3720_32_ones", std::string(32, '\xff'), 0x62A8AB43u},
      {"rfc3720_32_increasing", increasing, 0x46DD794Eu},
      {"rfc3720_32_decreasing", decreasing, 0x113FDB5Cu},
      {"rfc3720_iscsi_read_pdu",
       Bytes({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
              0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
              0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}),
       0xD9963A56u},
      // The CRC catalogue's check value for CRC-32C (CRC-32/ISCSI).
      {"catalogue_check_123456789", "123456789", 0xE3069283u},
      {"empty", "", 0x00000000u},
      // "a" is a common single-byte vector (e.g. in Go's hash/crc32 and leveldb's tests).
      {"single_a", "a", 0xC1D04330u},
  };
}

using CrcFn = std::function<uint32_t(const std::string&, uint32_t)>;

struct Impl {
  const char* name;
  CrcFn fn;
  bool available;
};

std::vector<Impl> Implementations() {
  return {
      {"table", [](const std::string& d, uint32_t c) { return internal::Crc32cTable(d, c); },
       true},
      {"sse42", [](const std::string& d, uint32_t c) { return internal::Crc32cSse42(d, c); },
       internal::Crc32cHaveSse42()},
      {"dispatch", [](const std::string& d, uint32_t c) { return Crc32c(d, c); }, true},
  };
}

TEST(Crc32cTest, ReferenceMatchesPublishedVectors) {
  for (const Vector& v : PublishedVectors()) {
    EXPECT_EQ(Crc32cBitwise(v.data), v.crc) << v.name;
  }
}

TEST(Crc32cTest, EveryImplementationMatchesPublishedVectors) {
  for (const Impl& impl : Implementations()) {
    if (!impl.available) {
      // Not silently skipped: CI machines are x86-64 with SSE4.2; say so when missing.
      ADD_FAILURE() << impl.name << " path not available on this CPU/build";
      continue;
    }
    for (const Vector& v : PublishedVectors()) {
      EXPECT_EQ(impl.fn(v.data, 0), v.crc) << impl.name << " on " << v.name;
    }
  }
}

TEST(Crc32cTest, ContinuationEqualsOneShotAtEverySplit) {
  const std::string data = PublishedVectors()[4].data;  // the 48-byte PDU
  for (const Impl& impl : Implementations()) {
    if (!impl.available) continue;
    for (size_t split = 0; split <= data.size(); ++split) {
      uint32_t first = impl.fn(data.substr(0, split), 0);
      EXPECT_EQ(impl.fn(data.substr(split), first), 0xD9963A56u)
          << impl.name << " split at " << split;
    }
  }
}

TEST(Crc32cTest, ImplementationsAgreeOnAllLengthsAndAlignments) {
  std::mt19937 rng(20261124);
  std::string buffer(300 + 8, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; length <= 300; ++length) {
      std::string slice = buffer.substr(offset, length);
      uint32_t want = Crc32cBitwise(slice);
      EXPECT_EQ(internal::Crc32cTable(slice), want) << "table len " << length << " off " << offset;
      if (internal::Crc32cHaveSse42()) {
        EXPECT_EQ(internal::Crc32cSse42(slice), want) << "sse42 len " << length << " off " << offset;
      }
      EXPECT_EQ(Crc32c(slice), want) << "dispatch len " << length << " off " << offset;
    }
  }
}

// FIPS 180-2 appendix B known answers.
TEST(Sha256StreamTest, KnownAnswers) {
  Sha256Stream abc;
  abc.Update("ab");
  abc.Update("c");
  EXPECT_EQ(abc.FinalHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Stream empty;
  EXPECT_EQ(empty.FinalHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256Stream million;
  const std::string block(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.Update(block);
  EXPECT_EQ(million.FinalHex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// XXH3 is persisted in every frame: pin a few values so a library change cannot drift.
TEST(Xxh3Test, PinnedValues) {
  EXPECT_EQ(Xxh3_64(""), 0x2D06800538D394C2ull);  // XXH3_64bits of the empty input
  Digest128 d = Xxh3_128("");
  EXPECT_EQ(d.Hex(), "99aa06d3014798d86001c324468d497f");
}

}  // namespace
}  // namespace pgark::format
