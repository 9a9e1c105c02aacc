#include "engine/ops/sidecar.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "format/base/status_macros.h"

namespace pgark::ops {
namespace {

constexpr size_t kReadBlock = 1 << 20;

bool IsHexDigest(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

}  // namespace

Sha256::Sha256() {
  // libsodium must be initialized once per process before use; repeated calls are cheap.
  if (sodium_init() < 0) abort();
  crypto_hash_sha256_init(&state_);
}

void Sha256::Update(absl::string_view data) {
  crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}

std::string Sha256::FinishHex() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

HashingWriter::HashingWriter(std::unique_ptr<storage::ObjectWriter> inner)
    : inner_(std::move(inner)) {}

absl::Status HashingWriter::Append(absl::string_view data) {
  PGARK_RETURN_IF_ERROR(inner_->Append(data));
  hash_.Update(data);
  bytes_ += data.size();
  return absl::OkStatus();
}

absl::Status HashingWriter::Close() {
  PGARK_RETURN_IF_ERROR(inner_->Close());
  hex_ = hash_.FinishHex();
  return absl::OkStatus();
}

std::string FormatSidecar(absl::string_view sha256_hex, const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) absl::StrAppend(&out, sha256_hex, "  ", key, "\n");
  return out;
}

absl::StatusOr<Sidecar> ParseSidecar(absl::string_view text) {
  Sidecar sidecar;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    // "<hex>  <path>" (text mode) or "<hex> *<path>" (binary mode).
    if (line.size() < 67 || !IsHexDigest(line.substr(0, 64)) || line[64] != ' ' ||
        (line[65] != ' ' && line[65] != '*')) {
      return absl::DataLossError(absl::StrCat("malformed sidecar line '", line.substr(0, 80), "'"));
    }
    absl::string_view hex = line.substr(0, 64);
    if (!sidecar.sha256_hex.empty() && sidecar.sha256_hex != hex) {
      return absl::DataLossError("sidecar lines disagree on the SHA-256");
    }
    sidecar.sha256_hex = std::string(hex);
    sidecar.keys.emplace_back(line.substr(66));
  }
  if (sidecar.keys.empty()) return absl::DataLossError("empty sidecar");
  return sidecar;
}

absl::StatusOr<ObjectDigest> HashObject(storage::Storage& storage, absl::string_view key) {
  PGARK_ASSIGN_OR_RETURN(auto reader, storage.NewReader(key));
  Sha256 hash;
  ObjectDigest digest;
  std::string buffer;
  while (true) {
    buffer.clear();
    PGARK_ASSIGN_OR_RETURN(size_t got, reader->Read(kReadBlock, &buffer));
    if (got == 0) break;
    hash.Update(buffer);
    digest.size += got;
  }
  digest.sha256_hex = hash.FinishHex();
  return digest;
}

absl::StatusOr<std::string> ReadSmallObject(storage::Storage& storage, absl::string_view key,
                                            size_t max_bytes) {
  PGARK_ASSIGN_OR_RETURN(auto reader, storage.NewReader(key));
  std::string out;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(size_t got, reader->Read(64 * 1024, &out));
    if (got == 0) return out;
    if (out.size() > max_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("'", key, "' is larger than ", max_bytes, " bytes"));
    }
  }
}

absl::Status WriteSmallObject(storage::Storage& storage, absl::string_view key,
                              absl::string_view data) {
  storage::WriteOptions options;
  options.overwrite = true;
  options.expected_size = data.size();
  PGARK_ASSIGN_OR_RETURN(auto writer, storage.NewWriter(key, options));
  PGARK_RETURN_IF_ERROR(writer->Append(data));
  return writer->Close();
}

}  // namespace pgark::ops
