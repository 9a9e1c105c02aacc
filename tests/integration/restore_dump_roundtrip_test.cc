// Full round trips through the real binaries: `pgark dump` of the conformance corpus plus data
// of many types, a split table, large objects and sequences, then `pgark restore` into a new
// database; schema compared with pg_dump -s (referee), data with per-table digests.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "engine/archive_io.h"
#include "engine/restore/restore_engine.h"
#include "engine/restore/type_oid_patcher.h"
#include "nlohmann/json.hpp"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::DigestOf;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

class RestoreDumpRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = source_db_.Connect();
    ASSERT_NO_FATAL_FAILURE(testing::SeedCorpusWithData(*source_));
    ASSERT_OK(source_->Execute("ANALYZE"));
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_restore_dump_", getpid(), ".pgark");
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // A NOT VALID constraint is still enforced on the rows loaded after it exists (ALTER TABLE:
  // "the constraint will still be enforced against subsequent inserts or updates"), so a
  // data-only load into a schema that has it refuses the rows that break it, pg_restore
  // --data-only as much as pgark (a full restore adds it after the data). The 18 corpus has
  // one (app.nn18, c NULL under nn18_c_notvalid): the tests that load data into an existing
  // schema replace it in the source before the dump (its one row; not by UPDATE, which the
  // corpus's FOR ALL TABLES publication refuses on a table without a replica identity).
  void WithoutRowsBreakingNotValidConstraints() {
    if (source_->server_version() < 180000) return;
    ASSERT_OK(source_->Execute("TRUNCATE ONLY app.nn18; INSERT INTO app.nn18 VALUES (1, 1, 0, 1)"));
  }

  void ExpectSameAsSource(const ScratchDatabase& target) {
    auto conn = target.Connect();
    EXPECT_EQ(SchemaDump(target.name()), SchemaDump(source_db_.name()));
    const std::vector<std::string> relations = testing::ComparableRelations(*source_);
    EXPECT_GE(relations.size(), 5u);
    EXPECT_THAT(relations, ::testing::Contains("app.hashed"));  // through its root
    for (const std::string& relation : relations) {
      EXPECT_EQ(DigestOf(*conn, relation), DigestOf(*source_, relation)) << relation;
    }
    const std::string sequences =
        "SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null'), ',' "
        "ORDER BY schemaname, sequencename) FROM pg_sequences";
    EXPECT_EQ(Scalar(*conn, sequences), Scalar(*source_, sequences));
    const std::string los =
        "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata";
    EXPECT_EQ(Scalar(*conn, los), Scalar(*source_, los));
  }

  // The patcher turns the source's binary COPY of oids.t into exactly the bytes the target
  // sends for the same rows (its own type OIDs), which is what PostgreSQL 12/13 accept; with
  // the map restore builds from the archive's recorded shapes.
  void ExpectPatchedBytesAsTheTargetSendsThem(pg::Connection& target) {
    auto binary_copy = [](pg::Connection& conn) {
      std::string all, row;
      EXPECT_OK(conn.StartCopyOut("COPY (SELECT * FROM oids.t ORDER BY id) TO STDOUT (FORMAT binary)"));
      for (;;) {
        absl::StatusOr<bool> more = conn.ReadCopyRow(&row);
        EXPECT_OK(more.status());
        if (!more.ok() || !*more) break;
        all += row;
      }
      return all.substr(std::min<size_t>(all.size(), 19));  // without the PGCOPY header
    };
    ASSERT_OK_AND_ASSIGN(engine::OpenedArchive archive, engine::OpenArchiveForRead(path_));
    ASSERT_OK_AND_ASSIGN(engine::restore::ArchiveContents contents, engine::ReadArchiveContents(archive, {}));
    int index = contents.FindTable("oids", "t");
    ASSERT_GE(index, 0);
    std::vector<engine::restore::PatchColumn> columns;
    std::vector<engine::restore::EmbeddedType> embedded;
    for (const auto& column : contents.tables[index].columns) {
      ASSERT_TRUE(column.shape.has_value()) << column.name;
      columns.push_back({column.name, *column.shape});
      engine::restore::CollectEmbeddedTypes(*column.shape, &embedded);
    }
    ASSERT_OK_AND_ASSIGN(engine::restore::TypeOidMap map, engine::restore::BuildTypeOidMap(target, embedded));
    ASSERT_OK_AND_ASSIGN(auto patcher, engine::restore::TypeOidPatcher::Create("oids.t", columns, map));
    std::string source = binary_copy(*source_), expected = binary_copy(target);
    EXPECT_NE(source, expected);  // the OIDs differ
    std::string patched = source;
    ASSERT_OK(patcher->Patch(&patched));
    ASSERT_OK(patcher->Finish());
    EXPECT_EQ(patched, expected);
    EXPECT_EQ(patcher->rows(), 401);
  }

  ScratchDatabase source_db_{"dsrc"};
  std::unique_ptr<pg::Connection> source_;
  std::string path_;
};

TEST_F(RestoreDumpRoundTripTest, FileAtFourJobsThenVerify) {
  ASSERT_NO_FATAL_FAILURE(WithoutRowsBreakingNotValidConstraints());  // its last steps load data only
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_, "-j", "4",
                          "--split-larger-than", "64kB"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ScratchDatabase target("ddst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", "4", path_});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ExpectSameAsSource(target);

  auto verify = RunCommand({PGARK_BINARY, "verify", "--json", path_});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  nlohmann::json report = nlohmann::json::parse(verify.out);
  int split_streams = 0;
  for (const auto& table : report["tables"]) {
    if (table["name"] == "typed.split") split_streams = table["streams"];
  }
  EXPECT_GT(split_streams, 1) << verify.out;
  // Every table's streams, rows, raw and stored bytes as the archive's index records them
  // (summed over a split table's streams), and the totals.
  const std::map<std::string, testing::IndexedTable> indexed = testing::IndexedTables(path_);
  EXPECT_EQ(report["tables"].size(), indexed.size()) << verify.out;
  uint64_t raw_total = 0;
  for (const auto& table : report["tables"]) {
    auto it = indexed.find(table["name"].get<std::string>());
    ASSERT_NE(it, indexed.end()) << table.dump();
    EXPECT_EQ(table["streams"].get<int>(), it->second.streams) << it->first;
    EXPECT_EQ(table["rows"].get<uint64_t>(), it->second.rows) << it->first;
    EXPECT_EQ(table["raw_bytes"].get<uint64_t>(), it->second.raw_bytes) << it->first;
    EXPECT_EQ(table["stored_bytes"].get<uint64_t>(), it->second.stored_bytes) << it->first;
    // An empty table's stream is its STREAM_END frame alone: no DATA frame, 0 stored bytes.
    EXPECT_EQ(table["stored_bytes"].get<uint64_t>() > 0, table["raw_bytes"].get<uint64_t>() > 0) << it->first;
    raw_total += table["raw_bytes"].get<uint64_t>();
  }
  EXPECT_EQ(report["raw_bytes"].get<uint64_t>(), raw_total);
  EXPECT_GT(raw_total, 0u);

  // Restoring again without --clean is refused and changes nothing.
  auto again = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), path_});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_THAT(again.err, HasSubstr("nothing was changed"));
  ExpectSameAsSource(target);

  // --clean over the restored corpus: partitioned indexes (their attached children cannot
  // be dropped alone), a base type with its I/O functions, a split view, publications, a
  // subscription with a slot name (dropped without touching any publisher), large objects
  // with owner, ACL and comment.
  auto clean = RunCommand({PGARK_BINARY, "restore", "--clean", "-j", "4", "-d", target.conninfo(), path_});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.err, HasSubstr("without its replication slot \"corpus_slot\""));
  ExpectSameAsSource(target);

  // A clean that fails is rolled back: an object outside the archive depends on a table the
  // clean would drop, so DROP TABLE fails, and nothing was dropped.
  auto conn = target.Connect();
  ASSERT_OK(conn->Execute("CREATE VIEW public.outsider AS SELECT * FROM typed.split"));
  const std::string before = SchemaDump(target.name());
  auto refused = RunCommand({PGARK_BINARY, "restore", "--clean", "-d", target.conninfo(), path_});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("SQLSTATE 2BP01"));
  EXPECT_THAT(refused.err, HasSubstr("the clean was rolled back: nothing was changed"));
  EXPECT_EQ(SchemaDump(target.name()), before);
  ASSERT_OK(conn->Execute("DROP VIEW public.outsider"));

  // A clean over a target that misses some of the archive's objects (an earlier clean was
  // interrupted, say) still completes.
  ASSERT_OK(conn->Execute("DROP PUBLICATION IF EXISTS corpus_schema; DROP INDEX app.events_kind_idx; DROP TABLE app.b CASCADE"));
  auto repaired = RunCommand({PGARK_BINARY, "restore", "--clean", "-d", target.conninfo(), path_});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  ExpectSameAsSource(target);

  // Data only: the tables are emptied together (app.a and app.b reference each other) and the
  // large objects re-created, then loaded.
  auto data_only = RunCommand({PGARK_BINARY, "restore", "--clean", "--section", "data", "-d", target.conninfo(), path_});
  ASSERT_EQ(data_only.exit_code, 0) << data_only.err;
  ExpectSameAsSource(target);

  // -C --clean drops and re-creates the recorded database (the target's, from a dump of it);
  // DROP DATABASE refuses a database with subscriptions, so they are dropped first.
  conn.reset();
  const std::string second = absl::StrCat(path_, ".second");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dump", "-d", target.conninfo(), "-f", second}).exit_code, 0);
  auto recreate = RunCommand({PGARK_BINARY, "restore", "-C", "--clean", "--yes", "-d",
                              testing::PgTestServer::Get().Conninfo("postgres"), second});
  std::remove(second.c_str());
  ASSERT_EQ(recreate.exit_code, 0) << recreate.err;
  EXPECT_THAT(recreate.err, HasSubstr("without its replication slot"));
  ExpectSameAsSource(target);
}

// The operator's data-only restore: the schema first (pre-data, post-data: FOREIGN KEYs,
// triggers, the app.a <-> app.b cycle), then `--section data` into it. Large objects,
// sequences and materialized views (refreshed after the load) come out as in the source.
TEST_F(RestoreDumpRoundTripTest, SchemaFirstThenDataOnlyAtFourJobs) {
  ASSERT_NO_FATAL_FAILURE(WithoutRowsBreakingNotValidConstraints());
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_, "-j", "4",
                          "--split-larger-than", "64kB"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ScratchDatabase target("ddst");
  for (const char* section : {"pre-data", "post-data"}) {
    auto schema = RunCommand({PGARK_BINARY, "restore", "--section", section, "-j", "1", "-d", target.conninfo(), path_});
    ASSERT_EQ(schema.exit_code, 0) << section << ": " << schema.err;
  }
  auto data = RunCommand({PGARK_BINARY, "restore", "--section", "data", "--disable-triggers", "-j", "4", "-d",
                          target.conninfo(), path_});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  ExpectSameAsSource(target);
}

TEST_F(RestoreDumpRoundTripTest, EncryptedPipeAtOneAndFourJobs) {
  for (const char* jobs : {"1", "4"}) {
    ScratchDatabase target("ddst");
    auto result = RunShell(absl::StrCat(PGARK_BINARY, " dump -d '", source_db_.conninfo(), "' -f - | ", PGARK_BINARY,
                                        " restore -j ", jobs, " -d '", target.conninfo(), "' -"),
                           {{"PGARK_PASSPHRASE", "round trip passphrase"}});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ExpectSameAsSource(target);
  }
}

// PostgreSQL 12/13 targets need the embedded type OIDs of binary arrays and composites
// patched (type_oid_patcher.h). Only PostgreSQL 15 runs here, so PGARK_FORCE_TYPE_OID_PATCH=1
// forces the patch path; the target's types have other OIDs than the source's (one cluster,
// created later, after a few dummy types), and the data must arrive unchanged.
TEST_F(RestoreDumpRoundTripTest, ForcedTypeOidPatchLoadsUserTypesUnchanged) {
  const bool multirange = source_->server_version() >= 140000;
  ASSERT_OK(source_->Execute(absl::StrCat(
      "CREATE SCHEMA oids;"
      "CREATE TYPE oids.mood AS ENUM ('sad', 'ok', 'happy');"
      "CREATE DOMAIN oids.posint AS int CHECK (VALUE > 0);"
      "CREATE TYPE oids.pair AS (m oids.mood, n oids.posint, tags oids.mood[]);"
      "CREATE TYPE oids.pairrange AS RANGE (subtype = oids.pair);"
      "CREATE DOMAIN oids.moods AS oids.mood[];"
      "CREATE TABLE oids.t (id int PRIMARY KEY, moods oids.mood[], grid oids.mood[], pairs oids.pair[], "
      "  p oids.pair, r oids.pairrange, d oids.moods, ints int[], posints oids.posint[], rs oids.pairrange[]",
      multirange ? ", mr oids.pairmultirange" : "", ");",
      "INSERT INTO oids.t SELECT g, ARRAY['ok', NULL, 'happy']::oids.mood[], "
      "  CASE WHEN g % 5 = 0 THEN '{}' ELSE ARRAY[['sad','ok'],['happy',NULL]]::oids.mood[] END, "
      "  ARRAY[ROW('ok', g, ARRAY['sad']::oids.mood[])::oids.pair, NULL], "
      "  ROW('happy', g + 1, '{}')::oids.pair, "
      "  oids.pairrange(ROW('sad', 1, '{}')::oids.pair, ROW('ok', g, ARRAY['happy']::oids.mood[])::oids.pair), "
      "  ARRAY['sad']::oids.moods, ARRAY[g, NULL], ARRAY[g, g + 1]::oids.posint[], "
      "  ARRAY[oids.pairrange(NULL, ROW('ok', g, NULL)::oids.pair), 'empty']",
      multirange ? ", oids.pairmultirange(oids.pairrange(ROW('sad', 1, '{}')::oids.pair, NULL))" : "",
      " FROM generate_series(1, 400) g;"
      "INSERT INTO oids.t (id) VALUES (0);")));
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  const std::string mood_oid = "SELECT 'oids.mood'::regtype::oid::text";
  for (const char* jobs : {"2", "1"}) {
    ScratchDatabase target("ddst");
    auto conn = target.Connect();
    ASSERT_OK(conn->Execute("CREATE TYPE zz_shift1 AS ENUM ('x'); CREATE TYPE zz_shift2 AS (a int);"
                            "DROP TYPE zz_shift1; DROP TYPE zz_shift2;"));
    auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", jobs, path_},
                              {{"PGARK_FORCE_TYPE_OID_PATCH", "1"}});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    EXPECT_NE(Scalar(*conn, mood_oid), Scalar(*source_, mood_oid));
    ExpectSameAsSource(target);
    // The bytes really changed: per oids.t row at least moods, grid, pairs (element + 3
    // attributes), p (3), r (2 x 3), d, posints and rs (element + 3) = 20 OIDs; plus typed.many.
    std::smatch match;
    ASSERT_TRUE(std::regex_search(restore.err, match, std::regex("restore: (\\d+) embedded type OIDs patched")))
        << restore.err;
    EXPECT_GE(std::stoll(match[1].str()), 400 * 20) << restore.err;
    if (std::string(jobs) == "2") ExpectPatchedBytesAsTheTargetSendsThem(*conn);
  }
  // Without the hook a PostgreSQL 14+ target loads the stale OIDs as they are: nothing patched.
  if (!multirange) return;  // 12/13: always patched
  ScratchDatabase plain("ddst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", plain.conninfo(), path_});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, ::testing::Not(HasSubstr("type OIDs patched")));
  ExpectSameAsSource(plain);
}


// Hash partitioning on an enum hashes the enum's OIDs, and a restored database has other
// OIDs: the dump marks such partitions (at any level of the tree) to be loaded through the
// topmost root, so each row lands where the target's hash puts it. With 16 labels the chance
// that the target assigns every label as the source did is 2^-16, so the rerouting is
// exercised (without it, COPY into a partition fails with a partition constraint violation).
// Post-data items wait for all partitions loaded through the root: hashed's FK validates
// every partition, hashed_N's index builds must not start while a sibling's stream still
// routes rows into them.
TEST(RestoreEnumHashPartitionTest, PartitionsLoadThroughTheRootAndCountAsAGroup) {
  ScratchDatabase source("ehsrc");
  auto src = source.Connect();
  ASSERT_OK(src->Execute(
      "CREATE TYPE mood AS ENUM ('a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p');"
      "CREATE TABLE ref (m mood PRIMARY KEY);"
      "INSERT INTO ref SELECT unnest(enum_range(NULL::mood));"
      "CREATE TABLE hashed (m mood REFERENCES ref, v integer) PARTITION BY HASH (m);"
      "CREATE TABLE hashed_0 PARTITION OF hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
      "CREATE TABLE hashed_1 PARTITION OF hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
      "CREATE INDEX ON hashed (v);"
      "INSERT INTO hashed SELECT l, g FROM unnest(enum_range(NULL::mood)) l, generate_series(1, 400) g;"
      "CREATE TABLE ev (at date, m mood, v integer) PARTITION BY RANGE (at);"
      "CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY HASH (m);"
      "CREATE TABLE ev_2024_0 PARTITION OF ev_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
      "CREATE TABLE ev_2024_1 PARTITION OF ev_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
      "CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
      "INSERT INTO ev SELECT d, l, g FROM unnest(enum_range(NULL::mood)) l, generate_series(1, 30) g, "
      "  (VALUES (date '2024-05-01'), (date '2025-05-01')) x(d);"
      "ANALYZE;"));
  const std::string path = absl::StrCat(::testing::TempDir(), "/pgark_enum_hash_", getpid(), ".pgark");
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", path, "-j", "2",
                          "--split-larger-than", "16kB"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  ScratchDatabase target("ehdst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", "2", path});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto dst = target.Connect();
  const std::string placement =
      "SELECT string_agg(m::text || '>' || tableoid::regclass::text, ',' ORDER BY m) "
      "FROM (SELECT DISTINCT m, tableoid FROM hashed) x";
  EXPECT_NE(Scalar(*dst, placement), Scalar(*src, placement)) << "the target placed every label as the source";
  for (const std::string& relation : testing::ComparableRelations(*src)) {
    EXPECT_EQ(DigestOf(*dst, relation), DigestOf(*src, relation)) << relation;
  }
  EXPECT_EQ(Scalar(*dst, "SELECT count(*) FROM ev_2025"), "480");
  const std::string validated_fks = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated";
  EXPECT_EQ(Scalar(*dst, validated_fks), Scalar(*src, validated_fks));

  // The restore test counts the partitions as one group; --json names the root.
  auto restore_test = RunCommand({PGARK_BINARY, "verify", "--restore-test", "--json", "-j", "2", "-d",
                                  testing::PgTestServer::Get().Conninfo("postgres"), path});
  ASSERT_EQ(restore_test.exit_code, 0) << restore_test.out << restore_test.err;
  nlohmann::json report = nlohmann::json::parse(restore_test.out);
  int64_t archived = 0, restored = 0;
  for (const auto& table : report["tables"]) {
    if (table.value("load_root", "") != "public.hashed") continue;
    archived += table["rows"].get<int64_t>();
    restored += table["restored_rows"].get<int64_t>();
  }
  EXPECT_EQ(archived, 6400);
  EXPECT_EQ(restored, 6400);
  // The restore test reports its timings: the restore's and the whole test's (JSON and text).
  const double restore_seconds = report["restore_test"].value("restore_seconds", -1.0);
  EXPECT_GT(restore_seconds, 0) << restore_test.out;
  EXPECT_GE(report.value("seconds", -1.0), restore_seconds) << restore_test.out;
  auto text = RunCommand({PGARK_BINARY, "verify", "--restore-test", "-d",
                          testing::PgTestServer::Get().Conninfo("postgres"), path});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  std::smatch timings;
  ASSERT_TRUE(std::regex_search(text.out, timings,
                                std::regex(R"(restore test into scratch database pgark_verify_[0-9a-f]{16}: )"
                                           R"(restore ([0-9]+\.[0-9]{2}) s, ([0-9]+\.[0-9]{2}) s in all \(dropped\))")))
      << text.out;
  EXPECT_GT(std::stod(timings[1].str()), 0) << text.out;
  EXPECT_GE(std::stod(timings[2].str()), std::stod(timings[1].str())) << text.out;
  std::remove(path.c_str());
}


// A server's error while loading names the stream and SQLSTATE, and is not mistaken for a
// usage error: no "--help" hint (SQLSTATE class 23 maps to exit 2 like a bad argument).
TEST(RestoreServerErrorTest, ConstraintViolationNamesTheTableWithoutAUsageHint) {
  ScratchDatabase source("cvsrc");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE t (v integer); INSERT INTO t SELECT generate_series(1, 10);"));
  const std::string path = absl::StrCat(::testing::TempDir(), "/pgark_violation_", getpid(), ".pgark");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", path}).exit_code, 0);
  ScratchDatabase target("cvdst");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "restore", "--section", "pre-data", "-d", target.conninfo(), path}).exit_code, 0);
  ASSERT_OK(target.Connect()->Execute("ALTER TABLE t ADD CHECK (v < 5)"));
  auto data = RunCommand({PGARK_BINARY, "restore", "--section", "data", "-d", target.conninfo(), path});
  EXPECT_EQ(data.exit_code, 2) << data.err;
  EXPECT_THAT(data.err, HasSubstr("loading public.t"));
  EXPECT_THAT(data.err, HasSubstr("SQLSTATE 23514"));
  EXPECT_THAT(data.err, ::testing::Not(HasSubstr("--help")));
  EXPECT_EQ(Scalar(*target.Connect(), "SELECT count(*) FROM t"), "0");
  std::remove(path.c_str());
}


// A restore test the server refuses (a role without CREATEDB) is FAILED with the server's
// error and exit code, not DAMAGED: the archive was never read.
TEST(RestoreServerErrorTest, RestoreTestWithoutCreatedbFailsWithoutCallingTheArchiveDamaged) {
  ScratchDatabase source("rtsrc");
  auto admin = source.Connect();
  ASSERT_OK(admin->Execute(
      "CREATE TABLE t (v integer); INSERT INTO t VALUES (1);"
      "DO $$ BEGIN CREATE ROLE pgark_verify_nocreatedb LOGIN NOCREATEDB; "
      "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"));
  const std::string path = absl::StrCat(::testing::TempDir(), "/pgark_nocreatedb_", getpid(), ".pgark");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", path}).exit_code, 0);
  const std::string plain = absl::StrCat(source.conninfo(), " user=pgark_verify_nocreatedb");
  if (!pg::Connection::Open(plain).ok()) GTEST_SKIP() << "cannot log in as a plain role here";
  auto text = RunCommand({PGARK_BINARY, "verify", "--restore-test", "-d", plain, path});
  EXPECT_EQ(text.exit_code, 7) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("FAILED: restore test: creating a scratch database (the role needs CREATEDB)"));
  EXPECT_THAT(text.out, ::testing::Not(HasSubstr("DAMAGED")));
  auto json = RunCommand({PGARK_BINARY, "verify", "--restore-test", "--json", "-d", plain, path});
  EXPECT_EQ(json.exit_code, 7);
  nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["damaged"], false);
  EXPECT_EQ(report["ok"], false);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace pgark
