#include "format/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "format/codec/checksum.h"

namespace pgark::format {
namespace {

constexpr absl::string_view kKeyFilePrefix = "pgark-key-v1:";
constexpr absl::string_view kPublicPrefix = "pgark-x25519-public-v1:";
constexpr absl::string_view kSecretPrefix = "pgark-x25519-secret-v1:";
constexpr size_t kMaxSecretFile = 64 << 10;

std::string ShortId(absl::string_view domain, const uint8_t* bytes) {
  unsigned char out[16];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(domain.data()),
                     domain.size(), bytes, 32);
  return HexEncode(absl::string_view(reinterpret_cast<char*>(out), 8));
}

// Parses "<prefix><64 hex digits>" with surrounding whitespace into 32 bytes.
absl::Status ParsePrefixedHex(absl::string_view contents, absl::string_view prefix,
                              absl::string_view what, uint8_t* out32) {
  absl::string_view text = absl::StripAsciiWhitespace(contents);
  if (!absl::ConsumePrefix(&text, prefix)) {
    if (absl::StartsWith(text, "pgark-")) {
      size_t colon = text.find(':');
      return absl::InvalidArgumentError(absl::StrCat(
          "not ", what, ": found a '", text.substr(0, std::min<size_t>(colon, 40)), "' file"));
    }
    return absl::InvalidArgumentError(absl::StrCat("not ", what, " (missing '", prefix, "')"));
  }
  size_t bin_len = 0;
  if (text.size() != 64 ||
      sodium_hex2bin(out32, 32, text.data(), text.size(), nullptr, &bin_len, nullptr) != 0 ||
      bin_len != 32) {
    sodium_memzero(out32, 32);
    return absl::InvalidArgumentError(absl::StrCat("malformed ", what, " (expected 64 hex digits)"));
  }
  return absl::OkStatus();
}

std::string EncodePrefixedHex(absl::string_view prefix, const uint8_t* bytes32) {
  char hex[65];
  sodium_bin2hex(hex, sizeof(hex), bytes32, 32);
  std::string out = absl::StrCat(prefix, absl::string_view(hex, 64), "\n");
  sodium_memzero(hex, sizeof(hex));
  return out;
}

// Warns (never refuses) when a regular secret file can be read by its group or by others.
// Refusing would break common deployments: Kubernetes mounts secrets 0644 unless
// defaultMode is set, and a shared group may be deliberate. Pipes and devices (a
// passphrase on <(...) or /dev/stdin) have no meaningful mode and are not checked.
void WarnIfReadableByOthers(const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
  const char* who = (st.st_mode & S_IRGRP) == 0   ? "other users"
                    : (st.st_mode & S_IROTH) == 0 ? "its group"
                                                  : "its group and other users";
  PGARK_LOG(kWarning) << "'" << path << "' holds a secret but "
                      << absl::StrFormat("has mode %04o", st.st_mode & 07777) << ": " << who
                      << " can read it; run chmod 600 '" << path << "'";
}

}  // namespace

std::string KeySourceNote(const KeyRing& ring) {
  if (!ring.passphrase_from_environment) return "";
  return " (PGARK_PASSPHRASE is set in the environment; unset it to read unencrypted archives)";
}

absl::Status EnsureSodium() {
  static const int result = sodium_init();
  if (result < 0) return absl::InternalError("libsodium initialization failed");
  return absl::OkStatus();
}

SecretKey::SecretKey(const uint8_t* bytes) { std::memcpy(bytes_.data(), bytes, kSize); }
SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), kSize); }
SecretKey SecretKey::Random() {
  (void)EnsureSodium();
  SecretKey key;
  randombytes_buf(key.bytes_.data(), kSize);
  return key;
}

SecretString::~SecretString() { sodium_memzero(value_.data(), value_.size()); }

std::string KeyFileId(const SecretKey& key) { return ShortId("pgark-keyid-v1", key.data()); }
std::string RecipientId(const PublicKey& public_key) {
  return ShortId("pgark-recipient-v1", public_key.data());
}

std::string EncodeKeyFile(const SecretKey& key) {
  return EncodePrefixedHex(kKeyFilePrefix, key.data());
}

absl::StatusOr<SecretKey> ParseKeyFile(absl::string_view contents) {
  SecretKey key;
  if (contents.size() == SecretKey::kSize && !absl::StartsWith(contents, "pgark-")) {
    std::memcpy(key.mutable_data(), contents.data(), SecretKey::kSize);
    return key;
  }
  absl::Status s = ParsePrefixedHex(contents, kKeyFilePrefix, "a pgark key file", key.mutable_data());
  if (!s.ok()) return s;
  return key;
}

X25519KeyPair GenerateX25519KeyPair() {
  (void)EnsureSodium();
  X25519KeyPair pair;
  crypto_box_keypair(pair.public_key.data(), pair.secret_key.mutable_data());
  return pair;
}

std::string EncodeX25519Public(const PublicKey& key) {
  return EncodePrefixedHex(kPublicPrefix, key.data());
}
std::string EncodeX25519Secret(const SecretKey& key) {
  return EncodePrefixedHex(kSecretPrefix, key.data());
}

absl::StatusOr<PublicKey> ParseX25519Public(absl::string_view contents) {
  PublicKey key;
  absl::Status s = ParsePrefixedHex(contents, kPublicPrefix, "an X25519 public key file", key.data());
  if (!s.ok()) return s;
  return key;
}

absl::StatusOr<X25519KeyPair> ParseX25519Secret(absl::string_view contents) {
  PGARK_RETURN_IF_ERROR(EnsureSodium());
  X25519KeyPair pair;
  absl::Status s = ParsePrefixedHex(contents, kSecretPrefix, "an X25519 secret key file",
                                    pair.secret_key.mutable_data());
  if (!s.ok()) return s;
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

absl::StatusOr<SecretString> ReadSecretFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("cannot open '", path, "'"));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return base::ErrnoToStatus(e, absl::StrCat("cannot stat '", path, "'"));
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
  }
  WarnIfReadableByOthers(path, st);
  std::string buffer(kMaxSecretFile + 1, '\0');
  size_t used = 0;
  while (used < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      sodium_memzero(buffer.data(), buffer.size());
      return base::ErrnoToStatus(e, absl::StrCat("cannot read '", path, "'"));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (used > kMaxSecretFile) {
    sodium_memzero(buffer.data(), buffer.size());
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is too large for a key or passphrase file (max 64 KiB)"));
  }
  SecretString result(absl::string_view(buffer.data(), used));
  sodium_memzero(buffer.data(), buffer.size());
  return result;
}

absl::StatusOr<SecretString> PassphraseFromFileContents(absl::string_view contents) {
  if (absl::EndsWith(contents, "\r\n")) {
    contents.remove_suffix(2);
  } else if (absl::EndsWith(contents, "\n")) {
    contents.remove_suffix(1);
  }
  if (contents.empty()) return absl::InvalidArgumentError("the passphrase is empty");
  return SecretString(contents);
}

absl::StatusOr<KeyRing> LoadKeyRing(const std::string& passphrase_file, const std::string& key_file,
                                    const std::string& identity_file, const char* passphrase_env) {
  KeyRing ring;
  if (!passphrase_file.empty()) {
    PGARK_ASSIGN_OR_RETURN(SecretString contents, ReadSecretFile(passphrase_file));
    auto pass = PassphraseFromFileContents(contents.view());
    if (!pass.ok()) return base::Annotate(pass.status(), absl::StrCat("'", passphrase_file, "'"));
    ring.passphrase = *std::move(pass);
  } else if (passphrase_env != nullptr && passphrase_env[0] != '\0') {
    ring.passphrase = SecretString(passphrase_env);
    ring.passphrase_from_environment = true;
  }
  if (!key_file.empty()) {
    PGARK_ASSIGN_OR_RETURN(SecretString contents, ReadSecretFile(key_file));
    auto key = ParseKeyFile(contents.view());
    if (!key.ok()) return base::Annotate(key.status(), absl::StrCat("'", key_file, "'"));
    ring.key_files.push_back(*std::move(key));
  }
  if (!identity_file.empty()) {
    PGARK_ASSIGN_OR_RETURN(SecretString contents, ReadSecretFile(identity_file));
    auto pair = ParseX25519Secret(contents.view());
    if (!pair.ok()) return base::Annotate(pair.status(), absl::StrCat("'", identity_file, "'"));
    ring.identities.push_back(*std::move(pair));
  }
  return ring;
}

}  // namespace pgark::format
