// Round trips, corruption, truncation, reordering, splicing, keys and limits of the
// archive format. Every damaged archive must fail with kDataLoss (wrong/missing keys
// with kUnauthenticated), from both the random-access reader and the pipe scanner.
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "format/archive_reader.h"
#include "format/archive_writer.h"
#include "format/codec/checksum.h"
#include "format/frame.h"
#include "format/layout.h"
#include "format/wire.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::format {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint32_t kChunk = 4096;

// COPY-like text: compressible but not trivially.
std::string RowData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < n) {
    absl::StrAppend(&out, rng() % 100000, "\tcustomer-", rng() % 5000, "\t2024-01-",
                    1 + rng() % 28, "\tstatus_", rng() % 4, "\n");
  }
  out.resize(n);
  return out;
}

struct Content {
  std::map<uint32_t, std::vector<std::string>> chunks;  // stream -> chunks
  std::map<uint32_t, uint64_t> rows;
  std::map<std::string, std::string> metadata;
};

Content SampleContent() {
  Content c;
  c.metadata["catalog.json"] = R"({"tables":["public.orders","public.empty"]})";
  c.metadata["big"] = RowData(3 * kChunk + 100, 9);  // spans several META frames
  c.chunks[1] = {RowData(kChunk, 1), RowData(kChunk, 2), RowData(1000, 3)};
  c.rows[1] = 123;
  c.chunks[2] = {};  // empty stream
  c.rows[2] = 0;
  c.chunks[7] = {RowData(kChunk, 4), RowData(10, 5)};  // a row continued across frames
  c.rows[7] = 1;
  return c;
}

EncryptionOptions FastPassphrase(absl::string_view pw) {
  EncryptionOptions e;
  e.passphrases.push_back({SecretString(pw), ArgonParams{1, 8 << 10}});
  return e;
}

std::string Write(const Content& c, WriterOptions options) {
  options.chunk_size = kChunk;
  StringSink sink;
  auto writer = ArchiveWriter::Create(&sink, options);
  EXPECT_THAT(writer, IsOk());
  for (const auto& [name, body] : c.metadata) EXPECT_THAT((*writer)->AddMetadata(name, body), IsOk());
  for (const auto& [id, chunks] : c.chunks) {
    auto stream = (*writer)->OpenStream(id);
    EXPECT_THAT(stream, IsOk());
    for (size_t i = 0; i < chunks.size(); ++i) {
      bool mid = id == 7 && i == 0;
      EXPECT_THAT((*stream)->Append(chunks[i], mid), IsOk());
    }
    EXPECT_THAT((*stream)->Finish(c.rows.at(id)), IsOk());
  }
  auto summary = (*writer)->Finish();
  EXPECT_THAT(summary, IsOk());
  EXPECT_TRUE(sink.closed());
  Sha256Stream sha;
  sha.Update(sink.data());
  EXPECT_EQ(summary->sha256_hex, sha.FinalHex());
  EXPECT_EQ(summary->archive_bytes, sink.data().size());
  return sink.data();
}

ReaderOptions WithKeys(KeyRing keys) {
  ReaderOptions o;
  o.keys = std::move(keys);
  return o;
}

// Reads everything through the random-access reader; returns the first failure.
absl::Status ReadAll(const std::string& archive, const ReaderOptions& options, Content* out = nullptr) {
  StringSource source(archive);
  PGARK_ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(&source, options));
  PGARK_RETURN_IF_ERROR(reader->VerifyAll());
  if (out != nullptr) {
    for (const MetadataInfo& m : reader->info().metadata) {
      PGARK_ASSIGN_OR_RETURN(out->metadata[m.name], reader->ReadMetadata(m.name));
    }
    for (const StreamInfo& s : reader->info().streams) {
      out->rows[s.stream_id] = s.rows;
      auto& chunks = out->chunks[s.stream_id];
      PGARK_ASSIGN_OR_RETURN(auto cr, reader->OpenStream(s.stream_id));
      Chunk chunk;
      while (true) {
        PGARK_ASSIGN_OR_RETURN(bool more, cr->Next(&chunk));
        if (!more) break;
        chunks.push_back(chunk.data);
      }
    }
  }
  return absl::OkStatus();
}

// Reads everything through the sequential scanner, in small pieces like a pipe.
absl::Status ScanAll(const std::string& archive, const ReaderOptions& options, Content* out = nullptr) {
  StringSource source(archive, 1000);
  PGARK_ASSIGN_OR_RETURN(auto scanner, ArchiveScanner::Open(&source, options));
  ScanItem item;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, scanner->Next(&item));
    if (!more) break;
    if (out == nullptr) continue;
    if (item.kind == ScanItem::Kind::kMetadata) out->metadata[item.name] = item.body;
    if (item.kind == ScanItem::Kind::kChunk) out->chunks[item.chunk.stream_id].push_back(item.chunk.data);
    if (item.kind == ScanItem::Kind::kStreamEnd) {
      out->rows[item.stream.stream_id] = item.stream.rows;
      out->chunks[item.stream.stream_id];  // empty streams appear too
    }
  }
  return absl::OkStatus();
}

void ExpectSame(const Content& a, const Content& b) {
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.chunks, b.chunks);
  EXPECT_EQ(a.rows, b.rows);
}

// Frame boundaries of an archive, from the index.
std::vector<std::pair<uint64_t, uint64_t>> Frames(const std::string& archive, const KeyRing& keys) {
  StringSource source(archive);
  auto reader = ArchiveReader::Open(&source, WithKeys(keys));
  EXPECT_THAT(reader, IsOk());
  std::vector<std::pair<uint64_t, uint64_t>> frames;
  for (const StreamInfo& s : (*reader)->info().streams) {
    auto chunks = (*reader)->Chunks(s.stream_id);
    for (const ChunkLocation& c : *chunks) {
      frames.emplace_back(c.file_offset, kFrameHeaderSize + c.stored_len);
    }
  }
  std::sort(frames.begin(), frames.end());
  return frames;
}

KeyRing KeyFileRing(const SecretKey& key) {
  KeyRing ring;
  ring.key_files.push_back(key);
  return ring;
}

class ArchiveRoundTripTest
    : public ::testing::TestWithParam<std::tuple<CompressionType, int /*encryption*/>> {};

TEST_P(ArchiveRoundTripTest, ReaderAndScannerReturnExactlyWhatWasWritten) {
  auto [codec, mode] = GetParam();
  WriterOptions options;
  options.compression = codec;
  KeyRing ring;
  SecretKey key = SecretKey::Random();
  X25519KeyPair pair = GenerateX25519KeyPair();
  if (mode == 1) {
    options.encryption = FastPassphrase("correct horse");
    ring.passphrase = SecretString("correct horse");
  } else if (mode == 2) {
    options.encryption.key_files.push_back(key);
    ring.key_files.push_back(key);
  } else if (mode == 3) {
    options.encryption.recipients.push_back(pair.public_key);
    ring.identities.push_back(pair);
  }
  Content in = SampleContent();
  std::string archive = Write(in, options);
  Content via_reader, via_scanner;
  ASSERT_THAT(ReadAll(archive, WithKeys(ring), &via_reader), IsOk());
  ASSERT_THAT(ScanAll(archive, WithKeys(ring), &via_scanner), IsOk());
  ExpectSame(in, via_reader);
  ExpectSame(in, via_scanner);
  if (mode != 0) {
    // Table names in metadata are encrypted too.
    EXPECT_EQ(archive.find("public.orders"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecsAndKeys, ArchiveRoundTripTest,
                         ::testing::Combine(::testing::Values(CompressionType::kZstd,
                                                              CompressionType::kGzip,
                                                              CompressionType::kNone),
                                            ::testing::Values(0, 1, 2, 3)));

TEST(ArchiveTest, ManyProducerThreadsInterleaveFramesSafely) {
  WriterOptions options;
  options.chunk_size = kChunk;
  options.encryption.key_files.push_back(SecretKey::Random());
  StringSink sink;
  auto writer = *ArchiveWriter::Create(&sink, options);
  std::vector<std::thread> threads;
  for (uint32_t id = 1; id <= 4; ++id) {
    threads.emplace_back([&, id] {
      auto stream = *writer->OpenStream(id);
      for (int i = 0; i < 20; ++i) ASSERT_THAT(stream->Append(RowData(kChunk, id * 100 + i)), IsOk());
      ASSERT_THAT(stream->Finish(20), IsOk());
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_THAT(writer->Finish(), IsOk());
  Content out;
  ASSERT_THAT(ReadAll(sink.data(), WithKeys(KeyFileRing(options.encryption.key_files[0])), &out), IsOk());
  for (uint32_t id = 1; id <= 4; ++id) {
    ASSERT_EQ(out.chunks[id].size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(out.chunks[id][i], RowData(kChunk, id * 100 + i));
  }
}

TEST(ArchiveTest, ChunkRunsAndLocationsSupportParallelRestore) {
  std::string archive = Write(SampleContent(), {});
  StringSource source(archive);
  auto reader = *ArchiveReader::Open(&source, {});
  auto locations = *reader->Chunks(7);
  ASSERT_EQ(locations.size(), 2u);
  EXPECT_TRUE(locations[0].ends_mid_row);
  EXPECT_FALSE(locations[1].ends_mid_row);
  EXPECT_EQ(locations[1].raw_offset, kChunk);
  auto run = *reader->OpenStream(1, 1, 1);
  Chunk chunk;
  ASSERT_THAT(run->Next(&chunk), ::pgark::testing::IsOkAndHolds(true));
  EXPECT_EQ(chunk.seq, 1u);
  EXPECT_EQ(chunk.data, RowData(kChunk, 2));
  EXPECT_THAT(run->Next(&chunk), ::pgark::testing::IsOkAndHolds(false));
  EXPECT_THAT(reader->OpenStream(1, 2, 5), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(reader->OpenStream(99), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->ReadMetadata("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(reader->info().streams.size(), 3u);
  EXPECT_EQ(reader->info().streams[0].rows, 123u);
}

// Records every ReadAt(), to see how the random-access reader reaches the storage.
class CountingSource : public RandomAccessSource {
 public:
  explicit CountingSource(RandomAccessSource* inner) : inner_(inner) {}
  absl::StatusOr<uint64_t> Size() override { return inner_->Size(); }
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    reads.emplace_back(offset, length);
    return inner_->ReadAt(offset, length, out);
  }
  std::vector<std::pair<uint64_t, size_t>> reads;

 private:
  RandomAccessSource* inner_;
};

TEST(ArchiveTest, AdjacentFramesOfAStreamAreCoalescedIntoOneRead) {
  std::string archive = Write(SampleContent(), {});
  for (size_t coalesce_bytes : {size_t{8} << 20, size_t{1}}) {
    StringSource inner(archive);
    CountingSource source(&inner);
    ReaderOptions options;
    options.coalesce_bytes = coalesce_bytes;
    ASSERT_OK_AND_ASSIGN(auto reader, ArchiveReader::Open(&source, options));
    ASSERT_OK_AND_ASSIGN(std::vector<ChunkLocation> chunks, reader->Chunks(1));
    ASSERT_EQ(chunks.size(), 3u);
    std::vector<std::pair<uint64_t, size_t>> frames;
    for (const ChunkLocation& c : chunks) frames.emplace_back(c.file_offset, kFrameHeaderSize + c.stored_len);
    ASSERT_EQ(frames[1].first, frames[0].first + frames[0].second);  // written back to back
    ASSERT_EQ(frames[2].first, frames[1].first + frames[1].second);

    source.reads.clear();
    ASSERT_OK_AND_ASSIGN(auto stream, reader->OpenStream(1));
    Chunk chunk;
    int n = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(bool more, stream->Next(&chunk));
      if (!more) break;
      ++n;
    }
    EXPECT_EQ(n, 3);
    std::vector<std::pair<uint64_t, size_t>> data_reads;  // without the STREAM_END frame's read
    for (const auto& r : source.reads) {
      if (r.first < frames[2].first + frames[2].second) data_reads.push_back(r);
    }
    if (coalesce_bytes > 1) {
      // One request for the three frames.
      const size_t span = frames[2].first + frames[2].second - frames[0].first;
      EXPECT_EQ(data_reads, (std::vector<std::pair<uint64_t, size_t>>{{frames[0].first, span}}));
    } else {
      EXPECT_EQ(data_reads, frames);  // the limit forbids merging: one request per frame
    }
  }
}

TEST(ArchiveTest, WriterRejectsMisuse) {
  StringSink sink;
  WriterOptions options;
  options.chunk_size = kChunk;
  auto writer = *ArchiveWriter::Create(&sink, options);
  EXPECT_THAT(writer->OpenStream(0), StatusIs(absl::StatusCode::kInvalidArgument));
  auto stream = *writer->OpenStream(5);
  EXPECT_THAT(writer->OpenStream(5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(stream->Append(std::string(kChunk + 1, 'x')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(stream->Append(""), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(stream->Append("abc", /*ends_mid_row=*/true), IsOk());
  EXPECT_THAT(stream->Finish(1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(writer->Finish(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(sink.closed());  // nothing published
  EXPECT_THAT(writer->AddMetadata("", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(writer->AddMetadata("a", "x"), IsOk());
  EXPECT_THAT(writer->AddMetadata("a", "y"), StatusIs(absl::StatusCode::kInvalidArgument));
  options.compression = CompressionType::kZstd;
  options.level = 42;
  EXPECT_THAT(ArchiveWriter::Create(&sink, options), StatusIs(absl::StatusCode::kInvalidArgument));
}

class FailingSink : public ByteSink {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}
  absl::Status Append(absl::string_view) override {
    return ++calls_ == fail_at_ ? absl::ResourceExhaustedError("disk full") : absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }
  bool closed_ = false;

 private:
  int fail_at_;
  int calls_ = 0;
};

TEST(ArchiveTest, SinkFailureIsStickyAndNothingIsPublished) {
  FailingSink sink(3);
  WriterOptions options;
  options.chunk_size = kChunk;
  auto writer = *ArchiveWriter::Create(&sink, options);
  auto stream = *writer->OpenStream(1);
  ASSERT_THAT(stream->Append("a"), IsOk());
  EXPECT_THAT(stream->Append("b"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(stream->Append("c"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(writer->Finish(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(sink.closed_);
}

// --- keys ------------------------------------------------------------------------------

TEST(ArchiveKeysTest, WrongOrMissingKeysAreReportedBeforeAnyData) {
  SecretKey key = SecretKey::Random();
  X25519KeyPair pair = GenerateX25519KeyPair();
  WriterOptions options = {};
  options.encryption = FastPassphrase("right");
  options.encryption.key_files.push_back(key);
  options.encryption.recipients.push_back(pair.public_key);
  std::string archive = Write(SampleContent(), options);

  KeyRing wrong_pass;
  wrong_pass.passphrase = SecretString("wrong");
  EXPECT_THAT(ReadAll(archive, WithKeys(wrong_pass)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("wrong key")));
  EXPECT_THAT(ScanAll(archive, WithKeys(wrong_pass)), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ReadAll(archive, WithKeys(KeyFileRing(SecretKey::Random()))),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(KeyFileId(key))));
  KeyRing wrong_identity;
  wrong_identity.identities.push_back(GenerateX25519KeyPair());
  EXPECT_THAT(ReadAll(archive, WithKeys(wrong_identity)), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ReadAll(archive, {}), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("encrypted")));
  // Each slot opens it on its own.
  KeyRing right_pass;
  right_pass.passphrase = SecretString("right");
  EXPECT_THAT(ReadAll(archive, WithKeys(right_pass)), IsOk());
  EXPECT_THAT(ReadAll(archive, WithKeys(KeyFileRing(key))), IsOk());
  KeyRing identity;
  identity.identities.push_back(pair);
  EXPECT_THAT(ReadAll(archive, WithKeys(identity)), IsOk());

  StringSource source(archive);
  auto header = ReadHeaderInfo(&source);
  ASSERT_THAT(header, IsOk());
  ASSERT_EQ(header->key_slots.size(), 3u);
  EXPECT_EQ(header->key_slots[0].type, KeySlotType::kPassphrase);
  EXPECT_EQ(header->key_slots[1].key_id, KeyFileId(key));
  EXPECT_EQ(header->key_slots[2].key_id, RecipientId(pair.public_key));
}

TEST(ArchiveKeysTest, UnencryptedArchiveIsRefusedWhenAKeyIsGivenOrRequired) {
  std::string archive = Write(SampleContent(), {});
  EXPECT_THAT(ReadAll(archive, WithKeys(KeyFileRing(SecretKey::Random()))),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not encrypted")));
  KeyRing required;
  required.require_encryption = true;
  EXPECT_THAT(ScanAll(archive, WithKeys(required)), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ArchiveKeysTest, ArgonParametersAboveTheCapsAreRefusedBeforeDeriving) {
  WriterOptions options;
  options.encryption = FastPassphrase("pw");
  std::string archive = Write(SampleContent(), options);
  StringSource source(archive);
  uint32_t len = *ParseHeaderPrefix(archive.substr(0, 64));
  FileHeader header = *ParseFileHeader(archive.substr(0, len));
  // Slot layout: type(1) alg(1) ops(8) mem(8) ...: claim 64 GiB of memory.
  wire::SetU64(&header.slots[0], 10, 64ull << 30);
  KeyRing ring;
  ring.passphrase = SecretString("pw");
  ArchiveKeys keys;
  EXPECT_THAT(UnlockArchive(header, ring, &keys),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exceed the limits")));
}

TEST(ArchiveKeysTest, KeyFilesRoundTripAndRejectTheWrongKind) {
  SecretKey key = SecretKey::Random();
  auto parsed = ParseKeyFile(EncodeKeyFile(key));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(KeyFileId(*parsed), KeyFileId(key));
  X25519KeyPair pair = GenerateX25519KeyPair();
  auto secret = ParseX25519Secret(EncodeX25519Secret(pair.secret_key));
  ASSERT_THAT(secret, IsOk());
  EXPECT_EQ(secret->public_key, pair.public_key);
  EXPECT_EQ(*ParseX25519Public(EncodeX25519Public(pair.public_key)), pair.public_key);
  EXPECT_THAT(ParseKeyFile(EncodeX25519Public(pair.public_key)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x25519-public")));
  EXPECT_THAT(ParseX25519Secret("pgark-x25519-secret-v1:zz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(PassphraseFromFileContents("pw\n")->view(), "pw");
  EXPECT_THAT(PassphraseFromFileContents("\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- damage ----------------------------------------------------------------------------

struct Damage {
  std::string archive;
  KeyRing keys;
};

class ArchiveDamageTest : public ::testing::TestWithParam<bool /*encrypted*/> {
 protected:
  void SetUp() override {
    WriterOptions options;
    if (GetParam()) {
      key_ = SecretKey::Random();
      options.encryption.key_files.push_back(key_);
      ring_.key_files.push_back(key_);
    }
    archive_ = Write(SampleContent(), options);
  }
  void ExpectDataLoss(const std::string& damaged, const std::string& what) {
    EXPECT_THAT(ReadAll(damaged, WithKeys(ring_)), StatusIs(absl::StatusCode::kDataLoss)) << what;
    EXPECT_THAT(ScanAll(damaged, WithKeys(ring_)), StatusIs(absl::StatusCode::kDataLoss)) << what;
  }
  SecretKey key_;
  KeyRing ring_;
  std::string archive_;
};

TEST_P(ArchiveDamageTest, EveryFlippedBitIsDetected) {
  ASSERT_THAT(ReadAll(archive_, WithKeys(ring_)), IsOk());
  for (size_t at = 0; at < archive_.size(); at += (at < 400 || at + 200 > archive_.size()) ? 1 : 13) {
    if (at == 8 || at == 9) continue;  // the major version: kFailedPrecondition, tested below
    std::string damaged = archive_;
    damaged[at] ^= static_cast<char>(1 << (at % 8));
    ExpectDataLoss(damaged, absl::StrCat("bit flipped at ", at));
  }
}

TEST_P(ArchiveDamageTest, EveryTruncationIsDetected) {
  for (size_t len = 0; len < archive_.size(); len += (len + 200 > archive_.size()) ? 1 : 29) {
    ExpectDataLoss(archive_.substr(0, len), absl::StrCat("truncated to ", len));
  }
  for (const auto& [offset, size] : Frames(archive_, ring_)) {
    ExpectDataLoss(archive_.substr(0, offset), absl::StrCat("cut at frame boundary ", offset));
    ExpectDataLoss(archive_.substr(0, offset + size), absl::StrCat("cut after frame ", offset));
  }
  ExpectDataLoss(archive_ + "x", "a byte appended");
}

TEST_P(ArchiveDamageTest, ReorderedDuplicatedAndMissingFramesAreDetected) {
  auto frames = Frames(archive_, ring_);
  ASSERT_GE(frames.size(), 4u);
  auto piece = [&](size_t i) { return archive_.substr(frames[i].first, frames[i].second); };
  // Stream 1's chunks 1 and 2 are written back to back.
  std::string swapped = archive_;
  std::string a = piece(0), b = piece(1);
  swapped.replace(frames[0].first, a.size() + b.size(), b + a);
  ExpectDataLoss(swapped, "two chunks swapped");
  std::string duplicated = archive_;
  duplicated.insert(frames[1].first, a);
  ExpectDataLoss(duplicated, "a chunk duplicated");
  std::string missing = archive_;
  missing.erase(frames[1].first, frames[1].second);
  ExpectDataLoss(missing, "a chunk removed");
  std::string replaced = archive_;
  if (a.size() == b.size()) {
    replaced.replace(frames[1].first, b.size(), a);
    ExpectDataLoss(replaced, "a chunk replaced by another of the same size");
  }
}

TEST_P(ArchiveDamageTest, FrameSplicedFromAnotherArchiveIsDetected) {
  WriterOptions options;
  if (GetParam()) options.encryption.key_files.push_back(key_);  // even with the same key
  std::string other = Write(SampleContent(), options);
  auto frames = Frames(archive_, ring_);
  auto other_frames = Frames(other, ring_);
  ASSERT_EQ(frames, other_frames);  // same layout: only the archive ids differ
  std::string spliced = archive_;
  spliced.replace(frames[0].first, frames[0].second, other.substr(frames[0].first, frames[0].second));
  ExpectDataLoss(spliced, "frame from another archive");
  // Header from another archive, everything else from this one.
  uint32_t len = *ParseHeaderPrefix(archive_.substr(0, 64));
  std::string swapped_header = other.substr(0, len) + archive_.substr(len);
  ExpectDataLoss(swapped_header, "header from another archive");
}

TEST_P(ArchiveDamageTest, ErrorsNameTheLayerOffsetAndChunk) {
  auto frames = Frames(archive_, ring_);
  std::string damaged = archive_;
  damaged[frames[1].first + kFrameHeaderSize + 5] ^= 0x10;
  ReaderOptions options = WithKeys(ring_);
  options.describe_stream = [](uint32_t id) { return id == 1 ? "public.orders" : ""; };
  EXPECT_THAT(ReadAll(damaged, options),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(HasSubstr("storage checksum"), HasSubstr("public.orders"),
                                        HasSubstr("chunk 2/3"), HasSubstr("(stored "), HasSubstr(", computed "),
                                        HasSubstr(absl::StrFormat("@0x%x", frames[1].first)))));
}

// CheckStoredFrames on `archive`: the reader opens (header, trailer, index are fine), then
// the storage check of every frame with `threads` threads.
absl::Status CheckStored(const std::string& archive, const ReaderOptions& options, int threads = 1,
                         std::optional<std::set<uint32_t>> streams = std::nullopt) {
  StringSource source(archive);
  PGARK_ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(&source, options));
  StoredCheckOptions check;
  check.threads = threads;
  check.streams = std::move(streams);
  return reader->CheckStoredFrames(check);
}

TEST_P(ArchiveDamageTest, StoredCheckPassesACleanArchive) {
  for (int threads : {1, 2, 3, 8}) EXPECT_THAT(CheckStored(archive_, WithKeys(ring_), threads), IsOk()) << threads;
}

TEST_P(ArchiveDamageTest, StoredCheckFindsEveryFlippedBitInTheFrames) {
  // Every flip the reader's Open does not see (it reads header, trailer and index) is in a
  // frame's header or payload: the storage check alone must find it, without reading any
  // chunk through OpenStream.
  int found = 0;
  for (size_t at = 0; at < archive_.size(); at += (at < 400 || at + 200 > archive_.size()) ? 1 : 7) {
    std::string damaged = archive_;
    damaged[at] ^= static_cast<char>(1 << (at % 8));
    StringSource source(damaged);
    auto reader = ArchiveReader::Open(&source, WithKeys(ring_));
    if (!reader.ok()) continue;
    ++found;
    int threads = 1 + static_cast<int>(at % 3);
    EXPECT_THAT((*reader)->CheckStoredFrames(StoredCheckOptions{std::nullopt, threads}),
                StatusIs(absl::StatusCode::kDataLoss))
        << "bit flipped at " << at;
  }
  EXPECT_GT(found, 100);
}

TEST_P(ArchiveDamageTest, StoredCheckNamesTheFrameStreamAndChunk) {
  auto frames = Frames(archive_, ring_);  // DATA frames in file order: stream 1's 3, stream 7's 2
  ASSERT_EQ(frames.size(), 5u);
  std::string damaged = archive_;
  damaged[frames[4].first + kFrameHeaderSize + 3] ^= 0x01;  // stream 7, chunk 2/2
  ReaderOptions options = WithKeys(ring_);
  options.describe_stream = [](uint32_t id) { return id == 7 ? "public.orders" : ""; };
  for (int threads : {1, 2, 4}) {
    EXPECT_THAT(CheckStored(damaged, options, threads),
                StatusIs(absl::StatusCode::kDataLoss,
                         ::testing::AllOf(HasSubstr("storage checksum"), HasSubstr("stream 7 (public.orders"),
                                          HasSubstr("chunk 2/2"),
                                          HasSubstr(absl::StrFormat("@0x%x", frames[4].first)))))
        << threads;
  }
  // Only the streams asked for (metadata always).
  EXPECT_THAT(CheckStored(damaged, options, 1, std::set<uint32_t>{1, 2}), IsOk());
  EXPECT_THAT(CheckStored(damaged, options, 2, std::set<uint32_t>{7}), StatusIs(absl::StatusCode::kDataLoss));
  // A damaged frame header (outside the payload) is framing.
  std::string header_damaged = archive_;
  header_damaged[frames[0].first + 20] ^= 0x04;
  EXPECT_THAT(CheckStored(header_damaged, options),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::AllOf(HasSubstr("framing"), HasSubstr("chunk 1/3"))));
}

TEST(ArchiveStoredCheckTest, ReadsEachFrameOnceInBoundedSlices) {
  // 40 chunks of one stream: with slices of about 3 frames (the reader's coalesce_bytes), or
  // of about 2 (StoredCheckOptions::slice_bytes, which wins), every read stays within the
  // bound, and every byte between the header and the index is read exactly once.
  Content c;
  for (int i = 0; i < 40; ++i) c.chunks[3].push_back(RowData(kChunk, 100 + i));
  c.rows[3] = 40;
  WriterOptions wo;
  wo.compression = CompressionType::kNone;
  std::string archive = Write(c, wo);
  struct CountingSource : StringSource {
    using StringSource::StringSource;
    absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
      absl::MutexLock lock(&mu);
      reads.emplace_back(offset, length);
      return StringSource::ReadAt(offset, length, out);
    }
    absl::Mutex mu;
    std::vector<std::pair<uint64_t, size_t>> reads;
  };
  for (size_t slice_bytes : {size_t{0}, size_t{2 * (kChunk + 200)}}) {
    SCOPED_TRACE(absl::StrCat("slice_bytes ", slice_bytes));
    CountingSource source(archive);
    ReaderOptions options;
    options.coalesce_bytes = 3 * (kChunk + 200);
    auto reader = ArchiveReader::Open(&source, options);
    ASSERT_THAT(reader, IsOk());
    source.reads.clear();
    StoredCheckOptions check{std::nullopt, 2};
    check.slice_bytes = slice_bytes;
    ASSERT_THAT((*reader)->CheckStoredFrames(check), IsOk());
    std::sort(source.reads.begin(), source.reads.end());
    const size_t bound = slice_bytes > 0 ? slice_bytes : options.coalesce_bytes;
    uint64_t expected = source.reads.front().first;
    for (const auto& [offset, length] : source.reads) {
      EXPECT_LE(length, bound);
      EXPECT_EQ(offset, expected);  // no byte twice, no gap
      expected = offset + length;
    }
    EXPECT_GE(source.reads.size(), slice_bytes > 0 ? 20u : 14u);
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndEncrypted, ArchiveDamageTest, ::testing::Bool());

TEST(ArchiveVersionTest, UnknownMajorIsRejectedAndHigherMinorTolerated) {
  std::string archive = Write(SampleContent(), {});
  std::string major2 = archive;
  major2[8] = 2;
  EXPECT_THAT(ReadAll(major2, {}), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("2.0")));
  EXPECT_THAT(ScanAll(major2, {}), StatusIs(absl::StatusCode::kFailedPrecondition));

  WriterOptions newer;
  newer.format_minor_for_testing = kFormatMinor + 3;
  newer.unknown_header_field_for_testing = "a field from the future";
  Content out;
  std::string future = Write(SampleContent(), newer);
  EXPECT_THAT(ReadAll(future, {}, &out), IsOk());
  ExpectSame(SampleContent(), out);
  EXPECT_THAT(ScanAll(future, {}), IsOk());
}

TEST(ArchiveLimitsTest, AbsurdLengthsAreRejectedBeforeAllocating) {
  // Frame header with a 4 GiB raw length and a valid CRC.
  FrameHeader h;
  h.raw_len = 0xFFFFFFF0u;
  h.stored_len = 10;
  std::string bytes;
  EncodeFrameHeader(h, &bytes);
  FrameHeader parsed;
  EXPECT_THAT(ParseFrameHeader(bytes, kDefaultChunkSize, &parsed),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("exceeds the limit")));
  h.raw_len = 10;
  h.stored_len = 0xFFFFFFF0u;
  bytes.clear();
  EncodeFrameHeader(h, &bytes);
  EXPECT_THAT(ParseFrameHeader(bytes, kDefaultChunkSize, &parsed), StatusIs(absl::StatusCode::kDataLoss));
  // Index claiming billions of streams in a few bytes.
  std::string index = "PIDX";
  wire::PutU32(&index, 0);
  wire::PutU32(&index, 0xFFFFFFFFu);
  EXPECT_THAT(ParseIndex(index), StatusIs(absl::StatusCode::kDataLoss));
  // Header claiming a 4 GiB length.
  std::string archive = Write(SampleContent(), {});
  wire::SetU32(&archive, 12, 0xFFFFFFFFu);
  EXPECT_THAT(ReadAll(archive, {}), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("out of range")));
}

}  // namespace
}  // namespace pgark::format
