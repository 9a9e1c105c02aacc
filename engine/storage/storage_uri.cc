#include "engine/storage/storage_uri.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/storage/file/file_storage.h"
#include "engine/storage/key.h"
#include "engine/storage/s3/s3_storage.h"
#include "engine/storage/stdio/stdio_storage.h"
#include "format/base/status_macros.h"

namespace pgark::storage {
namespace {

// S3 bucket naming rules, loosened to what S3-compatible stores also accept (3-63 chars,
// lower-case letters, digits, '.', '-', '_'; starts and ends alphanumeric).
bool ValidBucketName(absl::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '-' || c == '_')) {
      return false;
    }
  }
  return absl::ascii_isalnum(bucket.front()) && absl::ascii_isalnum(bucket.back());
}

}  // namespace

absl::StatusOr<ParsedStorageUri> ParseStorageUri(absl::string_view uri) {
  ParsedStorageUri parsed;
  if (uri.empty()) return absl::InvalidArgumentError("empty storage location");
  if (uri == "-") {
    parsed.kind = StorageKind::kStdio;
    return parsed;
  }
  absl::string_view rest = uri;
  if (absl::ConsumePrefix(&rest, "s3://")) {
    parsed.kind = StorageKind::kS3;
    size_t slash = rest.find('/');
    parsed.bucket = std::string(rest.substr(0, slash));
    if (!ValidBucketName(parsed.bucket)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid S3 bucket name in '", uri, "'"));
    }
    absl::string_view prefix = slash == absl::string_view::npos ? "" : rest.substr(slash + 1);
    while (absl::ConsumeSuffix(&prefix, "/")) {
    }
    if (!prefix.empty()) {
      PGARK_RETURN_IF_ERROR(ValidateKey(prefix));
    }
    parsed.path = std::string(prefix);
    return parsed;
  }
  if (absl::ConsumePrefix(&rest, "file://")) {
    if (rest.empty() || rest.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("'", uri, "': file:// locations need an absolute path (file:///dir)"));
    }
  } else if (size_t colon = rest.find("://"); colon != absl::string_view::npos &&
                                              rest.find('/') > colon) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported storage location '", uri,
                                                   "': expected s3://, file://, a path or -"));
  }
  parsed.kind = StorageKind::kFile;
  parsed.path = std::string(rest);
  return parsed;
}

absl::StatusOr<SplitObjectUriResult> SplitObjectUri(absl::string_view uri) {
  if (uri == "-") return SplitObjectUriResult{"-", "-"};
  PGARK_ASSIGN_OR_RETURN(ParsedStorageUri parsed, ParseStorageUri(uri));
  auto no_key = [&] {
    return absl::InvalidArgumentError(absl::StrCat("'", uri, "' names a directory, not an object"));
  };
  if (uri.back() == '/') return no_key();
  SplitObjectUriResult result;
  if (parsed.kind == StorageKind::kS3) {
    if (parsed.path.empty()) return no_key();
    size_t slash = parsed.path.rfind('/');
    result.root = absl::StrCat("s3://", parsed.bucket);
    if (slash == std::string::npos) {
      result.key = parsed.path;
    } else {
      absl::StrAppend(&result.root, "/", parsed.path.substr(0, slash));
      result.key = parsed.path.substr(slash + 1);
    }
  } else {
    const std::string& path = parsed.path;
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
      result.root = ".";
      result.key = path;
    } else {
      result.root = slash == 0 ? "/" : path.substr(0, slash);
      result.key = path.substr(slash + 1);
    }
  }
  PGARK_RETURN_IF_ERROR(ValidateKey(result.key));
  return result;
}

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(absl::string_view uri,
                                                     const StorageOptions& options) {
  PGARK_ASSIGN_OR_RETURN(ParsedStorageUri parsed, ParseStorageUri(uri));
  switch (parsed.kind) {
    case StorageKind::kStdio:
      return std::make_unique<StdioStorage>();
    case StorageKind::kFile:
      return std::make_unique<FileStorage>(parsed.path);
    case StorageKind::kS3: {
      s3::S3Options s3_options = options.s3;
      if (options.s3_from_environment) {
        PGARK_ASSIGN_OR_RETURN(s3_options, s3::S3OptionsFromEnvironment(options.s3));
      }
      PGARK_ASSIGN_OR_RETURN(auto storage,
                             s3::S3Storage::Open(parsed.bucket, parsed.path, s3_options));
      return std::unique_ptr<Storage>(std::move(storage));
    }
  }
  return absl::InternalError("unhandled storage kind");
}

absl::StatusOr<StorageObject> OpenStorageObject(absl::string_view uri,
                                                const StorageOptions& options) {
  PGARK_ASSIGN_OR_RETURN(SplitObjectUriResult split, SplitObjectUri(uri));
  PGARK_ASSIGN_OR_RETURN(auto storage, OpenStorage(split.root, options));
  return StorageObject{std::move(storage), std::move(split.key)};
}

}  // namespace pgark::storage
