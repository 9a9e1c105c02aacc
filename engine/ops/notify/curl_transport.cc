// libcurl transports for notifications. The only file in engine/ops that includes curl.h.
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ops/notify/notifier.h"

namespace pgark::ops::notify {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

CurlPtr NewCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return CurlPtr(curl_easy_init());
}

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

// Feeds a string to curl's upload.
struct Upload {
  absl::string_view data;
  size_t offset = 0;
};
size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->offset);
  // An empty body's view may have a null data(): memcpy(null, 0) is undefined.
  if (n > 0) memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

absl::Status FromCurl(CURLcode code, absl::string_view what, absl::string_view host) {
  std::string message = absl::StrCat(what, " to ", host, ": ", curl_easy_strerror(code));
  switch (code) {
    case CURLE_LOGIN_DENIED:
      return absl::UnauthenticatedError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// Percent-decoding of URL user info.
std::string PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && absl::ascii_isxdigit(text[i + 1]) &&
        absl::ascii_isxdigit(text[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

class CurlHttpTransport : public HttpTransport {
 public:
  absl::Status Post(const std::string& url, absl::string_view content_type,
                    absl::string_view body, absl::Duration timeout) override {
    std::string host = UrlHost(url);
    CurlPtr curl = NewCurl();
    if (!curl) return absl::InternalError("curl_easy_init failed");
    std::string header = absl::StrCat("Content-Type: ", content_type);
    SlistPtr headers(curl_slist_append(nullptr, header.c_str()));
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &DiscardBody);
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "pgark");
    // Redirects could carry the token elsewhere; webhooks do not redirect.
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) return FromCurl(code, "posting", host);
    long http_status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &http_status);
    if (http_status >= 200 && http_status < 300) return absl::OkStatus();
    std::string message = absl::StrCat("posting to ", host, ": HTTP ", http_status);
    if (http_status == 401 || http_status == 403) return absl::PermissionDeniedError(message);
    if (http_status == 404) return absl::NotFoundError(message);
    if (http_status >= 500 || http_status == 429) return absl::UnavailableError(message);
    return absl::InvalidArgumentError(message);
  }
};

class CurlMailTransport : public MailTransport {
 public:
  absl::Status Send(const MailEnvelope& envelope, absl::string_view message,
                    absl::Duration timeout) override {
    // Split user info out of the URL: curl gets it through CURLOPT_USERNAME/PASSWORD so
    // the URL we keep for messages never holds it.
    std::string url = envelope.url;
    std::string user, password;
    size_t scheme = url.find("://");
    size_t authority_end = url.find_first_of("/?#", scheme + 3);
    size_t at = url.rfind('@', authority_end);
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      std::string info = url.substr(scheme + 3, at - scheme - 3);
      size_t colon = info.find(':');
      user = PercentDecode(info.substr(0, colon));
      if (colon != std::string::npos) password = PercentDecode(info.substr(colon + 1));
      url.erase(scheme + 3, at - scheme - 2);
    }
    if (!envelope.user.empty()) user = envelope.user;
    if (!envelope.password.empty()) password = envelope.password;
    std::string host = UrlHost(url);

    CurlPtr curl = NewCurl();
    if (!curl) return absl::InternalError("curl_easy_init failed");
    SlistPtr recipients;
    for (const std::string& to : envelope.to) {
      recipients.reset(curl_slist_append(recipients.release(), absl::StrCat("<", to, ">").c_str()));
    }
    std::string from = absl::StrCat("<", envelope.from, ">");
    Upload upload{message, 0};
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    if (!user.empty()) {
      curl_easy_setopt(curl.get(), CURLOPT_USERNAME, user.c_str());
      curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password.c_str());
    }
    // smtp://: STARTTLS when the server offers it, or always when required (CURLUSESSL_ALL:
    // curl fails before MAIL FROM, so nothing goes out in clear text); smtps:// is TLS from
    // the start. Certificate and host name verification stay on (curl's default).
    curl_easy_setopt(curl.get(), CURLOPT_USE_SSL,
                     static_cast<long>(envelope.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (!envelope.ca_file.empty()) {
      curl_easy_setopt(curl.get(), CURLOPT_CAINFO, envelope.ca_file.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, &ReadUpload);
    curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    CURLcode code = curl_easy_perform(curl.get());
    if (code == CURLE_OK) return absl::OkStatus();
    long reply = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply);
    absl::Status status = FromCurl(code, "sending mail", host);
    if (reply == 535 || reply == 534) {
      return absl::UnauthenticatedError(absl::StrCat("sending mail to ", host,
                                                     ": login rejected (SMTP ", reply, ")"));
    }
    if (reply >= 500) {
      return absl::InvalidArgumentError(
          absl::StrCat(status.message(), " (SMTP ", reply, ")"));
    }
    return status;
  }
};

}  // namespace

std::unique_ptr<HttpTransport> NewCurlHttpTransport() {
  return std::make_unique<CurlHttpTransport>();
}
std::unique_ptr<MailTransport> NewCurlMailTransport() {
  return std::make_unique<CurlMailTransport>();
}

}  // namespace pgark::ops::notify
