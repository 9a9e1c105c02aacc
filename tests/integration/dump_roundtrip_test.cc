// The dump engine against a real server: dump a tricky corpus, read the archive back with
// the format reader, load it with tests/integration/dump_loader.h into a fresh database
// built from the same DDL, and compare per-table digests, sequences and large objects.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "engine/dump/dump_engine.h"
#include "format/archive_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/dump_loader.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::LoadDumpArchive;
using ::pgark::testing::LoadStats;
using ::pgark::testing::QueryText;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::TableDigest;
using ::testing::HasSubstr;

// Everything but data: run on the source and on the (empty) target.
constexpr char kSchemaSql[] = R"sql(
CREATE EXTENSION hstore; CREATE EXTENSION citext; CREATE EXTENSION ltree;
CREATE SCHEMA "Odd Schema";
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text, m mood);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE scalars (
  id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, b bool,
  t text, vc varchar(10), c char(3), by bytea, d date, ts timestamp, tz timestamptz,
  iv interval, u uuid, j json, jb jsonb, ip inet, cidr_ cidr, mac macaddr, bits varbit,
  tsv tsvector, pt point, x xml, money_ money, tr tsrange, ir int4range, nm nummultirange,
  arr int[], empty_arr int[], tarr text[], earr mood[], carr pair[], dom posint,
  h hstore, ci citext, lt ltree, two_d int[][]);
CREATE TABLE "Odd Schema"."Mixed Case" ("Col ""quoted""" text, "select" int);
CREATE TABLE big_rows (id int, payload text, blob bytea);
CREATE TABLE empty_t (a int, b text);
CREATE TABLE zero_cols ();
CREATE TABLE regs (id int, r regclass, rt regtype, ra regproc[]);
CREATE TABLE acl_t (id int, a aclitem);
CREATE TABLE dropped_col (a int, b text, c int);
ALTER TABLE dropped_col DROP COLUMN b;
CREATE TABLE gen (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
CREATE TABLE parent (id int, v text);
CREATE TABLE child (extra int) INHERITS (parent);
CREATE TABLE part (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (100);
CREATE TABLE part_2 PARTITION OF part FOR VALUES FROM (100) TO (1000);
CREATE TABLE split_me (id serial PRIMARY KEY, payload text);
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY, v text);
CREATE SEQUENCE standalone_seq;
CREATE SEQUENCE fresh_seq;
CREATE UNLOGGED TABLE unlogged_t (a int);
CREATE TABLE more_types (
  id int, nm name, ch "char", tm time, ttz timetz, m8 macaddr8, b5 bit(5), ln line, ls lseg,
  bx box, pa path, pg polygon, ci circle, tq tsquery, lsn pg_lsn, snap pg_snapshot, jp jsonpath,
  r8 int8range, rn numrange, rd daterange, mr8 int8multirange, f4z float4, i8a int8[], dmarr posint[],
  ts_arr timestamptz[], x8 xid8, oi oid);
)sql";

constexpr char kDataSql[] = R"sql(
INSERT INTO scalars VALUES
 (1, -32768, -2147483648, -9223372036854775808, 'NaN', '-0', 'NaN', true,
  E'multi\nline \\ tab\t "quotes" ünïcødé', 'short', 'ab', '\x00ff00'::bytea, '-infinity',
  'infinity', '-infinity', '-178000000 years', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": [1, 2]}', '{"b": null}', '::1', '10.0.0.0/8', '08:00:2b:01:02:03', B'10101',
  'a fat cat', '(1.5,-2)', '<x a="1">t</x>', '12.34', '[2020-01-01,infinity)', 'empty',
  '{[1,2],[5,6)}', '{1,NULL,3}', '{}', '{"with,comma","with\"quote",NULL}', '{sad,happy}',
  ARRAY[ROW(1,'x','ok')::pair, NULL], 7, 'a=>1, b=>NULL', 'MiXeD', 'top.middle.leaf',
  '{{1,2},{3,4}}'),
 (2, 32767, 2147483647, 9223372036854775807, 'Infinity', '-Infinity', 'Infinity', false,
  '', '', '', '', 'infinity', '-infinity', 'infinity', '1 day', NULL, 'null', '[]', NULL,
  NULL, NULL, B'', '', NULL, NULL, '-0.01', NULL, '(,)', '{}', NULL, '{}', '{}', '{}', '{}',
  1, '', '', '', '{}'),
 (3, 0, 0, 0, '-Infinity', 1e308, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO "Odd Schema"."Mixed Case" VALUES ('x', 1), (NULL, NULL);
-- rows larger than the chunk size (64 KiB in these tests), and one over 1 MB
INSERT INTO big_rows SELECT g, repeat(md5(g::text), 3000 * g), decode(repeat('00ff', 50000), 'hex')
  FROM generate_series(1, 5) g;
INSERT INTO big_rows VALUES (6, repeat('z', 1500000), NULL);
INSERT INTO zero_cols DEFAULT VALUES; INSERT INTO zero_cols DEFAULT VALUES;
INSERT INTO regs VALUES (1, 'scalars', 'mood', '{int4in,textout}'), (2, 'pg_class', 'int4', NULL);
INSERT INTO acl_t SELECT 1, makeaclitem('pg_database_owner'::regrole, 'pg_database_owner'::regrole, 'SELECT', false);
INSERT INTO dropped_col VALUES (1, 2), (3, NULL);
INSERT INTO gen (a) VALUES (1), (2), (NULL);
INSERT INTO parent VALUES (1, 'p'); INSERT INTO child VALUES (2, 'c', 3);
INSERT INTO part SELECT g, 'v' || g FROM generate_series(0, 300) g;
INSERT INTO split_me (payload) SELECT repeat(md5(g::text), 4) FROM generate_series(1, 20000) g;
INSERT INTO ident (v) VALUES ('a'), ('b');
SELECT nextval('standalone_seq') FROM generate_series(1, 42);
INSERT INTO unlogged_t VALUES (1);
INSERT INTO more_types VALUES
 (1, 'pg_class', 'a', '24:00:00', '23:59:59.999999+14:59', '08:00:2b:01:02:03:04:05', B'10101',
  '{1,-1,0}', '[(0,0),(1,1)]', '(1,1),(0,0)', '((0,0),(1,1),(2,0))', '((0,0),(1,1),(1,0))',
  '<(1.5,-2.5),0.001>', '!(a <-> b) & c:*AB', '16/B374D848', '10:20:10,14,15', '$.a[*] ? (@ > 2)',
  '[-9223372036854775808,0)', '[-Infinity,Infinity]', '[0001-01-01 BC,infinity)',
  '{[1,3),[5,7)}', '-0', '{}', '{1,2}', '{infinity,-infinity,NULL}', '18446744073709551615', 4294967295),
 (2, '', E'\\', '00:00:00', '00:00:00-15:59', '08:00:2b:01:02:03', B'00000', '{0.5,2,-3.25}',
  '[(0.1,0.2),(1e20,3)]', '(2.5,3.5),(-1,-2)', '[(1,2)]', '((0.1,0.2))', '<(0,0),0>', '', '0/0',
  '100:100:', 'strict $."key with space"', 'empty', '(,0)', 'empty', '{}', 'NaN', '{{1,2},{3,4}}',
  '{}', '{}', '0', 0),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL);
SELECT lo_from_bytea(424242, '\x00010203'::bytea);
SELECT lo_from_bytea(424243, '');
SELECT lo_from_bytea(424244, decode(repeat('0123456789abcdef', 20000), 'hex'));
CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM split_me;
CREATE MATERIALIZED VIEW mv_empty AS SELECT 1 AS one WITH NO DATA;
)sql";

const std::vector<std::string> kTables = {
    "public.scalars", "\"Odd Schema\".\"Mixed Case\"", "public.big_rows", "public.empty_t",
    "public.zero_cols", "public.regs", "public.acl_t", "public.dropped_col", "public.gen",
    "public.parent", "public.child", "public.part_1", "public.part_2", "public.split_me",
    "public.ident", "public.unlogged_t", "public.more_types"};

DumpOptions TestOptions(const ScratchDatabase& db) {
  DumpOptions options;
  options.conninfo = db.conninfo();
  options.jobs = 3;
  options.data_only = true;  // the target's schema comes from kSchemaSql
  options.chunk_size = 64 << 10;
  options.large_object_segment = 16 << 10;
  options.split_larger_than = 256 << 10;
  options.max_parts_per_table = 5;
  return options;
}

// The fixture as a server of `version` accepts it. What differs before 14: multiranges
// (nummultirange, int8multirange) are 14+, so those columns hold their text; numeric
// 'Infinity'/'-Infinity' are 14+ (12/13 refuse them: "invalid input syntax for type
// numeric"), so the numeric column and the numrange bounds hold large finite values;
// pg_database_owner is a 14+ role (pg_monitor, 10+, takes its place in the aclitem).
// Before 13: pg_snapshot and xid8 are 13+; txid_snapshot (same text form) and numeric
// (the same 64-bit value) take their place.
std::string ForServer(absl::string_view sql, int version) {
  std::string out(sql);
  if (version < 140000) {
    out = absl::StrReplaceAll(out, {{"nm nummultirange", "nm text"},
                                    {"mr8 int8multirange", "mr8 text"},
                                    {"'-Infinity', 'Infinity', false", "'-Infinity', '1e300', false"},
                                    {"1e308, '-Infinity', NULL", "1e308, '-1e300', NULL"},
                                    {"'[-Infinity,Infinity]'", "'[-1e300,1e300]'"},
                                    {"'pg_database_owner'", "'pg_monitor'"}});
  }
  if (version < 130000) {
    out = absl::StrReplaceAll(out, {{"snap pg_snapshot", "snap txid_snapshot"}, {"x8 xid8", "x8 numeric"}});
  }
  return out;
}

const nlohmann::json* FindTable(const nlohmann::json& plan, const std::string& name) {
  for (const auto& table : plan["tables"]) {
    if (table["name"] == name) return &table;
  }
  return nullptr;
}

class DumpRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = source_.Connect();
    const int version = conn->server_version();
    const std::string schema = ForServer(kSchemaSql, version);
    ASSERT_OK(conn->Execute(schema));
    ASSERT_OK(conn->Execute(ForServer(kDataSql, version)));
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (std::string(info->name()).find("Catalog") == std::string::npos) {
      ASSERT_OK(target_.Connect()->Execute(schema));
    }
  }

  void ExpectSameData() {
    auto source = source_.Connect();
    auto target = target_.Connect();
    for (const auto& table : kTables) {
      std::string digest = TableDigest(*source, table);
      EXPECT_THAT(digest, ::testing::Not(HasSubstr("error"))) << table;
      EXPECT_EQ(TableDigest(*target, table), digest) << table;
    }
    const char* kSequences =
        "SELECT last_value, is_called FROM split_me_id_seq UNION ALL "
        "SELECT last_value, is_called FROM standalone_seq UNION ALL "
        "SELECT last_value, is_called FROM fresh_seq UNION ALL "
        "SELECT last_value, is_called FROM ident_id_seq";
    EXPECT_EQ(QueryText(*target, kSequences), QueryText(*source, kSequences));
    const char* kLargeObjects =
        "SELECT oid, md5(lo_get(oid)), length(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid";
    EXPECT_EQ(QueryText(*target, kLargeObjects), QueryText(*source, kLargeObjects));
  }

  ScratchDatabase source_{"dumpsrc"};
  ScratchDatabase target_{"dumpdst"};
};

TEST_F(DumpRoundTripTest, CorpusRoundTripsThroughTheArchive) {
  format::StringSink sink;
  DumpProgress progress;
  ASSERT_OK_AND_ASSIGN(DumpResult result, RunDump(TestOptions(source_), {}, &sink, &progress));
  EXPECT_TRUE(sink.closed());
  EXPECT_EQ(result.large_objects, 3);
  EXPECT_GE(result.split_tables, 1);
  EXPECT_GE(result.text_tables, 2);  // regs (reg*), acl_t (aclitem)
  EXPECT_EQ(progress.Get().streams_done, result.streams);
  EXPECT_EQ(progress.Get().rows_done, result.rows);

  auto target = target_.Connect();
  ASSERT_OK_AND_ASSIGN(LoadStats stats, LoadDumpArchive(sink.data(), *target));
  EXPECT_EQ(stats.copies, result.streams);
  EXPECT_EQ(stats.large_objects, 3);
  EXPECT_EQ(stats.sequences, 4);
  ExpectSameData();
}

TEST_F(DumpRoundTripTest, PlanRecordsColumnsTypesFormatsAndParts) {
  format::StringSink sink;
  ASSERT_OK(RunDump(TestOptions(source_), {}, &sink).status());
  format::StringSource source(sink.data());
  ASSERT_OK_AND_ASSIGN(auto reader, format::ArchiveReader::Open(&source, {}));
  ASSERT_OK_AND_ASSIGN(std::string text, reader->ReadMetadata("dump/plan.json"));
  nlohmann::json plan = nlohmann::json::parse(text);

  const auto* regs = FindTable(plan, "regs");
  ASSERT_NE(regs, nullptr);
  EXPECT_EQ((*regs)["format"], "text");
  EXPECT_THAT((*regs)["format_reason"].get<std::string>(), HasSubstr("regclass"));
  const auto* acl = FindTable(plan, "acl_t");
  ASSERT_NE(acl, nullptr);
  EXPECT_THAT((*acl)["format_reason"].get<std::string>(), HasSubstr("aclitem has no binary"));
  const auto* more = FindTable(plan, "more_types");
  ASSERT_NE(more, nullptr);
  EXPECT_EQ((*more)["format"], "text");  // an empty tsquery does not load back in binary
  EXPECT_THAT((*more)["format_reason"].get<std::string>(), HasSubstr("tsquery"));

  const auto* scalars = FindTable(plan, "scalars");
  ASSERT_NE(scalars, nullptr);
  if (source_.Connect()->server_version() >= 130000) {
    EXPECT_EQ((*scalars)["format"], "binary") << (*scalars)["format_reason"];  // hstore, citext, ltree are allow-listed
  } else {
    // ltree's binary send/receive came with ltree 1.2, in PostgreSQL 13 (commit 949a9f0,
    // "Add support for binary I/O of ltree, lquery, and ltxtquery types"): 12's has none.
    EXPECT_EQ((*scalars)["format"], "text");
    EXPECT_THAT((*scalars)["format_reason"].get<std::string>(),
                HasSubstr("type public.ltree has no binary send/receive functions"));
  }
  bool saw_composite_array = false;
  for (const auto& column : (*scalars)["columns"]) {
    if (column["name"] == "carr") {
      saw_composite_array = true;
      EXPECT_EQ(column["type"], "public.pair[]");
      EXPECT_EQ(column["shape"]["kind"], "array");
      const auto& element = column["shape"]["children"][0];
      EXPECT_EQ(element["kind"], "composite");
      EXPECT_EQ(element["schema"], "public");
      EXPECT_EQ(element["fields"], nlohmann::json({"a", "b", "m"}));
      EXPECT_EQ(element["children"][2]["kind"], "enum");
    }
  }
  EXPECT_TRUE(saw_composite_array);

  const auto* dropped = FindTable(plan, "dropped_col");
  ASSERT_NE(dropped, nullptr);
  ASSERT_EQ((*dropped)["columns"].size(), 2u);
  EXPECT_EQ((*dropped)["columns"][1]["name"], "c");
  const auto* gen = FindTable(plan, "gen");
  ASSERT_NE(gen, nullptr);
  EXPECT_EQ((*gen)["columns"].size(), 1u);  // the generated column is recomputed on load

  const auto* split = FindTable(plan, "split_me");
  ASSERT_NE(split, nullptr);
  // TID range scans are 14+: older servers are split by an integer key (data_plan.cc PlanSplit).
  EXPECT_EQ((*split)["split"], source_.Connect()->server_version() >= 140000 ? "ctid" : "key:id");
  EXPECT_GE((*split)["streams"].size(), 2u);
  EXPECT_LE((*split)["streams"].size(), 5u);
  EXPECT_THAT((*split)["parts"].back().get<std::string>(), ::testing::Not(HasSubstr("<")));

  EXPECT_EQ(FindTable(plan, "part"), nullptr);  // partitioned parent: no data of its own
  EXPECT_NE(FindTable(plan, "part_1"), nullptr);
  EXPECT_EQ(plan["matviews_to_refresh"], nlohmann::json({"public.mv"}));
  // Largest first: big_rows and split_me lead.
  EXPECT_TRUE(plan["tables"][0]["name"] == "big_rows" || plan["tables"][0]["name"] == "split_me");
}

TEST_F(DumpRoundTripTest, FullDumpRebuildsTheSchemaFromItsCatalog) {
  DumpOptions options = TestOptions(source_);
  options.data_only = false;
  format::StringSink sink;
  ASSERT_OK_AND_ASSIGN(DumpResult result, RunDump(options, {}, &sink));
  auto target = target_.Connect();  // an empty database
  ASSERT_OK_AND_ASSIGN(LoadStats stats, LoadDumpArchive(sink.data(), *target, {}, /*replay_catalog=*/true));
  EXPECT_EQ(stats.copies, result.streams);
  ExpectSameData();
  auto check = target_.Connect();
  EXPECT_EQ(QueryText(*check, "SELECT n FROM mv"), "20000\n");  // refreshed after the data
}

TEST_F(DumpRoundTripTest, SplitByKeyAlsoRoundTrips) {
  DumpOptions options = TestOptions(source_);
  options.split_method = SplitMethod::kKey;  // the PostgreSQL 12/13 path, forced
  options.jobs = 2;
  format::StringSink sink;
  ASSERT_OK_AND_ASSIGN(DumpResult result, RunDump(options, {}, &sink));
  EXPECT_GE(result.split_tables, 1);
  auto target = target_.Connect();
  ASSERT_OK(LoadDumpArchive(sink.data(), *target).status());
  ExpectSameData();
}

TEST_F(DumpRoundTripTest, FiltersFollowPgDumpRules) {
  DumpOptions options = TestOptions(source_);
  options.include_tables = {"split_*", "\"Odd Schema\".\"Mixed Case\""};
  options.exclude_tables = {"split_me"};
  format::StringSink sink;
  ASSERT_OK_AND_ASSIGN(DumpResult result, RunDump(options, {}, &sink));
  EXPECT_EQ(result.tables, 1);
  EXPECT_EQ(result.large_objects, 0);  // -t turns large objects off, as in pg_dump

  options = TestOptions(source_);
  options.exclude_schemas = {"public"};
  format::StringSink sink2;
  ASSERT_OK_AND_ASSIGN(result, RunDump(options, {}, &sink2));
  EXPECT_EQ(result.tables, 1);

  options = TestOptions(source_);
  options.include_tables = {"no_such_*"};
  format::StringSink sink3;
  EXPECT_THAT(RunDump(options, {}, &sink3), ::pgark::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(sink3.closed());
}

}  // namespace
}  // namespace pgark::engine
