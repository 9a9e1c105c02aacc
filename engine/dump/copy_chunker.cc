#include "engine/dump/copy_chunker.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pgark::engine {
namespace {

constexpr absl::string_view kSignature{"PGCOPY\n\377\r\n\0", 11};
constexpr size_t kFixedHeader = 19;
// PostgreSQL never writes a header extension (12-17); a huge one means garbage.
constexpr uint32_t kMaxHeaderExtension = 1 << 20;

uint32_t ReadU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}
int16_t ReadI16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((uint16_t{u[0]} << 8) | uint16_t{u[1]});
}

}  // namespace

CopyChunker::CopyChunker(CopyFormat format, size_t chunk_size, int expected_fields,
                         std::string source, ChunkCallback on_chunk)
    : format_(format),
      chunk_size_(chunk_size),
      expected_fields_(expected_fields),
      source_(std::move(source)),
      on_chunk_(std::move(on_chunk)),
      header_done_(format == CopyFormat::kText) {}

absl::Status CopyChunker::Corrupt(absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("COPY output of '", source_, "': ", what));
}

absl::Status CopyChunker::ConsumeHeader(absl::string_view* data) {
  // Gather the fixed part, then the extension, possibly over several messages.
  while (!header_done_ && !data->empty()) {
    size_t want = header_.size() < kFixedHeader ? kFixedHeader - header_.size()
                                                : kFixedHeader + header_ext_len_ - header_.size();
    size_t take = std::min(want, data->size());
    header_.append(data->data(), take);
    data->remove_prefix(take);
    if (header_.size() == kFixedHeader) {
      if (absl::string_view(header_).substr(0, kSignature.size()) != kSignature) {
        return Corrupt("binary COPY signature not recognized");
      }
      uint32_t flags = ReadU32(header_.data() + 11);
      if (flags & (1u << 16)) return Corrupt("binary COPY header has WITH OIDS set");
      if (flags & 0xFFFE0000u) return Corrupt("binary COPY header has unknown critical flags");
      header_ext_len_ = ReadU32(header_.data() + 15);
      if (header_ext_len_ > kMaxHeaderExtension) {
        return Corrupt(absl::StrCat("binary COPY header extension of ", header_ext_len_,
                                    " bytes exceeds the limit"));
      }
    }
    if (header_.size() >= kFixedHeader && header_.size() == kFixedHeader + header_ext_len_) {
      header_done_ = true;  // the extension (never sent by 12-17) is ignorable by definition
    }
  }
  return absl::OkStatus();
}

absl::Status CopyChunker::Add(absl::string_view data) {
  if (!status_.ok()) return status_;
  if (finished_) return absl::FailedPreconditionError("CopyChunker::Add after Finish");
  status_ = ConsumeHeader(&data);
  if (!status_.ok() || data.empty()) return status_;
  if (trailer_seen_) return status_ = Corrupt("data after the binary COPY trailer");
  // Close the chunk before this message when it only holds complete tuples and the message
  // (one row, with libpq) would take it past chunk_size: no copy, chunk <= chunk_size.
  if (complete_end_ == buffer_.size() && !buffer_.empty() &&
      buffer_.size() + data.size() > chunk_size_) {
    status_ = Emit(buffer_.size(), /*final=*/false);
    if (!status_.ok()) return status_;
  }
  buffer_.append(data.data(), data.size());
  status_ = ParseTuples();
  if (!status_.ok()) return status_;
  // Messages that are not row-aligned: cut at the first tuple boundary past chunk_size.
  if (complete_end_ >= chunk_size_ && complete_end_ < buffer_.size()) {
    status_ = Emit(complete_end_, /*final=*/false);
  }
  return status_;
}

absl::Status CopyChunker::ParseTuples() {
  const char* base = buffer_.data();
  const size_t size = buffer_.size();
  if (format_ == CopyFormat::kText) {
    while (complete_end_ < size) {
      const void* newline = std::memchr(base + complete_end_, '\n', size - complete_end_);
      if (newline == nullptr) break;
      complete_end_ = static_cast<const char*>(newline) - base + 1;
      ++buffer_rows_;
    }
    return absl::OkStatus();
  }
  while (complete_end_ < size && !trailer_seen_) {
    size_t pos = complete_end_;
    if (size - pos < 2) break;
    int16_t fields = ReadI16(base + pos);
    pos += 2;
    if (fields == -1) {
      if (pos != size) return Corrupt("data after the binary COPY trailer");
      trailer_seen_ = true;
      buffer_.resize(complete_end_);  // the trailer is not part of any chunk
      return absl::OkStatus();
    }
    if (fields < 0) return Corrupt(absl::StrCat("negative field count ", fields));
    if (expected_fields_ >= 0 && fields != expected_fields_) {
      return Corrupt(absl::StrCat("tuple has ", fields, " fields, expected ", expected_fields_));
    }
    bool complete = true;
    for (int field = 0; field < fields; ++field) {
      if (size - pos < 4) {
        complete = false;
        break;
      }
      int32_t length = static_cast<int32_t>(ReadU32(base + pos));
      pos += 4;
      if (length < -1) return Corrupt(absl::StrCat("negative field length ", length));
      if (length > 0) {
        if (size - pos < static_cast<size_t>(length)) {
          complete = false;
          break;
        }
        pos += static_cast<size_t>(length);
      }
    }
    if (!complete) break;
    complete_end_ = pos;
    ++buffer_rows_;
  }
  return absl::OkStatus();
}

absl::Status CopyChunker::Emit(size_t length, bool final) {
  CopyChunk& chunk = chunk_;
  chunk.data.clear();  // keeps its capacity
  chunk.rows = buffer_rows_;
  chunk.final = final;
  if (length == buffer_.size()) {
    // Swap instead of move: the buffer gets the previous chunk's storage back, so after the
    // first two chunks no chunk allocates, regrows or page-faults.
    chunk.data.swap(buffer_);
  } else {
    chunk.data.assign(buffer_.data(), length);
    buffer_.erase(0, length);
  }
  complete_end_ -= length;
  buffer_rows_ = 0;
  rows_total_ += chunk.rows;
  bytes_total_ += static_cast<int64_t>(chunk.data.size());
  return on_chunk_(chunk);
}

absl::Status CopyChunker::Finish() {
  if (!status_.ok()) return status_;
  if (finished_) return absl::FailedPreconditionError("CopyChunker::Finish called twice");
  finished_ = true;
  if (format_ == CopyFormat::kBinary) {
    if (!header_done_) return status_ = Corrupt("binary COPY header missing or truncated");
    if (!trailer_seen_) return status_ = Corrupt("binary COPY trailer missing");
  }
  if (complete_end_ != buffer_.size()) {
    return status_ = Corrupt(format_ == CopyFormat::kText ? "last row does not end with a newline"
                                                          : "stream ends inside a tuple");
  }
  status_ = Emit(buffer_.size(), /*final=*/true);
  return status_;
}

}  // namespace pgark::engine
