#include "engine/export/gzip_members.h"

#include <libdeflate.h>

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::StatusIs;

class StringWriter : public storage::ObjectWriter {
 public:
  absl::Status Append(absl::string_view data) override {
    data_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }
  uint64_t bytes_written() const override { return data_.size(); }
  std::string data_;
  bool closed_ = false;
};

// Decompresses every member in turn, as gunzip does; counts the members.
std::string Gunzip(const std::string& gz, int* members) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string out;
  size_t pos = 0;
  *members = 0;
  while (pos < gz.size()) {
    std::string buf(4 << 20, '\0');
    size_t in_used = 0, out_len = 0;
    auto r = libdeflate_gzip_decompress_ex(d, gz.data() + pos, gz.size() - pos, buf.data(),
                                           buf.size(), &in_used, &out_len);
    EXPECT_EQ(r, LIBDEFLATE_SUCCESS);
    if (r != LIBDEFLATE_SUCCESS) break;
    out.append(buf.data(), out_len);
    pos += in_used;
    ++*members;
  }
  libdeflate_free_decompressor(d);
  return out;
}

TEST(GzipMembersTest, UnitsConcatenateToTheOriginalText) {
  StringWriter writer;
  GzipOutput output(&writer);
  ASSERT_OK_AND_ASSIGN(auto a, GzipSpool::Create(6, ""));
  ASSERT_OK_AND_ASSIGN(auto b, GzipSpool::Create(6, ""));
  std::string text_a, text_b;
  for (int i = 0; i < 200000; ++i) text_a += "INSERT " + std::to_string(i) + ";\n";
  text_b = "COPY t FROM stdin;\n1\tx\n\\.\n";
  // Interleaved appends from two units: each unit must stay contiguous.
  ASSERT_OK(a->Append(text_a.substr(0, 1000)));
  ASSERT_OK(b->Append(text_b));
  ASSERT_OK(a->Append(text_a.substr(1000)));
  ASSERT_OK(output.Commit(*b));
  ASSERT_OK(output.Commit(*a));
  ASSERT_OK(output.Close());
  EXPECT_TRUE(writer.closed_);
  int members = 0;
  EXPECT_EQ(Gunzip(writer.data_, &members), text_b + text_a);
  EXPECT_GT(members, 2);  // text_a spans several 1 MiB blocks
  EXPECT_EQ(output.raw_bytes(), text_a.size() + text_b.size());
  EXPECT_EQ(output.compressed_bytes(), writer.data_.size());
}

TEST(GzipMembersTest, LargeUnitsSpillToATemporaryFileAndComeBackIntact) {
  StringWriter writer;
  GzipOutput output(&writer);
  ASSERT_OK_AND_ASSIGN(auto spool, GzipSpool::Create(1, ""));
  std::mt19937_64 rng(7);
  std::string text(kSpoolMemoryBytes + 3 * kGzipBlockBytes + 123, '\0');
  for (char& c : text) c = static_cast<char>(rng());  // incompressible: forces the spill
  for (size_t i = 0; i < text.size(); i += 300000) ASSERT_OK(spool->Append(text.substr(i, 300000)));
  ASSERT_OK(output.Commit(*spool));
  // The spool is reusable for the next unit.
  ASSERT_OK(spool->Append("tail\n"));
  ASSERT_OK(output.Commit(*spool));
  int members = 0;
  EXPECT_TRUE(Gunzip(writer.data_, &members) == text + "tail\n");
  EXPECT_EQ(members, 16 + 3 + 1 + 1);
}

TEST(GzipMembersTest, LevelOutOfRangeIsInvalid) {
  EXPECT_THAT(GzipCompressor::Create(0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GzipCompressor::Create(13), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pgark::engine
