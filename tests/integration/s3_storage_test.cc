// S3Storage against a real S3 implementation (s3rver behind tests/s3/server.js) on
// loopback, with the AWS CLI as an independent client.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/storage/s3/s3_storage.h"
#include "engine/storage/storage_uri.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/s3_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark::storage::s3 {
namespace {

using ::pgark::testing::IsOkAndHolds;
using ::pgark::testing::RunCommand;
using ::pgark::testing::S3TestServer;
using ::pgark::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class S3StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = &S3TestServer::Get();
    prefix_ = S3TestServer::UniquePrefix();
    storage_ = std::make_unique<S3Storage>(S3TestServer::kBucket, prefix_, server_->Options(),
                                           http::NewCurlHttpClient({}));
    char tmpl[] = "/tmp/pgark-s3-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(tmp_); }

  absl::Status Write(S3Storage& storage, const std::string& key, const std::string& data,
                     size_t chunk = 10000) {
    PGARK_ASSIGN_OR_RETURN(auto writer, storage.NewWriter(key, WriteOptions()));
    for (size_t i = 0; i < data.size(); i += chunk) {
      PGARK_RETURN_IF_ERROR(writer->Append(absl::string_view(data).substr(i, chunk)));
    }
    return writer->Close();
  }
  ::pgark::testing::CommandResult Aws(std::vector<std::string> args) {
    std::vector<std::string> argv = {"aws", "--endpoint-url", server_->endpoint()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, server_->Env());
  }
  std::string Url(const std::string& key) {
    return absl::StrCat("s3://", S3TestServer::kBucket, "/", prefix_, "/", key);
  }

  S3TestServer* server_ = nullptr;
  std::string prefix_;
  std::string tmp_;
  std::unique_ptr<S3Storage> storage_;
};

TEST_F(S3StorageTest, MultipartUploadIsReadableByAwsCli) {
  std::string data = RandomBytes(5 * 65536 + 1234, 1);  // 6 parts of 64 KiB
  ASSERT_OK(Write(*storage_, "db.pgark", data));
  auto log = server_->RequestLog(prefix_ + "/db.pgark?partNumber=6");
  EXPECT_EQ(log.size(), 1u) << absl::StrJoin(log, "\n");
  auto result = Aws({"s3", "cp", Url("db.pgark"), tmp_ + "/copy"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(ReadFile(tmp_ + "/copy") == data);
}

TEST_F(S3StorageTest, NothingIsVisibleUnderTheKeyBeforeClose) {
  std::string data = RandomBytes(4 * 65536, 5);
  ASSERT_OK_AND_ASSIGN(auto writer, storage_->NewWriter("pending.pgark", WriteOptions()));
  ASSERT_OK(writer->Append(data));  // several 64 KiB parts, uploaded while the archive grows
  // Parts go up in the background: wait (up to 30 s) until the first one has reached the server.
  for (int i = 0; i < 300 && server_->RequestLog(prefix_ + "/pending.pgark?partNumber=1").empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(server_->RequestLog(prefix_ + "/pending.pgark?partNumber=1"), Not(::testing::IsEmpty()));
  EXPECT_THAT(storage_->Stat("pending.pgark"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Aws({"s3", "ls", Url("")}).out, Not(HasSubstr("pending.pgark")));
  ASSERT_OK(writer->Close());
  EXPECT_THAT(storage_->Stat("pending.pgark"), IsOkAndHolds(::testing::Field(&ObjectInfo::size, data.size())));
}

TEST_F(S3StorageTest, SmallObjectUsesOnePut) {
  ASSERT_OK(Write(*storage_, "small", "tiny"));
  EXPECT_THAT(server_->RequestLog(prefix_ + "/small?uploads"), ::testing::IsEmpty());
  EXPECT_THAT(storage_->Stat("small"), IsOkAndHolds(::testing::Field(&ObjectInfo::size, 4u)));
}

TEST_F(S3StorageTest, AwsUploadIsReadableWithRangedReads) {
  std::string data = RandomBytes(300000, 2);
  std::ofstream(tmp_ + "/up", std::ios::binary) << data;
  auto result = Aws({"s3", "cp", tmp_ + "/up", Url("from-aws")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_OK_AND_ASSIGN(auto reader, storage_->NewReader("from-aws"));
  EXPECT_THAT(reader->Size(), IsOkAndHolds(uint64_t{300000}));
  std::string tail;
  ASSERT_OK(reader->ReadAt(300000 - 100, 100, &tail));
  EXPECT_EQ(tail, data.substr(300000 - 100));
  std::string middle;
  ASSERT_OK(reader->ReadAt(12345, 54321, &middle));
  EXPECT_EQ(middle, data.substr(12345, 54321));
  EXPECT_THAT(reader->ReadAt(299999, 2, &middle), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(server_->RequestLog(prefix_ + "/from-aws"), Contains(HasSubstr("GET")));
  std::string all;
  while (true) {
    ASSERT_OK_AND_ASSIGN(size_t n, reader->Read(70000, &all));
    if (n == 0) break;
  }
  EXPECT_TRUE(all == data);
}

TEST_F(S3StorageTest, FailedUploadIsAbortedAndLeavesNothing) {
  // Every attempt at part 3 has its connection reset: retries run out.
  server_->InjectFaults(absl::StrCat(R"([{"match":")", prefix_,
                                     R"(/doomed?partNumber=3&","reset":true,"times":100}])"));
  std::string data = RandomBytes(6 * 65536, 3);
  absl::Status status = Write(*storage_, "doomed", data);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("part 3")));
  EXPECT_THAT(storage_->Stat("doomed"), StatusIs(absl::StatusCode::kNotFound));
  auto ls = Aws({"s3", "ls", Url("")});
  EXPECT_THAT(ls.out, Not(HasSubstr("doomed")));
  // The upload was aborted (s3rver 3.7 does not implement AbortMultipartUpload and
  // answers 405; the request is what pgark controls).
  EXPECT_THAT(server_->RequestLog(prefix_ + "/doomed?uploadId="), Contains(HasSubstr("DELETE")));
}

// An upload the server no longer knows (aborted by a lifecycle rule or another client) is a
// write to run again (exit 6), not a wrong path (it was kNotFound, exit 3).
TEST_F(S3StorageTest, AnUploadAbortedOnTheServerIsAbortedNotNotFound) {
  server_->InjectFaults(absl::StrCat(R"([{"match":")", prefix_,
                                     R"(/gone?partNumber=2&","status":404,"code":"NoSuchUpload","times":100}])"));
  std::string data = RandomBytes(5 * 65536, 5);
  absl::Status status = Write(*storage_, "gone", data);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted, HasSubstr("NoSuchUpload")));
  EXPECT_THAT(storage_->Stat("gone"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(S3StorageTest, ServerErrorsMidUploadAreRetried) {
  server_->InjectFaults(absl::StrCat(
      R"([{"match":")", prefix_, R"(/retried?partNumber=2&","status":503,"code":"SlowDown","times":2},)",
      R"({"match":")", prefix_, R"(/retried?partNumber=4&","reset":true,"times":1},)",
      R"({"match":"POST /pgark-test/)", prefix_, R"(/retried?uploadId","status":500,"times":1}])"));
  std::string data = RandomBytes(5 * 65536, 4);
  ASSERT_OK(Write(*storage_, "retried", data));
  auto log = server_->RequestLog(prefix_ + "/retried?partNumber=2&");
  EXPECT_THAT(log, Contains(HasSubstr(" 503")));
  EXPECT_THAT(server_->RequestLog(prefix_ + "/retried?partNumber=4&"), Contains(HasSubstr("RESET")));
  ASSERT_OK_AND_ASSIGN(auto reader, storage_->NewReader("retried"));
  std::string back;
  ASSERT_OK(reader->ReadAt(0, data.size(), &back));
  EXPECT_TRUE(back == data);
}

TEST_F(S3StorageTest, ListPaginatesCopyAndDelete) {
  for (int i = 0; i < 7; ++i) ASSERT_OK(Write(*storage_, absl::StrCat("dir/obj", i), "x"));
  ASSERT_OK(Write(*storage_, "other", "y"));
  storage_->set_list_page_size(2);
  ASSERT_OK_AND_ASSIGN(auto listed, storage_->List("dir/"));
  ASSERT_EQ(listed.size(), 7u);
  EXPECT_EQ(listed[0].key, "dir/obj0");
  EXPECT_EQ(listed[6].key, "dir/obj6");
  EXPECT_THAT(server_->RequestLog("continuation-token"), Not(::testing::IsEmpty()));
  ASSERT_OK(storage_->Copy("dir/obj3", "copied"));
  EXPECT_THAT(storage_->Copy("dir/obj3", "other"), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(storage_->Stat("copied"), IsOkAndHolds(::testing::Field(&ObjectInfo::size, 1u)));
  ASSERT_OK(storage_->Remove("copied"));
  EXPECT_THAT(storage_->Stat("copied"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(storage_->Remove("copied"));
  EXPECT_THAT(storage_->NewWriter("other", WriteOptions()), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(S3StorageTest, WrongSecretIsPermissionDenied) {
  S3Options options = server_->Options();
  options.secret_access_key = "not-the-secret";
  S3Storage storage(S3TestServer::kBucket, prefix_, options, http::NewCurlHttpClient({}));
  absl::Status status = storage.List("").status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("SignatureDoesNotMatch")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("not-the-secret")));
}

TEST_F(S3StorageTest, MissingBucketAndKeyAreNotFound) {
  S3Storage missing("no-such-bucket", "", server_->Options(), http::NewCurlHttpClient({}));
  EXPECT_THAT(missing.List(""), StatusIs(absl::StatusCode::kNotFound, HasSubstr("NoSuchBucket")));
  EXPECT_THAT(Write(missing, "x", "data"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(storage_->NewReader("absent.pgark"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.pgark")));
}

TEST_F(S3StorageTest, OpenStorageReadsTheEnvironment) {
  for (const auto& [name, value] : server_->Env()) setenv(name.c_str(), value.c_str(), 1);
  ASSERT_OK_AND_ASSIGN(auto object, OpenStorageObject(Url("via-uri.pgark"), StorageOptions()));
  EXPECT_EQ(object.key, "via-uri.pgark");
  ASSERT_OK_AND_ASSIGN(auto writer, object.storage->NewWriter(object.key, WriteOptions()));
  ASSERT_OK(writer->Append("through OpenStorage"));
  ASSERT_OK(writer->Close());
  auto result = Aws({"s3", "cp", Url("via-uri.pgark"), "-"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "through OpenStorage");
}

}  // namespace
}  // namespace pgark::storage::s3
