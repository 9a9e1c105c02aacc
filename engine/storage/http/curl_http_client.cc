// The only storage file that includes curl/curl.h: CURL handles stay here (style.md, do/don't 4).
#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "engine/storage/http/http_client.h"
#include "format/base/cancellation.h"

namespace pgark::storage::http {
namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  absl::string_view upload;
  size_t upload_offset = 0;
  HttpResponse* response;
  size_t max_body;
  bool too_large = false;
  bool interrupted = false;  // XferInfoCallback cut the transfer
};

size_t ReadCallback(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->upload.size() - t->upload_offset);
  // An empty body's view may have a null data(): memcpy(null, 0) is undefined.
  if (n > 0) std::memcpy(buffer, t->upload.data() + t->upload_offset, n);
  t->upload_offset += n;
  return n;
}

// Rewinding lets curl resend the body itself (e.g. after a redirect or an auth retry).
int SeekCallback(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->upload_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteCallback(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response->body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, n);
  return n;
}

size_t HeaderCallback(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  t->response->headers[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  return n;
}

// Called by libcurl about once a second while a transfer waits, and whenever data moves or
// a signal interrupts the thread's poll. A nonzero return cuts the transfer
// (CURLE_ABORTED_BY_CALLBACK): an interrupt ends a read that waits on a silent server at
// once, rather than after the stall timeout.
int XferInfoCallback(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!base::CancelRequested()) return 0;
  t->interrupted = true;
  return 1;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(const HttpClientOptions& options) : options_(options) { GlobalInit(); }

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    CurlPtr handle = TakeHandle();
    if (handle == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    CURL* curl = handle.get();
    curl_easy_reset(curl);
    HttpResponse response;
    Transfer transfer{request.body, 0, &response, options_.max_response_bytes};

    SlistPtr headers;
    for (const auto& [name, value] : request.headers) {
      std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    // No "Expect: 100-continue" round trip before each part; S3 answers errors quickly anyway.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.stall_timeout))));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderCallback);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    // An interrupt cuts a GET or HEAD in flight (http_client.h): they change nothing. A
    // request that changes something runs to its end, so that its outcome is known, and a
    // request sent after the interrupt (cleanup) runs as usual.
    if ((request.method == "GET" || request.method == "HEAD") && !base::CancelRequested()) {
      curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, XferInfoCallback);
      curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }

    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadCallback);
      curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekCallback);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode rc = curl_easy_perform(curl);
    // The connection cache lives in the handle; keep it for the next request.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
      ReturnHandle(std::move(handle));
      return CurlError(rc, request, transfer.too_large, transfer.interrupted);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    ReturnHandle(std::move(handle));
    return response;
  }

 private:
  absl::Status CurlError(CURLcode rc, const HttpRequest& request, bool too_large, bool interrupted) {
    // The URL names the object; it never holds credentials (SigV4 uses headers).
    if (interrupted && rc == CURLE_ABORTED_BY_CALLBACK) {
      return absl::CancelledError(absl::StrCat(request.method, " ", request.url, ": interrupted"));
    }
    std::string what = absl::StrCat(request.method, " ", request.url, ": ", curl_easy_strerror(rc));
    if (too_large) {
      return absl::ResourceExhaustedError(absl::StrCat(what, " (response larger than ",
                                                       options_.max_response_bytes, " bytes)"));
    }
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return absl::DeadlineExceededError(what);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(what);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        return absl::PermissionDeniedError(what);
      default:
        return absl::UnavailableError(what);
    }
  }

  // A small pool of easy handles so connections are reused across requests and threads.
  CurlPtr TakeHandle() {
    {
      absl::MutexLock lock(&mu_);
      if (!pool_.empty()) {
        CurlPtr handle = std::move(pool_.back());
        pool_.pop_back();
        return handle;
      }
    }
    return CurlPtr(curl_easy_init());
  }
  void ReturnHandle(CurlPtr handle) {
    absl::MutexLock lock(&mu_);
    if (pool_.size() < 16) pool_.push_back(std::move(handle));
  }

  const HttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<CurlPtr> pool_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient(const HttpClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace pgark::storage::http
