#include "engine/storage/stdio/stdio_storage.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "format/base/cancellation.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::storage {
namespace {

constexpr size_t kBufferSize = 1 << 20;

absl::Status Unsupported(absl::string_view what) {
  return absl::UnimplementedError(absl::StrCat(what, " is not possible on standard input/output"));
}

class StdoutWriter final : public ObjectWriter {
 public:
  StdoutWriter(int fd, std::atomic<bool>* open_flag) : fd_(fd), open_flag_(open_flag) {
    buffer_.reserve(kBufferSize);
  }
  ~StdoutWriter() override { open_flag_->store(false); }

  absl::Status Append(absl::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("append after close");
    if (!status_.ok()) return status_;
    bytes_written_ += data.size();
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= kBufferSize) status_ = Flush();
    return status_;
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("close called twice");
    closed_ = true;
    if (!status_.ok()) return status_;
    PGARK_RETURN_IF_ERROR(Flush());
    struct stat st;
    // A redirect to a file (pgark dump -f - > x.pgark) deserves durability too; pipes and
    // terminals cannot be synced.
    if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd_) != 0) {
      return base::ErrnoToStatus(errno, "syncing standard output");
    }
    return absl::OkStatus();
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  absl::Status Flush() {
    const char* data = buffer_.data();
    size_t size = buffer_.size();
    while (size > 0) {
      ssize_t n = write(fd_, data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::ErrnoToStatus(errno, "writing standard output");
      data += n;
      size -= static_cast<size_t>(n);
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  int fd_;
  std::atomic<bool>* open_flag_;
  std::string buffer_;
  uint64_t bytes_written_ = 0;
  absl::Status status_;
  bool closed_ = false;
};

class StdinReader final : public ObjectReader {
 public:
  StdinReader(int fd, std::atomic<bool>* open_flag) : fd_(fd), open_flag_(open_flag) {}
  ~StdinReader() override { open_flag_->store(false); }

  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    size_t old_size = out->size();
    out->resize(old_size + max_bytes);
    while (true) {
      // A writer that stalls (a slow producer, a stuck network copy) must not keep an
      // interrupted or failed restore waiting here: wait for input in steps and give up on a
      // signal or once abandoned.
      if (abandoned_.load()) {
        out->resize(old_size);
        return absl::CancelledError("standard input abandoned: the restore stopped");
      }
      struct pollfd ready = {fd_, POLLIN, 0};
      const int polled = poll(&ready, 1, 100);
      if (polled < 0 && errno != EINTR) {
        const int saved = errno;
        out->resize(old_size);
        return base::ErrnoToStatus(saved, "waiting for standard input");
      }
      if (polled <= 0) {
        if (base::CancelRequested()) {
          out->resize(old_size);
          return absl::CancelledError("interrupted while waiting for standard input");
        }
        continue;
      }
      ssize_t n = read(fd_, out->data() + old_size, max_bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int saved = errno;
        out->resize(old_size);
        return base::ErrnoToStatus(saved, "reading standard input");
      }
      out->resize(old_size + static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
  }
  absl::Status ReadAt(uint64_t, size_t, std::string*) override { return Unsupported("ReadAt"); }
  absl::StatusOr<uint64_t> Size() override { return Unsupported("Size"); }
  void Abandon() override { abandoned_.store(true); }

 private:
  int fd_;
  std::atomic<bool>* open_flag_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace

StdioStorage::StdioStorage(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {}

absl::StatusOr<std::unique_ptr<ObjectWriter>> StdioStorage::NewWriter(absl::string_view,
                                                                     const WriteOptions&) {
  if (writer_open_.exchange(true)) {
    return absl::FailedPreconditionError("standard output already has a writer");
  }
  return std::make_unique<StdoutWriter>(out_fd_, &writer_open_);
}

absl::StatusOr<std::unique_ptr<ObjectReader>> StdioStorage::NewReader(absl::string_view) {
  if (reader_open_.exchange(true)) {
    return absl::FailedPreconditionError("standard input already has a reader");
  }
  return std::make_unique<StdinReader>(in_fd_, &reader_open_);
}

absl::StatusOr<ObjectInfo> StdioStorage::Stat(absl::string_view) { return Unsupported("Stat"); }
absl::StatusOr<std::vector<ObjectInfo>> StdioStorage::List(absl::string_view) {
  return Unsupported("List");
}
absl::Status StdioStorage::Remove(absl::string_view) { return Unsupported("Remove"); }
absl::Status StdioStorage::Copy(absl::string_view, absl::string_view) {
  return Unsupported("Copy");
}

}  // namespace pgark::storage
