// Round trip of the catalog conformance corpus (tests/corpus) plus data of many types, a split
// table, large objects and sequences: catalog read by the real catalog reader, data written
// in the dump's layout by restore_test_archive.h, restored by the parallel loader, compared
// with pg_dump -s (referee) and per-table digests. Through the library at -j 4 and through
// the CLI from a pipe, encrypted with a passphrase, at -j 1.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/archive_io.h"
#include "engine/catalog/catalog_reader.h"
#include "engine/restore/restore_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::ArchiveSpec;
using ::pgark::testing::BuildArchive;
using ::pgark::testing::Digest;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::WriteTempFile;

std::string ReadCorpus(const std::string& name) {
  std::string file = __FILE__;
  std::ifstream in(file.substr(0, file.rfind('/')) + "/../corpus/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void Seed(pg::Connection& conn) {
  ASSERT_OK(conn.Execute(ReadCorpus("core.sql")));
  if (conn.server_version() >= 140000) ASSERT_OK(conn.Execute(ReadCorpus("pg14_plus.sql")));
  if (conn.server_version() >= 150000) ASSERT_OK(conn.Execute(ReadCorpus("pg15_plus.sql")));
  ASSERT_OK(conn.Execute(
      "CREATE SCHEMA typed;"
      "CREATE TYPE typed.color AS ENUM ('red', 'green');"
      "CREATE TYPE typed.point3 AS (x float8, y float8, label text);"
      "CREATE TABLE typed.many (id bigserial PRIMARY KEY, b bool, i2 int2, f4 float4, n numeric, t text, "
      "  vc varchar(20), c char(3), d date, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb, "
      "  x xml, ba bytea, ip inet, cidr cidr, mac macaddr, bits bit varying(8), pt point, bx box, "
      "  ia int4[], ta text[][], colors typed.color[], p typed.point3, rng tstzrange, tv tsvector, money money, "
      "  UNIQUE (u));"
      "INSERT INTO typed.many (b, i2, f4, n, t, vc, c, d, ts, tz, iv, u, j, jb, x, ba, ip, cidr, mac, bits, pt, bx, "
      "  ia, ta, colors, p, rng, tv, money) "
      "SELECT g % 2 = 0, g, g / 3.0, g * 1.5e10, repeat('ü', g % 7) || E'\\t\\\\', 'v' || g, 'c', "
      "  date '2020-01-01' + g, timestamp '2020-01-01' + g * interval '1 min', now(), g * interval '1 day', "
      "  md5(g::text)::uuid, '{\"a\": 1}', jsonb_build_object('k', g), ('<a>' || g || '</a>')::xml, '\\x00ff'::bytea, "
      "  '10.0.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', B'1010', point(g, g), box(point(0,0), point(g,g)), "
      "  ARRAY[g, NULL], ARRAY[['a','b'],['c',NULL]], ARRAY['red','green']::typed.color[], ROW(g, 2, 'l')::typed.point3, "
      "  tstzrange(now(), NULL), to_tsvector('simple', 'fat cat ' || g), g::numeric::money "
      "FROM generate_series(1, 300) g;"
      "INSERT INTO typed.many (t) VALUES (NULL);"
      "CREATE TABLE typed.split (id int PRIMARY KEY, v text);"
      "INSERT INTO typed.split SELECT g, md5(g::text) FROM generate_series(1, 4000) g;"
      "CREATE INDEX split_v ON typed.split (v);"
      "SELECT lo_from_bytea(700001, 'one'), lo_from_bytea(700002, decode(repeat('00ff', 40000), 'hex'));"));
}

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
    ASSERT_NO_FATAL_FAILURE(Seed(*source_));
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
    int tables = 0;
    for (const auto& table : spec_.tables) {
      std::string name = absl::StrCat(source_->QuoteIdentifier(table.schema), ".", source_->QuoteIdentifier(table.name));
      EXPECT_EQ(Digest(*conn, name), Digest(*source_, name)) << name;
      ++tables;
    }
    EXPECT_GE(tables, 4);
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
  EXPECT_EQ(result->large_objects, 2);
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

}  // namespace
}  // namespace pgark
