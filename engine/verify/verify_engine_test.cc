// RunVerify against archives whose every frame, checksum, digest and index entry is valid
// (written by format::ArchiveWriter) but whose COPY data disagrees with what the index and
// the plan record: a row count the tuples do not match, a binary tuple with the wrong field
// count, a field longer than what follows, a negative length, a text stream with another
// number of lines or an unfinished last line. Only the COPY tuple walk
// (verify/copy_tuples.h) and the row check against the index can see these; each must be
// kDataLoss (exit 5) naming the table, from a file (random access) and from a pipe.
#include "engine/verify/verify_engine.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/archive_io.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::IsOk;
using ::pgark::testing::MemoryStorage;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

std::string Int16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  return std::string{static_cast<char>(u >> 8), static_cast<char>(u & 0xff)};
}
std::string Int32(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  return std::string{static_cast<char>(u >> 24), static_cast<char>((u >> 16) & 0xff),
                     static_cast<char>((u >> 8) & 0xff), static_cast<char>(u & 0xff)};
}
// One binary COPY tuple (without the file header) of text-like fields.
std::string Tuple(const std::vector<std::string>& fields) {
  std::string out = Int16(static_cast<int16_t>(fields.size()));
  for (const std::string& field : fields) absl::StrAppend(&out, Int32(static_cast<int32_t>(field.size())), field);
  return out;
}

// An archive holding table app.items (columns id, note; `binary` or text COPY) in stream 1,
// whose chunks are `chunks` (those flagged in `mid_row` end inside a tuple) and whose
// STREAM_END records `rows`, plus a second, intact
// table app.other of two binary rows in stream 2.
std::string Archive(bool binary, const std::vector<std::string>& chunks, uint64_t rows,
                    const std::vector<bool>& mid_row = {}) {
  format::WriterOptions options;
  options.chunk_size = 64 * 1024;
  format::StringSink sink;
  auto writer = format::ArchiveWriter::Create(&sink, options);
  EXPECT_THAT(writer, IsOk());
  nlohmann::json columns = nlohmann::json::array({{{"name", "id"}, {"type", "integer"}}, {{"name", "note"}, {"type", "text"}}});
  nlohmann::json plan = {
      {"version", 1},
      {"server_version", 150000},
      {"client_encoding", "UTF8"},
      {"tables", nlohmann::json::array(
                     {{{"schema", "app"}, {"name", "items"}, {"format", binary ? "binary" : "text"},
                       {"columns", columns}, {"bytes", 100}, {"parts", {""}}, {"streams", {1}},
                       {"catalog_id", "TABLE DATA app.items"}},
                      {{"schema", "app"}, {"name", "other"}, {"format", "binary"}, {"columns", columns},
                       {"bytes", 100}, {"parts", {""}}, {"streams", {2}}, {"catalog_id", "TABLE DATA app.other"}}})},
      {"large_objects", {{"format", "binary"}, {"streams", nlohmann::json::array()}}},
      {"matviews_to_refresh", nlohmann::json::array()}};
  EXPECT_THAT((*writer)->AddMetadata("dump/plan.json", plan.dump()), IsOk());
  {
    auto stream = (*writer)->OpenStream(1);
    EXPECT_THAT(stream, IsOk());
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_THAT((*stream)->Append(chunks[i], i < mid_row.size() && mid_row[i]), IsOk());
    }
    EXPECT_THAT((*stream)->Finish(rows), IsOk());
  }
  {
    auto stream = (*writer)->OpenStream(2);
    EXPECT_THAT(stream, IsOk());
    EXPECT_THAT((*stream)->Append(Tuple({Int32(1), "a"}) + Tuple({Int32(2), "b"})), IsOk());
    EXPECT_THAT((*stream)->Finish(2), IsOk());
  }
  EXPECT_THAT((*writer)->Finish().status(), IsOk());
  return sink.data();
}

// The archive in memory, read as a file (random access, streams in parallel) or as a pipe
// (one sequential scan: the reader of `pgark verify -`).
OpenedArchive Open(const std::string& bytes, bool random_access) {
  storage::StorageFeatures features;
  features.random_read = random_access;
  auto storage = std::make_unique<MemoryStorage>(features);
  storage->Put("a.pgark", bytes);
  OpenedArchive opened;
  auto reader = storage->NewReader("a.pgark");
  EXPECT_THAT(reader, IsOk());
  opened.reader = std::move(*reader);
  opened.source = std::make_unique<ObjectSource>(opened.reader.get());
  opened.random_access = random_access;
  opened.display_name = "a.pgark";
  opened.storage = std::move(storage);
  return opened;
}

class VerifyTuplesTest : public ::testing::TestWithParam<bool> {
 protected:
  absl::Status Verify(const std::string& bytes, VerifyReport* report, bool parse = true) {
    OpenedArchive archive = Open(bytes, GetParam());
    VerifyOptions options;
    options.parse_tuples = parse;
    return RunVerify(options, archive, 2, report);
  }
};

const VerifiedTable* Find(const VerifyReport& report, const std::string& name) {
  for (const VerifiedTable& table : report.tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

TEST_P(VerifyTuplesTest, IntactArchivePassesWithTheIndexCounts) {
  const std::string data = Tuple({Int32(1), "x"}) + Tuple({Int32(2), ""}) + Tuple({Int32(3), "zz"});
  VerifyReport report;
  ASSERT_THAT(Verify(Archive(true, {data}, 3), &report), IsOk());
  const VerifiedTable* items = Find(report, "app.items");
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(items->rows, 3);
  EXPECT_EQ(items->raw_bytes, data.size());
  EXPECT_EQ(Find(report, "app.other")->rows, 2);
  // A NULL (-1) and a tuple cut across two chunks parse too.
  const std::string with_null = Int16(2) + Int32(4) + Int32(7) + Int32(-1);
  const std::string split = Tuple({Int32(8), "split across chunks"});
  ASSERT_THAT(Verify(Archive(true, {with_null + split.substr(0, 9), split.substr(9)}, 2, {true}), &report), IsOk());
}

// (a) Tuples and frames intact, but STREAM_END (and so the index) records another count.
TEST_P(VerifyTuplesTest, RowCountDifferingFromTheIndexIsDataLossNamingTheTable) {
  const std::string data = Tuple({Int32(1), "x"}) + Tuple({Int32(2), "y"}) + Tuple({Int32(3), "z"});
  for (uint64_t recorded : {uint64_t{2}, uint64_t{4}}) {
    VerifyReport report;
    absl::Status status = Verify(Archive(true, {data}, recorded), &report);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss,
                                 HasSubstr(absl::StrCat("app.items: 3 tuples parsed but the index records ",
                                                        recorded, " rows"))));
    EXPECT_FALSE(report.ok);
    EXPECT_THAT(report.ToText(), HasSubstr("DAMAGED: app.items: 3 tuples parsed"));
  }
  // The frame checks alone pass this archive: the tuple walk is what finds it.
  VerifyReport unparsed;
  EXPECT_THAT(Verify(Archive(true, {data}, 4), &unparsed, /*parse=*/false), IsOk());
}

// (b) Binary tuples that do not parse, every checksum valid.
TEST_P(VerifyTuplesTest, MalformedBinaryTupleIsDataLossNamingTheTable) {
  const std::string good = Tuple({Int32(1), "x"});  // 15 bytes
  const struct {
    std::string data;
    std::string error;
  } cases[] = {
      // Three fields where the plan records two columns.
      {good + Tuple({Int32(2), "y", "extra"}), "app.items: tuple 2 at stream offset 15 has 3 fields, expected 2"},
      // A field length beyond the tuple: the stream ends inside it.
      {good + Int16(2) + Int32(4) + Int32(1) + Int32(1000) + "short", "app.items: the stream ends inside a tuple"},
      // A length that runs into the next tuple leaves a misparsed field count behind it.
      {Int16(2) + Int32(4) + Int32(1) + Int32(2) + "x" + good, "app.items: tuple 2 at stream offset 16 has 512 fields"},
      // A negative length other than NULL's -1.
      {good + Int16(2) + Int32(4) + Int32(1) + Int32(-7), "app.items: tuple 2 at stream offset 15: field 2 has negative length -7"},
      // A COPY trailer (-1 fields) inside the data.
      {good + Int16(-1) + good, "app.items: tuple 2 at stream offset 15 has -1 (a COPY trailer inside the data) fields"},
  };
  for (const auto& c : cases) {
    const std::string archive = Archive(true, {c.data}, 2);
    VerifyReport report;
    EXPECT_THAT(Verify(archive, &report), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.error)));
    EXPECT_THAT(report.ToText(), HasSubstr("DAMAGED: app.items"));
    // The frame checks alone pass it: the tuple walk is what finds it.
    EXPECT_THAT(Verify(archive, &report, /*parse=*/false), IsOk()) << c.error;
  }
}

// (c) A text stream whose line count is not the recorded one, or whose last line is unfinished.
TEST_P(VerifyTuplesTest, TextStreamWithAnotherRowCountIsDataLossNamingTheTable) {
  VerifyReport report;
  ASSERT_THAT(Verify(Archive(false, {"1\tx\n2\ty\n", "3\tz\n"}, 3), &report), IsOk());
  EXPECT_EQ(Find(report, "app.items")->rows, 3);
  EXPECT_THAT(Verify(Archive(false, {"1\tx\n2\ty\n", "3\tz\n"}, 2), &report),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("app.items: 3 tuples parsed but the index records 2 rows")));
  EXPECT_THAT(Verify(Archive(false, {"1\tx\n2\ty\n"}, 3), &report),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("app.items: 2 tuples parsed but the index records 3 rows")));
  EXPECT_THAT(Verify(Archive(false, {"1\tx\n2\ty\n3\tz"}, 3), &report),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("app.items: the stream ends inside a tuple")));
}

// A wrong (or missing) key says nothing about the archive's state: the verdict is NOT
// VERIFIED (kUnauthenticated, exit 7), never DAMAGED, in the text and in the JSON.
TEST_P(VerifyTuplesTest, WrongKeyIsNotVerifiedRatherThanDamaged) {
  format::WriterOptions writer_options;
  writer_options.encryption.key_files.push_back(format::SecretKey::Random());
  format::StringSink sink;
  auto writer = format::ArchiveWriter::Create(&sink, writer_options);
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT((*writer)->AddMetadata("catalog.json", "{}"), IsOk());
  ASSERT_THAT((*writer)->Finish().status(), IsOk());
  for (bool give_key : {true, false}) {
    OpenedArchive archive = Open(sink.data(), GetParam());
    VerifyOptions options;
    if (give_key) options.keys.key_files.push_back(format::SecretKey::Random());
    VerifyReport report;
    EXPECT_THAT(RunVerify(options, archive, 2, &report), StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(report.verdict, VerifyVerdict::kNotVerified);
    const std::string text = report.ToText();
    EXPECT_THAT(text, HasSubstr("\nNOT VERIFIED: "));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("DAMAGED")));
    // Nothing was read past the header: no zero counts pretending to be a result.
    EXPECT_THAT(text, ::testing::Not(HasSubstr("0 streams")));
    if (GetParam()) {
      EXPECT_THAT(text, HasSubstr(", encrypted)"));  // from a file the header is read first
    }
    nlohmann::json json = nlohmann::json::parse(report.ToJson());
    EXPECT_EQ(json["verdict"], "not_verified");
    EXPECT_EQ(json["damaged"], false);
    EXPECT_EQ(json["ok"], false);
  }
}

// A file that is not a pgark archive has no id and no encryption to report.
TEST_P(VerifyTuplesTest, NotAnArchiveReportHasNoIdOrEncryption) {
  VerifyReport report;
  EXPECT_THAT(Verify(std::string(1000, 'x'), &report),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not a pgark archive")));
  EXPECT_FALSE(report.header_read);
  EXPECT_EQ(report.ToText(), "archive a.pgark\nDAMAGED: framing: not a pgark archive (bad magic)\n");
  nlohmann::json json = nlohmann::json::parse(report.ToJson());
  EXPECT_FALSE(json.contains("archive_id"));
  EXPECT_FALSE(json.contains("encrypted"));
  EXPECT_EQ(json["verdict"], "damaged");
}

TEST_P(VerifyTuplesTest, IntactArchiveVerdictIsOk) {
  VerifyReport report;
  ASSERT_THAT(Verify(Archive(true, {Tuple({Int32(1), "x"})}, 1), &report), IsOk());
  EXPECT_EQ(report.verdict, VerifyVerdict::kIntact);
  EXPECT_THAT(report.ToText(), HasSubstr("(id "));
  EXPECT_THAT(report.ToText(), HasSubstr("not encrypted)\n"));
  EXPECT_THAT(report.ToText(), HasSubstr("\nOK: the archive is intact\n"));
  EXPECT_EQ(nlohmann::json::parse(report.ToJson())["verdict"], "intact");
}

INSTANTIATE_TEST_SUITE_P(FileAndPipe, VerifyTuplesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("File") : std::string("Pipe");
                         });

// The archive verify opens (engine/archive_io.cc): an error names its path once, not
// "opening 'x': opening './x': ...".
TEST(OpenArchiveForReadTest, ErrorNamesThePathOnce) {
  const std::string path = "/nonexistent-pgark-dir/missing.pgark";
  absl::StatusOr<OpenedArchive> opened = OpenArchiveForRead(path);
  ASSERT_THAT(opened.status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.pgark")));
  const std::string message(opened.status().message());
  EXPECT_EQ(message.find("missing.pgark"), message.rfind("missing.pgark")) << message;
}

}  // namespace
}  // namespace pgark::engine
