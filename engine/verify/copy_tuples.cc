#include "engine/verify/copy_tuples.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pgark::engine::verify {
namespace {

int32_t ReadInt32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3]);
}
int16_t ReadInt16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((u[0] << 8) | u[1]);
}

}  // namespace

// Parses whole tuples from `data`; *consumed = bytes of complete tuples.
absl::Status CopyTupleCounter::ParseBinary(absl::string_view data, size_t* consumed) {
  size_t at = 0;
  while (true) {
    size_t pos = at;
    if (data.size() - pos < 2) break;
    int16_t count = ReadInt16(data.data() + pos);
    pos += 2;
    if (count != fields_) {
      return absl::DataLossError(absl::StrCat(
          what_, ": tuple ", rows_ + 1, " at stream offset ", offset_ + at, " has ", count,
          count == -1 ? " (a COPY trailer inside the data)" : "", " fields, expected ", fields_));
    }
    bool complete = true;
    for (int field = 0; field < count; ++field) {
      if (data.size() - pos < 4) {
        complete = false;
        break;
      }
      int32_t length = ReadInt32(data.data() + pos);
      pos += 4;
      if (length < -1) {
        return absl::DataLossError(absl::StrCat(what_, ": tuple ", rows_ + 1, " at stream offset ",
                                                offset_ + at, ": field ", field + 1,
                                                " has negative length ", length));
      }
      if (length > 0) {
        if (data.size() - pos < static_cast<size_t>(length)) {
          complete = false;
          break;
        }
        pos += static_cast<size_t>(length);
      }
    }
    if (!complete) break;
    at = pos;
    ++rows_;
  }
  *consumed = at;
  return absl::OkStatus();
}

absl::Status CopyTupleCounter::Feed(absl::string_view chunk) {
  if (!binary_) {
    rows_ += std::count(chunk.begin(), chunk.end(), '\n');
    size_t last = chunk.rfind('\n');
    if (last == absl::string_view::npos) {
      pending_.append(chunk.data(), chunk.size());
    } else {
      pending_.assign(chunk.data() + last + 1, chunk.size() - last - 1);
    }
    return absl::OkStatus();
  }
  // Parse in place when nothing is pending (the common case: chunks end on tuples).
  absl::string_view data = chunk;
  if (!pending_.empty()) {
    pending_.append(chunk.data(), chunk.size());
    data = pending_;
  }
  size_t consumed = 0;
  absl::Status status = ParseBinary(data, &consumed);
  if (!status.ok()) return status;
  offset_ += consumed;
  std::string rest(data.substr(consumed));
  pending_ = std::move(rest);
  return absl::OkStatus();
}

absl::Status CopyTupleCounter::Finish() {
  if (pending_.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what_, ": the stream ends inside a tuple (", pending_.size(),
                                          " bytes after tuple ", rows_, ")"));
}

}  // namespace pgark::engine::verify
