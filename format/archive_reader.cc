#include "format/archive_reader.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "format/base/cancellation.h"
#include "format/base/status_macros.h"
#include "format/codec/checksum.h"
#include "format/frame.h"
#include "format/layout.h"
#include "format/wire.h"

namespace pgark::format {
namespace {

constexpr size_t kStreamEndBodySize = 40;
using Describe = std::function<std::string(uint32_t)>;

constexpr uint32_t kUnknownStream = 0xFFFFFFFEu;  // frame header unreadable

std::string StreamName(uint32_t id, const Describe& describe) {
  if (id == kUnknownStream) return "";
  if (id == kMetaStreamId) return "metadata";
  if (id == kIndexStreamId) return "index";
  std::string name = absl::StrCat("stream ", id);
  if (describe) {
    std::string d = describe(id);
    if (!d.empty()) absl::StrAppend(&name, " (", d, ")");
  }
  return name;
}

// Prefixes a failure with where it happened: byte offset, stream, chunk n of m.
absl::Status At(const absl::Status& s, uint64_t offset, uint32_t stream_id, const Describe& describe,
                uint64_t seq = UINT64_MAX, uint64_t total = 0) {
  if (s.ok()) return s;
  std::string where = absl::StrFormat("frame @0x%x", offset);
  std::string name = StreamName(stream_id, describe);
  if (!name.empty()) {
    absl::StrAppend(&where, " (", name);
    if (seq != UINT64_MAX) absl::StrAppend(&where, ", chunk ", seq + 1, "/", total);
    absl::StrAppend(&where, ")");
  }
  return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
}

absl::Status Completeness(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("completeness: ", what));
}

absl::Status Mismatch(absl::string_view field, uint64_t expected, uint64_t actual) {
  return absl::DataLossError(absl::StrCat("completeness: ", field, " is ", actual, ", expected ",
                                          expected));
}

// Checks a parsed frame header against what the index (or the scan so far) expects.
absl::Status CheckFrame(const FrameHeader& h, FrameType type, uint32_t stream_id, uint64_t seq,
                        uint64_t raw_offset) {
  if (h.type != type) {
    return absl::DataLossError(absl::StrCat("completeness: frame type ", static_cast<int>(h.type),
                                            ", expected ", static_cast<int>(type)));
  }
  if (h.stream_id != stream_id) return Mismatch("stream id", stream_id, h.stream_id);
  if (h.seq != seq) {
    return absl::DataLossError(absl::StrCat("completeness: expected chunk ", seq + 1, ", got chunk ",
                                            h.seq + 1, " (missing, duplicated or reordered)"));
  }
  if (h.raw_offset != raw_offset) return Mismatch("raw offset", raw_offset, h.raw_offset);
  return absl::OkStatus();
}

absl::Status CheckRef(const FrameHeader& h, const IndexFrameRef& ref) {
  if (h.stored_len != ref.stored_len || h.raw_len != ref.raw_len || h.flags != ref.flags ||
      h.payload_xxh3 != ref.payload_xxh3) {
    return Completeness("frame header does not match the index entry");
  }
  return absl::OkStatus();
}

struct StreamEndBody {
  uint64_t chunks, raw_bytes, rows;
  Digest128 digest;
};
absl::StatusOr<StreamEndBody> ParseStreamEnd(absl::string_view raw) {
  if (raw.size() != kStreamEndBodySize) return absl::DataLossError("framing: bad stream end frame");
  wire::Cursor c(raw);
  StreamEndBody b;
  b.chunks = c.U64();
  b.raw_bytes = c.U64();
  b.rows = c.U64();
  b.digest.high = c.U64();
  b.digest.low = c.U64();
  return b;
}

StreamInfo ToStreamInfo(const IndexStream& s) {
  StreamInfo info;
  info.stream_id = s.stream_id;
  info.chunks = s.chunks.size();
  info.raw_bytes = s.raw_bytes;
  info.stored_bytes = s.stored_bytes;
  info.rows = s.rows;
  info.digest_hex = s.digest.Hex();
  return info;
}

// Reads the whole header from a random-access source.
absl::StatusOr<FileHeader> ReadHeader(RandomAccessSource* source, uint64_t size) {
  if (size < kHeaderPrefixSize) {
    return absl::DataLossError(absl::StrCat("framing: archive truncated: ", size,
                                            " bytes is less than a file header"));
  }
  std::string bytes;
  PGARK_RETURN_IF_ERROR(source->ReadAt(0, kHeaderPrefixSize, &bytes));
  PGARK_ASSIGN_OR_RETURN(uint32_t len, ParseHeaderPrefix(bytes));
  if (len > size) return absl::DataLossError("framing: archive truncated inside the file header");
  PGARK_RETURN_IF_ERROR(source->ReadAt(kHeaderPrefixSize, len - kHeaderPrefixSize, &bytes));
  return ParseFileHeader(bytes);
}

absl::Status SourceRead(RandomAccessSource* source, uint64_t offset, size_t len, std::string* out) {
  absl::Status s = source->ReadAt(offset, len, out);
  if (s.code() == absl::StatusCode::kOutOfRange) {
    return absl::DataLossError(absl::StrCat("completeness: archive truncated: ", s.message()));
  }
  return s;
}

class ReaderImpl;

class ChunkReaderImpl : public ChunkReader {
 public:
  ChunkReaderImpl(ReaderImpl* reader, const IndexStream* stream, uint64_t first, uint64_t end,
                  uint64_t raw_offset, bool full)
      : reader_(reader), stream_(stream), pos_(first), end_(end), raw_offset_(raw_offset),
        full_(full) {}
  absl::StatusOr<bool> Next(Chunk* chunk) override;

 private:
  absl::Status Fill();
  ReaderImpl* reader_;
  const IndexStream* stream_;
  uint64_t pos_, end_, raw_offset_;
  bool full_;
  bool end_checked_ = false;
  std::string buffer_;
  uint64_t buffer_offset_ = 0;
  DecoderSet decoders_;
  Xxh3_128Stream digest_;
};

class ReaderImpl : public ArchiveReader {
 public:
  ReaderImpl(RandomAccessSource* source, ReaderOptions options)
      : source_(source), options_(std::move(options)) {}

  absl::Status Init() {
    PGARK_ASSIGN_OR_RETURN(uint64_t size, source_->Size());
    PGARK_ASSIGN_OR_RETURN(header_, ReadHeader(source_, size));
    info_.header = ToHeaderInfo(header_);
    info_.archive_size = size;
    PGARK_RETURN_IF_ERROR(UnlockArchive(header_, options_.keys, &keys_));
    if (size < header_.header_len + kTrailerSize) {
      return Completeness("archive truncated: no room for a trailer after the header");
    }
    std::string tail;
    PGARK_RETURN_IF_ERROR(SourceRead(source_, size - kTrailerSize, kTrailerSize, &tail));
    PGARK_ASSIGN_OR_RETURN(Trailer t, ParseTrailer(tail, header_, keys_));
    if (t.archive_len != size - kTrailerSize) {
      return Completeness(absl::StrCat("trailer says the archive has ", t.archive_len + kTrailerSize,
                                       " bytes, found ", size, " (truncated or spliced)"));
    }
    if (t.index_offset < header_.header_len || t.index_frame_len < kFrameHeaderSize ||
        t.index_offset + t.index_frame_len != t.archive_len) {
      return absl::DataLossError("framing: trailer points outside the archive");
    }
    std::string frame;
    PGARK_RETURN_IF_ERROR(SourceRead(source_, t.index_offset, t.index_frame_len, &frame));
    FrameHeader h;
    absl::string_view view(frame);
    std::string raw;
    absl::Status s = ParseFrameHeader(view, header_.chunk_size, &h);
    if (s.ok()) s = CheckFrame(h, FrameType::kIndex, kIndexStreamId, 0, 0);
    if (s.ok()) {
      DecoderSet decoders;
      s = DecodeFramePayload(keys_, h, view.substr(0, kFrameHeaderSize),
                             view.substr(kFrameHeaderSize), &decoders, &raw);
    }
    PGARK_RETURN_IF_ERROR(At(s, t.index_offset, kIndexStreamId, nullptr));
    auto index = ParseIndex(raw);
    PGARK_RETURN_IF_ERROR(At(index.status(), t.index_offset, kIndexStreamId, nullptr));
    index_ = *std::move(index);
    PGARK_RETURN_IF_ERROR(CheckTiling(t));
    info_.frame_count = t.frame_count;
    for (const IndexMeta& m : index_.metadata) {
      info_.metadata.push_back(MetadataInfo{m.name, m.size, static_cast<uint32_t>(m.frames.size())});
    }
    for (const IndexStream& st : index_.streams) {
      info_.streams.push_back(ToStreamInfo(st));
      info_.raw_bytes += st.raw_bytes;
    }
    return absl::OkStatus();
  }

  // Every frame listed in the index must tile the bytes between header and trailer
  // exactly: no gaps (inserted junk), overlaps or frames beyond the end.
  absl::Status CheckTiling(const Trailer& t) {
    std::vector<std::pair<uint64_t, uint64_t>> extents;
    for (const IndexMeta& m : index_.metadata) {
      uint64_t raw_sum = 0;
      for (const IndexFrameRef& f : m.frames) {
        extents.emplace_back(f.offset, kFrameHeaderSize + uint64_t{f.stored_len});
        raw_sum += f.raw_len;
      }
      if (m.frames.empty() || raw_sum != 1 + m.name.size() + m.size) {
        return absl::DataLossError(absl::StrCat("framing: index entry of metadata '", m.name,
                                                "' is inconsistent"));
      }
    }
    for (const IndexStream& s : index_.streams) {
      uint64_t raw_sum = 0;
      for (const IndexFrameRef& f : s.chunks) {
        extents.emplace_back(f.offset, kFrameHeaderSize + uint64_t{f.stored_len});
        raw_sum += f.raw_len;
        if (f.raw_len > header_.chunk_size) return absl::DataLossError("framing: index chunk too large");
      }
      extents.emplace_back(s.end.offset, kFrameHeaderSize + uint64_t{s.end.stored_len});
      if (raw_sum != s.raw_bytes) {
        return absl::DataLossError(absl::StrCat("framing: index entry of stream ", s.stream_id,
                                                " is inconsistent"));
      }
    }
    extents.emplace_back(t.index_offset, t.index_frame_len);
    if (extents.size() != t.frame_count) {
      return Completeness(absl::StrCat("trailer counts ", t.frame_count, " frames, the index lists ",
                                       extents.size()));
    }
    std::sort(extents.begin(), extents.end());
    uint64_t expected = header_.header_len;
    for (const auto& [offset, len] : extents) {
      if (offset != expected) {
        return absl::DataLossError(absl::StrFormat(
            "framing: frames do not tile the archive: gap or overlap at @0x%x (expected a frame at "
            "@0x%x)", offset, expected));
      }
      expected = offset + len;
    }
    if (expected != t.archive_len) return absl::DataLossError("framing: frames do not reach the trailer");
    return absl::OkStatus();
  }

  const ArchiveInfo& info() const override { return info_; }

  absl::StatusOr<std::vector<ChunkLocation>> Chunks(uint32_t stream_id) const override {
    const IndexStream* s = Find(stream_id);
    if (s == nullptr) return absl::NotFoundError(absl::StrCat("no stream ", stream_id, " in the archive"));
    std::vector<ChunkLocation> out;
    out.reserve(s->chunks.size());
    uint64_t raw_offset = 0;
    for (size_t i = 0; i < s->chunks.size(); ++i) {
      const IndexFrameRef& f = s->chunks[i];
      out.push_back(ChunkLocation{i, f.offset, f.stored_len, f.raw_len, raw_offset,
                                  (f.flags & kFlagContinues) != 0});
      raw_offset += f.raw_len;
    }
    return out;
  }

  absl::StatusOr<std::string> ReadMetadata(absl::string_view name) override {
    uint64_t seq = 0;
    const IndexMeta* meta = nullptr;
    for (const IndexMeta& m : index_.metadata) {
      if (m.name == name) {
        meta = &m;
        break;
      }
      seq += m.frames.size();
    }
    if (meta == nullptr) return absl::NotFoundError(absl::StrCat("no metadata '", name, "' in the archive"));
    std::string record;
    DecoderSet decoders;
    std::string frame;
    std::string part;  // one frame's raw bytes, appended to record
    for (size_t i = 0; i < meta->frames.size(); ++i, ++seq) {
      const IndexFrameRef& f = meta->frames[i];
      frame.clear();
      PGARK_RETURN_IF_ERROR(SourceRead(source_, f.offset, kFrameHeaderSize + f.stored_len, &frame));
      FrameHeader h;
      absl::string_view view(frame);
      absl::Status s = ParseFrameHeader(view, header_.chunk_size, &h);
      if (s.ok()) s = CheckFrame(h, FrameType::kMeta, kMetaStreamId, seq, record.size());
      if (s.ok()) s = CheckRef(h, f);
      bool last = i + 1 == meta->frames.size();
      if (s.ok() && ((h.flags & kFlagFinal) != 0) != last) s = Completeness("metadata record not final");
      if (s.ok()) {
        s = DecodeFramePayload(keys_, h, view.substr(0, kFrameHeaderSize),
                               view.substr(kFrameHeaderSize), &decoders, &part);
      }
      if (s.ok()) record += part;
      PGARK_RETURN_IF_ERROR(At(s, f.offset, kMetaStreamId, nullptr, i, meta->frames.size()));
    }
    if (record.empty() || static_cast<uint8_t>(record[0]) != name.size() ||
        absl::string_view(record).substr(1, name.size()) != name) {
      return absl::DataLossError(absl::StrCat("completeness: metadata '", name, "' has the wrong name"));
    }
    return record.substr(1 + name.size());
  }

  absl::StatusOr<std::unique_ptr<ChunkReader>> OpenStream(uint32_t stream_id, uint64_t first_chunk,
                                                          uint64_t chunk_count) override {
    const IndexStream* s = Find(stream_id);
    if (s == nullptr) return absl::NotFoundError(absl::StrCat("no stream ", stream_id, " in the archive"));
    uint64_t total = s->chunks.size();
    if (first_chunk > total) {
      return absl::OutOfRangeError(absl::StrCat("stream ", stream_id, " has ", total, " chunks"));
    }
    bool full = first_chunk == 0 && (chunk_count == UINT64_MAX || chunk_count >= total);
    uint64_t end = chunk_count == UINT64_MAX ? total : first_chunk + chunk_count;
    if (end > total || end < first_chunk) {
      return absl::OutOfRangeError(absl::StrCat("stream ", stream_id, " has ", total, " chunks"));
    }
    uint64_t raw_offset = 0;
    for (uint64_t i = 0; i < first_chunk; ++i) raw_offset += s->chunks[i].raw_len;
    return std::unique_ptr<ChunkReader>(
        new ChunkReaderImpl(this, s, first_chunk, end, raw_offset, full));
  }

  absl::Status VerifyAll() override {
    for (const IndexMeta& m : index_.metadata) PGARK_RETURN_IF_ERROR(ReadMetadata(m.name).status());
    for (const IndexStream& s : index_.streams) {
      PGARK_ASSIGN_OR_RETURN(auto reader, OpenStream(s.stream_id, 0, UINT64_MAX));
      Chunk chunk;
      while (true) {
        PGARK_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
        if (!more) break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckStoredFrames(const StoredCheckOptions& options) override {
    std::vector<StoredFrame> frames;
    uint64_t meta_seq = 0;  // META frames are numbered across records
    for (const IndexMeta& m : index_.metadata) {
      uint64_t raw_offset = 0;
      for (size_t i = 0; i < m.frames.size(); ++i) {
        frames.push_back(
            StoredFrame{&m.frames[i], FrameType::kMeta, kMetaStreamId, meta_seq++, i, m.frames.size(), raw_offset});
        raw_offset += m.frames[i].raw_len;
      }
    }
    for (const IndexStream& st : index_.streams) {
      if (options.streams && options.streams->count(st.stream_id) == 0) continue;
      uint64_t raw_offset = 0;
      for (size_t i = 0; i < st.chunks.size(); ++i) {
        frames.push_back(
            StoredFrame{&st.chunks[i], FrameType::kData, st.stream_id, i, i, st.chunks.size(), raw_offset});
        raw_offset += st.chunks[i].raw_len;
      }
      frames.push_back(StoredFrame{&st.end, FrameType::kStreamEnd, st.stream_id, st.chunks.size(),
                                   st.chunks.size(), st.chunks.size(), st.raw_bytes});
    }
    std::sort(frames.begin(), frames.end(),
              [](const StoredFrame& a, const StoredFrame& b) { return a.ref->offset < b.ref->offset; });
    // Contiguous ranges of about equal bytes, one per thread.
    uint64_t total_bytes = 0;
    for (const StoredFrame& f : frames) total_bytes += kFrameHeaderSize + uint64_t{f.ref->stored_len};
    const size_t threads = static_cast<size_t>(std::clamp(options.threads, 1, 64));
    std::vector<size_t> bounds{0};
    uint64_t bytes = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      bytes += kFrameHeaderSize + uint64_t{frames[i].ref->stored_len};
      if (bounds.size() < threads && bytes * threads >= total_bytes * bounds.size()) bounds.push_back(i + 1);
    }
    while (bounds.size() <= threads) bounds.push_back(frames.size());
    std::vector<absl::Status> results(threads);
    const size_t slice_bytes = options.slice_bytes > 0 ? options.slice_bytes : options_.coalesce_bytes;
    std::atomic<bool> stop{false};
    auto run = [&](size_t t) {
      results[t] = CheckStoredRange(frames, bounds[t], bounds[t + 1], slice_bytes, &stop);
      if (!results[t].ok()) stop.store(true, std::memory_order_relaxed);
    };
    std::vector<std::thread> workers;
    for (size_t t = 1; t < threads; ++t) workers.emplace_back(run, t);
    run(0);
    for (std::thread& w : workers) w.join();
    // The failure at the lowest offset: ranges are in file order, and a range stopped because
    // of another's failure returns OK.
    for (const absl::Status& status : results) PGARK_RETURN_IF_ERROR(status);
    return absl::OkStatus();
  }

  void set_describe_stream(std::function<std::string(uint32_t)> describe) override {
    absl::MutexLock lock(&describe_mu_);
    options_.describe_stream = std::move(describe);
  }
  Describe describe() {
    absl::MutexLock lock(&describe_mu_);
    return options_.describe_stream;
  }

  // One frame of CheckStoredFrames: where the index puts it and what it must be.
  struct StoredFrame {
    const IndexFrameRef* ref;
    FrameType type;
    uint32_t stream_id;
    uint64_t seq;      // the header's seq: chunk number, META frame number, a stream end's chunk count
    uint64_t ordinal;  // error messages: chunk n (0-based) of `total`, or frame n of its record
    uint64_t total;
    uint64_t raw_offset;
  };

  // Checks frames[begin, end) (sorted by offset) in coalesced reads of up to slice_bytes;
  // returns OK early when *stop is set (another range failed).
  absl::Status CheckStoredRange(const std::vector<StoredFrame>& frames, size_t begin, size_t end,
                                size_t slice_bytes, std::atomic<bool>* stop) {
    const uint64_t stored_cap = StoredLenCap(header_.chunk_size);
    const Describe describe = this->describe();
    std::string buffer;
    uint64_t buffer_offset = 0;
    size_t i = begin;
    while (i < end) {
      if (stop->load(std::memory_order_relaxed)) return absl::OkStatus();
      PGARK_RETURN_IF_ERROR(base::CheckCancelled());
      // One read: frame i and the frames adjacent to it, up to slice_bytes. Lengths come
      // from the authenticated index and tile the archive, and each is capped as a frame
      // header's stored length is, before anything is allocated for it.
      uint64_t start = frames[i].ref->offset;
      uint64_t stop_at = start;
      size_t last = i;
      while (last < end) {
        const StoredFrame& f = frames[last];
        if (f.ref->stored_len > stored_cap) {
          return At(absl::DataLossError(absl::StrCat("framing: index gives stored length ", f.ref->stored_len,
                                                     " above the limit ", stored_cap)),
                    f.ref->offset, f.stream_id, describe, f.ordinal, f.total);
        }
        uint64_t len = kFrameHeaderSize + uint64_t{f.ref->stored_len};
        if (f.ref->offset != stop_at || (last > i && stop_at + len - start > slice_bytes)) break;
        stop_at += len;
        ++last;
      }
      buffer.clear();
      buffer_offset = start;
      PGARK_RETURN_IF_ERROR(At(SourceRead(source_, start, stop_at - start, &buffer), start, frames[i].stream_id,
                               describe, frames[i].ordinal, frames[i].total));
      for (; i < last; ++i) {
        const StoredFrame& f = frames[i];
        absl::string_view view =
            absl::string_view(buffer).substr(f.ref->offset - buffer_offset, kFrameHeaderSize + f.ref->stored_len);
        FrameHeader h;
        absl::Status s = ParseFrameHeader(view, header_.chunk_size, &h);
        if (s.ok()) s = CheckFrame(h, f.type, f.stream_id, f.seq, f.raw_offset);
        if (s.ok()) s = CheckRef(h, *f.ref);
        if (s.ok()) s = CheckStoredPayload(h, view.substr(kFrameHeaderSize), keys_.encrypted);
        if (!s.ok()) {
          return f.type == FrameType::kStreamEnd ? At(s, f.ref->offset, f.stream_id, describe)
                                                 : At(s, f.ref->offset, f.stream_id, describe, f.ordinal, f.total);
        }
      }
    }
    return absl::OkStatus();
  }

  const IndexStream* Find(uint32_t id) const {
    auto it = std::lower_bound(index_.streams.begin(), index_.streams.end(), id,
                               [](const IndexStream& s, uint32_t v) { return s.stream_id < v; });
    return it != index_.streams.end() && it->stream_id == id ? &*it : nullptr;
  }

  RandomAccessSource* source_;
  ReaderOptions options_;
  absl::Mutex describe_mu_;
  FileHeader header_;
  ArchiveKeys keys_;
  Index index_;
  ArchiveInfo info_;
};

absl::Status ChunkReaderImpl::Fill() {
  // Coalesce adjacent frames of this run into one read of up to coalesce_bytes.
  const auto& chunks = stream_->chunks;
  uint64_t start = chunks[pos_].offset;
  uint64_t stop = start + kFrameHeaderSize + chunks[pos_].stored_len;
  for (uint64_t i = pos_ + 1; i < end_; ++i) {
    uint64_t len = kFrameHeaderSize + uint64_t{chunks[i].stored_len};
    if (chunks[i].offset != stop || stop + len - start > reader_->options_.coalesce_bytes) break;
    stop += len;
  }
  buffer_.clear();
  buffer_offset_ = start;
  return SourceRead(reader_->source_, start, stop - start, &buffer_);
}

absl::StatusOr<bool> ChunkReaderImpl::Next(Chunk* chunk) {
  const uint64_t total = stream_->chunks.size();
  const uint32_t id = stream_->stream_id;
  if (pos_ == end_) {
    if (!full_ || end_checked_) return false;
    end_checked_ = true;
    const IndexFrameRef& f = stream_->end;
    std::string frame;
    PGARK_RETURN_IF_ERROR(SourceRead(reader_->source_, f.offset, kFrameHeaderSize + f.stored_len, &frame));
    absl::string_view view(frame);
    FrameHeader h;
    std::string raw;
    absl::Status s = ParseFrameHeader(view, reader_->header_.chunk_size, &h);
    if (s.ok()) s = CheckFrame(h, FrameType::kStreamEnd, id, total, stream_->raw_bytes);
    if (s.ok()) s = CheckRef(h, f);
    if (s.ok() && !(h.flags & kFlagFinal)) s = Completeness("stream end frame lacks the FINAL flag");
    if (s.ok()) {
      s = DecodeFramePayload(reader_->keys_, h, view.substr(0, kFrameHeaderSize),
                             view.substr(kFrameHeaderSize), &decoders_, &raw);
    }
    if (s.ok()) {
      auto body = ParseStreamEnd(raw);
      s = body.status();
      if (s.ok() && (body->chunks != total || body->raw_bytes != stream_->raw_bytes ||
                     body->rows != stream_->rows || body->digest != stream_->digest)) {
        s = Completeness("stream end frame disagrees with the index");
      }
    }
    if (s.ok() && digest_.Final() != stream_->digest) {
      s = absl::DataLossError(absl::StrCat("raw checksum: stream digest mismatch (index ",
                                           stream_->digest.Hex(), ", computed ",
                                           digest_.Final().Hex(), ")"));
    }
    PGARK_RETURN_IF_ERROR(At(s, f.offset, id, reader_->describe()));
    return false;
  }
  const IndexFrameRef& f = stream_->chunks[pos_];
  uint64_t frame_len = kFrameHeaderSize + uint64_t{f.stored_len};
  if (f.offset < buffer_offset_ || f.offset + frame_len > buffer_offset_ + buffer_.size()) {
    PGARK_RETURN_IF_ERROR(At(Fill(), f.offset, id, reader_->describe(), pos_, total));
  }
  absl::string_view view = absl::string_view(buffer_).substr(f.offset - buffer_offset_, frame_len);
  FrameHeader h;
  // chunk->data is not cleared: DecodeFramePayload decodes over its bytes (see there).
  absl::Status s = ParseFrameHeader(view, reader_->header_.chunk_size, &h);
  if (s.ok()) s = CheckFrame(h, FrameType::kData, id, pos_, raw_offset_);
  if (s.ok()) s = CheckRef(h, f);
  if (s.ok()) {
    s = DecodeFramePayload(reader_->keys_, h, view.substr(0, kFrameHeaderSize),
                           view.substr(kFrameHeaderSize), &decoders_, &chunk->data);
  }
  if (!s.ok()) {
    chunk->data.clear();
    return At(s, f.offset, id, reader_->describe(), pos_, total);
  }
  if (full_) digest_.Update(chunk->data);
  chunk->stream_id = id;
  chunk->seq = pos_;
  chunk->raw_offset = raw_offset_;
  chunk->file_offset = f.offset;
  chunk->ends_mid_row = (h.flags & kFlagContinues) != 0;
  raw_offset_ += h.raw_len;
  ++pos_;
  return true;
}

// --- Sequential scanner ------------------------------------------------------------

class ScannerImpl : public ArchiveScanner {
 public:
  ScannerImpl(SequentialSource* source, ReaderOptions options)
      : source_(source), options_(std::move(options)) {}

  absl::Status Init() {
    std::string prefix;
    PGARK_ASSIGN_OR_RETURN(size_t got, ReadExact(kHeaderPrefixSize, &prefix));
    if (got < kHeaderPrefixSize) {
      return absl::DataLossError(absl::StrCat("framing: input ends after ", got,
                                              " bytes, before the end of the file header"));
    }
    PGARK_ASSIGN_OR_RETURN(uint32_t len, ParseHeaderPrefix(prefix));
    PGARK_ASSIGN_OR_RETURN(got, ReadExact(len - kHeaderPrefixSize, &prefix));
    if (got < len - kHeaderPrefixSize) return absl::DataLossError("framing: input ends inside the file header");
    PGARK_ASSIGN_OR_RETURN(header_, ParseFileHeader(prefix));
    info_.header = ToHeaderInfo(header_);
    PGARK_RETURN_IF_ERROR(UnlockArchive(header_, options_.keys, &keys_));
    return absl::OkStatus();
  }

  const HeaderInfo& header() const override { return info_.header; }
  const ArchiveInfo& info() const override { return info_; }
  void set_describe_stream(std::function<std::string(uint32_t)> describe) override {
    options_.describe_stream = std::move(describe);
  }

  absl::StatusOr<bool> Next(ScanItem* item) override {
    if (done_) return false;
    while (true) {
      uint64_t at = offset_;
      std::string& frame = frame_;
      frame.clear();
      PGARK_ASSIGN_OR_RETURN(size_t got, ReadExact(kFrameHeaderSize, &frame));
      if (got < kFrameHeaderSize) return Truncated(at, got);
      FrameHeader h;
      PGARK_RETURN_IF_ERROR(At(ParseFrameHeader(frame, header_.chunk_size, &h), at, kUnknownStream, nullptr));
      PGARK_ASSIGN_OR_RETURN(got, ReadExact(h.stored_len, &frame));
      if (got < h.stored_len) return Truncated(at, got + kFrameHeaderSize);
      ++frames_;
      absl::string_view view(frame);
      // A DATA frame is decoded straight into the item's chunk, over the buffer the caller
      // left there (PipeFeed hands back its readers' spent buffers): no copy, and no
      // allocation or zero-fill when the buffer is reused.
      std::string& raw = h.type == FrameType::kData ? item->chunk.data : raw_;
      absl::Status s = DecodeFramePayload(keys_, h, view.substr(0, kFrameHeaderSize),
                                          view.substr(kFrameHeaderSize), &decoders_, &raw);
      PGARK_RETURN_IF_ERROR(At(s, at, h.stream_id, options_.describe_stream));
      IndexFrameRef ref{at, h.stored_len, h.raw_len, h.flags, h.payload_xxh3};
      if (!record_.empty() && h.type != FrameType::kMeta) {
        return At(Completeness("metadata record interrupted"), at, kMetaStreamId, nullptr);
      }
      switch (h.type) {
        case FrameType::kMeta: {
          PGARK_RETURN_IF_ERROR(At(CheckFrame(h, FrameType::kMeta, kMetaStreamId, meta_seq_,
                                              record_.size()), at, kMetaStreamId, nullptr));
          ++meta_seq_;
          if (record_.size() + raw.size() > kMaxMetadataSize + 256) {
            return At(absl::DataLossError("framing: metadata record too large"), at, 0, nullptr);
          }
          record_ += raw;
          record_frames_.push_back(ref);
          if (!(h.flags & kFlagFinal)) continue;
          size_t name_len = static_cast<uint8_t>(record_[0]);
          if (record_.size() < 1 + name_len || name_len == 0) {
            return At(absl::DataLossError("framing: bad metadata record"), at, 0, nullptr);
          }
          item->kind = ScanItem::Kind::kMetadata;
          item->name = record_.substr(1, name_len);
          item->body = record_.substr(1 + name_len);
          seen_meta_.push_back(IndexMeta{item->name, item->body.size(), std::move(record_frames_)});
          info_.metadata.push_back(MetadataInfo{item->name, item->body.size(),
                                                static_cast<uint32_t>(seen_meta_.back().frames.size())});
          record_.clear();
          record_frames_.clear();
          return true;
        }
        case FrameType::kData: {
          SeenStream& st = streams_[h.stream_id];
          uint64_t total = st.chunks.size();
          absl::Status c = st.ended ? Completeness("data after the end of the stream")
                                    : CheckFrame(h, FrameType::kData, h.stream_id, total, st.raw_bytes);
          if (h.stream_id == kMetaStreamId || h.stream_id > kMaxStreamId) c = Completeness("bad stream id");
          PGARK_RETURN_IF_ERROR(At(c, at, h.stream_id, options_.describe_stream, h.seq, total + 1));
          st.chunks.push_back(ref);
          st.digest.Update(raw);
          st.stored_bytes += frame.size();
          item->kind = ScanItem::Kind::kChunk;
          Chunk& chunk = item->chunk;
          chunk.stream_id = h.stream_id;
          chunk.seq = h.seq;
          chunk.raw_offset = st.raw_bytes;
          chunk.file_offset = at;
          chunk.ends_mid_row = (h.flags & kFlagContinues) != 0;  // chunk.data: decoded above
          st.raw_bytes += h.raw_len;
          return true;
        }
        case FrameType::kStreamEnd: {
          SeenStream& st = streams_[h.stream_id];
          absl::Status c = st.ended ? Completeness("stream ended twice")
                                    : CheckFrame(h, FrameType::kStreamEnd, h.stream_id,
                                                 st.chunks.size(), st.raw_bytes);
          if (c.ok() && !(h.flags & kFlagFinal)) c = Completeness("stream end without FINAL flag");
          StreamEndBody body{};
          if (c.ok()) {
            auto parsed = ParseStreamEnd(raw);
            c = parsed.status();
            if (c.ok()) body = *parsed;
          }
          if (c.ok() && (body.chunks != st.chunks.size() || body.raw_bytes != st.raw_bytes)) {
            c = Completeness("stream end frame disagrees with the chunks seen");
          }
          if (c.ok() && body.digest != st.digest.Final()) {
            c = absl::DataLossError("raw checksum: stream digest mismatch");
          }
          PGARK_RETURN_IF_ERROR(At(c, at, h.stream_id, options_.describe_stream));
          st.ended = true;
          st.rows = body.rows;
          st.end = ref;
          item->kind = ScanItem::Kind::kStreamEnd;
          item->stream = StreamInfo{h.stream_id, st.chunks.size(), st.raw_bytes, st.stored_bytes,
                                    st.rows, body.digest.Hex()};
          return true;
        }
        case FrameType::kIndex:
          PGARK_RETURN_IF_ERROR(Finish(h, at, frame.size(), raw));
          done_ = true;
          return false;
      }
    }
  }

 private:
  struct SeenStream {
    std::vector<IndexFrameRef> chunks;
    uint64_t raw_bytes = 0;
    uint64_t stored_bytes = 0;
    uint64_t rows = 0;
    bool ended = false;
    IndexFrameRef end;
    Xxh3_128Stream digest;
  };

  absl::StatusOr<size_t> ReadExact(size_t n, std::string* out) {
    size_t got = 0;
    while (got < n) {
      PGARK_ASSIGN_OR_RETURN(size_t r, source_->Read(n - got, out));
      if (r == 0) break;
      got += r;
    }
    offset_ += got;
    return got;
  }

  absl::Status Truncated(uint64_t at, size_t got) {
    std::vector<std::string> open;
    for (const auto& [id, st] : streams_) {
      if (!st.ended) {
        open.push_back(absl::StrCat(StreamName(id, options_.describe_stream), " at chunk ",
                                    st.chunks.size()));
      }
    }
    return absl::DataLossError(absl::StrFormat(
        "completeness: archive truncated @0x%x (%d bytes of a frame, no index or trailer); "
        "%d streams complete%s%s", at, got, streams_.size() - open.size(),
        open.empty() ? "" : ", incomplete: ", absl::StrJoin(open, ", ")));
  }

  absl::Status Finish(const FrameHeader& h, uint64_t at, size_t frame_len, const std::string& raw) {
    PGARK_RETURN_IF_ERROR(At(CheckFrame(h, FrameType::kIndex, kIndexStreamId, 0, 0), at,
                             kIndexStreamId, nullptr));
    auto parsed = ParseIndex(raw);
    PGARK_RETURN_IF_ERROR(At(parsed.status(), at, kIndexStreamId, nullptr));
    const Index& index = *parsed;
    auto fail = [&](absl::string_view what) { return At(Completeness(what), at, kIndexStreamId, nullptr); };
    if (index.streams.size() != streams_.size()) return fail("the index lists a different set of streams");
    for (const IndexStream& s : index.streams) {
      auto it = streams_.find(s.stream_id);
      if (it == streams_.end()) return fail(absl::StrCat("stream ", s.stream_id, " is missing"));
      const SeenStream& st = it->second;
      if (!st.ended) return fail(absl::StrCat("stream ", s.stream_id, " has no end frame"));
      if (s.chunks.size() != st.chunks.size() || s.raw_bytes != st.raw_bytes || s.rows != st.rows ||
          s.digest != st.digest.Final() || s.end.offset != st.end.offset) {
        return fail(absl::StrCat("stream ", s.stream_id, " differs from its index entry"));
      }
      for (size_t i = 0; i < s.chunks.size(); ++i) {
        if (s.chunks[i].offset != st.chunks[i].offset ||
            s.chunks[i].payload_xxh3 != st.chunks[i].payload_xxh3) {
          return fail(absl::StrCat("stream ", s.stream_id, " chunk ", i + 1, " differs from the index"));
        }
      }
      info_.streams.push_back(ToStreamInfo(s));
      info_.raw_bytes += s.raw_bytes;
    }
    if (index.metadata.size() != seen_meta_.size()) return fail("metadata records differ from the index");
    for (size_t i = 0; i < seen_meta_.size(); ++i) {
      if (index.metadata[i].name != seen_meta_[i].name || index.metadata[i].size != seen_meta_[i].size) {
        return fail(absl::StrCat("metadata '", seen_meta_[i].name, "' differs from the index"));
      }
    }
    std::string tail;
    PGARK_ASSIGN_OR_RETURN(size_t got, ReadExact(kTrailerSize, &tail));
    if (got < kTrailerSize) {
      return Completeness(absl::StrFormat("archive truncated inside the trailer @0x%x", offset_ - got));
    }
    PGARK_ASSIGN_OR_RETURN(Trailer t, ParseTrailer(tail, header_, keys_));
    if (t.index_offset != at || t.archive_len != at + frame_len || t.frame_count != frames_ ||
        t.index_frame_len != frame_len) {
      return Completeness("trailer disagrees with the frames read");
    }
    std::string extra;
    PGARK_ASSIGN_OR_RETURN(got, ReadExact(1, &extra));
    if (got != 0) return Completeness("unexpected bytes after the trailer");
    info_.archive_size = offset_;
    info_.frame_count = frames_;
    return absl::OkStatus();
  }

  SequentialSource* source_;
  ReaderOptions options_;
  FileHeader header_;
  ArchiveKeys keys_;
  ArchiveInfo info_;
  DecoderSet decoders_;
  std::string frame_;  // the frame being read, kept between frames
  std::string raw_;    // raw bytes of a non-DATA frame
  uint64_t offset_ = 0;
  uint64_t frames_ = 0;
  uint64_t meta_seq_ = 0;
  std::string record_;
  std::vector<IndexFrameRef> record_frames_;
  std::vector<IndexMeta> seen_meta_;
  std::map<uint32_t, SeenStream> streams_;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<HeaderInfo> ReadHeaderInfo(RandomAccessSource* source) {
  PGARK_ASSIGN_OR_RETURN(uint64_t size, source->Size());
  PGARK_ASSIGN_OR_RETURN(FileHeader header, ReadHeader(source, size));
  return ToHeaderInfo(header);
}

absl::StatusOr<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(RandomAccessSource* source,
                                                                   ReaderOptions options) {
  auto reader = std::make_unique<ReaderImpl>(source, std::move(options));
  PGARK_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<ArchiveReader>(std::move(reader));
}

absl::StatusOr<std::unique_ptr<ArchiveScanner>> ArchiveScanner::Open(SequentialSource* source,
                                                                     ReaderOptions options) {
  auto scanner = std::make_unique<ScannerImpl>(source, std::move(options));
  PGARK_RETURN_IF_ERROR(scanner->Init());
  return std::unique_ptr<ArchiveScanner>(std::move(scanner));
}

}  // namespace pgark::format
