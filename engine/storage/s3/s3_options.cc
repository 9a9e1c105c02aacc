#include "engine/storage/s3/s3_options.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pgark::storage::s3 {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

absl::Status BadValue(const char* name, const std::string& value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad value '", value, "' for ", name, ": expected ", expected));
}

}  // namespace

absl::StatusOr<S3Options> S3OptionsFromEnvironment(const S3Options& defaults) {
  S3Options o = defaults;
  auto set = [](std::string* field, const std::string& value) {
    if (!value.empty()) *field = value;
  };
  set(&o.access_key_id, Env("AWS_ACCESS_KEY_ID"));
  set(&o.secret_access_key, Env("AWS_SECRET_ACCESS_KEY"));
  set(&o.session_token, Env("AWS_SESSION_TOKEN"));
  set(&o.region, Env("AWS_DEFAULT_REGION"));
  set(&o.region, Env("AWS_REGION"));
  set(&o.endpoint, Env("AWS_ENDPOINT_URL"));
  set(&o.endpoint, Env("AWS_ENDPOINT_URL_S3"));
  set(&o.ca_bundle, Env("AWS_CA_BUNDLE"));
  set(&o.sse_kms_key_id, Env("PGARK_S3_SSE_KMS_KEY_ID"));

  if (std::string v = absl::AsciiStrToLower(Env("PGARK_S3_ADDRESSING")); !v.empty()) {
    if (v == "auto") o.addressing = Addressing::kAuto;
    else if (v == "path") o.addressing = Addressing::kPath;
    else if (v == "virtual") o.addressing = Addressing::kVirtual;
    else return BadValue("PGARK_S3_ADDRESSING", v, "auto, path or virtual");
  }
  if (std::string v = Env("PGARK_S3_INSECURE_TLS"); !v.empty()) {
    if (v == "1" || v == "true") o.verify_tls = false;
    else if (v != "0" && v != "false") return BadValue("PGARK_S3_INSECURE_TLS", v, "0 or 1");
  }
  if (std::string v = Env("PGARK_S3_SSE"); !v.empty()) {
    if (v == "AES256") o.sse = ServerSideEncryption::kAes256;
    else if (v == "aws:kms") o.sse = ServerSideEncryption::kKms;
    else if (v == "none") o.sse = ServerSideEncryption::kNone;
    else return BadValue("PGARK_S3_SSE", v, "AES256, aws:kms or none");
  }
  if (!o.sse_kms_key_id.empty() && o.sse != ServerSideEncryption::kKms) {
    return absl::InvalidArgumentError("PGARK_S3_SSE_KMS_KEY_ID requires PGARK_S3_SSE=aws:kms");
  }
  if (std::string v = Env("PGARK_S3_PART_SIZE"); !v.empty()) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(v, &n) || n < 1024 || n > (5ull << 30)) {
      return BadValue("PGARK_S3_PART_SIZE", v, "a byte count between 1024 and 5 GiB");
    }
    o.part_size = n;
  }
  if (std::string v = Env("PGARK_S3_CONCURRENCY"); !v.empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 64) {
      return BadValue("PGARK_S3_CONCURRENCY", v, "an integer between 1 and 64");
    }
    o.upload_concurrency = n;
  }
  if (std::string v = Env("PGARK_S3_MAX_ATTEMPTS"); !v.empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 100) {
      return BadValue("PGARK_S3_MAX_ATTEMPTS", v, "an integer between 1 and 100");
    }
    o.max_attempts = n;
  }
  return o;
}

}  // namespace pgark::storage::s3
