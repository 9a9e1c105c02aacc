// S3Storage and S3Client against a scripted HTTP client: retries and backoff, error
// mapping, Content-MD5 and SSE headers, multipart copy, and the part planner.
#include "engine/storage/s3/s3_storage.h"

#include <cstdlib>
#include <deque>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/s3/md5.h"
#include "engine/storage/s3/multipart_planner.h"
#include "engine/storage/s3/s3_options.h"
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
  // HEAD answers carry no error document: the status alone still says what to check.
  f.http->Push(403);
  EXPECT_THAT(f.storage->Stat("k"), StatusIs(absl::StatusCode::kPermissionDenied,
                                             HasSubstr("HTTP 403 Forbidden (access denied: check the credentials")));
  EXPECT_EQ(f.http->requests.size(), 3u);
  EXPECT_TRUE(f.sleeps.empty());
  // The Authorization header is present but the secret itself is never sent.
  for (const auto& r : f.http->requests) {
    EXPECT_THAT(r.Header("Authorization"), HasSubstr("Credential=AKID/"));
    for (const auto& [n, v] : r.headers) EXPECT_FALSE(absl::StrContains(v, "SECRET"));
  }
}

TEST(S3ClientTest, VirtualHostedAndPathStyleAddressingAndSessionToken) {
  // kAuto on AWS with a DNS-safe bucket: virtual-hosted, the token sent and signed.
  S3Options aws = TestOptions();
  aws.endpoint = "";
  aws.region = "eu-west-1";
  aws.addressing = Addressing::kAuto;
  aws.session_token = "SESSION-TOKEN";
  Fixture f(aws);
  f.http->Push(200, "", {{"content-length", "1"}});
  ASSERT_OK(f.storage->Stat("db/a.pgark").status());
  const auto& r = f.http->requests.back();
  EXPECT_EQ(r.url, "https://bkt.s3.eu-west-1.amazonaws.com/pre/db/a.pgark");
  EXPECT_EQ(r.Header("host"), "bkt.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(r.Header("x-amz-security-token"), "SESSION-TOKEN");
  EXPECT_THAT(r.Header("Authorization"), HasSubstr("x-amz-security-token"));  // in SignedHeaders
  EXPECT_THAT(r.Header("Authorization"), HasSubstr("/eu-west-1/s3/aws4_request"));

  // kAuto with a custom endpoint (MinIO, Ceph, R2): path style, below the endpoint's own path.
  S3Options custom = TestOptions();
  custom.endpoint = "https://minio.example:9000/base/";
  custom.addressing = Addressing::kAuto;
  Fixture g(custom);
  g.http->Push(200, "", {{"content-length", "1"}});
  ASSERT_OK(g.storage->Stat("k").status());
  EXPECT_EQ(g.http->requests.back().url, "https://minio.example:9000/base/bkt/pre/k");
  EXPECT_EQ(g.http->requests.back().Header("x-amz-security-token"), "");

  // Forced virtual-hosted on a custom endpoint.
  custom.addressing = Addressing::kVirtual;
  Fixture v(custom);
  v.http->Push(200, "", {{"content-length", "1"}});
  ASSERT_OK(v.storage->Stat("k").status());
  EXPECT_EQ(v.http->requests.back().url, "https://bkt.minio.example:9000/base/pre/k");
}

// Sets environment variables for one test and restores the previous values.
class ScopedEnv {
 public:
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old) setenv(name.c_str(), old->c_str(), 1);
      else unsetenv(name.c_str());
    }
  }
  void Set(const std::string& name, const char* value) {
    if (saved_.find(name) == saved_.end()) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) setenv(name.c_str(), value, 1);
    else unsetenv(name.c_str());
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(S3OptionsTest, ReadsTheStandardAwsVariablesWithTlsVerificationOnByDefault) {
  ScopedEnv env;
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                           "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE",
                           "PGARK_S3_ADDRESSING", "PGARK_S3_INSECURE_TLS", "PGARK_S3_SSE",
                           "PGARK_S3_SSE_KMS_KEY_ID", "PGARK_S3_PART_SIZE", "PGARK_S3_CONCURRENCY",
                           "PGARK_S3_MAX_ATTEMPTS"}) {
    env.Set(name, nullptr);
  }
  ASSERT_OK_AND_ASSIGN(S3Options defaults, S3OptionsFromEnvironment());
  EXPECT_TRUE(defaults.verify_tls);
  EXPECT_EQ(defaults.addressing, Addressing::kAuto);
  EXPECT_EQ(defaults.region, "us-east-1");
  EXPECT_EQ(defaults.sse, ServerSideEncryption::kNone);

  env.Set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  env.Set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI");
  env.Set("AWS_SESSION_TOKEN", "token");
  env.Set("AWS_DEFAULT_REGION", "us-west-1");
  env.Set("AWS_REGION", "eu-central-1");  // wins over AWS_DEFAULT_REGION
  env.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000");
  env.Set("PGARK_S3_ADDRESSING", "Path");
  env.Set("PGARK_S3_SSE", "aws:kms");
  env.Set("PGARK_S3_SSE_KMS_KEY_ID", "key-1");
  ASSERT_OK_AND_ASSIGN(S3Options o, S3OptionsFromEnvironment());
  EXPECT_EQ(o.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(o.secret_access_key, "wJalrXUtnFEMI");
  EXPECT_EQ(o.session_token, "token");
  EXPECT_EQ(o.region, "eu-central-1");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o.addressing, Addressing::kPath);
  EXPECT_EQ(o.sse, ServerSideEncryption::kKms);
  EXPECT_EQ(o.sse_kms_key_id, "key-1");
  EXPECT_TRUE(o.verify_tls);
  env.Set("AWS_ENDPOINT_URL_S3", "https://s3.example");  // the S3-specific variable wins
  env.Set("PGARK_S3_INSECURE_TLS", "1");
  ASSERT_OK_AND_ASSIGN(o, S3OptionsFromEnvironment());
  EXPECT_EQ(o.endpoint, "https://s3.example");
  EXPECT_FALSE(o.verify_tls);

  // A bad value names its variable.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"PGARK_S3_ADDRESSING", "sideways"}, {"PGARK_S3_INSECURE_TLS", "maybe"}, {"PGARK_S3_SSE", "rot13"},
      {"PGARK_S3_PART_SIZE", "12"},        {"PGARK_S3_CONCURRENCY", "0"},     {"PGARK_S3_MAX_ATTEMPTS", "x"}};
  for (const auto& [name, value] : bad) {
    ScopedEnv one;
    one.Set(name, value.c_str());
    EXPECT_THAT(S3OptionsFromEnvironment(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(name)))
        << name << "=" << value;
  }
  ScopedEnv sse;
  sse.Set("PGARK_S3_SSE", "AES256");  // a KMS key id without aws:kms
  EXPECT_THAT(S3OptionsFromEnvironment(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PGARK_S3_SSE_KMS_KEY_ID")));
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

TEST(S3StorageTest, SinglePutSendsMd5AndSseAes256) {
  S3Options o = TestOptions();
  o.sse = ServerSideEncryption::kAes256;
  Fixture f(o);
  f.http->Push(404);  // HEAD: key is free
  f.http->Push(200, "", {{"etag", "\"e\""}});
  ASSERT_OK_AND_ASSIGN(auto writer, f.storage->NewWriter("small", WriteOptions()));
  ASSERT_OK(writer->Append("abc"));  // below one part: a single PUT
  ASSERT_OK(writer->Close());
  const auto& r = f.http->requests;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].method, "PUT");
  EXPECT_EQ(r[1].body, "abc");
  EXPECT_EQ(r[1].Header("Content-MD5"), ContentMd5("abc"));
  EXPECT_EQ(r[1].Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(r[1].Header("x-amz-server-side-encryption-aws-kms-key-id"), "");
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
