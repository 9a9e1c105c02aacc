// The storage.h contract, checked against every backend with full features (FileStorage
// on a temp directory, MemoryStorage) with the same assertions.

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/storage/file/file_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::storage {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::IsOkAndHolds;
using ::pgark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;

struct Backend {
  std::string name;
  std::function<std::unique_ptr<Storage>(const std::string& temp_dir)> make;
};

class StorageContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-storage-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    storage_ = GetParam().make(dir_ + "/root");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::Status Write(absl::string_view key, absl::string_view data, bool overwrite = false) {
    WriteOptions options;
    options.overwrite = overwrite;
    PGARK_ASSIGN_OR_RETURN(auto writer, storage_->NewWriter(key, options));
    PGARK_RETURN_IF_ERROR(writer->Append(data));
    return writer->Close();
  }
  absl::StatusOr<std::string> ReadAll(absl::string_view key) {
    PGARK_ASSIGN_OR_RETURN(auto reader, storage_->NewReader(key));
    std::string out;
    while (true) {
      PGARK_ASSIGN_OR_RETURN(size_t n, reader->Read(3, &out));
      if (n == 0) return out;
    }
  }

  std::string dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageContractTest, WriteThenReadBack) {
  ASSERT_OK(Write("a/b/c.pgark", "hello world"));
  EXPECT_THAT(ReadAll("a/b/c.pgark"), IsOkAndHolds(std::string("hello world")));
  EXPECT_THAT(storage_->Stat("a/b/c.pgark"),
              IsOkAndHolds(Field(&ObjectInfo::size, uint64_t{11})));
}

TEST_P(StorageContractTest, NothingVisibleBeforeClose) {
  ASSERT_OK_AND_ASSIGN(auto writer, storage_->NewWriter("x.pgark", WriteOptions()));
  ASSERT_OK(writer->Append(std::string(3 << 20, 'x')));  // beyond any internal buffer
  EXPECT_THAT(storage_->Stat("x.pgark"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(storage_->List(""), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_EQ(writer->bytes_written(), uint64_t{3} << 20);
  ASSERT_OK(writer->Close());
  EXPECT_THAT(storage_->Stat("x.pgark"), IsOk());
}

TEST_P(StorageContractTest, WriterDestroyedWithoutCloseLeavesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(auto writer, storage_->NewWriter("gone.pgark", WriteOptions()));
    ASSERT_OK(writer->Append("partial"));
  }
  EXPECT_THAT(storage_->Stat("gone.pgark"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(storage_->List(""), IsOkAndHolds(::testing::IsEmpty()));
}

TEST_P(StorageContractTest, ExistingKeyNeedsOverwrite) {
  ASSERT_OK(Write("k", "one"));
  EXPECT_THAT(Write("k", "two"), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ReadAll("k"), IsOkAndHolds(std::string("one")));
  ASSERT_OK(Write("k", "three", /*overwrite=*/true));
  EXPECT_THAT(ReadAll("k"), IsOkAndHolds(std::string("three")));
}

TEST_P(StorageContractTest, ConcurrentWritersOfOneKeyPublishExactlyOnce) {
  ASSERT_OK_AND_ASSIGN(auto first, storage_->NewWriter("race", WriteOptions()));
  ASSERT_OK_AND_ASSIGN(auto second, storage_->NewWriter("race", WriteOptions()));
  ASSERT_OK(first->Append("first"));
  ASSERT_OK(second->Append("second"));
  ASSERT_OK(first->Close());
  EXPECT_THAT(second->Close(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ReadAll("race"), IsOkAndHolds(std::string("first")));
}

TEST_P(StorageContractTest, MissingKeyIsNotFound) {
  EXPECT_THAT(storage_->NewReader("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(storage_->Stat("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(storage_->Copy("nope", "other"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StorageContractTest, InvalidKeysAreRejected) {
  for (const char* key : {"", "/abs", "a/../b", "a//b", "dir/", "./x"}) {
    EXPECT_THAT(storage_->NewWriter(key, WriteOptions()),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << key;
  }
}

TEST_P(StorageContractTest, ReadAtReturnsExactRangesAndOutOfRange) {
  ASSERT_OK(Write("r", "0123456789"));
  ASSERT_OK_AND_ASSIGN(auto reader, storage_->NewReader("r"));
  EXPECT_THAT(reader->Size(), IsOkAndHolds(uint64_t{10}));
  std::string out = "prefix:";
  ASSERT_OK(reader->ReadAt(3, 4, &out));
  EXPECT_EQ(out, "prefix:3456");
  ASSERT_OK(reader->ReadAt(10, 0, &out));
  EXPECT_THAT(reader->ReadAt(8, 3, &out), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(out, "prefix:3456");
  // Concurrent ReadAt calls on one reader are allowed.
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { ASSERT_OK(reader->ReadAt(i, 2, &results[i])); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], std::string("0123456789").substr(i, 2));
}

TEST_P(StorageContractTest, ListIsSortedAndFilteredByPrefix) {
  for (const char* key : {"b/2", "a/1", "b/1", "b10", "c"}) ASSERT_OK(Write(key, key));
  ASSERT_OK_AND_ASSIGN(auto all, storage_->List(""));
  std::vector<std::string> keys;
  for (const auto& info : all) keys.push_back(info.key);
  EXPECT_THAT(keys, ElementsAre("a/1", "b/1", "b/2", "b10", "c"));
  ASSERT_OK_AND_ASSIGN(auto under_b, storage_->List("b/"));
  ASSERT_EQ(under_b.size(), 2u);
  EXPECT_EQ(under_b[0].key, "b/1");
  EXPECT_EQ(under_b[0].size, 3u);
  ASSERT_OK_AND_ASSIGN(auto starting_b, storage_->List("b"));
  EXPECT_EQ(starting_b.size(), 3u);
}

TEST_P(StorageContractTest, RemoveIsIdempotent) {
  ASSERT_OK(Write("gone", "x"));
  ASSERT_OK(storage_->Remove("gone"));
  EXPECT_THAT(storage_->Stat("gone"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(storage_->Remove("gone"));
}

TEST_P(StorageContractTest, CopyDuplicatesAndRefusesToReplace) {
  ASSERT_OK(Write("src", "payload"));
  ASSERT_OK(Write("taken", "other"));
  ASSERT_OK(storage_->Copy("src", "dir/dst"));
  EXPECT_THAT(ReadAll("dir/dst"), IsOkAndHolds(std::string("payload")));
  EXPECT_THAT(storage_->Copy("src", "taken"), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(storage_->Remove("src"));
  EXPECT_THAT(ReadAll("dir/dst"), IsOkAndHolds(std::string("payload")));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StorageContractTest,
    ::testing::Values(
        Backend{"File", [](const std::string& dir) { return std::make_unique<FileStorage>(dir); }},
        Backend{"Memory",
                [](const std::string&) { return std::make_unique<pgark::testing::MemoryStorage>(); }}),
    [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace pgark::storage
