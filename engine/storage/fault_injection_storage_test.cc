// Tests of the storage fakes other modules use (tests/testing/).
#include "tests/testing/fault_injection_storage.h"

#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::testing {
namespace {

absl::Status WriteChunks(storage::Storage& storage, absl::string_view key, int chunks) {
  PGARK_ASSIGN_OR_RETURN(auto writer, storage.NewWriter(key, storage::WriteOptions()));
  for (int i = 0; i < chunks; ++i) PGARK_RETURN_IF_ERROR(writer->Append("chunk"));
  return writer->Close();
}

TEST(FaultInjectionStorageTest, FailedAppendLeavesNoVisibleObject) {
  MemoryStorage base;
  FaultInjectionStorage storage(&base, FailNthAppend(3));
  EXPECT_THAT(WriteChunks(storage, "x.pgark", 5), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(base.Stat("x.pgark"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(storage.appends(), 3);
  EXPECT_EQ(base.open_writers(), 0);
  // The counter is global: the next writer succeeds.
  ASSERT_OK(WriteChunks(storage, "y.pgark", 2));
  EXPECT_THAT(base.Get("y.pgark"), IsOkAndHolds(std::string("chunkchunk")));
}

TEST(FaultInjectionStorageTest, FailedCloseUsesRequestedCode) {
  MemoryStorage base;
  FaultInjectionStorage storage(&base, FailClose(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(WriteChunks(storage, "x", 1), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(base.keys().empty());
}

TEST(FaultInjectionStorageTest, CorruptsOneByteInSequentialAndRandomReads) {
  MemoryStorage base;
  base.Put("obj", "abcdef");
  FaultInjectionStorage storage(&base, CorruptByteAt(4));
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("obj"));
  std::string seq;
  ASSERT_OK(reader->Read(3, &seq).status());
  ASSERT_OK(reader->Read(3, &seq).status());
  EXPECT_EQ(seq, "abcd" + std::string(1, 'e' ^ 1) + "f");
  std::string ranged;
  ASSERT_OK(reader->ReadAt(4, 1, &ranged));
  EXPECT_EQ(ranged, std::string(1, 'e' ^ 1));
}

TEST(FaultInjectionStorageTest, FailsNthRead) {
  MemoryStorage base;
  base.Put("obj", "abcdef");
  FaultInjectionStorage storage(&base, FailNthRead(2, absl::StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("obj"));
  std::string out;
  ASSERT_OK(reader->Read(1, &out).status());
  EXPECT_THAT(reader->Read(1, &out), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(FaultInjectionStorageTest, HoldsTheFirstReadOfTheOffsetUntilReleased) {
  MemoryStorage base;
  base.Put("obj", "abcdef");
  FaultInjectionStorage storage(&base, HoldReadOf(4));
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("obj"));
  std::string before;
  ASSERT_OK(reader->ReadAt(0, 4, &before));  // ends before offset 4: not held
  EXPECT_FALSE(storage.WaitForHeldRead(absl::ZeroDuration()));
  std::string held;
  absl::Status status;
  std::thread read([&] { status = reader->ReadAt(2, 3, &held); });
  ASSERT_TRUE(storage.WaitForHeldRead(absl::Seconds(30)));
  EXPECT_EQ(storage.reads(), 2);
  EXPECT_TRUE(held.empty());
  storage.ReleaseHeldRead();
  read.join();
  ASSERT_OK(status);
  EXPECT_EQ(held, "cde");
  std::string again;  // only the first read of the offset is held
  ASSERT_OK(reader->ReadAt(4, 1, &again));
  EXPECT_EQ(again, "e");
}

TEST(MemoryStorageTest, RestrictedFeaturesBehaveLikeAStream) {
  MemoryStorage storage(storage::StorageFeatures{});
  storage.Put("x", "abc");
  ASSERT_OK_AND_ASSIGN(auto reader, storage.NewReader("x"));
  std::string out;
  EXPECT_THAT(reader->ReadAt(0, 1, &out), StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(storage.List(""), StatusIs(absl::StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace pgark::testing
