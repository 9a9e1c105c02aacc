#include "engine/export/gzip_members.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {

absl::StatusOr<std::unique_ptr<GzipCompressor>> GzipCompressor::Create(int level) {
  if (level < 1 || level > 12) {
    return absl::InvalidArgumentError(absl::StrCat("gzip level ", level, " is not in 1-12"));
  }
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  if (c == nullptr) return absl::ResourceExhaustedError("cannot allocate a gzip compressor");
  return std::unique_ptr<GzipCompressor>(new GzipCompressor(c));
}

GzipCompressor::~GzipCompressor() { libdeflate_free_compressor(compressor_); }

void GzipCompressor::CompressMember(absl::string_view text, std::string* out) {
  size_t bound = libdeflate_gzip_compress_bound(compressor_, text.size());
  size_t old = out->size();
  out->resize(old + bound);
  size_t n = libdeflate_gzip_compress(compressor_, text.data(), text.size(), out->data() + old,
                                      bound);
  // The bound is an upper limit for any input, so compression cannot run out of room.
  out->resize(old + n);
}

absl::StatusOr<std::unique_ptr<GzipSpool>> GzipSpool::Create(int level, std::string spill_dir) {
  std::unique_ptr<GzipSpool> spool(new GzipSpool());
  PGARK_ASSIGN_OR_RETURN(spool->compressor_, GzipCompressor::Create(level));
  if (spill_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    spill_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  spool->spill_dir_ = std::move(spill_dir);
  return spool;
}

GzipSpool::~GzipSpool() {
  if (spill_ != nullptr) fclose(spill_);
}

absl::Status GzipSpool::Append(absl::string_view text) {
  raw_bytes_ += text.size();
  while (!text.empty()) {
    size_t take = std::min(text.size(), kGzipBlockBytes - text_.size());
    text_.append(text.data(), take);
    text.remove_prefix(take);
    if (text_.size() == kGzipBlockBytes) PGARK_RETURN_IF_ERROR(CompressBlock());
  }
  return absl::OkStatus();
}

absl::Status GzipSpool::CompressBlock() {
  size_t before = compressed_.size();
  compressor_->CompressMember(text_, &compressed_);
  compressed_bytes_ += compressed_.size() - before;
  text_.clear();
  if (compressed_.size() >= kSpoolMemoryBytes) return Spill();
  return absl::OkStatus();
}

absl::Status GzipSpool::Spill() {
  if (spill_ == nullptr) {
    std::string path = absl::StrCat(spill_dir_, "/pgark-export-XXXXXX");
    int fd = mkstemp(path.data());
    if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("creating temporary file in '", spill_dir_, "'"));
    unlink(path.c_str());  // gone when closed, even after a crash
    spill_ = fdopen(fd, "w+b");
    if (spill_ == nullptr) {
      int err = errno;
      close(fd);
      return base::ErrnoToStatus(err, "opening temporary file");
    }
  }
  if (fwrite(compressed_.data(), 1, compressed_.size(), spill_) != compressed_.size()) {
    return base::ErrnoToStatus(errno, absl::StrCat("writing temporary file in '", spill_dir_, "'"));
  }
  compressed_.clear();
  return absl::OkStatus();
}

absl::Status GzipSpool::Flush() {
  if (!text_.empty()) PGARK_RETURN_IF_ERROR(CompressBlock());
  return absl::OkStatus();
}

absl::Status GzipSpool::DrainTo(storage::ObjectWriter* writer) {
  PGARK_RETURN_IF_ERROR(Flush());
  if (spill_ != nullptr) {
    if (fflush(spill_) != 0 || fseek(spill_, 0, SEEK_SET) != 0) {
      return base::ErrnoToStatus(errno, "rewinding temporary file");
    }
    std::string buf(1 << 20, '\0');
    while (true) {
      size_t n = fread(buf.data(), 1, buf.size(), spill_);
      if (n > 0) PGARK_RETURN_IF_ERROR(writer->Append(absl::string_view(buf.data(), n)));
      if (n < buf.size()) {
        if (ferror(spill_)) return base::ErrnoToStatus(errno, "reading temporary file");
        break;
      }
    }
    fclose(spill_);
    spill_ = nullptr;
  }
  if (!compressed_.empty()) PGARK_RETURN_IF_ERROR(writer->Append(compressed_));
  compressed_.clear();
  raw_bytes_ = 0;
  compressed_bytes_ = 0;
  return absl::OkStatus();
}

absl::Status GzipOutput::Commit(GzipSpool& spool) {
  // Compress the tail outside the lock; only the copy is serialised.
  PGARK_RETURN_IF_ERROR(spool.Flush());
  absl::MutexLock lock(&mu_);
  PGARK_RETURN_IF_ERROR(failed_);
  uint64_t raw = spool.raw_bytes(), compressed = spool.compressed_bytes();
  absl::Status s = spool.DrainTo(writer_);
  if (!s.ok()) {
    failed_ = s;  // a unit half-written: nothing after it may follow
    return s;
  }
  raw_bytes_ += raw;
  compressed_bytes_ += compressed;
  return absl::OkStatus();
}

absl::Status GzipOutput::Close() {
  absl::MutexLock lock(&mu_);
  PGARK_RETURN_IF_ERROR(failed_);
  return writer_->Close();
}

uint64_t GzipOutput::raw_bytes() const {
  absl::MutexLock lock(&mu_);
  return raw_bytes_;
}

uint64_t GzipOutput::compressed_bytes() const {
  absl::MutexLock lock(&mu_);
  return compressed_bytes_;
}

}  // namespace pgark::engine
