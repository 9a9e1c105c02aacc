#pragma once
// Key material for encrypted archives: data keys, key files, X25519 key pairs,
// passphrases, and the key-slot parameters a writer is given and a reader reports.
//
// Scheme (docs/format.md, "Keys"): every archive has a random 32-byte data key (DEK).
// The DEK is wrapped in up to kMaxKeySlots key slots in the file header:
//   - passphrase: KEK = Argon2id(passphrase, random salt, ops, mem), parameters stored in
//     the slot and capped on read (kArgonMaxOps / kArgonMaxMem);
//   - key file:   KEK = a 32-byte random key from `pgark keygen -o FILE`;
//   - X25519:     crypto_box_seal(DEK, recipient public key): a host can write archives
//     with a public key only and cannot read them back.
// After a slot unwraps, the header's key commitment is checked first, so a wrong key is
// reported as such (kUnauthenticated) before any frame is touched.
//
// Secrets live in SecretKey / SecretString, which wipe their bytes (sodium_memzero) on
// destruction and never appear in logs or error messages. Thread-safety: these are
// values; const access from several threads is safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "format/archive_constants.h"

namespace pgark::format {

// Initializes libsodium once (thread-safe, idempotent). Every function here and the
// writer/reader call it; exposed for callers that use libsodium directly.
absl::Status EnsureSodium();

// 32 secret bytes, wiped on destruction. Movable, copyable (copies are wiped too).
class SecretKey {
 public:
  static constexpr size_t kSize = 32;
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(const uint8_t* bytes);
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();
  // A new key from the system CSPRNG (randombytes_buf).
  static SecretKey Random();
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }

 private:
  std::array<uint8_t, kSize> bytes_;
};

// A passphrase (or any secret string), wiped on destruction.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(absl::string_view value) : value_(value.data(), value.size()) {}
  SecretString(const SecretString& other) = default;
  SecretString& operator=(const SecretString& other) = default;
  ~SecretString();
  absl::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

using PublicKey = std::array<uint8_t, 32>;

struct X25519KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// Argon2id parameters stored in a passphrase slot.
struct ArgonParams {
  uint64_t ops = kArgonDefaultOps;  // crypto_pwhash opslimit
  uint64_t mem = kArgonDefaultMem;  // crypto_pwhash memlimit, bytes
};

// Key slots requested from the writer. Empty (no entries) = unencrypted archive.
struct EncryptionOptions {
  struct Passphrase {
    SecretString passphrase;
    ArgonParams params;
  };
  std::vector<Passphrase> passphrases;
  std::vector<SecretKey> key_files;
  std::vector<PublicKey> recipients;  // X25519 public keys
  bool enabled() const {
    return !passphrases.empty() || !key_files.empty() || !recipients.empty();
  }
};

// Keys a reader may try, in this order: key files, identities, passphrase (the slow one
// last). Argon2id runs at most once per passphrase slot whose params pass the caps.
struct KeyRing {
  std::optional<SecretString> passphrase;
  std::vector<SecretKey> key_files;
  std::vector<X25519KeyPair> identities;  // secret keys from `pgark keygen --x25519`
  // Refuse an unencrypted archive (downgrade protection). Readers also refuse one whenever
  // any key is supplied: an attacker could swap an encrypted archive for a plain one.
  bool require_encryption = false;
  // The passphrase came from PGARK_PASSPHRASE, not from a file named on the command line:
  // a key the user may not know they gave (see KeySourceNote).
  bool passphrase_from_environment = false;
  bool empty() const { return !passphrase && key_files.empty() && identities.empty(); }
};

// Where a ring's key came from when the user may not know they gave one, for messages
// about a key that was given: " (PGARK_PASSPHRASE is set in the environment; unset it to
// read unencrypted archives)" when the passphrase came from the environment, else "".
std::string KeySourceNote(const KeyRing& ring);

// A key slot as reported by ArchiveReader / inspect: no secret material.
struct KeySlotInfo {
  KeySlotType type = KeySlotType::kKeyFile;
  // Key files: BLAKE2b-64 id of the key; X25519: id of the recipient public key; both in
  // hex, so "archive needs key id X; you supplied Y" can be reported. Empty for passphrases.
  std::string key_id;
  ArgonParams argon;  // passphrase slots only
};

// Short public id of a key file key or an X25519 public key (16 hex digits). Safe to log.
std::string KeyFileId(const SecretKey& key);
std::string RecipientId(const PublicKey& public_key);

// --- Key files -------------------------------------------------------------------------
// Key file text: "pgark-key-v1:" + 64 lowercase hex digits + "\n".
// X25519 public: "pgark-x25519-public-v1:" + 64 hex + "\n";
// X25519 secret: "pgark-x25519-secret-v1:" + 64 hex + "\n".
// Parsers accept surrounding whitespace; ParseKeyFile also accepts exactly 32 raw bytes.
// Errors: kInvalidArgument naming what the bytes looked like (never echoing them).
std::string EncodeKeyFile(const SecretKey& key);
absl::StatusOr<SecretKey> ParseKeyFile(absl::string_view contents);
X25519KeyPair GenerateX25519KeyPair();
std::string EncodeX25519Public(const PublicKey& key);
std::string EncodeX25519Secret(const SecretKey& key);
absl::StatusOr<PublicKey> ParseX25519Public(absl::string_view contents);
// Returns the pair (the public key is recomputed from the secret).
absl::StatusOr<X25519KeyPair> ParseX25519Secret(absl::string_view contents);

// Reads a small secret file (<= 64 KiB) into a SecretString. Errors: kNotFound,
// kPermissionDenied, kInvalidArgument (too large). The message names the path only.
// A regular file that its group or others may read is read all the same, with a warning
// on stderr naming the path and mode and suggesting `chmod 600` (never the contents).
absl::StatusOr<SecretString> ReadSecretFile(const std::string& path);
// A passphrase from a file's contents: strips one trailing "\n" or "\r\n"; an empty
// result is kInvalidArgument.
absl::StatusOr<SecretString> PassphraseFromFileContents(absl::string_view contents);

// Builds a KeyRing from files (any may be empty = not given) and, when
// `passphrase_env` is non-null and non-empty, from that passphrase (PGARK_PASSPHRASE).
absl::StatusOr<KeyRing> LoadKeyRing(const std::string& passphrase_file,
                                    const std::string& key_file,
                                    const std::string& identity_file,
                                    const char* passphrase_env);

}  // namespace pgark::format
