#include "format/byte_io.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pgark::format {

absl::Status StringSink::Append(absl::string_view data) {
  if (closed_) return absl::FailedPreconditionError("string sink: append after close");
  data_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status StringSink::Close() {
  if (closed_) return absl::FailedPreconditionError("string sink: closed twice");
  closed_ = true;
  return absl::OkStatus();
}

absl::Status StringSource::ReadAt(uint64_t offset, size_t length, std::string* out) {
  if (offset > data_.size() || length > data_.size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("read of ", length, " bytes at offset ", offset,
                                              " beyond the end (", data_.size(), " bytes)"));
  }
  out->append(data_.data() + offset, length);
  return absl::OkStatus();
}

absl::StatusOr<size_t> StringSource::Read(size_t max_bytes, std::string* out) {
  size_t n = std::min({max_bytes, granularity_, data_.size() - position_});
  out->append(data_.data() + position_, n);
  position_ += n;
  return n;
}

}  // namespace pgark::format
