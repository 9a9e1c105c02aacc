#include "engine/storage/stdio/stdio_storage.h"

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::storage {
namespace {

using ::pgark::testing::IsOkAndHolds;
using ::pgark::testing::StatusIs;

TEST(StdioStorageTest, WriterStreamsToOutputDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  StdioStorage storage(/*in_fd=*/-1, /*out_fd=*/fds[1]);
  std::string received;
  std::thread drain([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) received.append(buf, n);
  });
  std::string payload(3 << 20, 'p');  // crosses the 1 MiB buffer several times
  payload += "end";
  {
    ASSERT_OK_AND_ASSIGN(auto writer, storage.NewWriter("-", WriteOptions()));
    EXPECT_THAT(storage.NewWriter("-", WriteOptions()),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    ASSERT_OK(writer->Append(payload));
    ASSERT_OK(writer->Close());
    EXPECT_EQ(writer->bytes_written(), payload.size());
  }
  close(fds[1]);
  drain.join();
  close(fds[0]);
  EXPECT_EQ(received, payload);
}

TEST(StdioStorageTest, ReaderReadsInputUntilEof) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(write(fds[1], "archive bytes", 13), 13);
  close(fds[1]);
  StdioStorage storage(/*in_fd=*/fds[0], /*out_fd=*/-1);
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("-"));
  std::string out;
  EXPECT_THAT(reader->Read(5, &out), IsOkAndHolds(size_t{5}));
  EXPECT_THAT(reader->Read(100, &out), IsOkAndHolds(size_t{8}));
  EXPECT_THAT(reader->Read(100, &out), IsOkAndHolds(size_t{0}));
  EXPECT_EQ(out, "archive bytes");
  EXPECT_THAT(reader->ReadAt(0, 1, &out), StatusIs(absl::StatusCode::kUnimplemented));
  close(fds[0]);
}

// A writer that stalls (the pipe open, nothing sent): Abandon() from another thread ends the
// waiting Read within about 100 ms, and every later Read fails too (a restore that failed
// while reading a pipe; before, only an interrupt ended the wait).
TEST(StdioStorageTest, AbandonEndsAReadWaitingForAStalledWriter) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  StdioStorage storage(/*in_fd=*/fds[0], /*out_fd=*/-1);
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("-"));
  std::thread abandon([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    reader->Abandon();
  });
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  EXPECT_THAT(reader->Read(100, &out), StatusIs(absl::StatusCode::kCancelled));
  const auto waited = std::chrono::steady_clock::now() - start;
  abandon.join();
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(write(fds[1], "late", 4), 4);  // data that comes later is not read any more
  EXPECT_THAT(reader->Read(100, &out), StatusIs(absl::StatusCode::kCancelled));
  close(fds[0]);
  close(fds[1]);
}

TEST(StdioStorageTest, HasNoFeaturesAndRefusesObjectOperations) {
  StdioStorage storage(-1, -1);
  EXPECT_FALSE(storage.features().random_read);
  EXPECT_FALSE(storage.features().list);
  EXPECT_THAT(storage.Stat("-"), StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(storage.List(""), StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(storage.Remove("-"), StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(storage.Copy("-", "x"), StatusIs(absl::StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace pgark::storage
