#include "format/archive_writer.h"

#include <sodium.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "format/base/status_macros.h"
#include "format/codec/checksum.h"
#include "format/codec/compressor.h"
#include "format/frame.h"
#include "format/layout.h"
#include "format/wire.h"

namespace pgark::format {

namespace {
constexpr int kMetaZstdLevel = 3;
}  // namespace

struct ArchiveWriter::Impl {
  ByteSink* sink = nullptr;
  WriterOptions options;
  FileHeader header;
  ArchiveKeys keys;
  int level = 0;

  absl::Mutex mu;
  absl::Status sticky ABSL_GUARDED_BY(mu);
  uint64_t offset ABSL_GUARDED_BY(mu) = 0;
  uint64_t frame_count ABSL_GUARDED_BY(mu) = 0;
  uint64_t meta_seq ABSL_GUARDED_BY(mu) = 0;
  Sha256Stream sha ABSL_GUARDED_BY(mu);
  Index index ABSL_GUARDED_BY(mu);
  std::map<uint32_t, IndexStream> streams ABSL_GUARDED_BY(mu);
  std::map<uint32_t, bool> finished ABSL_GUARDED_BY(mu);
  bool done ABSL_GUARDED_BY(mu) = false;

  absl::Status StickyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (done) return absl::FailedPreconditionError("archive writer already finished");
    return sticky;
  }
  // Appends a finished frame; records where it went. Serialized: frames land in the
  // order producers finish them.
  absl::StatusOr<uint64_t> AppendLocked(absl::string_view bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    PGARK_RETURN_IF_ERROR(sticky);
    absl::Status s = sink->Append(bytes);
    if (!s.ok()) {
      sticky = s;
      return s;
    }
    sha.Update(bytes);
    uint64_t at = offset;
    offset += bytes.size();
    ++frame_count;
    return at;
  }
  void Fail(const absl::Status& s) {
    absl::MutexLock lock(&mu);
    if (sticky.ok()) sticky = s;
  }
};

namespace {
IndexFrameRef RefOf(absl::string_view frame, uint64_t offset) {
  IndexFrameRef ref;
  ref.offset = offset;
  ref.stored_len = static_cast<uint32_t>(frame.size() - kFrameHeaderSize);
  ref.raw_len = wire::GetU32(frame.data() + 32);
  ref.flags = static_cast<uint8_t>(frame[5]);
  ref.payload_xxh3 = wire::GetU64(frame.data() + 40);
  return ref;
}
}  // namespace

struct StreamWriter::Codec {
  std::unique_ptr<Compressor> compressor;
  std::unique_ptr<Decompressor> verifier;
  Xxh3_128Stream digest;
  std::string frame;     // reused: keeps its capacity between chunks
  FrameScratch scratch;  // EncodeFrame's buffers, reused likewise
  uint64_t stored_bytes = 0;
};

StreamWriter::StreamWriter(ArchiveWriter* owner, uint32_t stream_id)
    : owner_(owner), stream_id_(stream_id), codec_(std::make_unique<Codec>()) {}
StreamWriter::~StreamWriter() = default;

absl::Status StreamWriter::Append(absl::string_view raw, bool ends_mid_row) {
  ArchiveWriter::Impl& w = *owner_->impl_;
  if (finished_) return absl::InvalidArgumentError(absl::StrCat("stream ", stream_id_, " already finished"));
  if (raw.empty() || raw.size() > w.options.chunk_size) {
    return absl::InvalidArgumentError(absl::StrCat("stream ", stream_id_, ": chunk of ", raw.size(),
                                                   " bytes (must be 1..", w.options.chunk_size, ")"));
  }
  {
    absl::MutexLock lock(&w.mu);
    PGARK_RETURN_IF_ERROR(w.StickyLocked());
  }
  Codec& c = *codec_;
  c.frame.clear();
  absl::Status s = EncodeFrame(w.keys, FrameType::kData, ends_mid_row ? kFlagContinues : 0,
                               stream_id_, next_seq_, raw_offset_, raw, c.compressor.get(),
                               c.verifier.get(), &c.frame, &c.scratch);
  if (!s.ok()) {
    w.Fail(s);
    return s;
  }
  c.digest.Update(raw);
  {
    absl::MutexLock lock(&w.mu);
    PGARK_ASSIGN_OR_RETURN(uint64_t at, w.AppendLocked(c.frame));
    IndexStream& entry = w.streams[stream_id_];
    entry.chunks.push_back(RefOf(c.frame, at));
    entry.raw_bytes += raw.size();
    entry.stored_bytes += c.frame.size();
  }
  ++next_seq_;
  raw_offset_ += raw.size();
  mid_row_ = ends_mid_row;
  return absl::OkStatus();
}

absl::Status StreamWriter::Finish(uint64_t row_count) {
  ArchiveWriter::Impl& w = *owner_->impl_;
  if (finished_) return absl::FailedPreconditionError(absl::StrCat("stream ", stream_id_, " already finished"));
  if (mid_row_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stream ", stream_id_, ": the last chunk ends inside a row; append the rest of the row first"));
  }
  Digest128 digest = codec_->digest.Final();
  std::string body;
  wire::PutU64(&body, next_seq_);
  wire::PutU64(&body, raw_offset_);
  wire::PutU64(&body, row_count);
  wire::PutU64(&body, digest.high);
  wire::PutU64(&body, digest.low);
  std::string frame;
  absl::Status s = EncodeFrame(w.keys, FrameType::kStreamEnd, kFlagFinal, stream_id_, next_seq_,
                               raw_offset_, body, nullptr, nullptr, &frame);
  if (!s.ok()) {
    w.Fail(s);
    return s;
  }
  absl::MutexLock lock(&w.mu);
  PGARK_RETURN_IF_ERROR(w.StickyLocked());
  PGARK_ASSIGN_OR_RETURN(uint64_t at, w.AppendLocked(frame));
  IndexStream& entry = w.streams[stream_id_];
  entry.stream_id = stream_id_;
  entry.rows = row_count;
  entry.digest = digest;
  entry.end = RefOf(frame, at);
  w.finished[stream_id_] = true;
  finished_ = true;
  return absl::OkStatus();
}

ArchiveWriter::ArchiveWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveWriter::~ArchiveWriter() {
  if (impl_) sodium_memzero(impl_.get()->keys.mac.mutable_data(), SecretKey::kSize);
}

absl::StatusOr<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(ByteSink* sink,
                                                                     const WriterOptions& options) {
  PGARK_RETURN_IF_ERROR(EnsureSodium());
  if (sink == nullptr) return absl::InvalidArgumentError("archive writer: no sink");
  if (options.chunk_size < kMinChunkSize || options.chunk_size > kMaxChunkSize) {
    return absl::InvalidArgumentError(absl::StrCat("chunk size ", options.chunk_size,
                                                   " out of range (", kMinChunkSize, "..",
                                                   kMaxChunkSize, ")"));
  }
  // Validates the codec and level once, up front.
  PGARK_ASSIGN_OR_RETURN(auto probe, NewCompressor(options.compression, options.level));
  auto impl = std::make_unique<Impl>();
  impl->sink = sink;
  impl->options = options;
  impl->level = probe->level();
  FileHeader& h = impl->header;
  if (!options.archive_id_for_testing.empty()) {
    if (options.archive_id_for_testing.size() != kArchiveIdSize) {
      return absl::InvalidArgumentError("archive id must be 32 bytes");
    }
    h.archive_id = options.archive_id_for_testing;
  } else {
    h.archive_id.resize(kArchiveIdSize);
    randombytes_buf(h.archive_id.data(), kArchiveIdSize);
  }
  h.flags = kHeaderFlagRowAligned;
  h.codec = options.compression;
  h.level = static_cast<int8_t>(impl->level);
  h.chunk_size = options.chunk_size;
  h.created_unix_us = options.created_unix_us_for_testing != 0
                          ? options.created_unix_us_for_testing
                          : static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  h.writer_version = options.writer_version;
  h.minor = options.format_minor_for_testing;
  h.unknown_field = options.unknown_header_field_for_testing;
  impl->keys.archive_id = h.archive_id;
  if (options.encryption.enabled()) {
    h.flags |= kHeaderFlagEncrypted;
    h.cipher = CipherId::kXChaCha20Poly1305;
    SecretKey dek = SecretKey::Random();
    PGARK_RETURN_IF_ERROR(CreateKeySlots(options.encryption, dek, &h));
    impl->keys.SetDataKey(dek);
  }
  std::string header = EncodeFileHeader(&h, impl->keys);
  {
    absl::MutexLock lock(&impl->mu);
    PGARK_RETURN_IF_ERROR(impl->sink->Append(header));
    impl->sha.Update(header);
    impl->offset = header.size();
  }
  return std::unique_ptr<ArchiveWriter>(new ArchiveWriter(std::move(impl)));
}

absl::Status ArchiveWriter::AddMetadata(absl::string_view name, absl::string_view body) {
  Impl& w = *impl_;
  if (name.empty() || name.size() > kMaxMetadataNameSize) {
    return absl::InvalidArgumentError(absl::StrCat("metadata name must be 1..", kMaxMetadataNameSize,
                                                   " bytes"));
  }
  if (body.size() > kMaxMetadataSize) {
    return absl::InvalidArgumentError(absl::StrCat("metadata '", name, "' is larger than ",
                                                   kMaxMetadataSize, " bytes"));
  }
  PGARK_ASSIGN_OR_RETURN(auto compressor, NewCompressor(CompressionType::kZstd, kMetaZstdLevel));
  PGARK_ASSIGN_OR_RETURN(auto verifier, NewDecompressor(CompressionType::kZstd));
  // A record = name length (1) || name || body, cut into frames of chunk_size. Frames are
  // built outside the lock, then appended back to back under it so the record's frames
  // stay contiguous and their seq numbers consecutive.
  std::string record;
  wire::PutU8(&record, static_cast<uint8_t>(name.size()));
  wire::PutBytes(&record, name);
  wire::PutBytes(&record, body);
  absl::MutexLock lock(&w.mu);
  PGARK_RETURN_IF_ERROR(w.StickyLocked());
  for (const IndexMeta& m : w.index.metadata) {
    if (m.name == name) {
      return absl::InvalidArgumentError(absl::StrCat("metadata '", name, "' added twice"));
    }
  }
  IndexMeta meta;
  meta.name = std::string(name);
  meta.size = body.size();
  uint64_t pos = 0;
  std::string frame;
  while (pos < record.size()) {
    size_t n = std::min<uint64_t>(w.options.chunk_size, record.size() - pos);
    bool last = pos + n == record.size();
    frame.clear();
    absl::Status s = EncodeFrame(w.keys, FrameType::kMeta, last ? kFlagFinal : kFlagContinues,
                                 kMetaStreamId, w.meta_seq, pos,
                                 absl::string_view(record).substr(pos, n), compressor.get(),
                                 verifier.get(), &frame);
    if (!s.ok()) {
      w.sticky = s;
      return s;
    }
    PGARK_ASSIGN_OR_RETURN(uint64_t at, w.AppendLocked(frame));
    meta.frames.push_back(RefOf(frame, at));
    ++w.meta_seq;
    pos += n;
  }
  w.index.metadata.push_back(std::move(meta));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StreamWriter>> ArchiveWriter::OpenStream(uint32_t stream_id) {
  Impl& w = *impl_;
  if (stream_id == kMetaStreamId || stream_id > kMaxStreamId) {
    return absl::InvalidArgumentError(absl::StrCat("stream id ", stream_id, " out of range (1..",
                                                   kMaxStreamId, ")"));
  }
  PGARK_ASSIGN_OR_RETURN(auto compressor, NewCompressor(w.options.compression, w.level));
  std::unique_ptr<Decompressor> verifier;
  if (w.options.verify_round_trip && w.options.compression != CompressionType::kNone) {
    PGARK_ASSIGN_OR_RETURN(verifier, NewDecompressor(w.options.compression));
  }
  {
    absl::MutexLock lock(&w.mu);
    PGARK_RETURN_IF_ERROR(w.StickyLocked());
    if (w.finished.count(stream_id)) {
      return absl::InvalidArgumentError(absl::StrCat("stream ", stream_id, " opened twice"));
    }
    w.finished[stream_id] = false;
    w.streams[stream_id].stream_id = stream_id;
  }
  std::unique_ptr<StreamWriter> stream(new StreamWriter(this, stream_id));
  stream->codec_->compressor = std::move(compressor);
  stream->codec_->verifier = std::move(verifier);
  return stream;
}

absl::StatusOr<WriteSummary> ArchiveWriter::Finish() {
  Impl& w = *impl_;
  absl::MutexLock lock(&w.mu);
  PGARK_RETURN_IF_ERROR(w.StickyLocked());
  for (const auto& [id, done] : w.finished) {
    if (!done) {
      return absl::FailedPreconditionError(absl::StrCat("stream ", id, " was opened but not finished"));
    }
  }
  WriteSummary summary;
  for (auto& [id, entry] : w.streams) {
    summary.raw_bytes += entry.raw_bytes;
    summary.data_frames += entry.chunks.size();
    w.index.streams.push_back(entry);
  }
  summary.streams = w.index.streams.size();
  std::string raw_index = EncodeIndex(w.index);
  if (raw_index.size() > kMaxIndexRawSize) {
    w.sticky = absl::ResourceExhaustedError("archive index exceeds 1 GiB; use larger chunks");
    return w.sticky;
  }
  PGARK_ASSIGN_OR_RETURN(auto compressor, NewCompressor(CompressionType::kZstd, kMetaZstdLevel));
  PGARK_ASSIGN_OR_RETURN(auto verifier, NewDecompressor(CompressionType::kZstd));
  std::string frame;
  absl::Status s = EncodeFrame(w.keys, FrameType::kIndex, kFlagFinal, kIndexStreamId, 0, 0,
                               raw_index, compressor.get(), verifier.get(), &frame);
  if (!s.ok()) {
    w.sticky = s;
    return s;
  }
  PGARK_ASSIGN_OR_RETURN(uint64_t index_offset, w.AppendLocked(frame));
  Trailer t;
  t.index_offset = index_offset;
  t.archive_len = w.offset;
  t.index_frame_len = static_cast<uint32_t>(frame.size());
  t.frame_count = static_cast<uint32_t>(w.frame_count);
  std::string trailer = EncodeTrailer(t, w.header, w.keys);
  s = w.sink->Append(trailer);
  if (s.ok()) s = w.sink->Close();
  if (!s.ok()) {
    w.sticky = s;
    return s;
  }
  w.sha.Update(trailer);
  w.offset += trailer.size();
  w.done = true;
  summary.archive_id_hex = HexEncode(w.header.archive_id);
  summary.archive_bytes = w.offset;
  summary.sha256_hex = w.sha.FinalHex();
  return summary;
}

const std::string& ArchiveWriter::archive_id() const { return impl_->header.archive_id; }
std::string ArchiveWriter::archive_id_hex() const { return HexEncode(impl_->header.archive_id); }
uint64_t ArchiveWriter::bytes_written() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->offset;
}

}  // namespace pgark::format
