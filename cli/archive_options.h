#pragma once
// Archive-writing settings shared by `pgark dump` and `pgark backup`: the -Z compression
// syntax and the encryption key sources. One parser, so a flag and a config key that mean
// the same thing accept the same values.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "format/archive_writer.h"

namespace pgark::cli {

// Parses zstd[:L] | gzip[:L] | none | a bare level (0 = none, else a zstd level) into
// options->compression and options->level. Errors: kInvalidArgument naming the text.
absl::Status ParseCompression(const std::string& text, format::WriterOptions* options);

// Where the keys that encrypt a new archive come from. Paths only: secrets never on argv.
struct EncryptionSources {
  std::string passphrase_file;          // passphrase slot from this file
  bool passphrase_from_env = true;      // else PGARK_PASSPHRASE, when set and no file given
  std::string key_file;                 // 32-byte key file slot
  std::vector<std::string> recipients;  // X25519 public key files, one slot each
};

// Reads every configured source into *encryption (left empty: no encryption).
// Errors: unreadable files (kNotFound / kPermissionDenied), malformed keys (kInvalidArgument).
absl::Status LoadEncryption(const EncryptionSources& sources, format::EncryptionOptions* encryption);

}  // namespace pgark::cli
