// Reads every committed golden archive (tests/golden/v1/*.pgark, written once by
// make_golden.cc) and checks it against its .expected.json and against golden_spec.h, with
// the random-access reader and the pipe scanner, with every kind of key. If this fails
// after a change to format/, the change broke compatibility with archives already written:
// fix the code, never the golden files.
#include <dirent.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "format/archive_reader.h"
#include "format/codec/checksum.h"
#include "format/codec/compressor.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/golden/golden_spec.h"
#include "tests/testing/status_matchers.h"

namespace pgark::golden {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::StatusIs;

const std::string kDir = std::string(PGARK_SOURCE_DIR) + "/tests/golden/v1";

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Sha256Hex(absl::string_view bytes) {
  format::Sha256Stream sha;
  sha.Update(bytes);
  return sha.FinalHex();
}

std::vector<std::string> ExpectedFiles() {
  std::vector<std::string> names;
  DIR* d = opendir(kDir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    const std::string suffix = ".expected.json";
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(n.substr(0, n.size() - suffix.size()));
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

const ArchiveSpec* FindSpec(const std::string& name) {
  static const std::vector<ArchiveSpec> specs = AllSpecs();
  for (const ArchiveSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string StreamRaw(const StreamSpec& st) {
  std::string raw;
  for (const std::string& c : st.chunks) raw += c;
  return raw;
}

// Key rings that must each open an encrypted golden archive: one per slot type.
std::map<std::string, format::KeyRing> KeyRings(const nlohmann::json& expected) {
  std::map<std::string, format::KeyRing> rings;
  if (!expected["encrypted"].get<bool>()) {
    rings["none"] = format::KeyRing();
    return rings;
  }
  auto key = format::ParseKeyFile(ReadFileOrDie(kDir + "/" + expected["key_file"].get<std::string>()));
  EXPECT_THAT(key.status(), IsOk());
  if (key.ok()) rings["key_file"].key_files.push_back(*key);
  auto identity = format::ParseX25519Secret(
      ReadFileOrDie(kDir + "/" + expected["identity_file"].get<std::string>()));
  EXPECT_THAT(identity.status(), IsOk());
  if (identity.ok()) rings["x25519"].identities.push_back(*identity);
  auto passphrase = format::PassphraseFromFileContents(
      ReadFileOrDie(kDir + "/" + expected["passphrase_file"].get<std::string>()));
  EXPECT_THAT(passphrase.status(), IsOk());
  if (passphrase.ok()) rings["passphrase"].passphrase = *passphrase;
  return rings;
}

const char* SlotTypeName(format::KeySlotType t) {
  switch (t) {
    case format::KeySlotType::kPassphrase: return "passphrase";
    case format::KeySlotType::kKeyFile: return "key_file";
    case format::KeySlotType::kX25519: return "x25519";
  }
  return "unknown";
}

void CheckHeader(const format::HeaderInfo& h, const nlohmann::json& e) {
  EXPECT_EQ(h.format_major, e["format_major"].get<int>());
  EXPECT_EQ(h.format_minor, e["format_minor"].get<int>());
  EXPECT_EQ(h.archive_id_hex, e["archive_id_hex"].get<std::string>());
  EXPECT_EQ(h.encrypted, e["encrypted"].get<bool>());
  EXPECT_EQ(format::CompressionName(h.compression), e["compression"].get<std::string>());
  EXPECT_EQ(h.chunk_size, e["chunk_size"].get<uint32_t>());
  EXPECT_EQ(h.created_unix_us, e["created_unix_us"].get<uint64_t>());
  EXPECT_EQ(h.writer_version, e["writer_version"].get<std::string>());
  ASSERT_EQ(h.key_slots.size(), e["key_slots"].size());
  for (size_t i = 0; i < h.key_slots.size(); ++i) {
    const auto& slot = e["key_slots"][i];
    EXPECT_EQ(SlotTypeName(h.key_slots[i].type), slot["type"].get<std::string>()) << "slot " << i;
    if (slot.contains("key_id")) {
      EXPECT_EQ(h.key_slots[i].key_id, slot["key_id"].get<std::string>()) << "slot " << i;
    } else {
      EXPECT_EQ(h.key_slots[i].argon.ops, slot["argon_ops"].get<uint64_t>());
      EXPECT_EQ(h.key_slots[i].argon.mem, slot["argon_mem"].get<uint64_t>());
    }
  }
}

class GoldenArchiveTest : public ::testing::TestWithParam<std::string> {};

TEST(GoldenSetTest, EverySpecHasACommittedArchiveAndViceVersa) {
  std::set<std::string> committed;
  for (const std::string& n : ExpectedFiles()) committed.insert(n);
  std::set<std::string> specified;
  for (const ArchiveSpec& s : AllSpecs()) specified.insert(s.name);
  EXPECT_EQ(committed, specified)
      << "run build/tests/pgark_make_golden tests/golden/v1 for new specs; never delete one";
  EXPECT_GE(committed.size(), 4u);
}

TEST_P(GoldenArchiveTest, RandomAccessReaderReadsExpectedContents) {
  const std::string name = GetParam();
  const nlohmann::json e = nlohmann::json::parse(ReadFileOrDie(kDir + "/" + name + ".expected.json"));
  const ArchiveSpec* spec = FindSpec(name);
  ASSERT_NE(spec, nullptr) << name << " has no spec in golden_spec.h";
  const std::string archive = ReadFileOrDie(kDir + "/" + e["file"].get<std::string>());
  // The file itself is unchanged since it was written.
  ASSERT_EQ(archive.size(), e["archive_size"].get<uint64_t>());
  ASSERT_EQ(Sha256Hex(archive), e["archive_sha256"].get<std::string>());

  for (const auto& [ring_name, ring] : KeyRings(e)) {
    SCOPED_TRACE("keys: " + ring_name);
    format::StringSource source(archive);
    auto header = format::ReadHeaderInfo(&source);
    ASSERT_THAT(header.status(), IsOk());
    CheckHeader(*header, e);

    format::ReaderOptions options;
    options.keys = ring;
    auto reader = format::ArchiveReader::Open(&source, options);
    ASSERT_THAT(reader.status(), IsOk());
    const format::ArchiveInfo& info = (*reader)->info();
    CheckHeader(info.header, e);
    EXPECT_EQ(info.archive_size, archive.size());

    ASSERT_EQ(info.metadata.size(), e["metadata"].size());
    for (size_t i = 0; i < info.metadata.size(); ++i) {
      const auto& m = e["metadata"][i];
      EXPECT_EQ(info.metadata[i].name, m["name"].get<std::string>());
      EXPECT_EQ(info.metadata[i].size, m["size"].get<uint64_t>());
      auto body = (*reader)->ReadMetadata(info.metadata[i].name);
      ASSERT_THAT(body.status(), IsOk());
      EXPECT_EQ(Sha256Hex(*body), m["sha256"].get<std::string>());
      EXPECT_EQ(*body, spec->metadata[i].body);
    }

    ASSERT_EQ(info.streams.size(), e["streams"].size());
    for (size_t i = 0; i < info.streams.size(); ++i) {
      const format::StreamInfo& s = info.streams[i];
      const auto& es = e["streams"][i];
      SCOPED_TRACE(absl::StrCat("stream ", s.stream_id));
      EXPECT_EQ(s.stream_id, es["stream_id"].get<uint32_t>());
      EXPECT_EQ(s.rows, es["rows"].get<uint64_t>());
      EXPECT_EQ(s.raw_bytes, es["raw_bytes"].get<uint64_t>());
      EXPECT_EQ(s.digest_hex, es["digest_hex"].get<std::string>());
      EXPECT_EQ(s.chunks, es["chunks"].size());
      auto chunks = (*reader)->OpenStream(s.stream_id);
      ASSERT_THAT(chunks.status(), IsOk());
      std::string raw;
      format::Chunk chunk;
      size_t n = 0;
      while (true) {
        auto more = (*chunks)->Next(&chunk);
        ASSERT_THAT(more.status(), IsOk());
        if (!*more) break;
        ASSERT_LT(n, es["chunks"].size());
        EXPECT_EQ(chunk.raw_offset, es["chunks"][n]["raw_offset"].get<uint64_t>());
        EXPECT_EQ(chunk.data.size(), es["chunks"][n]["raw_len"].get<uint64_t>());
        EXPECT_EQ(chunk.ends_mid_row, es["chunks"][n]["ends_mid_row"].get<bool>());
        raw += chunk.data;
        ++n;
      }
      EXPECT_EQ(n, es["chunks"].size());
      EXPECT_EQ(Sha256Hex(raw), es["sha256"].get<std::string>());
      bool found = false;
      for (const StreamSpec& st : spec->streams) {
        if (st.stream_id == s.stream_id) {
          found = true;
          EXPECT_EQ(raw, StreamRaw(st));
        }
      }
      EXPECT_TRUE(found);
    }
    EXPECT_THAT((*reader)->VerifyAll(), IsOk());
  }
}

TEST_P(GoldenArchiveTest, PipeScannerReadsExpectedContents) {
  const std::string name = GetParam();
  const nlohmann::json e = nlohmann::json::parse(ReadFileOrDie(kDir + "/" + name + ".expected.json"));
  const std::string archive = ReadFileOrDie(kDir + "/" + e["file"].get<std::string>());
  for (const auto& [ring_name, ring] : KeyRings(e)) {
    SCOPED_TRACE("keys: " + ring_name);
    format::StringSource source(archive, /*read_granularity=*/997);  // odd short reads
    format::ReaderOptions options;
    options.keys = ring;
    auto scanner = format::ArchiveScanner::Open(&source, options);
    ASSERT_THAT(scanner.status(), IsOk());
    std::map<std::string, std::string> metadata;
    std::map<uint32_t, std::string> streams;
    std::map<uint32_t, uint64_t> rows;
    format::ScanItem item;
    while (true) {
      auto more = (*scanner)->Next(&item);
      ASSERT_THAT(more.status(), IsOk());
      if (!*more) break;
      switch (item.kind) {
        case format::ScanItem::Kind::kMetadata: metadata[item.name] = item.body; break;
        case format::ScanItem::Kind::kChunk: streams[item.chunk.stream_id] += item.chunk.data; break;
        case format::ScanItem::Kind::kStreamEnd: rows[item.stream.stream_id] = item.stream.rows; break;
      }
    }
    for (const auto& m : e["metadata"]) {
      EXPECT_EQ(Sha256Hex(metadata[m["name"].get<std::string>()]), m["sha256"].get<std::string>());
    }
    for (const auto& es : e["streams"]) {
      uint32_t id = es["stream_id"].get<uint32_t>();
      EXPECT_EQ(Sha256Hex(streams[id]), es["sha256"].get<std::string>()) << "stream " << id;
      EXPECT_EQ(rows[id], es["rows"].get<uint64_t>()) << "stream " << id;
    }
  }
}

TEST_P(GoldenArchiveTest, WrongOrMissingKeyIsRefused) {
  const std::string name = GetParam();
  const nlohmann::json e = nlohmann::json::parse(ReadFileOrDie(kDir + "/" + name + ".expected.json"));
  const std::string archive = ReadFileOrDie(kDir + "/" + e["file"].get<std::string>());
  format::StringSource source(archive);
  format::ReaderOptions options;
  options.keys.key_files.push_back(format::SecretKey::Random());
  // Encrypted: no slot opens (kUnauthenticated). Plain: a key was given, so the reader
  // refuses the unencrypted archive (downgrade protection, kDataLoss).
  EXPECT_THAT(format::ArchiveReader::Open(&source, options).status(),
              StatusIs(e["encrypted"].get<bool>() ? absl::StatusCode::kUnauthenticated
                                                  : absl::StatusCode::kDataLoss));
}

TEST_P(GoldenArchiveTest, FlippedPayloadByteIsDataLoss) {
  const std::string name = GetParam();
  const nlohmann::json e = nlohmann::json::parse(ReadFileOrDie(kDir + "/" + name + ".expected.json"));
  std::string archive = ReadFileOrDie(kDir + "/" + e["file"].get<std::string>());
  auto rings = KeyRings(e);
  const format::KeyRing& ring = rings.begin()->second;
  // Flip one byte in the middle of the frames (past the header, before the trailer).
  archive[archive.size() / 2] ^= 0x40;
  format::StringSource source(archive);
  format::ReaderOptions options;
  options.keys = ring;
  auto reader = format::ArchiveReader::Open(&source, options);
  absl::Status status = reader.ok() ? (*reader)->VerifyAll() : reader.status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

// Archives without randomness (no encryption, codec none) come out of today's writer byte
// for byte as they were written: the writer's output has not drifted either.
TEST_P(GoldenArchiveTest, ReproducibleArchivesAreRewrittenByteForByte) {
  const std::string name = GetParam();
  const ArchiveSpec* spec = FindSpec(name);
  ASSERT_NE(spec, nullptr);
  if (!spec->byte_reproducible) {
    GTEST_SKIP() << name << ": random nonces/keys, or compressed bytes that depend on the codec "
                 << "library's version; its contents are checked by the other tests";
  }
  const std::string archive = ReadFileOrDie(kDir + "/" + name + ".pgark");
  auto rewritten = WriteGoldenArchive(*spec);
  ASSERT_THAT(rewritten.status(), IsOk());
  EXPECT_TRUE(*rewritten == archive) << "the writer's output for " << name << " changed";
}

INSTANTIATE_TEST_SUITE_P(V1, GoldenArchiveTest, ::testing::ValuesIn(ExpectedFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenArchiveTest);

}  // namespace
}  // namespace pgark::golden
