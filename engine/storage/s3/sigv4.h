#pragma once
// AWS Signature Version 4 (header form), implemented with libsodium's SHA-256 and
// HMAC-SHA256. Reference: "Signature Version 4 signing process" and "Authenticating
// Requests: Using the Authorization Header" in the AWS documentation; sigv4_test.cc checks
// the published test vectors.
//
// S3 flavour: the canonical URI is the request path exactly as sent (already URI-encoded,
// no normalisation, no double encoding). Pure functions; thread-safe.
//
// The signature and the signing key derive from the secret: never log them. The
// Authorization header is the only output holding the signature.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pgark::storage::s3 {

struct SigningRequest {
  std::string method;                // "GET"
  std::string encoded_path;          // "/bucket/a%20b.pgark", as on the request line
  // Query parameters, decoded; encoded and sorted by the signer.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign (names any case). Must include "host" and "x-amz-date"; S3 also
  // requires "x-amz-content-sha256".
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;          // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigningKeyInfo {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service = "s3";
};

// The three steps, exposed for tests and error reports.
std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers);
std::string StringToSign(absl::string_view amz_date, absl::string_view scope,
                         absl::string_view canonical_request);

// Returns the value of the Authorization header for `request` signed at `amz_date`
// ("20150830T123600Z", which must equal the request's x-amz-date header).
std::string AuthorizationHeader(const SigningKeyInfo& key, absl::string_view amz_date,
                                const SigningRequest& request);

// "20150830T123600Z" for `time` (UTC).
std::string AmzDate(absl::Time time);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~)
// stay, everything else becomes %XX (upper-case hex); '/' stays when !encode_slash.
std::string UriEncode(absl::string_view text, bool encode_slash);

// Lower-case hex SHA-256 of `data`, and raw digests (for Content-MD5 see md5.h).
std::string Sha256Hex(absl::string_view data);
std::string HmacSha256(absl::string_view key, absl::string_view data);
std::string HexEncode(absl::string_view bytes);

}  // namespace pgark::storage::s3
