// Concurrency of the archive format: many producer threads writing streams while others
// add metadata and poll progress, then many readers on one ArchiveReader. Suite names end
// in ConcurrencyTest, so these also run in the ThreadSanitizer stage (label
// "concurrency", docs/testing.md); here they also check that nothing was lost or reordered.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "format/archive_reader.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::format {
namespace {

using ::pgark::testing::IsOk;

constexpr uint32_t kChunk = kMinChunkSize;
constexpr int kProducers = 8;
constexpr int kChunksPerStream = 12;

std::string ChunkBytes(uint32_t stream, int chunk) {
  std::string out;
  while (out.size() < kChunk - 64) absl::StrAppend(&out, stream, "\t", chunk, "\trow ", out.size(), "\n");
  return out;
}

std::string WriteConcurrently(const WriterOptions& base) {
  WriterOptions options = base;
  options.chunk_size = kChunk;
  StringSink sink;
  auto writer = ArchiveWriter::Create(&sink, options);
  EXPECT_THAT(writer.status(), IsOk());
  if (!writer.ok()) return "";
  std::atomic<bool> done{false};
  // Progress polling, as a progress display does from its own thread.
  std::thread progress([&] {
    uint64_t last = 0;
    while (!done.load()) {
      uint64_t now = (*writer)->bytes_written();
      EXPECT_GE(now, last);
      last = now;
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (uint32_t id = 1; id <= kProducers; ++id) {
    threads.emplace_back([&, id] {
      auto stream = (*writer)->OpenStream(id);
      ASSERT_THAT(stream.status(), IsOk());
      for (int i = 0; i < kChunksPerStream; ++i) {
        ASSERT_THAT((*stream)->Append(ChunkBytes(id, i)), IsOk());
        if (i % 4 == 0) {
          ASSERT_THAT((*writer)->AddMetadata(absl::StrCat("stream/", id, "/", i), ChunkBytes(id, -i)),
                      IsOk());
        }
      }
      ASSERT_THAT((*stream)->Finish(id * 10), IsOk());
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  progress.join();
  EXPECT_THAT((*writer)->Finish().status(), IsOk());
  return sink.data();
}

class ArchiveWriterConcurrencyTest : public ::testing::TestWithParam<bool /*encrypted*/> {};

TEST_P(ArchiveWriterConcurrencyTest, ManyProducersLoseNothingAndReadersShareOneReader) {
  WriterOptions options;
  KeyRing ring;
  if (GetParam()) {
    SecretKey key = SecretKey::Random();
    options.encryption.key_files.push_back(key);
    ring.key_files.push_back(key);
  }
  const std::string archive = WriteConcurrently(options);
  ASSERT_FALSE(archive.empty());

  StringSource source(archive);
  ReaderOptions reader_options;
  reader_options.keys = ring;
  auto reader = ArchiveReader::Open(&source, reader_options);
  ASSERT_THAT(reader.status(), IsOk());
  ASSERT_EQ((*reader)->info().streams.size(), static_cast<size_t>(kProducers));
  ASSERT_EQ((*reader)->info().metadata.size(), static_cast<size_t>(kProducers * 3));

  // One reader, many threads: each reads a stream and a metadata record (the parallel
  // restore's pattern; ArchiveReader is documented thread-safe after Open()).
  std::vector<std::thread> readers;
  for (uint32_t id = 1; id <= kProducers; ++id) {
    readers.emplace_back([&, id] {
      auto chunks = (*reader)->OpenStream(id);
      ASSERT_THAT(chunks.status(), IsOk());
      Chunk chunk;
      int n = 0;
      while (true) {
        auto more = (*chunks)->Next(&chunk);
        ASSERT_THAT(more.status(), IsOk());
        if (!*more) break;
        EXPECT_EQ(chunk.data, ChunkBytes(id, n)) << "stream " << id << " chunk " << n;
        ++n;
      }
      EXPECT_EQ(n, kChunksPerStream);
      auto meta = (*reader)->ReadMetadata(absl::StrCat("stream/", id, "/4"));
      ASSERT_THAT(meta.status(), IsOk());
      EXPECT_EQ(*meta, ChunkBytes(id, -4));
    });
  }
  for (auto& t : readers) t.join();
  for (const StreamInfo& s : (*reader)->info().streams) EXPECT_EQ(s.rows, s.stream_id * 10);
}

INSTANTIATE_TEST_SUITE_P(PlainAndEncrypted, ArchiveWriterConcurrencyTest, ::testing::Bool());

}  // namespace
}  // namespace pgark::format
