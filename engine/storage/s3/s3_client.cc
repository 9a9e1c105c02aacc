#include "engine/storage/s3/s3_client.h"

#include <optional>
#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/storage/s3/sigv4.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_util.h"

namespace pgark::storage::s3 {
namespace {

constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";

bool RetryableStatus(int status, const std::string& code) {
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) return true;
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "BadDigest" || code == "XAmzContentSHA256Mismatch";
}

absl::StatusCode CodeForHttp(int status, const std::string& code) {
  if (status == 403) return absl::StatusCode::kPermissionDenied;
  if (status == 401) return absl::StatusCode::kUnauthenticated;
  // The multipart upload was aborted on the server (a lifecycle rule, another client): the
  // path was right, the write can be run again.
  if (code == "NoSuchUpload") return absl::StatusCode::kAborted;
  if (status == 404 || code == "NoSuchBucket" || code == "NoSuchKey") return absl::StatusCode::kNotFound;
  if (status == 412) return absl::StatusCode::kFailedPrecondition;
  if (status == 416) return absl::StatusCode::kOutOfRange;
  if (RetryableStatus(status, code)) return absl::StatusCode::kUnavailable;
  if (status == 501) return absl::StatusCode::kUnimplemented;
  if (status >= 400 && status < 500) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnknown;
}

std::string DecodeEntities(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == absl::string_view::npos) {
      out.push_back('&');
      continue;
    }
    absl::string_view entity = text.substr(i + 1, semi - i - 1);
    uint32_t code = 0;
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (absl::ConsumePrefix(&entity, "#x") && absl::SimpleHexAtoi(entity, &code) && code < 128) out.push_back(static_cast<char>(code));
    else if (absl::ConsumePrefix(&entity, "#") && absl::SimpleAtoi(entity, &code) && code < 128) out.push_back(static_cast<char>(code));
    else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

}  // namespace

std::optional<std::string> XmlElement(absl::string_view xml, absl::string_view tag, size_t* pos) {
  std::string open = absl::StrCat("<", tag, ">");
  std::string close = absl::StrCat("</", tag, ">");
  size_t start = xml.find(open, *pos);
  if (start == absl::string_view::npos) return std::nullopt;
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == absl::string_view::npos) return std::nullopt;
  *pos = end + close.size();
  return DecodeEntities(xml.substr(start, end - start));
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

// What an error without an S3 error document means (HEAD responses have no body, so a
// wrong secret there is a bare 403).
std::string ReasonWithoutErrorDocument(int status) {
  switch (status) {
    case 400: return " Bad Request";
    case 403: return " Forbidden (access denied: check the credentials, AWS_REGION and the bucket policy)";
    case 404: return " Not Found";
    case 429: return " Too Many Requests";
    case 500: return " Internal Server Error";
    case 503: return " Service Unavailable";
    default: return "";
  }
}

}  // namespace

std::string DescribeS3Error(absl::string_view body, std::string* code) {
  size_t pos = 0;
  std::optional<std::string> c = XmlElement(body, "Code", &pos);
  pos = 0;
  std::optional<std::string> message = XmlElement(body, "Message", &pos);
  *code = c.value_or("");
  if (c && message) return absl::StrCat(*c, ": ", *message);
  if (c) return *c;
  return message.value_or("");
}

S3Client::S3Client(std::string bucket, S3Options options, std::unique_ptr<http::HttpClient> http,
                   Sleeper sleeper)
    : bucket_(std::move(bucket)), options_(std::move(options)), http_(std::move(http)),
      sleeper_(sleeper ? std::move(sleeper) : Sleeper([](absl::Duration d) { absl::SleepFor(d); })) {
  std::string endpoint = options_.endpoint.empty()
                             ? absl::StrCat("https://s3.", options_.region, ".amazonaws.com")
                             : options_.endpoint;
  absl::string_view rest = endpoint;
  scheme_ = "https";
  if (absl::ConsumePrefix(&rest, "http://")) scheme_ = "http";
  else absl::ConsumePrefix(&rest, "https://");
  size_t slash = rest.find('/');
  std::string host(rest.substr(0, slash));
  std::string path = slash == absl::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  bool virtual_hosted = options_.addressing == Addressing::kVirtual;
  if (options_.addressing == Addressing::kAuto) {
    // Virtual-hosted style is what AWS recommends; dotted names break TLS wildcard
    // certificates, and custom endpoints (MinIO, Ceph, R2 with a custom domain) mostly
    // want path style.
    virtual_hosted = absl::EndsWith(host, ".amazonaws.com") &&
                     bucket_.find('.') == std::string::npos;
  }
  if (virtual_hosted) {
    host_ = absl::StrCat(bucket_, ".", host);
    base_path_ = path;
  } else {
    host_ = host;
    base_path_ = absl::StrCat(path, "/", bucket_);
  }
}

std::string S3Client::UrlFor(absl::string_view key) const {
  return absl::StrCat(scheme_, "://", host_, base_path_, "/", UriEncode(key, false));
}

absl::Duration S3Client::Backoff(int retry) {
  absl::Duration cap = options_.initial_backoff;
  for (int i = 1; i < retry && cap < options_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, options_.max_backoff);
  absl::MutexLock lock(&rng_mu_);
  std::uniform_int_distribution<int64_t> uniform(0, absl::ToInt64Nanoseconds(cap));
  return absl::Nanoseconds(uniform(rng_));
}

absl::StatusOr<http::HttpResponse> S3Client::SendOnce(const S3Request& request) {
  std::string amz_date = AmzDate(absl::Now());
  SigningRequest signing;
  signing.method = request.method;
  signing.encoded_path = absl::StrCat(base_path_, "/", UriEncode(request.key, false));
  signing.query = request.query;
  signing.payload_hash = request.sign_payload ? Sha256Hex(request.body) : kUnsignedPayload;
  signing.headers = request.headers;
  signing.headers.emplace_back("host", host_);
  signing.headers.emplace_back("x-amz-date", amz_date);
  signing.headers.emplace_back("x-amz-content-sha256", signing.payload_hash);
  if (!options_.session_token.empty()) {
    signing.headers.emplace_back("x-amz-security-token", options_.session_token);
  }
  SigningKeyInfo key{options_.access_key_id, options_.secret_access_key, options_.region, "s3"};

  http::HttpRequest http_request;
  http_request.method = request.method;
  http_request.url = absl::StrCat(scheme_, "://", host_, signing.encoded_path);
  std::vector<std::string> query;
  for (const auto& [name, value] : request.query) {
    query.push_back(value.empty() && (name == "uploads")
                        ? UriEncode(name, true)
                        : absl::StrCat(UriEncode(name, true), "=", UriEncode(value, true)));
  }
  if (!query.empty()) absl::StrAppend(&http_request.url, "?", absl::StrJoin(query, "&"));
  http_request.headers = signing.headers;
  http_request.headers.emplace_back("Authorization", AuthorizationHeader(key, amz_date, signing));
  http_request.body = request.body;
  return http_->Send(http_request);
}

absl::StatusOr<http::HttpResponse> S3Client::Execute(const S3Request& request,
                                                     absl::string_view what) {
  absl::Status last;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<http::HttpResponse> response = SendOnce(request);
    bool retryable;
    if (!response.ok()) {
      last = base::Annotate(response.status(), what);
      retryable = absl::IsUnavailable(response.status()) ||
                  absl::IsDeadlineExceeded(response.status());
    } else if (response->status >= 200 && response->status < 300) {
      return response;
    } else {
      std::string code;
      std::string detail = DescribeS3Error(response->body, &code);
      if (detail.empty()) {
        detail = absl::StrCat("HTTP ", response->status, ReasonWithoutErrorDocument(response->status));
      } else {
        detail = absl::StrCat("HTTP ", response->status, " ", detail);
      }
      last = absl::Status(CodeForHttp(response->status, code), absl::StrCat(what, ": ", detail));
      last.SetPayload(base::kHttpStatusPayload, absl::Cord(absl::StrCat(response->status)));
      retryable = RetryableStatus(response->status, code);
    }
    if (!retryable || attempt >= options_.max_attempts) {
      if (retryable && attempt > 1) {
        return base::Annotate(last, absl::StrCat("giving up after ", attempt, " attempts"));
      }
      return last;
    }
    if (base::CancelRequested()) return base::CheckCancelled();
    absl::Duration wait = Backoff(attempt);
    PGARK_LOG(kDebug) << "retrying in " << absl::FormatDuration(wait) << " after: "
                      << last.message();
    sleeper_(wait);
  }
}

}  // namespace pgark::storage::s3
