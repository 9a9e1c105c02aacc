#pragma once
// S3Storage: a Storage over an S3 bucket and key prefix ("s3://bucket/prefix").
//
// Writing (ObjectWriter): bytes are gathered into parts (sizes from multipart_planner.h).
// An object smaller than one part is sent with a single PutObject in Close(). Larger
// objects use a multipart upload started when the first part is full; full parts are
// uploaded by up to S3Options::upload_concurrency threads while the caller keeps
// appending, and Append() blocks when that many parts are in flight, so a writer holds at
// most (upload_concurrency + 1) parts in memory. Each part carries Content-MD5. Close()
// uploads the last part and completes the upload: only then does the object appear.
// Any failure, or destroying the writer without Close(), aborts the upload (best effort:
// a failed abort is logged; a bucket lifecycle rule for incomplete uploads is the backstop).
// !overwrite is checked with a HEAD when the writer is created (S3 has no atomic
// create-if-absent across all compatible servers, so two concurrent writers of the same
// key race; pgark never does that).
//
// Reading: NewReader() HEADs the object for its size; Read() fetches sequential ranges
// of 8 MiB, ReadAt() exactly the requested range (safe to call concurrently).
// List() pages through ListObjectsV2; Copy() uses CopyObject, or a multipart copy
// (UploadPartCopy) above S3Options::multipart_copy_threshold (5 GiB, S3's limit).
// Server-side encryption headers are sent on PutObject, CreateMultipartUpload and copies.
//
// Thread-safety: as storage.h.

#include <memory>
#include <string>
#include <vector>

#include "engine/storage/http/http_client.h"
#include "engine/storage/s3/s3_client.h"
#include "engine/storage/s3/s3_options.h"
#include "engine/storage/storage.h"

namespace pgark::storage::s3 {

class S3Storage final : public Storage {
 public:
  // Opens the storage; does not touch the network. Errors: kUnauthenticated when no
  // credentials are configured, kInvalidArgument for a bad endpoint.
  static absl::StatusOr<std::unique_ptr<S3Storage>> Open(const std::string& bucket,
                                                         const std::string& prefix,
                                                         const S3Options& options);
  // For tests: a storage sending through `http` (e.g. a scripted fake), sleeping with
  // `sleeper` between retries.
  S3Storage(const std::string& bucket, const std::string& prefix, const S3Options& options,
            std::unique_ptr<http::HttpClient> http, S3Client::Sleeper sleeper = nullptr);

  StorageFeatures features() const override;
  std::string DisplayName() const override;
  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(absl::string_view key,
                                                           const WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(absl::string_view key) override;
  absl::StatusOr<ObjectInfo> Stat(absl::string_view key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(absl::string_view prefix) override;
  absl::Status Remove(absl::string_view key) override;
  absl::Status Copy(absl::string_view from, absl::string_view to) override;

  // ListObjectsV2 page size (max-keys). Default 1000 (S3's maximum); tests lower it.
  void set_list_page_size(int n) { list_page_size_ = n; }
  // Objects above this size are copied part by part. Default 5 GiB; tests lower it.
  void set_multipart_copy_threshold(uint64_t n) { multipart_copy_threshold_ = n; }

 private:
  friend class S3Writer;
  std::string FullKey(absl::string_view key) const;
  std::string Describe(absl::string_view full_key) const;  // "s3://bucket/full/key"
  void AddSseHeaders(S3Request* request) const;
  absl::StatusOr<ObjectInfo> Head(const std::string& full_key, absl::string_view key);
  absl::Status MultipartCopy(const std::string& from, const std::string& to, uint64_t size);

  S3Client client_;
  std::string prefix_;  // without slashes at the ends
  int list_page_size_ = 1000;
  uint64_t multipart_copy_threshold_ = 5ull << 30;
};

}  // namespace pgark::storage::s3
