#include "cli/archive_options.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "format/keys.h"

namespace pgark::cli {

// zstd[:L] | gzip[:L] | none | a bare level (0 = none, else zstd level).
absl::Status ParseCompression(const std::string& text, format::WriterOptions* options) {
  std::vector<std::string> parts = absl::StrSplit(absl::AsciiStrToLower(text), absl::MaxSplits(':', 1));
  int level = 0;
  if (parts.size() == 1 && absl::SimpleAtoi(parts[0], &level)) {
    options->compression = level == 0 ? format::CompressionType::kNone : format::CompressionType::kZstd;
    if (level != 0) options->level = level;
    return absl::OkStatus();
  }
  if (parts[0] == "zstd") {
    options->compression = format::CompressionType::kZstd;
  } else if (parts[0] == "gzip") {
    options->compression = format::CompressionType::kGzip;
  } else if (parts[0] == "none") {
    options->compression = format::CompressionType::kNone;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("invalid -Z '", text, "' (zstd[:L], gzip[:L], none)"));
  }
  if (parts.size() == 2) {
    if (!absl::SimpleAtoi(parts[1], &level)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid compression level in -Z '", text, "'"));
    }
    options->level = level;
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::ErrnoToStatus(errno, absl::StrCat("cannot open ", what, " '", path, "'"));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

absl::Status LoadEncryption(const EncryptionSources& flags, format::EncryptionOptions* encryption) {
  if (!flags.passphrase_file.empty()) {
    PGARK_ASSIGN_OR_RETURN(format::SecretString raw, format::ReadSecretFile(flags.passphrase_file));
    PGARK_ASSIGN_OR_RETURN(format::SecretString passphrase, format::PassphraseFromFileContents(raw.view()));
    encryption->passphrases.push_back({passphrase, {}});
  } else if (const char* env = std::getenv("PGARK_PASSPHRASE");
             flags.passphrase_from_env && env != nullptr && *env != '\0') {
    encryption->passphrases.push_back({format::SecretString(env), {}});
  }
  if (!flags.key_file.empty()) {
    PGARK_ASSIGN_OR_RETURN(format::SecretString contents, format::ReadSecretFile(flags.key_file));
    PGARK_ASSIGN_OR_RETURN(format::SecretKey key, format::ParseKeyFile(contents.view()));
    encryption->key_files.push_back(key);
  }
  for (const auto& path : flags.recipients) {
    PGARK_ASSIGN_OR_RETURN(std::string contents, ReadSmallFile(path, "recipient file"));
    auto key = format::ParseX25519Public(contents);
    if (!key.ok()) return base::Annotate(key.status(), absl::StrCat("recipient file '", path, "'"));
    encryption->recipients.push_back(*key);
  }
  return absl::OkStatus();
}

}  // namespace pgark::cli
