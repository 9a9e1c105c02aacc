#pragma once
// HttpClient: one HTTP request/response exchange, buffered in memory. The S3 backend talks
// HTTP only through this interface: production uses CurlHttpClient (curl_http_client.h),
// unit tests a scripted fake. Bodies are bounded by the caller (S3 parts and ranged reads),
// so nothing here streams.
//
// Thread-safety: Send() may be called concurrently from several threads.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pgark::storage::http {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE", "HEAD"
  std::string url;     // absolute, already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  absl::string_view body;  // borrowed; must stay alive during Send()
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" if absent. `name` lower-case.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpClientOptions {
  bool verify_tls = true;          // verify the peer certificate and host name
  std::string ca_bundle;           // CA file; empty: the system's
  absl::Duration connect_timeout = absl::Seconds(10);
  // A transfer slower than 1 byte/s for this long is abandoned (kDeadlineExceeded).
  absl::Duration stall_timeout = absl::Seconds(60);
  // Response bodies larger than this fail with kResourceExhausted (servers are untrusted).
  size_t max_response_bytes = 64u << 20;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Performs the exchange. Any HTTP status is a successful exchange (returned in
  // HttpResponse::status). Errors: kUnavailable (connection refused/reset, DNS failure, TLS
  // handshake), kDeadlineExceeded (timeouts), kResourceExhausted (response too large),
  // kPermissionDenied (certificate verification failed), kInvalidArgument (bad URL),
  // kCancelled (an interrupt, base::RequestCancel, cut a GET or HEAD that was in flight when
  // it came, within about a second; other methods, and requests sent after the interrupt,
  // run to their end).
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

// The libcurl implementation.
std::unique_ptr<HttpClient> NewCurlHttpClient(const HttpClientOptions& options);

}  // namespace pgark::storage::http
