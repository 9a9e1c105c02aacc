// pgark keygen: key material for encrypted archives. Secret files are created with mode
// 0600 and O_EXCL: an existing file is never overwritten (it may hold the only key to
// existing backups).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "format/base/status_util.h"
#include "format/base/status_macros.h"
#include "format/keys.h"

namespace pgark::cli {
namespace {

struct KeygenFlags {
  std::string key_file;
  std::vector<std::string> x25519;  // PUBFILE SECFILE
};

// Creates `path` exclusively with `mode` and writes `contents`; removes it on failure.
absl::Status WriteNewFile(const std::string& path, const std::string& contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("'", path, "' already exists; refusing to overwrite it"));
    }
    return base::ErrnoToStatus(errno, absl::StrCat("cannot create '", path, "'"));
  }
  ::fchmod(fd, mode);  // umask must not widen or narrow what we promise
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return base::ErrnoToStatus(e, absl::StrCat("cannot write '", path, "'"));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(path.c_str());
    return base::ErrnoToStatus(e, absl::StrCat("cannot write '", path, "'"));
  }
  return absl::OkStatus();
}

absl::Status RunKeygen(const KeygenFlags& flags) {
  if (!flags.key_file.empty()) {
    format::SecretKey key = format::SecretKey::Random();
    format::SecretString text(format::EncodeKeyFile(key));
    PGARK_RETURN_IF_ERROR(WriteNewFile(flags.key_file, std::string(text.view()), 0600));
    std::printf("wrote key file %s (key id %s)\n", flags.key_file.c_str(),
                format::KeyFileId(key).c_str());
    return absl::OkStatus();
  }
  if (flags.x25519.size() == 2) {
    const std::string& pub = flags.x25519[0];
    const std::string& sec = flags.x25519[1];
    if (pub == sec) return absl::InvalidArgumentError("--x25519 needs two different files");
    format::X25519KeyPair pair = format::GenerateX25519KeyPair();
    format::SecretString secret(format::EncodeX25519Secret(pair.secret_key));
    PGARK_RETURN_IF_ERROR(WriteNewFile(sec, std::string(secret.view()), 0600));
    absl::Status s = WriteNewFile(pub, format::EncodeX25519Public(pair.public_key), 0644);
    if (!s.ok()) {
      ::unlink(sec.c_str());  // never leave half a key pair behind
      return s;
    }
    std::printf("wrote X25519 public key %s and secret key %s (recipient id %s)\n", pub.c_str(),
                sec.c_str(), format::RecipientId(pair.public_key).c_str());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("give -o KEYFILE or --x25519 PUBFILE SECFILE");
}

}  // namespace

CommandRunner SetupKeygenCommand(CLI::App& app) {
  auto flags = std::make_shared<KeygenFlags>();
  auto* key = app.add_option("-o,--output", flags->key_file, "write a random 32-byte key file");
  // CLI11 fills an option that needs two values with whatever follows, flags included
  // ("--x25519 -o rcpt" would write a file named "-o"): refuse names that look like flags
  // (a file that really starts with '-' can be given as ./-name).
  auto* pair = app.add_option("--x25519", flags->x25519, "write an X25519 key pair: PUBFILE SECFILE")
                   ->expected(2)
                   ->check(CLI::Validator(
                       [](std::string& value) -> std::string {
                         if (!value.empty() && value[0] == '-') {
                           return "'" + value + "' looks like an option, not a file name (write ./" + value +
                                  " for a file of that name)";
                         }
                         return "";
                       },
                       "FILE", "file name"));
  key->excludes(pair);
  return [flags]() -> absl::Status { return RunKeygen(*flags); };
}

}  // namespace pgark::cli
