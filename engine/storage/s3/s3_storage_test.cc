// S3Storage and S3Client against a scripted HTTP client: retries and backoff, error
// mapping, Content-MD5 and SSE headers, multipart copy, and the part planner.
#include "engine/storage/s3/s3_storage.h"

#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/s3/md5.h"
#include "engine/storage/s3/multipart_planner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::storage::s3 {
namespace {

using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

// Replays scripted responses in order and records every request.
class FakeHttpClient final : public http::HttpClient {
 public:
  struct Recorded {
    std::string method, url, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string Header(const std::string& name) const {
      for (const auto& [n, v] : headers) if (absl::EqualsIgnoreCase(n, name)) return v;
      return "";
    }
  };
  void Push(absl::StatusOr<http::HttpResponse> r) { script_.push_back(std::move(r)); }
  void Push(int status, std::string body = "", std::map<std::string, std::string> headers = {}) {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    script_.push_back(r);
  }
  absl::StatusOr<http::HttpResponse> Send(const http::HttpRequest& request) override {
    absl::MutexLock lock(&mu_);
    requests.push_back({request.method, request.url, std::string(request.body), request.headers});
    if (script_.empty()) return absl::InternalError("unscripted request " + request.url);
    auto r = script_.front();
    script_.pop_front();
    return r;
  }
  std::vector<Recorded> requests;

 private:
  absl::Mutex mu_;
  std::deque<absl::StatusOr<http::HttpResponse>> script_;
};

S3Options TestOptions() {
  S3Options o;
  o.access_key_id = "AKID";
  o.secret_access_key = "SECRET-NEVER-SHOWN";
  o.endpoint = "http://127.0.0.1:9";
  o.addressing = Addressing::kPath;
  o.part_size = 4;
  o.upload_concurrency = 1;  // deterministic order for the script
  o.max_attempts = 4;
  return o;
}

struct Fixture {
  FakeHttpClient* http;
  std::vector<absl::Duration> sleeps;
  std::unique_ptr<S3Storage> storage;
  explicit Fixture(S3Options o = TestOptions()) {
    auto fake = std::make_unique<FakeHttpClient>();
    http = fake.get();
    storage = std::make_unique<S3Storage>("bkt", "pre", o, std::move(fake),
                                          [this](absl::Duration d) { sleeps.push_back(d); });
  }
};

TEST(S3ClientTest, RetriesTransientFailuresWithJitteredBackoff) {
  Fixture f;
  f.http->Push(absl::UnavailableError("connection reset"));
  f.http->Push(503, "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>");
  f.http->Push(500);
  f.http->Push(200, "", {{"content-length", "5"}});
  ASSERT_OK_AND_ASSIGN(ObjectInfo info, f.storage->Stat("k"));
  EXPECT_EQ(info.size, 5u);
  ASSERT_EQ(f.http->requests.size(), 4u);
  EXPECT_EQ(f.http->requests[0].url, "http://127.0.0.1:9/bkt/pre/k");
  ASSERT_EQ(f.sleeps.size(), 3u);
  // Full jitter below the doubling cap: 200ms, 400ms, 800ms.
  EXPECT_LE(f.sleeps[0], absl::Milliseconds(200));
  EXPECT_LE(f.sleeps[1], absl::Milliseconds(400));
  EXPECT_LE(f.sleeps[2], absl::Milliseconds(800));
}

TEST(S3ClientTest, GivesUpAfterMaxAttemptsWithServerMessage) {
  Fixture f;
  for (int i = 0; i < 4; ++i) f.http->Push(503, "<Error><Code>SlowDown</Code><Message>Slow</Message></Error>");
  EXPECT_THAT(f.storage->List(""), StatusIs(absl::StatusCode::kUnavailable,
                                            HasSubstr("giving up after 4 attempts")));
  EXPECT_EQ(f.http->requests.size(), 4u);
}

TEST(S3ClientTest, MapsErrorsWithoutRetryingAndNeverShowsSecrets) {
  Fixture f;
  f.http->Push(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  absl::Status denied = f.storage->List("").status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("AccessDenied: Access Denied")));
  EXPECT_FALSE(absl::StrContains(denied.message(), "SECRET"));
  f.http->Push(404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>");
  EXPECT_THAT(f.storage->List(""), StatusIs(absl::StatusCode::kNotFound, HasSubstr("NoSuchBucket")));
  EXPECT_EQ(f.http->requests.size(), 2u);
  EXPECT_TRUE(f.sleeps.empty());
  // The Authorization header is present but the secret itself is never sent.
  for (const auto& r : f.http->requests) {
    EXPECT_THAT(r.Header("Authorization"), HasSubstr("Credential=AKID/"));
    for (const auto& [n, v] : r.headers) EXPECT_FALSE(absl::StrContains(v, "SECRET"));
  }
}

TEST(S3StorageTest, MultipartWriteSendsMd5AndSseAndCompletesInOrder) {
  S3Options o = TestOptions();
  o.sse = ServerSideEncryption::kKms;
  o.sse_kms_key_id = "key-1";
  Fixture f(o);
  f.http->Push(404);  // HEAD: key is free
  f.http->Push(200, "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>");
  f.http->Push(200, "", {{"etag", "\"e1\""}});
  f.http->Push(500);  // part 2, first attempt
  f.http->Push(200, "", {{"etag", "\"e2\""}});
  f.http->Push(200, "", {{"etag", "\"e3\""}});
  f.http->Push(200, "<CompleteMultipartUploadResult/>");
  ASSERT_OK_AND_ASSIGN(auto writer, f.storage->NewWriter("obj", WriteOptions()));
  ASSERT_OK(writer->Append("abcdefgh"));
  ASSERT_OK(writer->Append("ij"));
  ASSERT_OK(writer->Close());
  const auto& r = f.http->requests;
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[1].method, "POST");
  EXPECT_THAT(r[1].url, HasSubstr("?uploads"));
  EXPECT_EQ(r[1].Header("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(r[1].Header("x-amz-server-side-encryption-aws-kms-key-id"), "key-1");
  EXPECT_THAT(r[2].url, HasSubstr("partNumber=1&uploadId=U1"));
  EXPECT_EQ(r[2].body, "abcd");
  EXPECT_EQ(r[2].Header("Content-MD5"), ContentMd5("abcd"));
  EXPECT_EQ(r[4].body, "efgh");  // the retried part 2
  EXPECT_EQ(r[5].body, "ij");
  EXPECT_EQ(r[6].body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST(S3StorageTest, FailedPartAbortsTheUpload) {
  Fixture f;
  f.http->Push(404);
  f.http->Push(200, "<UploadId>U9</UploadId>");
  f.http->Push(400, "<Error><Code>InvalidPart</Code><Message>bad</Message></Error>");
  f.http->Push(204);  // abort
  ASSERT_OK_AND_ASSIGN(auto writer, f.storage->NewWriter("obj", WriteOptions()));
  ASSERT_OK(writer->Append("abcd"));
  EXPECT_THAT(writer->Close(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("InvalidPart")));
  EXPECT_EQ(f.http->requests.back().method, "DELETE");
  EXPECT_THAT(f.http->requests.back().url, HasSubstr("uploadId=U9"));
}

TEST(S3StorageTest, LargeCopyUsesUploadPartCopy) {
  Fixture f;
  f.storage->set_multipart_copy_threshold(4);
  f.http->Push(200, "", {{"content-length", "10"}});  // HEAD source
  f.http->Push(404);                                  // HEAD target
  f.http->Push(200, "<UploadId>C1</UploadId>");
  for (int i = 1; i <= 3; ++i) f.http->Push(200, absl::StrCat("<CopyPartResult><ETag>\"p", i, "\"</ETag></CopyPartResult>"));
  f.http->Push(200, "<CompleteMultipartUploadResult/>");
  ASSERT_OK(f.storage->Copy("a", "b"));
  const auto& r = f.http->requests;
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[3].Header("x-amz-copy-source"), "/bkt/pre/a");
  EXPECT_EQ(r[3].Header("x-amz-copy-source-range"), "bytes=0-3");
  EXPECT_EQ(r[5].Header("x-amz-copy-source-range"), "bytes=8-9");
}

TEST(MultipartPlannerTest, PartsGrowSoTenThousandPartsHoldFiveTebibytes) {
  PartPlan plan = PlanParts(8ull << 20, 0);
  EXPECT_EQ(PartSize(plan, 1).value(), 8ull << 20);
  EXPECT_EQ(PartSize(plan, 1000).value(), 8ull << 20);
  EXPECT_EQ(PartSize(plan, 1001).value(), 16ull << 20);
  EXPECT_EQ(PartSize(plan, 10000).value(), 4096ull << 20);
  EXPECT_GE(PlanCapacity(plan), 5ull << 40);
  EXPECT_THAT(PartSize(plan, 10001), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(MultipartPlannerTest, SizeHintRaisesBasePartSize) {
  PartPlan plan = PlanParts(8ull << 20, 1ull << 40);  // 1 TiB expected
  EXPECT_GE(plan.base_part_size * 9000, 1ull << 40);
  EXPECT_EQ(plan.base_part_size % (1 << 20), 0u);
  EXPECT_EQ(PlanParts(8ull << 20, 1000).base_part_size, 8ull << 20);
}

}  // namespace
}  // namespace pgark::storage::s3
