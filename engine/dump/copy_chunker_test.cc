#include "engine/dump/copy_chunker.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::StatusIs;

std::string Be16(int v) { return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)}; }
std::string Be32(int64_t v) {
  return {static_cast<char>((v >> 24) & 0xff), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
// One binary tuple with the given field values (nullptr-like: "\x01NULL" marks NULL).
std::string Tuple(const std::vector<std::string>& fields) {
  std::string t = Be16(static_cast<int>(fields.size()));
  for (const auto& f : fields) {
    if (f == "\x01NULL") {
      t += Be32(-1);
    } else {
      t += Be32(static_cast<int64_t>(f.size())) + f;
    }
  }
  return t;
}

struct Collected {
  std::vector<CopyChunk> chunks;
  CopyChunker::ChunkCallback Callback() {
    return [this](CopyChunk& chunk) {
      chunks.push_back(chunk);
      return absl::OkStatus();
    };
  }
  std::string Joined() const {
    std::string all;
    for (const auto& c : chunks) all += c.data;
    return all;
  }
};

TEST(CopyChunkerTest, EmptyBinaryCopyGivesOneEmptyFinalChunk) {
  Collected out;
  CopyChunker chunker(CopyFormat::kBinary, 1024, 2, "t", out.Callback());
  ASSERT_OK(chunker.Add(kCopyBinaryHeader));
  ASSERT_OK(chunker.Add(kCopyBinaryTrailer));
  ASSERT_OK(chunker.Finish());
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_TRUE(out.chunks[0].final);
  EXPECT_EQ(out.chunks[0].rows, 0);
  EXPECT_EQ(out.chunks[0].data, "");
}

TEST(CopyChunkerTest, ChunksAreTupleAlignedAndBoundedAndExcludeHeaderAndTrailer) {
  Collected out;
  CopyChunker chunker(CopyFormat::kBinary, 100, 2, "t", out.Callback());
  std::string tuples;
  for (int i = 0; i < 50; ++i) {
    std::string row = Tuple({std::string(static_cast<size_t>(i % 7), 'x'), "\x01NULL"});
    tuples += row;
    // libpq: the header arrives with the first row, the trailer on its own.
    ASSERT_OK(chunker.Add(i == 0 ? std::string(kCopyBinaryHeader) + row : row));
  }
  ASSERT_OK(chunker.Add(kCopyBinaryTrailer));
  ASSERT_OK(chunker.Finish());
  EXPECT_EQ(out.Joined(), tuples);
  EXPECT_EQ(chunker.rows(), 50);
  int64_t rows = 0;
  for (size_t i = 0; i < out.chunks.size(); ++i) {
    EXPECT_LE(out.chunks[i].data.size(), 100u);
    EXPECT_FALSE(out.chunks[i].data.empty());
    EXPECT_EQ(out.chunks[i].final, i + 1 == out.chunks.size());
    rows += out.chunks[i].rows;
  }
  EXPECT_EQ(rows, 50);
  EXPECT_GT(out.chunks.size(), 5u);
}

TEST(CopyChunkerTest, TupleLargerThanChunkSizeGetsAChunkOfItsOwn) {
  Collected out;
  CopyChunker chunker(CopyFormat::kBinary, 64, 1, "t", out.Callback());
  std::string small = Tuple({"a"});
  std::string big = Tuple({std::string(1000, 'b')});
  ASSERT_OK(chunker.Add(std::string(kCopyBinaryHeader) + small));
  ASSERT_OK(chunker.Add(big));
  ASSERT_OK(chunker.Add(small));
  ASSERT_OK(chunker.Add(kCopyBinaryTrailer));
  ASSERT_OK(chunker.Finish());
  ASSERT_EQ(out.chunks.size(), 3u);
  EXPECT_EQ(out.chunks[0].data, small);
  EXPECT_EQ(out.chunks[1].data, big);
  EXPECT_EQ(out.chunks[2].data, small);
  EXPECT_TRUE(out.chunks[2].final);
}

TEST(CopyChunkerTest, MessagesSplitAtArbitraryBytesStillGiveWholeTuples) {
  std::string tuples;
  for (int i = 0; i < 40; ++i) tuples += Tuple({std::string(static_cast<size_t>(i), 'y'), "z"});
  std::string stream = std::string(kCopyBinaryHeader) + tuples + std::string(kCopyBinaryTrailer);
  Collected out;
  CopyChunker chunker(CopyFormat::kBinary, 128, 2, "t", out.Callback());
  for (size_t i = 0; i < stream.size(); i += 3) ASSERT_OK(chunker.Add(stream.substr(i, 3)));
  ASSERT_OK(chunker.Finish());
  EXPECT_EQ(out.Joined(), tuples);
  EXPECT_EQ(chunker.rows(), 40);
  // Every chunk parses as whole tuples on its own: feed each to a fresh chunker.
  for (const auto& chunk : out.chunks) {
    Collected again;
    CopyChunker check(CopyFormat::kBinary, 1 << 20, 2, "t", again.Callback());
    ASSERT_OK(check.Add(std::string(kCopyBinaryHeader) + chunk.data + std::string(kCopyBinaryTrailer)));
    ASSERT_OK(check.Finish());
    EXPECT_EQ(check.rows(), chunk.rows);
  }
}

TEST(CopyChunkerTest, ZeroColumnTuplesAreCounted) {
  Collected out;
  CopyChunker chunker(CopyFormat::kBinary, 1024, 0, "t", out.Callback());
  ASSERT_OK(chunker.Add(std::string(kCopyBinaryHeader) + Tuple({})));
  ASSERT_OK(chunker.Add(Tuple({})));
  ASSERT_OK(chunker.Add(kCopyBinaryTrailer));
  ASSERT_OK(chunker.Finish());
  EXPECT_EQ(chunker.rows(), 2);
  EXPECT_EQ(out.Joined(), Tuple({}) + Tuple({}));
}

TEST(CopyChunkerTest, TextChunksEndAtNewlines) {
  Collected out;
  CopyChunker chunker(CopyFormat::kText, 10, -1, "t", out.Callback());
  for (int i = 0; i < 20; ++i) ASSERT_OK(chunker.Add("abc\\n\t1\n"));
  ASSERT_OK(chunker.Finish());
  EXPECT_EQ(chunker.rows(), 20);
  for (const auto& c : out.chunks) {
    ASSERT_FALSE(c.data.empty());
    EXPECT_EQ(c.data.back(), '\n');
  }
}

TEST(CopyChunkerTest, MalformedStreamsAreDataLoss) {
  auto run = [](CopyFormat format, int fields, const std::vector<std::string>& pieces) {
    CopyChunker chunker(format, 1024, fields, "public.t",
                        [](CopyChunk&) { return absl::OkStatus(); });
    for (const auto& p : pieces) {
      absl::Status s = chunker.Add(p);
      if (!s.ok()) return s;
    }
    return chunker.Finish();
  };
  EXPECT_THAT(run(CopyFormat::kBinary, 1, {"NOTCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0"}),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("public.t")));
  EXPECT_THAT(run(CopyFormat::kBinary, 1, {std::string(kCopyBinaryHeader) + Tuple({"a"})}),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("trailer missing")));
  EXPECT_THAT(run(CopyFormat::kBinary, 2, {std::string(kCopyBinaryHeader) + Tuple({"a"})}),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("expected 2")));
  EXPECT_THAT(run(CopyFormat::kBinary, 1,
                  {std::string(kCopyBinaryHeader), std::string(kCopyBinaryTrailer), Tuple({"a"})}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(run(CopyFormat::kBinary, 1,
                  {std::string(kCopyBinaryHeader) + Be16(1) + Be32(-5), std::string(kCopyBinaryTrailer)}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(run(CopyFormat::kText, -1, {"a\tb"}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(CopyChunkerTest, CallbackErrorStopsTheChunker) {
  CopyChunker chunker(CopyFormat::kText, 4, -1, "t",
                      [](CopyChunk&) { return absl::ResourceExhaustedError("disk full"); });
  ASSERT_OK(chunker.Add("abc\n"));
  EXPECT_THAT(chunker.Add("def\n"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(chunker.Finish(), StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace pgark::engine
