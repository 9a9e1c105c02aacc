// Round trip of the catalog conformance corpus (tests/corpus) plus data of many types, a split
// table, large objects and sequences: catalog read by the real catalog reader, data written
// in the dump's layout by restore_test_archive.h, restored by the parallel loader, compared
// with pg_dump -s (referee) and per-table digests. Through the library at -j 4 and through
// the CLI from a pipe, encrypted with a passphrase, at -j 1; RestoreCorpusRoundTripTest
// covers the other combinations of {file, pipe} x {plain, encrypted} x {-j 1, -j 4} through
// the CLI, with `pgark verify` of the same archive, the encrypted ones with --passphrase-file
// or an X25519 --identity given to restore and verify alike.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/archive_io.h"
#include "engine/catalog/catalog_reader.h"
#include "engine/restore/restore_engine.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::ArchiveSpec;
using ::pgark::testing::BuildArchive;
using ::pgark::testing::DigestOf;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::WriteTempFile;

absl::StatusOr<catalog::Catalog> ReadInSnapshot(pg::Connection& conn) {
  PGARK_RETURN_IF_ERROR(catalog::PrepareDumpSession(conn));
  PGARK_RETURN_IF_ERROR(conn.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  auto catalog = catalog::ReadCatalog(conn, {});
  PGARK_RETURN_IF_ERROR(conn.Execute(catalog.ok() ? "COMMIT" : "ROLLBACK"));
  return catalog;
}

// Every TABLE DATA item becomes a table of the archive; binary unless a column's type lacks
// binary I/O or is OID-valued (what the dump decides, simplified: no walk into arrays).
absl::StatusOr<ArchiveSpec> SpecFor(pg::Connection& conn, const catalog::Catalog& catalog) {
  ArchiveSpec spec;
  spec.catalog = catalog;
  spec.large_objects = true;
  for (const catalog::CatalogItem& item : catalog.items) {
    if (item.kind == catalog::ObjectKind::kSequenceSet) spec.sequences.push_back({item.schema, item.name});
    if (item.kind != catalog::ObjectKind::kTableData || !item.table) continue;
    testing::TestTable table;
    table.schema = item.schema;
    table.name = item.name;
    for (const auto& column : item.table->columns) table.columns.push_back(column.name);
    PGARK_ASSIGN_OR_RETURN(
        pg::Result text,
        conn.QueryParams("SELECT coalesce(bool_or(t.typsend = 0 OR t.typname LIKE 'reg%' OR t.typname = '_aclitem'), false) "
                         "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                         "WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
                         {absl::StrCat(conn.QuoteIdentifier(item.schema), ".", conn.QuoteIdentifier(item.name))}));
    table.binary = !text.GetBool(0, 0);
    if (item.schema == "typed" && item.name == "split") table.parts = {"id <= 1000", "id > 1000 AND id <= 2500", "id > 2500"};
    spec.tables.push_back(table);
  }
  return spec;
}

class RestoreCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = source_db_.Connect();
    ASSERT_NO_FATAL_FAILURE(testing::SeedCorpusWithData(*source_));
    auto catalog = ReadInSnapshot(*source_);
    ASSERT_OK(catalog.status());
    auto spec = SpecFor(*source_, *catalog);
    ASSERT_OK(spec.status());
    spec_ = *spec;
  }
  void TearDown() override {
    for (const std::string& file : files_) std::remove(file.c_str());
  }
  std::string Temp(const std::string& name, const std::string& bytes) {
    files_.push_back(WriteTempFile(absl::StrCat("pgark_corpus_", getpid(), "_", name), bytes));
    return files_.back();
  }
  void ExpectSameAsSource(const ScratchDatabase& target) {
    auto conn = target.Connect();
    EXPECT_EQ(SchemaDump(target.name()), SchemaDump(source_db_.name()));
    const std::vector<std::string> relations = testing::ComparableRelations(*source_);
    EXPECT_GE(relations.size(), 5u);
    // app.hashed (hash partitions on an enum, with rows) is compared through its root.
    EXPECT_THAT(relations, ::testing::Contains("app.hashed"));
    for (const std::string& relation : relations) {
      EXPECT_EQ(DigestOf(*conn, relation), DigestOf(*source_, relation)) << relation;
    }
    for (const auto& [schema, name] : spec_.sequences) {
      std::string sql = absl::StrCat("SELECT last_value || '/' || is_called FROM ", source_->QuoteIdentifier(schema),
                                     ".", source_->QuoteIdentifier(name));
      EXPECT_EQ(Scalar(*conn, sql), Scalar(*source_, sql)) << schema << "." << name;
    }
    const std::string los =
        "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata";
    EXPECT_EQ(Scalar(*conn, los), Scalar(*source_, los));
  }

  ScratchDatabase source_db_{"csrc"};
  std::unique_ptr<pg::Connection> source_;
  ArchiveSpec spec_;
  std::vector<std::string> files_;
};

TEST_F(RestoreCorpusTest, FromFileWithFourJobs) {
  auto bytes = BuildArchive(*source_, spec_);
  ASSERT_OK(bytes.status());
  std::string path = Temp("j4.pgark", *bytes);
  ScratchDatabase target("cdst");
  engine::RestoreOptions options;
  options.conninfo = target.conninfo();
  options.jobs = 4;
  auto archive = engine::OpenArchiveForRead(path);
  ASSERT_OK(archive.status());
  auto result = engine::RunRestore(options, *archive);
  ASSERT_OK(result.status());
  EXPECT_EQ(absl::StrCat(result->large_objects), Scalar(*source_, "SELECT count(*) FROM pg_largeobject_metadata"));
  EXPECT_GE(result->attached_using_index, 2);
  ExpectSameAsSource(target);
}

TEST_F(RestoreCorpusTest, EncryptedThroughAPipeWithOneJob) {
  spec_.writer.encryption.passphrases.push_back({format::SecretString("corpus passphrase"), {1, 8192 * 1024}});
  auto bytes = BuildArchive(*source_, spec_);
  ASSERT_OK(bytes.status());
  ScratchDatabase target("cdst");
  auto result = RunCommand({PGARK_BINARY, "restore", "-j", "1", "-d", target.conninfo(), "-"},
                           {{"PGARK_PASSPHRASE", "corpus passphrase"}}, *bytes);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ExpectSameAsSource(target);
}

// The combinations of {file, pipe} x {plain, encrypted} x {-j 1, -j 4} the two tests above
// leave out (FromFileWithFourJobs: file, plain, 4 through the library;
// EncryptedThroughAPipeWithOneJob: pipe, PGARK_PASSPHRASE, 1), through the CLI. A file is
// read with random access (restore and verify read streams in parallel, seeking); a pipe
// is one sequential pass (stdin). `pgark verify` reads the same archive the same way with
// the same key option first; an encrypted archive is refused by verify without the key.
enum class Key { kNone, kPassphraseFile, kIdentity };
struct RoundTrip {
  bool pipe;
  Key key;
  int jobs;
};

std::string RoundTripName(const ::testing::TestParamInfo<RoundTrip>& info) {
  const RoundTrip& p = info.param;
  return absl::StrCat(p.pipe ? "Pipe" : "File",
                      p.key == Key::kNone ? "Plain" : p.key == Key::kPassphraseFile ? "PassphraseFile" : "Identity",
                      "Jobs", p.jobs);
}

void PrintTo(const RoundTrip& p, std::ostream* os) {
  *os << (p.pipe ? "pipe" : "file") << ", "
      << (p.key == Key::kNone ? "plain" : p.key == Key::kPassphraseFile ? "--passphrase-file" : "--identity") << ", -j "
      << p.jobs;
}

class RestoreCorpusRoundTripTest : public RestoreCorpusTest, public ::testing::WithParamInterface<RoundTrip> {};

TEST_P(RestoreCorpusRoundTripTest, RestoresAndVerifies) {
  const RoundTrip& p = GetParam();
  std::vector<std::string> key_args;
  if (p.key == Key::kPassphraseFile) {
    spec_.writer.encryption.passphrases.push_back({format::SecretString("corpus passphrase file"), {1, 8192 * 1024}});
    key_args = {"--passphrase-file", Temp("passphrase", "corpus passphrase file\n")};
  } else if (p.key == Key::kIdentity) {
    const std::string pub = Temp("x25519.pub", ""), sec = Temp("x25519.sec", "");
    std::remove(pub.c_str());
    std::remove(sec.c_str());
    auto keygen = RunCommand({PGARK_BINARY, "keygen", "--x25519", pub, sec});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    std::ifstream in(pub, std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    auto recipient = format::ParseX25519Public(contents.str());
    ASSERT_OK(recipient.status());
    spec_.writer.encryption.recipients.push_back(*recipient);
    key_args = {"--identity", sec};
  }
  auto bytes = BuildArchive(*source_, spec_);
  ASSERT_OK(bytes.status());
  const std::string path = p.pipe ? "-" : Temp("roundtrip.pgark", *bytes);
  const std::string input = p.pipe ? *bytes : "";
  const std::string jobs = absl::StrCat(p.jobs);

  std::vector<std::string> verify = {PGARK_BINARY, "verify", "--json", "-j", jobs};
  verify.insert(verify.end(), key_args.begin(), key_args.end());
  verify.push_back(path);
  auto verified = RunCommand(verify, {}, input);
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  nlohmann::json report = nlohmann::json::parse(verified.out);
  EXPECT_EQ(report["encrypted"], p.key != Key::kNone);
  EXPECT_EQ(report["ok"], true);
  int64_t split_rows = 0;
  for (const auto& table : report["tables"]) {
    if (table["name"] == "typed.split") split_rows = table["rows"];
  }
  EXPECT_EQ(split_rows, 4000) << verified.out;
  if (p.key != Key::kNone) {
    auto keyless = RunCommand({PGARK_BINARY, "verify", path}, {}, input);
    EXPECT_NE(keyless.exit_code, 0) << keyless.out;
  }

  ScratchDatabase target("cdst");
  std::vector<std::string> restore = {PGARK_BINARY, "restore", "-j", jobs, "-d", target.conninfo()};
  restore.insert(restore.end(), key_args.begin(), key_args.end());
  restore.push_back(path);
  auto restored = RunCommand(restore, {}, input);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  ExpectSameAsSource(target);
}

INSTANTIATE_TEST_SUITE_P(Combinations, RestoreCorpusRoundTripTest,
                         ::testing::Values(RoundTrip{false, Key::kNone, 1}, RoundTrip{true, Key::kNone, 1},
                                           RoundTrip{true, Key::kNone, 4}, RoundTrip{false, Key::kPassphraseFile, 1},
                                           RoundTrip{false, Key::kIdentity, 4},
                                           RoundTrip{true, Key::kIdentity, 4}),
                         RoundTripName);

}  // namespace
}  // namespace pgark
