// DecodeFramePayload's buffer contract: it replaces the caller's buffer (decoding over its
// memory, which a reader reuses for every chunk of a stream), never appends to it, and
// leaves it empty when any check fails. Also the codecs' DecompressTo/Decompress pair.
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "format/codec/checksum.h"
#include "format/codec/compressor.h"
#include "format/frame.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::format {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

std::string Rows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < n) absl::StrAppend(&out, rng() % 100000, "\tcustomer-", rng() % 500, "\n");
  out.resize(n);
  return out;
}

ArchiveKeys Keys(bool encrypted) {
  ArchiveKeys keys;
  keys.archive_id = std::string(32, '\x5a');
  if (encrypted) {
    EXPECT_THAT(EnsureSodium(), IsOk());
    keys.SetDataKey(SecretKey::Random());
  }
  return keys;
}

struct Encoded {
  FrameHeader header;
  std::string bytes;  // header + payload
  absl::string_view header_bytes() const { return absl::string_view(bytes).substr(0, kFrameHeaderSize); }
  absl::string_view payload() const { return absl::string_view(bytes).substr(kFrameHeaderSize); }
};

Encoded Encode(const ArchiveKeys& keys, CompressionType codec, absl::string_view raw, uint64_t seq) {
  Encoded e;
  auto compressor = NewCompressor(codec, codec == CompressionType::kZstd ? 1 : 6);
  EXPECT_THAT(compressor, IsOk());
  EXPECT_THAT(EncodeFrame(keys, FrameType::kData, 0, 3, seq, 0, raw, compressor->get(), nullptr,
                          &e.bytes),
              IsOk());
  EXPECT_THAT(ParseFrameHeader(e.bytes, kMaxChunkSize, &e.header), IsOk());
  return e;
}

class FrameDecodeTest
    : public ::testing::TestWithParam<std::tuple<CompressionType, bool /*encrypted*/>> {};

TEST_P(FrameDecodeTest, ReplacesTheBufferWhateverItHeldBefore) {
  const auto [codec, encrypted] = GetParam();
  const ArchiveKeys keys = Keys(encrypted);
  DecoderSet decoders;
  // One buffer for every frame, as the chunk reader uses it: longer, then shorter, then
  // longer again than what it holds, and exactly as long.
  std::string buffer(9000, '#');
  const size_t sizes[] = {4000, 1000, 7000, 7000, 1};
  uint64_t seq = 0;
  for (size_t n : sizes) {
    const std::string raw = Rows(n, static_cast<uint32_t>(seq));
    const Encoded e = Encode(keys, codec, raw, seq++);
    ASSERT_THAT(DecodeFramePayload(keys, e.header, e.header_bytes(), e.payload(), &decoders, &buffer),
                IsOk());
    EXPECT_EQ(buffer, raw) << "frame of " << n << " bytes";
  }
}

TEST_P(FrameDecodeTest, AFailedCheckLeavesTheBufferEmpty) {
  const auto [codec, encrypted] = GetParam();
  const ArchiveKeys keys = Keys(encrypted);
  const std::string raw = Rows(3000, 7);
  DecoderSet decoders;

  // Payload damaged: the storage checksum fails before anything is decoded.
  Encoded damaged = Encode(keys, codec, raw, 0);
  damaged.bytes[kFrameHeaderSize + 20] ^= 0x01;
  std::string buffer = raw;
  EXPECT_THAT(DecodeFramePayload(keys, damaged.header, damaged.header_bytes(), damaged.payload(),
                                 &decoders, &buffer),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("storage checksum")));
  EXPECT_TRUE(buffer.empty());

  // Header says another raw length than the payload decodes to: decoded, then refused.
  Encoded e = Encode(keys, codec, raw, 0);
  FrameHeader shorter = e.header;
  shorter.raw_len = 2999;
  buffer = std::string(5000, '#');
  EXPECT_THAT(DecodeFramePayload(keys, shorter, e.header_bytes(), e.payload(), &decoders, &buffer),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(buffer.empty());

  // And the same decoder set and buffer still decode a good frame afterwards.
  ASSERT_THAT(DecodeFramePayload(keys, e.header, e.header_bytes(), e.payload(), &decoders, &buffer),
              IsOk());
  EXPECT_EQ(buffer, raw);
}

TEST(FrameDecodeRawChecksumTest, MismatchLeavesTheBufferEmpty) {
  // Unencrypted only: in an encrypted frame the raw checksum is inside the sealed payload.
  const ArchiveKeys keys = Keys(false);
  const std::string raw = Rows(3000, 8);
  for (CompressionType codec : {CompressionType::kNone, CompressionType::kZstd, CompressionType::kGzip}) {
    SCOPED_TRACE(CompressionName(codec));
    Encoded e = Encode(keys, codec, raw, 0);
    // Flip a bit of the stored raw XXH3 and recompute the payload checksum, as a writer bug
    // would: every check before the raw one passes.
    e.bytes[kFrameHeaderSize] ^= 0x01;
    std::string redone;
    e.header.payload_xxh3 = Xxh3_64(e.payload());
    EncodeFrameHeader(e.header, &redone);
    e.bytes.replace(0, kFrameHeaderSize, redone);
    DecoderSet decoders;
    std::string buffer(100, '#');
    EXPECT_THAT(DecodeFramePayload(keys, e.header, e.header_bytes(), e.payload(), &decoders, &buffer),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("raw checksum")));
    EXPECT_TRUE(buffer.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, FrameDecodeTest,
    ::testing::Combine(::testing::Values(CompressionType::kNone, CompressionType::kZstd,
                                         CompressionType::kGzip),
                       ::testing::Bool()));

TEST(DecompressorTest, DecompressToWritesExactlyTheRawBytesAndDecompressAppends) {
  const std::string raw = Rows(20000, 3);
  for (CompressionType codec : {CompressionType::kNone, CompressionType::kZstd, CompressionType::kGzip}) {
    SCOPED_TRACE(CompressionName(codec));
    auto compressor = NewCompressor(codec, codec == CompressionType::kZstd ? 3 : 6);
    auto decompressor = NewDecompressor(codec);
    ASSERT_THAT(compressor, IsOk());
    ASSERT_THAT(decompressor, IsOk());
    std::string packed;
    ASSERT_THAT((*compressor)->Compress(raw, &packed), IsOk());

    // Into caller memory with a guard byte after it: nothing is written past raw_size.
    std::string out(raw.size() + 1, '#');
    ASSERT_THAT((*decompressor)->DecompressTo(packed, raw.size(), out.data()), IsOk());
    EXPECT_EQ(out.substr(0, raw.size()), raw);
    EXPECT_EQ(out.back(), '#');

    // The appending form keeps what the string held, and restores it on error.
    std::string appended = "prefix";
    ASSERT_THAT((*decompressor)->Decompress(packed, raw.size(), &appended), IsOk());
    EXPECT_EQ(appended, "prefix" + raw);
    appended = "prefix";
    EXPECT_THAT((*decompressor)->Decompress(packed, raw.size() + 1, &appended),
                StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_EQ(appended, "prefix");
  }
}

}  // namespace
}  // namespace pgark::format
