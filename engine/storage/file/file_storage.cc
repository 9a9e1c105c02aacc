#include "engine/storage/file/file_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/storage/key.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::storage {
namespace {

constexpr absl::string_view kTempMarker = ".pgark-tmp-";
// Appends are gathered into blocks this large before write(2): archive writers append
// small frames, and a syscall per frame would dominate.
constexpr size_t kWriteBufferSize = 1 << 20;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

absl::Status FsyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("opening directory '", dir, "'"));
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  if (rc != 0) return base::ErrnoToStatus(saved, absl::StrCat("syncing directory '", dir, "'"));
  return absl::OkStatus();
}

// mkdir -p with mode 0700.
absl::Status MakeDirectories(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("'", dir, "' exists and is not a directory"));
  }
  std::string parent = DirName(dir);
  if (parent != dir) PGARK_RETURN_IF_ERROR(MakeDirectories(parent));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return base::ErrnoToStatus(errno, absl::StrCat("creating directory '", dir, "'"));
  }
  return absl::OkStatus();
}

// mkostemp on `temp_template` (ends in XXXXXX) and flock(LOCK_EX) on the new file, which
// tells a sweeper that a writer is alive. Returns the fd, or -1 with errno set.
int CreateLockedTemp(std::string& temp_template) {
  int fd = mkostemp(temp_template.data(), O_CLOEXEC);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    close(fd);
    unlink(temp_template.c_str());
    errno = saved;
    return -1;
  }
  return fd;
}

std::string TempTemplate(const std::string& dir, const std::string& final_path) {
  return absl::StrCat(dir, "/.", BaseName(final_path), kTempMarker, FileStorageWriterId(), "-XXXXXX");
}

// The writer of temp file `name`, parsed from "<...>.pgark-tmp-<host>.<pid>-XXXXXX".
// False for names without a writer id.
bool ParseTempWriter(absl::string_view name, std::string* host, pid_t* pid) {
  size_t marker = name.rfind(kTempMarker);
  if (marker == absl::string_view::npos) return false;
  absl::string_view tail = name.substr(marker + kTempMarker.size());
  if (tail.size() < 10 || tail[tail.size() - 7] != '-') return false;
  absl::string_view id = tail.substr(0, tail.size() - 7);
  size_t dot = id.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == id.size() || id.size() - dot > 11) return false;
  int64_t value = 0;
  for (char c : id.substr(dot + 1)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value <= 0 || value > 0x7fffffff) return false;
  *host = std::string(id.substr(0, dot));
  *pid = static_cast<pid_t>(value);
  return true;
}

bool ProcessRuns(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::string ThisHost() {
  std::string id = FileStorageWriterId();
  return id.substr(0, id.rfind('.'));
}

// Classifies temp file `path` (named `name`); removes it when provably stale and `remove`.
absl::Status SweepOne(const std::string& path, absl::string_view name, bool remove,
                      FileStorage::TempSweep* out) {
  std::string host;
  pid_t pid = 0;
  if (!ParseTempWriter(name, &host, &pid) || host != ThisHost()) {
    out->unproven.push_back(path);
    return absl::OkStatus();
  }
  if (ProcessRuns(pid)) return absl::OkStatus();  // its writer (or a pid reuser): leave it
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return absl::OkStatus();  // gone meanwhile (published or removed), or not a file
  // A lock held means a live writer after all (another pid namespace sharing the host
  // name): not stale. Holding the lock ourselves keeps a second sweeper from racing us.
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return absl::OkStatus();
  }
  struct stat by_fd, by_name;
  bool same = fstat(fd, &by_fd) == 0 && lstat(path.c_str(), &by_name) == 0 && S_ISREG(by_fd.st_mode) &&
              by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev;
  absl::Status status;
  if (same) {
    out->stale.push_back(path);
    if (remove && unlink(path.c_str()) != 0 && errno != ENOENT) {
      status = base::ErrnoToStatus(errno, absl::StrCat("removing stale temp file '", path, "'"));
    }
  }
  close(fd);
  return status;
}

// Sweeps the temp files in `dir` (and below when `recursive`); `only_for`: only the temp
// files of that file name.
absl::Status SweepDirectory(const std::string& dir, bool recursive, absl::string_view only_for, bool remove,
                            FileStorage::TempSweep* out) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return base::ErrnoToStatus(errno, absl::StrCat("listing '", dir, "'"));
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(handle);
  std::sort(names.begin(), names.end());
  const std::string prefix = absl::StrCat(".", only_for, kTempMarker);
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    if (IsFileStorageTempName(name)) {
      if (only_for.empty() || absl::StartsWith(name, prefix)) PGARK_RETURN_IF_ERROR(SweepOne(path, name, remove, out));
      continue;
    }
    struct stat st;
    if (recursive && lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      PGARK_RETURN_IF_ERROR(SweepDirectory(path, true, only_for, remove, out));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoToStatus(errno, absl::StrCat("writing '", path, "'"));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

class FileWriter final : public ObjectWriter {
 public:
  FileWriter(int fd, std::string temp_path, std::string final_path, bool overwrite)
      : fd_(fd), temp_path_(std::move(temp_path)), final_path_(std::move(final_path)),
        overwrite_(overwrite) {
    buffer_.reserve(kWriteBufferSize);
  }
  ~FileWriter() override {
    if (fd_ >= 0) close(fd_);
    if (!published_) unlink(temp_path_.c_str());
  }

  absl::Status Append(absl::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("append after close");
    if (!status_.ok()) return status_;
    bytes_written_ += data.size();
    if (buffer_.size() + data.size() < kWriteBufferSize) {
      buffer_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    status_ = Flush();
    if (status_.ok()) status_ = WriteAll(fd_, data.data(), data.size(), final_path_);
    return status_;
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("close called twice");
    closed_ = true;
    if (!status_.ok()) return status_;
    PGARK_RETURN_IF_ERROR(Flush());
    if (fsync(fd_) != 0) {
      return base::ErrnoToStatus(errno, absl::StrCat("syncing '", final_path_, "'"));
    }
    int rc = close(fd_);
    fd_ = -1;
    if (rc != 0) return base::ErrnoToStatus(errno, absl::StrCat("closing '", final_path_, "'"));
    if (overwrite_) {
      if (rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
        return base::ErrnoToStatus(errno, absl::StrCat("publishing '", final_path_, "'"));
      }
    } else {
      // link(2) fails with EEXIST instead of replacing: a concurrent writer of the same
      // key cannot be clobbered.
      if (link(temp_path_.c_str(), final_path_.c_str()) != 0) {
        int saved = errno;
        if (saved == EEXIST) {
          return absl::AlreadyExistsError(absl::StrCat("'", final_path_, "' already exists"));
        }
        return base::ErrnoToStatus(saved, absl::StrCat("publishing '", final_path_, "'"));
      }
      unlink(temp_path_.c_str());
    }
    published_ = true;
    return FsyncDirectory(DirName(final_path_));
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  absl::Status Flush() {
    absl::Status s = WriteAll(fd_, buffer_.data(), buffer_.size(), final_path_);
    buffer_.clear();
    return s;
  }

  int fd_;
  std::string temp_path_;
  std::string final_path_;
  bool overwrite_;
  std::string buffer_;
  uint64_t bytes_written_ = 0;
  absl::Status status_;  // first write error; sticky
  bool closed_ = false;
  bool published_ = false;
};

class FileReader final : public ObjectReader {
 public:
  FileReader(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~FileReader() override { close(fd_); }

  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    size_t old_size = out->size();
    out->resize(old_size + max_bytes);
    while (true) {
      ssize_t n = read(fd_, out->data() + old_size, max_bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int saved = errno;
        out->resize(old_size);
        return base::ErrnoToStatus(saved, absl::StrCat("reading '", path_, "'"));
      }
      out->resize(old_size + static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
  }

  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    if (offset > size_ || length > size_ - offset) {
      return absl::OutOfRangeError(absl::StrCat("reading ", length, " bytes at offset ", offset,
                                                " of '", path_, "' (", size_, " bytes)"));
    }
    size_t old_size = out->size();
    out->resize(old_size + length);
    size_t done = 0;
    while (done < length) {
      ssize_t n = pread(fd_, out->data() + old_size + done, length - done,
                        static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int saved = errno;
        out->resize(old_size);
        if (n == 0) return absl::DataLossError(absl::StrCat("'", path_, "' shrank while reading"));
        return base::ErrnoToStatus(saved, absl::StrCat("reading '", path_, "'"));
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override { return size_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

ObjectInfo InfoFromStat(std::string key, const struct stat& st) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<uint64_t>(st.st_size);
  info.modified = absl::TimeFromTimespec(st.st_mtim);
  return info;
}

// Appends every regular file under `dir` (key prefix `key_prefix`) whose key starts with
// `prefix` to *out.
absl::Status Walk(const std::string& dir, const std::string& key_prefix, absl::string_view prefix,
                  std::vector<ObjectInfo>* out) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return base::ErrnoToStatus(errno, absl::StrCat("listing '", dir, "'"));
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(handle)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || IsFileStorageTempName(name)) continue;
    names.push_back(std::move(name));
  }
  closedir(handle);
  for (const std::string& name : names) {
    std::string key = key_prefix + name;
    // Prune subtrees that cannot match: the key must be a prefix of `prefix` or extend it.
    size_t common = std::min(key.size(), prefix.size());
    if (key.compare(0, common, prefix.data(), common) != 0) continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;  // removed meanwhile
    if (S_ISDIR(st.st_mode)) {
      PGARK_RETURN_IF_ERROR(Walk(path, key + "/", prefix, out));
    } else if (S_ISREG(st.st_mode) && absl::StartsWith(key, prefix)) {
      out->push_back(InfoFromStat(key, st));
    }
  }
  return absl::OkStatus();
}

// Copies `from` into a fresh temp file `temp_template` (mkostemp pattern) and links it as
// `to`. The temp file is always removed.
absl::Status CopyBytes(const std::string& from, const std::string& to, std::string temp) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return base::ErrnoToStatus(errno, absl::StrCat("opening '", from, "'"));
  int out = CreateLockedTemp(temp);
  if (out < 0) {
    int saved = errno;
    close(in);
    return base::ErrnoToStatus(saved, absl::StrCat("creating '", temp, "'"));
  }
  absl::Status status;
  std::string buffer(kWriteBufferSize, '\0');
  while (status.ok()) {
    ssize_t n = read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = base::ErrnoToStatus(errno, absl::StrCat("reading '", from, "'"));
    if (n <= 0) break;
    status = WriteAll(out, buffer.data(), static_cast<size_t>(n), to);
  }
  if (status.ok() && fsync(out) != 0) status = base::ErrnoToStatus(errno, "fsync");
  close(in);
  if (close(out) != 0 && status.ok()) status = base::ErrnoToStatus(errno, "close");
  if (status.ok() && link(temp.c_str(), to.c_str()) != 0) {
    status = errno == EEXIST ? absl::AlreadyExistsError(absl::StrCat("'", to, "' already exists"))
                             : base::ErrnoToStatus(errno, absl::StrCat("publishing '", to, "'"));
  }
  unlink(temp.c_str());
  return status;
}

}  // namespace

bool IsFileStorageTempName(absl::string_view file_name) {
  return absl::StartsWith(file_name, ".") &&
         file_name.find(kTempMarker) != absl::string_view::npos;
}

std::string FileStorageWriterId() {
  static const std::string id = [] {
    char buffer[256] = {0};
    std::string host = gethostname(buffer, sizeof(buffer) - 1) == 0 ? buffer : "";
    if (host.empty()) host = "unknown";
    if (host.size() > 64) host.resize(64);
    for (char& c : host) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) c = '_';
    }
    return host;
  }();
  // The pid is read each time: a forked child writes under its own pid.
  return absl::StrCat(id, ".", getpid());
}

absl::StatusOr<FileStorage::TempSweep> FileStorage::RemoveStaleTemps() {
  TempSweep sweep;
  PGARK_RETURN_IF_ERROR(SweepDirectory(root_, /*recursive=*/true, "", /*remove=*/true, &sweep));
  return sweep;
}

absl::StatusOr<FileStorage::TempSweep> FileStorage::FindStaleTemps(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  TempSweep sweep;
  PGARK_RETURN_IF_ERROR(SweepDirectory(DirName(path), /*recursive=*/false, BaseName(path), /*remove=*/false, &sweep));
  return sweep;
}

FileStorage::FileStorage(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = ".";
}

StorageFeatures FileStorage::features() const {
  StorageFeatures f;
  f.random_read = true;
  f.list = true;
  f.server_side_copy = true;
  f.local_read = true;
  return f;
}

std::string FileStorage::DisplayName() const { return root_; }

std::string FileStorage::PathOf(absl::string_view key) const {
  return root_ == "/" ? absl::StrCat("/", key) : absl::StrCat(root_, "/", key);
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> FileStorage::NewWriter(absl::string_view key,
                                                                    const WriteOptions& options) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  struct stat st;
  if (!options.overwrite && lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("'", path, "' already exists"));
  }
  // Only a file is replaced: the final rename over a directory would fail after all the work.
  if (options.overwrite && stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' exists and is not a regular file", S_ISDIR(st.st_mode) ? " but a directory" : "",
                     ": only a file can be replaced"));
  }
  std::string dir = DirName(path);
  PGARK_RETURN_IF_ERROR(MakeDirectories(dir));
  std::string temp = TempTemplate(dir, path);
  int fd = CreateLockedTemp(temp);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("creating a temp file for '", path, "'"));
  // mkostemp creates 0600; apply the requested mode explicitly (not subject to umask).
  if (fchmod(fd, options.file_mode & 07777) != 0) {
    int saved = errno;
    close(fd);
    unlink(temp.c_str());
    return base::ErrnoToStatus(saved, absl::StrCat("setting the mode of '", temp, "'"));
  }
  return std::make_unique<FileWriter>(fd, std::move(temp), std::move(path), options.overwrite);
}

absl::StatusOr<std::unique_ptr<ObjectReader>> FileStorage::NewReader(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("opening '", path, "'"));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' is not a regular file"));
  }
  return std::make_unique<FileReader>(fd, std::move(path), static_cast<uint64_t>(st.st_size));
}

absl::StatusOr<ObjectInfo> FileStorage::Stat(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return base::ErrnoToStatus(errno, absl::StrCat("'", path, "'"));
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' is not a regular file"));
  }
  return InfoFromStat(std::string(key), st);
}

absl::StatusOr<std::vector<ObjectInfo>> FileStorage::List(absl::string_view prefix) {
  PGARK_RETURN_IF_ERROR(ValidatePrefix(prefix));
  std::vector<ObjectInfo> out;
  PGARK_RETURN_IF_ERROR(Walk(root_, "", prefix, &out));
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status FileStorage::Remove(absl::string_view key) {
  PGARK_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return base::ErrnoToStatus(errno, absl::StrCat("removing '", path, "'"));
  }
  return FsyncDirectory(DirName(path));
}

absl::Status FileStorage::Copy(absl::string_view from, absl::string_view to) {
  PGARK_RETURN_IF_ERROR(ValidateKey(from));
  PGARK_RETURN_IF_ERROR(ValidateKey(to));
  std::string from_path = PathOf(from);
  std::string to_path = PathOf(to);
  struct stat st;
  if (stat(from_path.c_str(), &st) != 0) {
    return base::ErrnoToStatus(errno, absl::StrCat("copying '", from_path, "'"));
  }
  std::string dir = DirName(to_path);
  PGARK_RETURN_IF_ERROR(MakeDirectories(dir));
  if (link(from_path.c_str(), to_path.c_str()) != 0) {
    int saved = errno;
    if (saved == EEXIST) return absl::AlreadyExistsError(absl::StrCat("'", to_path, "' already exists"));
    if (saved != EXDEV && saved != EPERM && saved != EMLINK && saved != ENOTSUP) {
      return base::ErrnoToStatus(saved, absl::StrCat("linking '", from_path, "' to '", to_path, "'"));
    }
    // Hard links are not possible here (another device, or a filesystem without them).
    std::string temp = TempTemplate(dir, to_path);
    PGARK_RETURN_IF_ERROR(CopyBytes(from_path, to_path, temp));
  }
  return FsyncDirectory(dir);
}

}  // namespace pgark::storage
