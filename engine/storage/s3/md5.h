#pragma once
// MD5 (RFC 1321), only for S3's Content-MD5 integrity header on uploaded parts: S3
// rejects a part whose bytes do not match (BadDigest). Not for anything security-related.
// libsodium has no MD5, and pulling in OpenSSL for one digest is not worth it.

#include <string>

#include "absl/strings/string_view.h"

namespace pgark::storage::s3 {

// The 16-byte MD5 digest of `data`.
std::string Md5(absl::string_view data);
// Base64 of Md5(data): the Content-MD5 header value.
std::string ContentMd5(absl::string_view data);
// Standard base64 (with padding) of `bytes`.
std::string Base64Encode(absl::string_view bytes);

}  // namespace pgark::storage::s3
