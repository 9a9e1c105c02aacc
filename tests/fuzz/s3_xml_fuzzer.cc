// libFuzzer target: S3 response parsing (engine/storage/s3): the XML of ListObjectsV2,
// CreateMultipartUpload, CompleteMultipartUpload and error bodies, plus status handling
// and retries, driven through the real S3Storage with an HTTP client that answers every
// request from the input. Seeds: tests/fuzz/corpus/s3_xml/.
//
// Input: [operation byte] then responses: [status selector][len hi][len lo][body...] ...
// Requests beyond the scripted responses fail with kUnavailable.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "engine/storage/http/http_client.h"
#include "engine/storage/s3/s3_storage.h"

namespace {

using pgark::storage::http::HttpRequest;
using pgark::storage::http::HttpResponse;

class ScriptedHttpClient final : public pgark::storage::http::HttpClient {
 public:
  explicit ScriptedHttpClient(std::deque<HttpResponse> script) : script_(std::move(script)) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    if (script_.empty()) return absl::UnavailableError("fuzz: no more responses");
    HttpResponse r = std::move(script_.front());
    script_.pop_front();
    return r;
  }

 private:
  std::deque<HttpResponse> script_;
};

int Status(uint8_t selector) {
  static const int kStatuses[] = {200, 200, 200, 200, 206, 404, 400, 403, 409, 412, 500, 503, 301, 204};
  return kStatuses[selector % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t op = data[0];
  std::deque<HttpResponse> script;
  size_t pos = 1;
  while (pos + 3 <= size && script.size() < 16) {
    HttpResponse r;
    r.status = Status(data[pos]);
    size_t len = (static_cast<size_t>(data[pos + 1]) << 8) | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    r.body.assign(reinterpret_cast<const char*>(data) + pos, len);
    pos += len;
    r.headers["etag"] = "\"0123456789abcdef0123456789abcdef\"";
    r.headers["content-length"] = std::to_string(r.body.size());
    r.headers["last-modified"] = "Tue, 24 Nov 2026 06:00:00 GMT";
    script.push_back(std::move(r));
  }
  pgark::storage::s3::S3Options options;
  options.access_key_id = "AKIDFUZZ";
  options.secret_access_key = "fuzz-secret";
  options.endpoint = "http://127.0.0.1:9";
  options.addressing = pgark::storage::s3::Addressing::kPath;
  options.part_size = 5;
  options.upload_concurrency = 1;
  options.max_attempts = 2;
  pgark::storage::s3::S3Storage storage("bucket", "prefix", options,
                                        std::make_unique<ScriptedHttpClient>(std::move(script)),
                                        [](absl::Duration) {});
  storage.set_list_page_size(3);
  switch (op % 6) {
    case 0:
      storage.List("").status().IgnoreError();
      break;
    case 1:
      storage.Stat("daily/x.pgark").status().IgnoreError();
      break;
    case 2: {
      auto writer = storage.NewWriter("daily/x.pgark", {});
      if (writer.ok()) {
        absl::Status s = (*writer)->Append("0123456789abc");
        if (s.ok()) (*writer)->Close().IgnoreError();
      }
      break;
    }
    case 3:
      storage.Remove("daily/x.pgark").IgnoreError();
      break;
    case 4:
      storage.Copy("daily/x.pgark", "weekly/x.pgark").IgnoreError();
      break;
    case 5: {
      auto reader = storage.NewReader("daily/x.pgark");
      if (reader.ok()) {
        std::string out;
        (*reader)->ReadAt(0, 16, &out).IgnoreError();
        (*reader)->Read(64, &out).status().IgnoreError();
      }
      break;
    }
  }
  return 0;
}
