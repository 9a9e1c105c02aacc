// PipeFeed over a sequential archive: streams read in any order come back exactly as
// written while chunk buffers circulate between the readers and the demultiplexer, and a
// chunk spilled to the temporary file keeps no chunk-sized buffer in memory; Abort() gives up
// on a source whose writer stalls.
#include "engine/restore/stream_feed.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::StatusIs;

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

// A source whose writer stalls: Read blocks until abandoned (as StdinReader's poll steps do).
class StallingSource : public format::SequentialSource {
 public:
  explicit StallingSource(std::string prefix) : prefix_(std::move(prefix)) {}
  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    if (offset_ < prefix_.size()) {
      const size_t n = std::min(max_bytes, prefix_.size() - offset_);
      out->append(prefix_, offset_, n);
      offset_ += n;
      return n;
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&abandoned_));
    return absl::CancelledError("abandoned");
  }
  void Abandon() {
    absl::MutexLock lock(&mu_);
    abandoned_ = true;
  }

 private:
  std::string prefix_;
  size_t offset_ = 0;
  absl::Mutex mu_;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
};

// Abort() (a restore that failed elsewhere) gives up on a source whose writer stalls: the
// reader fails with Abort's status and the feed is destroyed without waiting for the writer.
TEST(PipeFeedTest, AbortAbandonsAStalledSource) {
  const std::string archive = Archive(Content());
  StallingSource source(archive.substr(0, archive.size() - 100));
  auto scanner = format::ArchiveScanner::Open(&source, format::ReaderOptions());
  ASSERT_THAT(scanner, IsOk());
  int abandoned = 0;
  {
    PipeFeed feed(scanner->get(), nullptr, {1, 2, 3}, /*memory_chunks=*/64, [&] {
      ++abandoned;
      source.Abandon();
    });
    feed.Abort(absl::AbortedError("restore failed"));
    auto reader = feed.Open(1);
    ASSERT_THAT(reader, IsOk());
    format::Chunk chunk;
    EXPECT_THAT((*reader)->Next(&chunk), StatusIs(absl::StatusCode::kAborted));
    EXPECT_THAT(feed.Finish(), StatusIs(absl::StatusCode::kAborted));
  }  // before: the destructor waited for the stalled source forever
  EXPECT_GE(abandoned, 1);
}

}  // namespace
}  // namespace pgark::engine::restore
