#pragma once
// engine/ops: SHA-256 of archives and their `sha256sum -c` sidecars.
//
// A sidecar checksums/<file>.sha256 holds one line per copy of the archive under the root,
// "<64 lower-case hex>  <tier>/<file>\n" (GNU coreutils' text-mode format), so
//   cd <root> && sha256sum -c checksums/<file>.sha256
// checks every copy with standard tools. Retention rewrites the sidecar when it removes a
// copy and deletes it with the last one.
//
// Sha256 and HashingWriter are used by one thread at a time; the free functions are pure.

#include <memory>
#include <string>
#include <vector>

#include <sodium.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/storage/storage.h"

namespace pgark::ops {

// Streaming SHA-256 (libsodium crypto_hash_sha256).
class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view data);
  // The digest as 64 lower-case hex characters. REQUIRES: called once.
  std::string FinishHex();

 private:
  crypto_hash_sha256_state state_;
};

// An ObjectWriter that hashes everything appended before passing it on. Owns `inner`.
// sha256_hex() is valid after a successful Close().
class HashingWriter : public storage::ObjectWriter {
 public:
  explicit HashingWriter(std::unique_ptr<storage::ObjectWriter> inner);
  absl::Status Append(absl::string_view data) override;
  absl::Status Close() override;
  // Counted here: some writers reset their count when Close() hands the bytes over.
  uint64_t bytes_written() const override { return bytes_; }
  const std::string& sha256_hex() const { return hex_; }

 private:
  std::unique_ptr<storage::ObjectWriter> inner_;
  Sha256 hash_;
  uint64_t bytes_ = 0;
  std::string hex_;
};

// The sidecar text for `sha256_hex` and the copies' keys relative to the root.
std::string FormatSidecar(absl::string_view sha256_hex, const std::vector<std::string>& keys);

struct Sidecar {
  std::string sha256_hex;
  std::vector<std::string> keys;
};
// Parses sidecar text. kDataLoss if a line is malformed or the lines disagree on the hash.
absl::StatusOr<Sidecar> ParseSidecar(absl::string_view text);

// Reads `key` from `storage` to the end and returns its SHA-256 (hex) and size.
// Errors: those of the storage (kNotFound, kUnavailable, ...).
struct ObjectDigest {
  std::string sha256_hex;
  uint64_t size = 0;
};
absl::StatusOr<ObjectDigest> HashObject(storage::Storage& storage, absl::string_view key);

// Reads a whole (small) object; kFailedPrecondition if it exceeds `max_bytes`.
absl::StatusOr<std::string> ReadSmallObject(storage::Storage& storage, absl::string_view key,
                                            size_t max_bytes = 1 << 20);
// Writes a whole (small) object, replacing any existing one.
absl::Status WriteSmallObject(storage::Storage& storage, absl::string_view key,
                              absl::string_view data);

}  // namespace pgark::ops
