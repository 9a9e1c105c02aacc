#include "engine/storage/s3/s3_storage.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/storage/key.h"
#include "engine/storage/s3/md5.h"
#include "engine/storage/s3/multipart_planner.h"
#include "engine/storage/s3/sigv4.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::storage::s3 {
namespace {

constexpr size_t kSequentialReadChunk = 8u << 20;
constexpr size_t kMaxRangeRequest = 32u << 20;  // below HttpClientOptions::max_response_bytes

// CopyObject and CompleteMultipartUpload may answer 200 with an <Error> document.
absl::Status CheckEmbeddedError(const http::HttpResponse& response, absl::string_view what) {
  if (response.body.find("<Error>") == std::string::npos) return absl::OkStatus();
  std::string code;
  std::string detail = DescribeS3Error(response.body, &code);
  if (code == "InternalError" || code == "SlowDown") {
    return absl::UnavailableError(absl::StrCat(what, ": ", detail));
  }
  return absl::UnknownError(absl::StrCat(what, ": ", detail));
}

absl::Time ParseIsoTime(const std::string& text) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, &t, &error)) return t;
  return absl::InfinitePast();
}

absl::Time ParseHttpDate(const std::string& text) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", text, &t, &error)) return t;
  return absl::InfinitePast();
}

}  // namespace

// --- Writer -----------------------------------------------------------------------------

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(S3Storage* storage, std::string full_key, PartPlan plan)
      : storage_(storage), full_key_(std::move(full_key)), plan_(plan),
        current_limit_(PartSize(plan, 1).value()) {}

  ~S3Writer() override {
    StopWorkers();
    if (!completed_ && !upload_id_.empty()) Abort();
  }

  absl::Status Append(absl::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("append after close");
    PGARK_RETURN_IF_ERROR(Error());
    bytes_written_ += data.size();
    while (!data.empty()) {
      size_t take = std::min<uint64_t>(data.size(), current_limit_ - current_.size());
      current_.append(data.data(), take);
      data.remove_prefix(take);
      if (current_.size() == current_limit_) PGARK_RETURN_IF_ERROR(DispatchCurrent());
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("close called twice");
    closed_ = true;
    absl::Status status = Finish();
    if (!status.ok()) {
      StopWorkers();
      if (!upload_id_.empty()) Abort();
      upload_id_.clear();
    }
    return status;
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  struct Part {
    int number;
    std::string data;
  };

  absl::Status Error() {
    absl::MutexLock lock(&mu_);
    return error_;
  }

  std::string Where() const { return storage_->Describe(full_key_); }

  absl::Status Finish() {
    PGARK_RETURN_IF_ERROR(Error());
    if (upload_id_.empty()) {
      // Small object: one PutObject, no multipart overhead.
      S3Request put{"PUT", full_key_, {}, {{"Content-MD5", ContentMd5(current_)}}, current_, false};
      storage_->AddSseHeaders(&put);
      PGARK_ASSIGN_OR_RETURN(auto response,
                             storage_->client_.Execute(put, absl::StrCat("uploading ", Where())));
      completed_ = true;
      return absl::OkStatus();
    }
    if (!current_.empty()) PGARK_RETURN_IF_ERROR(DispatchCurrent());
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](S3Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->queue_.empty() && w->in_flight_ == 0;
          },
          this));
    }
    StopWorkers();
    PGARK_RETURN_IF_ERROR(Error());
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& [number, etag] : etags_) {
      absl::StrAppend(&xml, "<Part><PartNumber>", number, "</PartNumber><ETag>", XmlEscape(etag),
                      "</ETag></Part>");
    }
    xml += "</CompleteMultipartUpload>";
    S3Request complete{"POST", full_key_, {{"uploadId", upload_id_}}, {}, xml, true};
    std::string what = absl::StrCat("completing the upload of ", Where());
    PGARK_ASSIGN_OR_RETURN(auto response, storage_->client_.Execute(complete, what));
    PGARK_RETURN_IF_ERROR(CheckEmbeddedError(response, what));
    completed_ = true;
    return absl::OkStatus();
  }

  absl::Status DispatchCurrent() {
    if (upload_id_.empty()) PGARK_RETURN_IF_ERROR(StartUpload());
    const size_t concurrency = static_cast<size_t>(std::max(1, storage_->client_.options().upload_concurrency));
    {
      absl::MutexLock lock(&mu_);
      // Bounded memory: wait while `concurrency` parts are queued or uploading.
      auto room = [this, concurrency]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !error_.ok() || queue_.size() + in_flight_ < concurrency;
      };
      mu_.Await(absl::Condition(&room));
      if (!error_.ok()) return error_;
      queue_.push_back(Part{next_part_, std::move(current_)});
    }
    current_ = std::string();
    ++next_part_;
    PGARK_ASSIGN_OR_RETURN(current_limit_, PartSize(plan_, next_part_));
    return absl::OkStatus();
  }

  absl::Status StartUpload() {
    S3Request create{"POST", full_key_, {{"uploads", ""}}, {}, {}, true};
    storage_->AddSseHeaders(&create);
    std::string what = absl::StrCat("starting a multipart upload of ", Where());
    PGARK_ASSIGN_OR_RETURN(auto response, storage_->client_.Execute(create, what));
    size_t pos = 0;
    std::optional<std::string> id = XmlElement(response.body, "UploadId", &pos);
    if (!id || id->empty()) return absl::UnknownError(absl::StrCat(what, ": no UploadId in the response"));
    upload_id_ = *id;
    int threads = std::max(1, storage_->client_.options().upload_concurrency);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
    return absl::OkStatus();
  }

  void WorkerLoop() {
    while (true) {
      Part part;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;
        part = std::move(queue_.front());
        queue_.pop_front();
        ++in_flight_;
        if (!error_.ok()) {  // drop queued parts after a failure
          --in_flight_;
          continue;
        }
      }
      absl::StatusOr<std::string> etag = UploadPart(part);
      absl::MutexLock lock(&mu_);
      --in_flight_;
      if (etag.ok()) {
        etags_[part.number] = *etag;
      } else if (error_.ok()) {
        error_ = etag.status();
      }
    }
  }

  absl::StatusOr<std::string> UploadPart(const Part& part) {
    S3Request request{"PUT",
                      full_key_,
                      {{"partNumber", absl::StrCat(part.number)}, {"uploadId", upload_id_}},
                      {{"Content-MD5", ContentMd5(part.data)}},
                      part.data,
                      false};
    std::string what = absl::StrCat("uploading part ", part.number, " of ", Where());
    PGARK_ASSIGN_OR_RETURN(auto response, storage_->client_.Execute(request, what));
    std::string etag = response.Header("etag");
    if (etag.empty()) return absl::UnknownError(absl::StrCat(what, ": no ETag in the response"));
    return etag;
  }

  void StopWorkers() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void Abort() {
    S3Request abort{"DELETE", full_key_, {{"uploadId", upload_id_}}, {}, {}, true};
    auto response = storage_->client_.Execute(abort, absl::StrCat("aborting the upload of ", Where()));
    if (!response.ok()) {
      PGARK_LOG(kWarning) << response.status().message()
                          << " (the incomplete upload stays invisible; a lifecycle rule removes it)";
    }
  }

  S3Storage* storage_;
  const std::string full_key_;
  const PartPlan plan_;
  std::string current_;
  uint64_t current_limit_;
  int next_part_ = 1;
  std::string upload_id_;
  uint64_t bytes_written_ = 0;
  bool closed_ = false;
  bool completed_ = false;
  std::vector<std::thread> workers_;

  absl::Mutex mu_;
  std::deque<Part> queue_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::string> etags_;  // written under mu_ by workers, read after they stop
};

// --- Reader -----------------------------------------------------------------------------

class S3Reader final : public ObjectReader {
 public:
  S3Reader(S3Client* client, std::string full_key, std::string where, uint64_t size)
      : client_(client), full_key_(std::move(full_key)), where_(std::move(where)), size_(size) {}

  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    if (buffer_pos_ == buffer_.size()) {
      if (position_ >= size_) return 0;
      buffer_.clear();
      buffer_pos_ = 0;
      size_t length = static_cast<size_t>(std::min<uint64_t>(kSequentialReadChunk, size_ - position_));
      PGARK_RETURN_IF_ERROR(ReadAt(position_, length, &buffer_));
      position_ += length;
    }
    size_t n = std::min(max_bytes, buffer_.size() - buffer_pos_);
    out->append(buffer_, buffer_pos_, n);
    buffer_pos_ += n;
    return n;
  }

  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    if (offset > size_ || length > size_ - offset) {
      return absl::OutOfRangeError(absl::StrCat("reading ", length, " bytes at offset ", offset,
                                                " of ", where_, " (", size_, " bytes)"));
    }
    size_t old_size = out->size();
    while (length > 0) {
      size_t chunk = std::min(length, kMaxRangeRequest);
      S3Request get{"GET", full_key_, {},
                    {{"Range", absl::StrCat("bytes=", offset, "-", offset + chunk - 1)}}, {}, true};
      std::string what = absl::StrCat("reading bytes ", offset, "-", offset + chunk - 1, " of ", where_);
      auto response = client_->Execute(get, what);
      if (!response.ok()) {
        out->resize(old_size);
        return response.status();
      }
      if (response->status == 200 && response->body.size() == size_) {
        // A server that ignores Range sends the whole object.
        response->body = response->body.substr(offset, chunk);
      }
      if (response->body.size() != chunk) {
        out->resize(old_size);
        return absl::DataLossError(absl::StrCat(what, ": got ", response->body.size(),
                                                " bytes (object changed or truncated?)"));
      }
      out->append(response->body);
      offset += chunk;
      length -= chunk;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override { return size_; }

 private:
  S3Client* client_;
  const std::string full_key_;
  const std::string where_;
  const uint64_t size_;
  uint64_t position_ = 0;
  std::string buffer_;
  size_t buffer_pos_ = 0;
};

// --- Storage ----------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<S3Storage>> S3Storage::Open(const std::string& bucket,
                                                           const std::string& prefix,
                                                           const S3Options& options) {
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no S3 credentials for 's3://", bucket,
        "': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
  }
  if (!options.endpoint.empty() && !absl::StartsWith(options.endpoint, "http://") &&
      !absl::StartsWith(options.endpoint, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad S3 endpoint '", options.endpoint, "': expected http://host[:port] or https://..."));
  }
  http::HttpClientOptions http_options;
  http_options.verify_tls = options.verify_tls;
  http_options.ca_bundle = options.ca_bundle;
  http_options.connect_timeout = options.connect_timeout;
  http_options.stall_timeout = options.stall_timeout;
  return std::make_unique<S3Storage>(bucket, prefix, options, http::NewCurlHttpClient(http_options));
}

S3Storage::S3Storage(const std::string& bucket, const std::string& prefix, const S3Options& options,
                     std::unique_ptr<http::HttpClient> http, S3Client::Sleeper sleeper)
    : client_(bucket, options, std::move(http), std::move(sleeper)), prefix_(prefix) {}

StorageFeatures S3Storage::features() const {
  StorageFeatures f;
  f.random_read = true;
  f.list = true;
  f.server_side_copy = true;
  return f;
}

std::string S3Storage::DisplayName() const {
  return prefix_.empty() ? absl::StrCat("s3://", client_.bucket())
                         : absl::StrCat("s3://", client_.bucket(), "/", prefix_);
}

std::string S3Storage::FullKey(absl::string_view key) const {
  return prefix_.empty() ? std::string(key) : absl::StrCat(prefix_, "/", key);
}

std::string S3Storage::Describe(absl::string_view full_key) const {
  return absl::StrCat("'s3://", client_.bucket(), "/", full_key, "'");
}

void S3Storage::AddSseHeaders(S3Request* request) const {
  const S3Options& o = client_.options();
  if (o.sse == ServerSideEncryption::kAes256) {
    request->headers.emplace_back("x-amz-server-side-encryption", "AES256");
  } else if (o.sse == ServerSideEncryption::kKms) {
    request->headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
    if (!o.sse_kms_key_id.empty()) {
      request->headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", o.sse_kms_key_id);
    }
  }
}

absl::StatusOr<ObjectInfo> S3Storage::Head(const std::string& full_key, absl::string_view key) {
  S3Request head{"HEAD", full_key, {}, {}, {}, true};
  auto response = client_.Execute(head, absl::StrCat("checking ", Describe(full_key)));
  if (absl::IsNotFound(response.status())) {
    return absl::NotFoundError(absl::StrCat(Describe(full_key), " does not exist"));
  }
  PGARK_RETURN_IF_ERROR(response.status());
  ObjectInfo info;
  info.key = std::string(key);
  if (!absl::SimpleAtoi(response->Header("content-length"), &info.size)) {
    return absl::UnknownError(absl::StrCat("checking ", Describe(full_key), ": no Content-Length"));
  }
  info.modified = ParseHttpDate(response->Header("last-modified"));
  return info;
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> S3Storage::NewWriter(absl::string_view key,
                                                                  const WriteOptions& options) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string full_key = FullKey(key);
  if (!options.overwrite) {
    absl::StatusOr<ObjectInfo> existing = Head(full_key, key);
    if (existing.ok()) {
      return absl::AlreadyExistsError(absl::StrCat(Describe(full_key), " already exists"));
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
  }
  PartPlan plan = PlanParts(client_.options().part_size, options.expected_size);
  return std::make_unique<S3Writer>(this, std::move(full_key), plan);
}

absl::StatusOr<std::unique_ptr<ObjectReader>> S3Storage::NewReader(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string full_key = FullKey(key);
  PGARK_ASSIGN_OR_RETURN(ObjectInfo info, Head(full_key, key));
  return std::make_unique<S3Reader>(&client_, full_key, Describe(full_key), info.size);
}

absl::StatusOr<ObjectInfo> S3Storage::Stat(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  return Head(FullKey(key), key);
}

absl::StatusOr<std::vector<ObjectInfo>> S3Storage::List(absl::string_view prefix) {
  PGARK_RETURN_IF_ERROR(ValidatePrefix(prefix));
  std::string root = prefix_.empty() ? "" : absl::StrCat(prefix_, "/");
  std::string full_prefix = absl::StrCat(root, prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  std::string what = absl::StrCat("listing 's3://", client_.bucket(), "/", full_prefix, "'");
  for (int page = 0;; ++page) {
    S3Request list{"GET", "", {{"list-type", "2"}, {"max-keys", absl::StrCat(list_page_size_)}}, {}, {}, true};
    if (!full_prefix.empty()) list.query.emplace_back("prefix", full_prefix);
    if (!token.empty()) list.query.emplace_back("continuation-token", token);
    PGARK_ASSIGN_OR_RETURN(auto response, client_.Execute(list, what));
    const std::string& xml = response.body;
    size_t pos = 0;
    while (true) {
      size_t start = xml.find("<Contents>", pos);
      if (start == std::string::npos) break;
      size_t end = xml.find("</Contents>", start);
      if (end == std::string::npos) break;
      absl::string_view entry(xml.data() + start, end - start);
      size_t p = 0;
      std::optional<std::string> key = XmlElement(entry, "Key", &p);
      p = 0;
      std::optional<std::string> size = XmlElement(entry, "Size", &p);
      p = 0;
      std::optional<std::string> modified = XmlElement(entry, "LastModified", &p);
      ObjectInfo info;
      if (!key || !absl::StartsWith(*key, root) || !size || !absl::SimpleAtoi(*size, &info.size)) {
        return absl::UnknownError(absl::StrCat(what, ": malformed ListObjectsV2 entry"));
      }
      info.key = key->substr(root.size());
      info.modified = ParseIsoTime(modified.value_or(""));
      if (ValidateKey(info.key).ok()) out.push_back(std::move(info));
      pos = end;
    }
    size_t p = 0;
    bool truncated = XmlElement(xml, "IsTruncated", &p).value_or("false") == "true";
    if (!truncated) break;
    p = 0;
    std::optional<std::string> next = XmlElement(xml, "NextContinuationToken", &p);
    if (!next || next->empty() || *next == token) {
      return absl::UnknownError(absl::StrCat(what, ": truncated listing without a continuation token"));
    }
    token = *next;
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status S3Storage::Remove(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string full_key = FullKey(key);
  S3Request del{"DELETE", full_key, {}, {}, {}, true};
  auto response = client_.Execute(del, absl::StrCat("deleting ", Describe(full_key)));
  // S3 answers 204 for a missing key; some compatible servers answer NoSuchKey.
  if (absl::IsNotFound(response.status()) &&
      absl::StrContains(response.status().message(), "NoSuchKey")) {
    return absl::OkStatus();
  }
  return response.status();
}

absl::Status S3Storage::Copy(absl::string_view from, absl::string_view to) {
  PGARK_RETURN_IF_ERROR(ValidateKey(from));
  PGARK_RETURN_IF_ERROR(ValidateKey(to));
  std::string from_key = FullKey(from);
  std::string to_key = FullKey(to);
  PGARK_ASSIGN_OR_RETURN(ObjectInfo source, Head(from_key, from));
  absl::StatusOr<ObjectInfo> target = Head(to_key, to);
  if (target.ok()) return absl::AlreadyExistsError(absl::StrCat(Describe(to_key), " already exists"));
  if (!absl::IsNotFound(target.status())) return target.status();
  if (source.size > multipart_copy_threshold_) return MultipartCopy(from_key, to_key, source.size);
  S3Request copy{"PUT", to_key, {},
                 {{"x-amz-copy-source", absl::StrCat("/", client_.bucket(), "/", UriEncode(from_key, false))}},
                 {}, true};
  AddSseHeaders(&copy);
  std::string what = absl::StrCat("copying ", Describe(from_key), " to ", Describe(to_key));
  PGARK_ASSIGN_OR_RETURN(auto response, client_.Execute(copy, what));
  return CheckEmbeddedError(response, what);
}

absl::Status S3Storage::MultipartCopy(const std::string& from, const std::string& to, uint64_t size) {
  std::string what = absl::StrCat("copying ", Describe(from), " to ", Describe(to));
  S3Request create{"POST", to, {{"uploads", ""}}, {}, {}, true};
  AddSseHeaders(&create);
  PGARK_ASSIGN_OR_RETURN(auto created, client_.Execute(create, what));
  size_t pos = 0;
  std::optional<std::string> upload_id = XmlElement(created.body, "UploadId", &pos);
  if (!upload_id) return absl::UnknownError(absl::StrCat(what, ": no UploadId in the response"));
  auto abort = [&] {
    S3Request del{"DELETE", to, {{"uploadId", *upload_id}}, {}, {}, true};
    auto r = client_.Execute(del, absl::StrCat("aborting ", what));
    if (!r.ok()) {
      PGARK_LOG(kWarning) << r.status().message();
    }
  };
  uint64_t part_size = std::max<uint64_t>((size + 8999) / 9000,
                                          std::min<uint64_t>(multipart_copy_threshold_, 512ull << 20));
  part_size = std::max<uint64_t>(part_size, 1);
  std::string xml = "<CompleteMultipartUpload>";
  int number = 1;
  for (uint64_t offset = 0; offset < size; offset += part_size, ++number) {
    uint64_t last = std::min(size, offset + part_size) - 1;
    S3Request part{"PUT", to,
                   {{"partNumber", absl::StrCat(number)}, {"uploadId", *upload_id}},
                   {{"x-amz-copy-source", absl::StrCat("/", client_.bucket(), "/", UriEncode(from, false))},
                    {"x-amz-copy-source-range", absl::StrCat("bytes=", offset, "-", last)}},
                   {}, true};
    auto response = client_.Execute(part, absl::StrCat(what, " (part ", number, ")"));
    absl::Status status = response.status();
    if (status.ok()) status = CheckEmbeddedError(*response, what);
    size_t p = 0;
    std::optional<std::string> etag;
    if (status.ok()) {
      etag = XmlElement(response->body, "ETag", &p);
      if (!etag) status = absl::UnknownError(absl::StrCat(what, ": no ETag for part ", number));
    }
    if (!status.ok()) {
      abort();
      return status;
    }
    absl::StrAppend(&xml, "<Part><PartNumber>", number, "</PartNumber><ETag>", XmlEscape(*etag),
                    "</ETag></Part>");
  }
  xml += "</CompleteMultipartUpload>";
  S3Request complete{"POST", to, {{"uploadId", *upload_id}}, {}, xml, true};
  auto response = client_.Execute(complete, what);
  absl::Status status = response.status();
  if (status.ok()) status = CheckEmbeddedError(*response, what);
  if (!status.ok()) abort();
  return status;
}

}  // namespace pgark::storage::s3
