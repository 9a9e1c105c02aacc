#include "engine/ops/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/ops/naming.h"
#include "format/base/status_util.h"

namespace pgark::ops {
namespace {

struct Holder {
  long pid = 0;
  std::string since;
  std::string host;
};

std::string ReadFd(int fd) {
  std::string text;
  char buffer[512];
  if (lseek(fd, 0, SEEK_SET) < 0) return text;
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0 && text.size() < 4096) {
    text.append(buffer, static_cast<size_t>(got));
  }
  return text;
}

Holder ParseHolder(const std::string& text) {
  Holder holder;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "pid") {
      if (!absl::SimpleAtoi(kv.second, &holder.pid)) holder.pid = 0;
    } else if (kv.first == "since") {
      holder.since = kv.second;
    } else if (kv.first == "host") {
      holder.host = kv.second;
    }
  }
  return holder;
}

std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) return "unknown";
  return host;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunLock>> RunLock::Acquire(const std::string& dir,
                                                          const std::string& name) {
  return Acquire(dir, name, absl::Now());
}

absl::StatusOr<std::unique_ptr<RunLock>> RunLock::Acquire(const std::string& dir,
                                                          const std::string& name,
                                                          absl::Time locked_at) {
  std::string path = absl::StrCat(dir, "/pgark-", SafeNamePrefix(name), ".lock");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("creating lock file '", path, "'"));
  Holder previous = ParseHolder(ReadFd(fd));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    close(fd);
    if (error != EWOULDBLOCK) {
      return base::ErrnoToStatus(error, absl::StrCat("locking '", path, "'"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "another backup of ", name, " is running since ",
        previous.since.empty() ? "an unknown time" : previous.since, ", pid ", previous.pid,
        previous.host.empty() || previous.host == HostName() ? "" : absl::StrCat(" on ", previous.host),
        " (lock file ", path, ")"));
  }
  // We hold the lock. Content left behind means the previous holder died (a clean exit
  // truncates the file before unlocking).
  std::unique_ptr<RunLock> lock(new RunLock(fd, path));
  if (previous.pid != 0) {
    bool alive = previous.host == HostName() && kill(static_cast<pid_t>(previous.pid), 0) == 0;
    lock->takeover_note_ = absl::StrCat(
        "taking over the lock of a previous backup of ", name, " (pid ", previous.pid,
        " since ", previous.since.empty() ? "an unknown time" : previous.since,
        alive ? ", a live process that no longer holds the lock" : ", no longer running",
        ") that ended without releasing it");
  }
  std::string content = absl::StrCat("pid=", getpid(), "\nsince=", FormatUtc(locked_at),
                                     "\nhost=", HostName(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, content.data(), content.size(), 0) !=
                                   static_cast<ssize_t>(content.size())) {
    return base::ErrnoToStatus(errno, absl::StrCat("writing lock file '", path, "'"));
  }
  return lock;
}

RunLock::~RunLock() {
  // Truncate before unlocking so the next run sees a clean release. The file itself stays:
  // unlinking it would let a run that opened the old inode and one that creates a new file
  // both hold "the" lock.
  if (ftruncate(fd_, 0) != 0) {
    // Harmless: the next run would only print a takeover note.
  }
  close(fd_);
}

}  // namespace pgark::ops
