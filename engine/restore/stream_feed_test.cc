// PipeFeed over a sequential archive: streams read in any order come back exactly as
// written while chunk buffers circulate between the readers and the demultiplexer, and a
// chunk spilled to the temporary file keeps no chunk-sized buffer in memory.
#include "engine/restore/stream_feed.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::IsOk;

constexpr uint32_t kChunk = 4096;
constexpr int kChunksPerStream = 8;

std::string Rows(size_t n, uint32_t seed) {
  std::string out;
  for (uint32_t i = 0; out.size() < n; ++i) absl::StrAppend(&out, seed, "\t", i * 7919 % 100003, "\n");
  out.resize(n);
  return out;
}

// Streams 1, 2, 3 written one after the other; chunk sizes vary so a reused buffer has to
// shrink and grow.
std::map<uint32_t, std::vector<std::string>> Content() {
  std::map<uint32_t, std::vector<std::string>> content;
  for (uint32_t id = 1; id <= 3; ++id) {
    for (int i = 0; i < kChunksPerStream; ++i) {
      content[id].push_back(Rows(i % 3 == 2 ? 1000 + 100 * i : kChunk, id * 100 + i));
    }
  }
  return content;
}

std::string Archive(const std::map<uint32_t, std::vector<std::string>>& content) {
  format::WriterOptions options;
  options.chunk_size = kChunk;
  format::StringSink sink;
  auto writer = format::ArchiveWriter::Create(&sink, options);
  EXPECT_THAT(writer, IsOk());
  for (const auto& [id, chunks] : content) {
    auto stream = (*writer)->OpenStream(id);
    EXPECT_THAT(stream, IsOk());
    for (const std::string& chunk : chunks) EXPECT_THAT((*stream)->Append(chunk, false), IsOk());
    EXPECT_THAT((*stream)->Finish(chunks.size()), IsOk());
  }
  EXPECT_THAT((*writer)->Finish(), IsOk());
  return sink.data();
}

TEST(PipeFeedTest, StreamsReadInReverseOrderAreExactAndSpilledChunksHoldNoBuffer) {
  const auto content = Content();
  const std::string archive = Archive(content);
  format::StringSource source(archive, 1000);
  auto scanner = format::ArchiveScanner::Open(&source, format::ReaderOptions());
  ASSERT_THAT(scanner, IsOk());
  PipeFeed feed(scanner->get(), nullptr, {1, 2, 3}, /*memory_chunks=*/1);

  // Stream 3 first: the demultiplexer must spill all of 1 and 2 to reach it.
  format::Chunk chunk;  // one Chunk for every read, as the loader uses it
  for (uint32_t id : {3u, 1u, 2u}) {
    SCOPED_TRACE(absl::StrCat("stream ", id));
    auto reader = feed.Open(id);
    ASSERT_THAT(reader, IsOk());
    std::vector<std::string> got;
    while (true) {
      auto more = (*reader)->Next(&chunk);
      ASSERT_THAT(more, IsOk());
      if (!*more) break;
      EXPECT_EQ(chunk.stream_id, id);
      EXPECT_EQ(chunk.seq, got.size());
      got.push_back(chunk.data);
    }
    EXPECT_EQ(got, content.at(id));
    if (id == 3) {
      // Streams 1 and 2 wait: one chunk each in memory, the other 14 on disk. Before the
      // fix every spilled chunk kept its cleared buffer (~14 x 4 KiB here).
      EXPECT_LE(feed.QueuedBufferBytesForTesting(), 2 * (kChunk + 64));
    }
  }
  EXPECT_THAT(feed.Finish(), IsOk());
}

}  // namespace
}  // namespace pgark::engine::restore
