#pragma once
// Opening a Storage from a location string, so callers never branch on the backend.
//
// Accepted forms:
//   "-"                          standard input/output (StdioStorage)
//   "s3://bucket" "s3://bucket/prefix"   S3 (S3Storage), keys relative to the prefix
//   "file:///abs/dir" "/abs/dir" "rel/dir"   a local directory (FileStorage)
// Any other "scheme://" is kInvalidArgument.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/storage/s3/s3_options.h"
#include "engine/storage/storage.h"

namespace pgark::storage {

struct StorageOptions {
  // S3 settings. OpenStorage() overlays the AWS_* / PGARK_S3_* environment variables on
  // these (s3_from_environment), so the defaults suffice for the CLI. Default: S3Options().
  s3::S3Options s3;
  // Read S3 settings from the environment (see s3_options.h). Default true.
  bool s3_from_environment = true;
};

enum class StorageKind { kFile, kStdio, kS3 };

// A location string taken apart, without touching the filesystem or network.
struct ParsedStorageUri {
  StorageKind kind = StorageKind::kFile;
  std::string bucket;  // kS3 only
  std::string path;    // kFile: the directory; kS3: the key prefix without slashes at the ends
};

// Parses a storage root ("s3://b/prefix", "/dir", "-"). Errors: kInvalidArgument (empty,
// unknown scheme, missing bucket, invalid bucket name).
absl::StatusOr<ParsedStorageUri> ParseStorageUri(absl::string_view uri);

// Splits an object location into the root it lives in and its key:
//   "s3://b/dir/x.pgark" -> {"s3://b/dir", "x.pgark"};  "s3://b/x" -> {"s3://b", "x"}
//   "/backups/x.pgark"   -> {"/backups", "x.pgark"};    "x.pgark"  -> {".", "x.pgark"}
//   "-"                  -> {"-", "-"}
// Errors: kInvalidArgument (no key, e.g. "s3://b/", "/dir/", or an invalid key).
struct SplitObjectUriResult {
  std::string root;
  std::string key;
};
absl::StatusOr<SplitObjectUriResult> SplitObjectUri(absl::string_view uri);

// Opens the storage rooted at `uri`. Opening does not touch the target: a missing
// directory or bucket is reported by the first operation. Errors: as ParseStorageUri, and
// kInvalidArgument for bad S3 settings in the environment.
absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(absl::string_view uri,
                                                     const StorageOptions& options);

// An object location opened: the storage holding it and its key there.
struct StorageObject {
  std::unique_ptr<Storage> storage;
  std::string key;
};
// SplitObjectUri() + OpenStorage(). Used for single-archive arguments such as
// `pgark dump -f s3://bucket/db.pgark` or `pgark restore /backups/db.pgark`.
absl::StatusOr<StorageObject> OpenStorageObject(absl::string_view uri,
                                                const StorageOptions& options);

}  // namespace pgark::storage
