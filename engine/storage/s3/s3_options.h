#pragma once
// S3Options: everything the S3 backend needs to reach a bucket. Plain data; copyable.
//
// Credentials are secrets: never log an S3Options, and never put one in an error message.
// S3OptionsFromEnvironment() fills it from the standard AWS variables; see docs/storage.md.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pgark::storage::s3 {

enum class Addressing {
  kAuto,     // virtual-hosted for *.amazonaws.com endpoints and DNS-safe bucket names, else path
  kPath,     // https://endpoint/bucket/key (MinIO, Ceph, s3rver)
  kVirtual,  // https://bucket.endpoint/key
};

enum class ServerSideEncryption {
  kNone,    // no header; the bucket's default encryption applies
  kAes256,  // x-amz-server-side-encryption: AES256 (SSE-S3)
  kKms,     // x-amz-server-side-encryption: aws:kms (+ key id when set)
};

struct S3Options {
  // Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). Required.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional; sent as x-amz-security-token
  // Signing region (AWS_REGION, else AWS_DEFAULT_REGION). Default "us-east-1".
  std::string region = "us-east-1";
  // Endpoint URL (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL), e.g. "http://127.0.0.1:9000".
  // Empty: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  // PGARK_S3_ADDRESSING=auto|path|virtual. Default kAuto.
  Addressing addressing = Addressing::kAuto;
  // Verify the server's TLS certificate. Default true; PGARK_S3_INSECURE_TLS=1 turns it off.
  bool verify_tls = true;
  // CA bundle file (AWS_CA_BUNDLE). Empty: the system's.
  std::string ca_bundle;
  // PGARK_S3_SSE=AES256|aws:kms, PGARK_S3_SSE_KMS_KEY_ID. Default kNone.
  ServerSideEncryption sse = ServerSideEncryption::kNone;
  std::string sse_kms_key_id;
  // Size of the first multipart parts (PGARK_S3_PART_SIZE, bytes). S3's minimum is 5 MiB;
  // smaller values are allowed for tests against servers that accept them. Default 8 MiB.
  uint64_t part_size = 8ull << 20;
  // Parts uploaded at once per writer (PGARK_S3_CONCURRENCY). Memory per writer is at most
  // (upload_concurrency + 1) * current part size. Default 4.
  int upload_concurrency = 4;
  // Attempts per request, including the first (PGARK_S3_MAX_ATTEMPTS). Default 5.
  int max_attempts = 5;
  // Backoff before retry n (n >= 1) is uniform in [0, min(max_backoff, initial_backoff * 2^(n-1))].
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // Connection establishment timeout, and the time a transfer may stall (no bytes) before it
  // is abandoned and retried.
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration stall_timeout = absl::Seconds(60);
};

// Reads the variables named above into a copy of `defaults`. Variables that are unset or
// empty leave the default. Errors: kInvalidArgument naming the variable with a bad value.
// Missing credentials are not an error here; the S3 backend reports them when used.
absl::StatusOr<S3Options> S3OptionsFromEnvironment(const S3Options& defaults = S3Options());

}  // namespace pgark::storage::s3
