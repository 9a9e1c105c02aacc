// Decoder robustness on hostile input (the byte-exact checks against the server are in
// tests/integration/export_decoders_test.cc): random and mutated values never crash and
// fail only with kDataLoss.
#include "engine/export/binary_to_text.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

constexpr uint32_t kTypes[] = {16,   17,   18,   20,   21,   23,   25,   26,   27,   114,  142,
                               600,  601,  602,  603,  604,  628,  650,  700,  701,  718,  774,
                               790,  829,  869,  1042, 1082, 1083, 1114, 1184, 1186, 1266, 1560,
                               1562, 1700, 2950, 2970, 3220, 3614, 3615, 3802, 4072, 1007, 1009,
                               1020, 1231, 3904, 3906, 3910, 4451, 4535, 6150};

TEST(BinaryToTextTest, RandomBytesNeverCrashAndFailAsDataLoss) {
  std::mt19937 rng(12345);
  for (uint32_t oid : kTypes) {
    const DecodeType* type = BuiltinDecodeType(oid);
    ASSERT_NE(type, nullptr) << oid;
    ASSERT_OK_AND_ASSIGN(auto decoder, MakeValueDecoder(*type));
    for (int i = 0; i < 3000; ++i) {
      std::string value(rng() % 48, '\0');
      for (char& c : value) c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 4);
      std::string out;
      absl::Status s = decoder->Decode(value, &out);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << oid << ": " << s;
      }
    }
  }
}

TEST(BinaryToTextTest, KnownValuesPrintAsPostgresDoes) {
  std::string out;
  ASSERT_OK_AND_ASSIGN(auto numeric, MakeValueDecoder(*BuiltinDecodeType(1700)));
  // -12.3400: 2 digits, weight 0, negative, dscale 4.
  ASSERT_OK(numeric->Decode(std::string("\0\2\0\0\x40\0\0\4\0\x0c\x0d\x48", 12), &out));
  EXPECT_EQ(out, "-12.3400");
  out.clear();
  ASSERT_OK_AND_ASSIGN(auto ts, MakeValueDecoder(*BuiltinDecodeType(1184)));
  ASSERT_OK(ts->Decode(std::string(8, '\0'), &out));
  EXPECT_EQ(out, "2000-01-01 00:00:00+00");
  std::string escaped;
  AppendCopyTextEscaped("a\tb\\c\nd\re\bf\fg\vh", &escaped);
  EXPECT_EQ(escaped, "a\\tb\\\\c\\nd\\re\\bf\\fg\\vh");
}

// timetz: int64 microseconds, then int32 seconds west of UTC, checked like timetz_recv
// (found by the fuzzer: a zone of INT32_MIN overflowed the sign flip in the formatter).
TEST(BinaryToTextTest, TimetzZoneOutsideSixteenHoursIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto timetz, MakeValueDecoder(*BuiltinDecodeType(1266)));
  auto value = [](int32_t zone) {
    std::string bytes(8, '\0');  // 00:00:00
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((zone >> shift) & 0xff));
    return bytes;
  };
  std::string out;
  ASSERT_OK(timetz->Decode(value(-3600), &out));
  EXPECT_EQ(out, "00:00:00+01");
  out.clear();
  ASSERT_OK(timetz->Decode(value(16 * 3600 - 1), &out));
  EXPECT_EQ(out, "00:00:00-15:59:59");
  for (int32_t zone : {16 * 3600, -16 * 3600, INT32_MIN, INT32_MAX}) {
    out.clear();
    EXPECT_THAT(timetz->Decode(value(zone), &out), ::pgark::testing::StatusIs(absl::StatusCode::kDataLoss)) << zone;
  }
}

TEST(BinaryToTextTest, DescriptionsAreValidated) {
  DecodeType array{DecodeType::Kind::kArray, 1007, "integer[]", {}};
  EXPECT_THAT(MakeValueDecoder(array), ::pgark::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  DecodeType deep = *BuiltinDecodeType(23);
  for (int i = 0; i < kMaxTypeDepth + 2; ++i) deep = DecodeType{DecodeType::Kind::kDomain, 0, "d", {deep}};
  EXPECT_THAT(MakeValueDecoder(deep), ::pgark::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pgark::engine
