#pragma once
// S3Client: signed S3 REST requests with retries, and S3 error responses turned into
// absl::Status. S3Storage builds the S3 operations on top of it.
//
// Retries: a request is retried (up to S3Options::max_attempts in total) on transport
// errors (connection refused/reset, timeouts), HTTP 500/502/503/504 and 429, and on the
// S3 codes SlowDown, RequestTimeout, InternalError and BadDigest. The wait before retry n
// is uniform in [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter"). Each
// attempt is signed afresh. Cancellation (base::CancelRequested) stops retrying.
//
// Errors after the last attempt: 403 -> kPermissionDenied, 401 -> kUnauthenticated,
// 404 (NoSuchBucket, NoSuchKey, NoSuchUpload) -> kNotFound, 412 -> kFailedPrecondition,
// 416 -> kOutOfRange, retryable failures -> kUnavailable (kDeadlineExceeded for timeouts),
// other 4xx -> kInvalidArgument, others -> kUnknown. Messages name the operation and
// object and carry the server's code and message; the HTTP status is attached as the
// base::kHttpStatusPayload payload. Credentials and signatures never appear.
//
// Thread-safety: Execute() may be called concurrently.

#include <functional>
#include <memory>
#include <random>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/http/http_client.h"
#include "engine/storage/s3/s3_options.h"

namespace pgark::storage::s3 {

struct S3Request {
  std::string method;
  std::string key;  // full object key in the bucket; "" for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::vector<std::pair<std::string, std::string>> headers;
  absl::string_view body;  // borrowed until Execute() returns
  // Sign the body's SHA-256 (small XML bodies). Otherwise UNSIGNED-PAYLOAD is signed and
  // bulk data is protected by Content-MD5 instead (one hash pass instead of two).
  bool sign_payload = true;
};

class S3Client {
 public:
  using Sleeper = std::function<void(absl::Duration)>;
  // `sleeper` defaults to absl::SleepFor; tests pass a recorder.
  S3Client(std::string bucket, S3Options options, std::unique_ptr<http::HttpClient> http,
           Sleeper sleeper = nullptr);

  // Sends `request` with retries. Returns the 2xx response, or the error described above;
  // `what` names the operation for messages ("uploading part 3 of 's3://b/k'").
  absl::StatusOr<http::HttpResponse> Execute(const S3Request& request, absl::string_view what);

  const std::string& bucket() const { return bucket_; }
  const S3Options& options() const { return options_; }
  // The URL for `key` (for tests and messages; holds no credentials).
  std::string UrlFor(absl::string_view key) const;

 private:
  absl::StatusOr<http::HttpResponse> SendOnce(const S3Request& request);
  absl::Duration Backoff(int retry);

  const std::string bucket_;
  const S3Options options_;
  std::unique_ptr<http::HttpClient> http_;
  Sleeper sleeper_;
  std::string scheme_;  // "https"
  std::string host_;    // "s3.us-east-1.amazonaws.com" or "bucket.s3..." (virtual-hosted)
  std::string base_path_;  // "" or "/bucket" (path-style), without a trailing '/'
  absl::Mutex rng_mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(rng_mu_){std::random_device{}()};
};

// Parses S3's error XML into "Code: Message" (either part may be missing).
std::string DescribeS3Error(absl::string_view body, std::string* code);

// Minimal XML helpers for S3's responses: the text of the first <tag> element at or after
// *pos (entities decoded), advancing *pos past it; nullopt if absent. Good enough for the
// flat, namespace-free documents S3 returns; not a general XML parser.
std::optional<std::string> XmlElement(absl::string_view xml, absl::string_view tag, size_t* pos);
std::string XmlEscape(absl::string_view text);

}  // namespace pgark::storage::s3
