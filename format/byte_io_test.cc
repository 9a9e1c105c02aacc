#include "format/byte_io.h"

#include "format/archive_reader.h"
#include "format/archive_writer.h"
#include "format/codec/checksum.h"
#include "format/codec/chunk_cipher.h"
#include "format/codec/compressor.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::format {
namespace {

using ::pgark::testing::StatusIs;

TEST(StringSinkTest, AppendsAndRefusesAfterClose) {
  StringSink sink;
  ASSERT_TRUE(sink.Append("ab").ok());
  ASSERT_TRUE(sink.Append("cd").ok());
  ASSERT_TRUE(sink.Close().ok());
  EXPECT_EQ(sink.data(), "abcd");
  EXPECT_THAT(sink.Append("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(StringSourceTest, ReadAtChecksBoundsAndReadHonoursGranularity) {
  std::string bytes = "0123456789";
  StringSource source(bytes, 3);
  std::string out;
  ASSERT_TRUE(source.ReadAt(2, 4, &out).ok());
  EXPECT_EQ(out, "2345");
  EXPECT_THAT(source.ReadAt(8, 3, &out), StatusIs(absl::StatusCode::kOutOfRange));
  out.clear();
  auto n = source.Read(100, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(out, "012");
}

}  // namespace
}  // namespace pgark::format
