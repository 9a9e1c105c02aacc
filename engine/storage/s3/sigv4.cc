#include "engine/storage/s3/sigv4.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pgark::storage::s3 {
namespace {

// Trims and collapses runs of spaces, as SigV4 canonical headers require.
std::string CanonicalHeaderValue(absl::string_view value) {
  std::string out;
  bool in_space = false;
  for (char c : absl::StripAsciiWhitespace(value)) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string UriEncode(absl::string_view text, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) {
    query.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(query.begin(), query.end());
  std::vector<std::string> query_parts;
  for (const auto& [name, value] : query) query_parts.push_back(absl::StrCat(name, "=", value));

  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(absl::AsciiStrToLower(name), CanonicalHeaderValue(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::vector<std::string> names;
  for (size_t i = 0; i < headers.size(); ++i) {
    // Repeated headers are joined with ',' under one name.
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();
      absl::StrAppend(&canonical_headers, ",", headers[i].second, "\n");
      continue;
    }
    absl::StrAppend(&canonical_headers, headers[i].first, ":", headers[i].second, "\n");
    names.push_back(headers[i].first);
  }
  *signed_headers = absl::StrJoin(names, ";");
  return absl::StrCat(request.method, "\n", request.encoded_path, "\n",
                      absl::StrJoin(query_parts, "&"), "\n", canonical_headers, "\n",
                      *signed_headers, "\n", request.payload_hash);
}

std::string StringToSign(absl::string_view amz_date, absl::string_view scope,
                         absl::string_view canonical_request) {
  return absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n",
                      Sha256Hex(canonical_request));
}

std::string AuthorizationHeader(const SigningKeyInfo& key, absl::string_view amz_date,
                                const SigningRequest& request) {
  absl::string_view date = amz_date.substr(0, 8);
  std::string scope = absl::StrCat(date, "/", key.region, "/", key.service, "/aws4_request");
  std::string signed_headers;
  std::string canonical = CanonicalRequest(request, &signed_headers);
  std::string string_to_sign = StringToSign(amz_date, scope, canonical);
  std::string k = HmacSha256(absl::StrCat("AWS4", key.secret_access_key), date);
  k = HmacSha256(k, key.region);
  k = HmacSha256(k, key.service);
  k = HmacSha256(k, "aws4_request");
  std::string signature = HexEncode(HmacSha256(k, string_to_sign));
  sodium_memzero(k.data(), k.size());
  return absl::StrCat("AWS4-HMAC-SHA256 Credential=", key.access_key_id, "/", scope,
                      ", SignedHeaders=", signed_headers, ", Signature=", signature);
}

}  // namespace pgark::storage::s3
