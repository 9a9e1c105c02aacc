// The binary-to-text decoders against the server's own text output: for every type, a set
// of tricky values is stored, fetched with COPY in binary and in text format, and the
// decoded binary must equal the server's text byte for byte.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/export/archive_exporter.h"
#include "engine/export/binary_to_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/export_type_shape.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

// Describes a type the way the dump does (its JSON shape), as the archive path reads it.
DecodeType ReadType(pg::Connection& conn, uint32_t oid) {
  auto type = DecodeTypeFromShapeJson(::pgark::testing::TypeShapeJson(conn, oid));
  EXPECT_TRUE(type.ok()) << type.status();
  return type.ok() ? *type : DecodeType();
}

// Fetches `query`'s single column with COPY in both formats; returns (text, decoded binary).
std::pair<std::string, std::string> FetchBoth(pg::Connection& conn, const std::string& query,
                                              uint32_t type_oid) {
  std::string text, binary, row;
  EXPECT_OK(conn.StartCopyOut(absl::StrCat("COPY (", query, ") TO STDOUT")));
  while (true) {
    auto more = conn.ReadCopyRow(&row);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    text += row;
  }
  EXPECT_OK(conn.StartCopyOut(absl::StrCat("COPY (", query, ") TO STDOUT (FORMAT binary)")));
  while (true) {
    auto more = conn.ReadCopyRow(&row);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    binary += row;
  }
  DecodeColumn column{"v", ReadType(conn, type_oid)};
  auto decoder = BinaryCopyToText::Create("t", {column}, {conn.server_version()});
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  std::string decoded;
  if (decoder.ok()) {
    // Feed in small pieces: rows spanning Feed() calls must decode the same.
    for (size_t i = 0; i < binary.size(); i += 7) {
      absl::Status s = (*decoder)->Feed(absl::string_view(binary).substr(i, 7), &decoded);
      EXPECT_OK(s);
      if (!s.ok()) break;
    }
    EXPECT_OK((*decoder)->Finish());
  }
  return {text, decoded};
}

class DecoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new ScratchDatabase("decoders");
    conn_ = db_->Connect().release();
    ASSERT_OK(conn_->Execute(kTextOutputSettingsSql));
    ASSERT_OK(conn_->Execute(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy \"quoted\"', 'with space', '');"
        "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);"
        "CREATE DOMAIN boxdom AS box;"
        "CREATE TYPE pair AS (a integer, b text);"
        "CREATE TYPE nested AS (p pair, tags text[], m mood, r int4range, d posint);"
        "CREATE TYPE floatrange AS RANGE (subtype = float8);"
        "CREATE TYPE textrange AS RANGE (subtype = text, collation = \"C\");"
        "CREATE TYPE withdrop AS (a int, gone int, c text);"
        "ALTER TYPE withdrop DROP ATTRIBUTE gone;"));
  }
  static void TearDownTestSuite() {
    delete conn_;
    delete db_;
  }

  // Stores `values` (SQL expressions) in a column of `type` and checks every row.
  void Check(const std::string& type, const std::vector<std::string>& values) {
    SCOPED_TRACE(type);
    std::string table = absl::StrCat("v", ++counter_);
    ASSERT_OK(conn_->Execute(absl::StrCat("CREATE TABLE ", table, " (id serial, v ", type, ")")));
    for (const std::string& value : values) {
      absl::Status s = conn_->Execute(
          absl::StrCat("INSERT INTO ", table, " (v) VALUES ((", value, ")::", type, ")"));
      ASSERT_OK(s) << value;
    }
    ASSERT_OK(conn_->Execute(absl::StrCat("INSERT INTO ", table, " (v) VALUES (NULL)")));
    auto oid = conn_->Query(absl::StrCat("SELECT '", type, "'::regtype::oid"));
    ASSERT_OK(oid.status());
    auto [text, decoded] = FetchBoth(*conn_, absl::StrCat("SELECT v FROM ", table, " ORDER BY id"),
                                     std::stoul(std::string(oid->Get(0, 0))));
    std::vector<std::string> want = absl::StrSplit(text, '\n');
    std::vector<std::string> got = absl::StrSplit(decoded, '\n');
    ASSERT_EQ(want.size(), values.size() + 2);  // values, NULL, final ""
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(got[i], want[i]) << "value: " << values[i];
    }
    EXPECT_EQ(got[values.size()], "\\N");
  }

  static ScratchDatabase* db_;
  static pg::Connection* conn_;
  static int counter_;
};
ScratchDatabase* DecoderTest::db_ = nullptr;
pg::Connection* DecoderTest::conn_ = nullptr;
int DecoderTest::counter_ = 0;

TEST_F(DecoderTest, BooleansAndIntegers) {
  Check("boolean", {"true", "false"});
  Check("smallint", {"0", "-32768", "32767", "-1"});
  Check("integer", {"0", "-2147483648", "2147483647", "42"});
  Check("bigint", {"0", "-9223372036854775808", "9223372036854775807", "-17"});
  Check("oid", {"0", "4294967295", "12345"});
  Check("xid", {"'0'", "'4294967295'"});
  Check("cid", {"'0'", "'4294967295'"});
  if (conn_->server_version() >= 130000) Check("xid8", {"'0'", "'18446744073709551615'"});  // 13+
}

TEST_F(DecoderTest, Floats) {
  std::vector<std::string> common = {
      "0", "'-0'", "1", "-1", "0.1", "1e15", "123456789012345", "1234567890123456", "1e-4",
      "1e-5", "0.00012345", "3.141592653589793", "1.5e300", "-2.2250738585072014e-308",
      "4.9e-324", "1.7976931348623157e308", "'NaN'", "'Infinity'", "'-Infinity'", "100",
      "1e22", "123456", "1234567", "0.3", "2.5e-7", "9.999999e14", "1e6", "999999"};
  Check("double precision", common);
  Check("real", {"0", "'-0'", "1", "0.1", "123456", "1234567", "1e-4", "1e-5", "3.4028235e38",
                 "1.4e-45", "1.17549435e-38", "'NaN'", "'Infinity'", "'-Infinity'",
                 "3.1415927", "99999.99", "1e6", "16777216", "0.3"});
}

TEST_F(DecoderTest, Numeric) {
  Check("numeric", {"0", "0.0", "-0.00", "1", "-1", "12345678901234567890.123456789012345",
                    "0.0001", "0.00001", "-0.000000000000123", "10000", "100000000",
                    "1e100", "-1.5e-20", "'NaN'", "9999.9999",
                    "0.5", "123.4500", "1000000000000000000000000000000000000"});
  // numeric infinities are PostgreSQL 14+.
  if (conn_->server_version() >= 140000) Check("numeric", {"'Infinity'", "'-Infinity'"});
  Check("numeric(10,3)", {"1", "-2.5", "1234567.891"});
  Check("money", {"0", "1", "-1.5", "1234567.89", "'92233720368547758.07'",
                  "'-92233720368547758.08'", "0.01", "-1000"});
}

TEST_F(DecoderTest, CharacterTypes) {
  std::vector<std::string> tricky = {
      "''", "'plain'", "E'tab\\there'", "E'new\\nline\\r\\n'", "E'back\\\\slash'",
      "E'\\b\\f\\v control'", "'quote '' \"double\"'", "'NULL'", "'\\N'", "'ünïcödé ✓ 𝄞'",
      "'{braces},(parens)'", "repeat('x', 10000)"};
  Check("text", tricky);
  Check("character varying(20000)", tricky);
  Check("character(12)", {"'a'", "''", "'abc   '", "E'x\\ty'"});
  Check("name", {"'pg_class'", "'with space'", "''"});
  Check("\"char\"", {"'a'", "''", "E'\\\\'", "E'\\t'", "'é'", "chr(127)"});
  Check("refcursor", {"'cur'", "E'a\\nb'"});
  Check("bytea", {"''", "'\\x00ff10'", "E'\\\\000abc'", "decode(repeat('ab', 500), 'hex')"});
  Check("uuid", {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'"});
  Check("json", {"'{\"a\": [1, 2.50, null], \"b\": \"x\\ny\"}'", "'  [ ]  '", "'\"\\u00e9\"'"});
  Check("jsonb", {"'{\"b\": [1, 2.50, null], \"a\": \"x\\ny\"}'", "'[]'", "'\"\\u00e9\\t\"'",
                  "'{\"k\": {\"n\": 1e100}}'", "'12.3400'"});
  Check("jsonpath", {"'$.a[*] ? (@ > 2)'", "'strict $.\"key with space\"'"});
  Check("xml", {"'<a b=\"c\">text &amp; more</a>'", "'plain text'",
                "'<?xml version=\"1.0\"?><r/>'"});
  Check("pg_lsn", {"'0/0'", "'16/B374D848'", "'FFFFFFFF/FFFFFFFF'"});
}

TEST_F(DecoderTest, DatesAndTimes) {
  Check("date", {"'2000-01-01'", "'1999-12-31'", "'0001-01-01'", "'0001-12-31 BC'",
                 "'4713-01-01 BC'", "'5874897-12-31'", "'infinity'", "'-infinity'",
                 "'1970-01-01'", "'2024-02-29'", "'10000-01-01'"});
  Check("timestamp", {"'2000-01-01 00:00:00'", "'1999-12-31 23:59:59.999999'",
                      "'2024-02-29 12:34:56.5'", "'0044-03-15 12:00:00 BC'",
                      "'4713-01-01 00:00:00 BC'", "'294276-12-31 23:59:59.999999'", "'infinity'",
                      "'-infinity'", "'1900-01-01 00:00:00.000001'", "'1969-12-31 23:59:59.1'"});
  Check("timestamp(2)", {"'2000-01-01 00:00:00.129'"});
  Check("timestamp with time zone",
        {"'2000-01-01 00:00:00+00'", "'2024-06-01 12:00:00+05:30'", "'1901-01-01 00:00:00 PST'",
         "'0044-03-15 12:00:00+00 BC'", "'infinity'", "'-infinity'",
         "'1999-12-31 23:59:59.999999-08'"});
  Check("time", {"'00:00:00'", "'23:59:59.999999'", "'24:00:00'", "'12:34:56.1'",
                 "'01:02:03.000450'"});
  Check("time with time zone",
        {"'00:00:00+00'", "'12:34:56.789-05'", "'23:59:59+14:59'", "'01:00:00-15:59'",
         "'10:00:00+05:30:15'", "'24:00:00-02'"});
  Check("interval",
        {"'0'", "'1 year'", "'-1 year'", "'1 mon'", "'2 mons'", "'1 day'", "'-1 days'",
         "'1 year 2 mons 3 days 04:05:06.789'", "'-1 year -2 mons +3 days -04:05:06'",
         "'1 day -01:00:00'", "'-1 day +01:00:00'", "'00:00:00.000001'", "'-00:00:00.5'",
         "'178000000 years'", "'1 mon -1 day'",
         "'3 days 00:00:01'", "'-3 days -00:00:01'", "'1 year -1 mon'", "'12 mons'",
         "'100 days 1000000 hours'"});
  // 12 refuses these (interval field value out of range); 15 and 16 accept them.
  if (conn_->server_version() >= 150000) Check("interval", {"'2562047788 hours'", "'-2562047788 hours'"});
}

TEST_F(DecoderTest, NetworkAndBitTypes) {
  Check("inet", {"'192.168.1.1'", "'192.168.1.0/24'", "'10.0.0.1/8'", "'0.0.0.0/0'", "'::1'",
                 "'::'", "'2001:db8::1'", "'2001:db8::/32'", "'fe80::1:2:3:4/64'",
                 "'::ffff:1.2.3.4'", "'::1.2.3.4'", "'1:0:0:1:0:0:0:1'", "'1:0:2:0:3:0:4:0'",
                 "'0:0:0:0:0:0:0:2'", "'::ffff:0:0'", "'2001:db8:0:0:1:0:0:1/128'"});
  Check("cidr", {"'192.168.1.0/24'", "'10.0.0.0/8'", "'10.1.2.3/32'", "'0.0.0.0/0'",
                 "'2001:db8::/32'", "'::/0'", "'::1/128'"});
  Check("macaddr", {"'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'"});
  Check("macaddr8", {"'08:00:2b:01:02:03:04:05'", "'08:00:2b:01:02:03'"});
  Check("bit(5)", {"B'10101'", "B'00000'"});
  Check("bit varying", {"B''", "B'1'", "B'101010101'", "B'11111111'", "B'0000000000000001'"});
}

TEST_F(DecoderTest, GeometricTypes) {
  Check("point", {"'(1,2)'", "'(-1.5,0.1)'", "'(1e300,-1e-300)'", "'(NaN,Infinity)'"});
  Check("line", {"'{1,-1,0}'", "'{0.5,2,-3.25}'"});
  Check("lseg", {"'[(0,0),(1,1)]'", "'[(0.1,0.2),(1e20,3)]'"});
  Check("box", {"'(1,1),(0,0)'", "'(2.5,3.5),(-1,-2)'"});
  Check("path", {"'[(0,0),(1,1),(2,0)]'", "'((0,0),(1,1),(2,0))'", "'[(1,2)]'"});
  Check("polygon", {"'((0,0),(1,1),(1,0))'", "'((0.1,0.2))'"});
  Check("circle", {"'<(0,0),1>'", "'<(1.5,-2.5),0.001>'"});
}

TEST_F(DecoderTest, TextSearchAndSnapshots) {
  Check("tsvector", {"''", "'a b c'", "'fat:2,4A cat:3B rat:5C sat:1D'",
                     "$$'it''s' 'back\\\\slash' 'sp ace':1$$", "to_tsvector('english', 'The quick brown foxes jumped')",
                     "'a:16383'"});
  Check("tsquery",
        {"''", "'a'", "'a & b'", "'a | b & c'", "'(a | b) & c'", "'!a'", "'!(a & b)'",
         "'a <-> b'", "'a <3> b'", "'(a <-> b) <-> c'", "'a <-> (b <-> c)'", "'a:* & b:AB'",
         "'a:*ABCD'", "$$'it''s' & 'x\\\\y'$$", "'!!a'", "'a & (b | (c & !d))'",
         "'(a & b) <-> (c | d)'", "'!(a <-> b)'", "'a | b | c'", "'a & b & c'"});
  if (conn_->server_version() >= 130000) Check("pg_snapshot", {"'10:20:10,14,15'", "'100:100:'"});  // 13+
  Check("txid_snapshot", {"'10:20:10,14,15'"});
  Check("tid", {"'(0,1)'", "'(4294967295,65535)'"});
}

TEST_F(DecoderTest, Arrays) {
  Check("integer[]", {"'{}'", "'{1,2,3}'", "'{{1,2},{3,4}}'", "'{NULL,1,NULL}'",
                      "'[0:2]={1,2,3}'", "'[-5:-4][3:4]={{1,2},{3,4}}'",
                      "'{{{1},{2}},{{3},{4}}}'", "'{{{{{{1}}}}}}'"});
  Check("text[]", {"'{\"\",\"NULL\",\"null\",NULL,\"a b\",\"a,b\",\"{x}\",\"q\\\"uote\",\"b\\\\s\"}'",
                   "ARRAY[E'tab\\there', E'nl\\nx', 'plain', 'Null2', ' lead']",
                   "'{{a,b},{c,d}}'"});
  Check("box[]", {"ARRAY['(1,1),(0,0)'::box, '(3,3),(2,2)'::box]"});
  Check("boxdom[]", {"ARRAY['(1,1),(0,0)'::boxdom, '(3,3),(2,2)'::boxdom]"});
  Check("numeric[]", {"'{1.5,NaN,-0.001}'"});
  Check("timestamp with time zone[]", {"'{\"2020-01-01 00:00:00+00\",infinity}'"});
  Check("bytea[]", {"ARRAY['\\x00'::bytea, ''::bytea]"});
  Check("point[]", {"ARRAY['(1,2)'::point]"});
  Check("jsonb[]", {"ARRAY['{\"a\": 1}'::jsonb, '\"s\"']"});
  Check("int4range[]", {"ARRAY['[1,5)'::int4range, 'empty']"});
  Check("posint[]", {"'{1,2}'"});
  Check("mood[]", {"'{sad,\"happy \\\"quoted\\\"\",\"with space\",\"\"}'"});
  Check("\"char\"[]", {"'{a,b}'"});
  Check("character(3)[]", {"'{a,bb}'"});
  Check("interval[]", {"'{\"1 day\",\"-00:00:01\"}'"});
  Check("tsvector[]", {"ARRAY['a:1 b'::tsvector]"});
}

TEST_F(DecoderTest, RangesAndMultiranges) {
  Check("int4range", {"'empty'", "'[1,10)'", "'(,5]'", "'[3,)'", "'(,)'", "'[1,1]'"});
  Check("int8range", {"'[-9223372036854775808,0)'"});
  Check("numrange", {"'[1.5,2.25]'", "'(,0)'"});
  if (conn_->server_version() >= 140000) Check("numrange", {"'[-Infinity,Infinity]'"});  // numeric infinities 14+
  Check("tsrange", {"'[2000-01-01 00:00:00,2000-01-02 00:00:00)'", "'[-infinity,infinity)'"});
  Check("tstzrange", {"'[2000-01-01 00:00:00+00,2000-01-02 00:00:00+03)'"});
  Check("daterange", {"'[2000-01-01,2000-02-01)'", "'[0001-01-01 BC,)'"});
  Check("floatrange", {"'[1.5,2.5)'", "'(-Infinity,1e300]'"});
  Check("textrange", {"'[\"\",a)'", "'[\"a b\",\"c,d\")'", "'[\"b\\\\\",\"q\\\"\")'", "'(a,z)'"});
  if (conn_->server_version() < 140000) GTEST_SKIP() << "multiranges are PostgreSQL 14+ (the ranges were checked)";
  Check("int4multirange", {"'{}'", "'{[1,3),[5,7)}'", "'{(,0),[10,)}'"});
  Check("datemultirange", {"'{[2000-01-01,2000-01-05)}'"});
  Check("nummultirange", {"'{[1.5,2),(3,)}'"});
}

TEST_F(DecoderTest, CompositesEnumsDomains) {
  Check("mood", {"'sad'", "'happy \"quoted\"'", "'with space'", "''"});
  Check("posint", {"1", "2147483647"});
  Check("pair", {"'(1,x)'", "'(,)'", "'(2,\"\")'", "'(3,\"a,b\")'", "'(4,\"q\"\"\")'",
                 "'(5,\"b\\\\s\")'", "'(6,\" sp\")'", "ROW(7, E'tab\\t(paren)')"});
  Check("nested", {"ROW(ROW(1,'x')::pair, ARRAY['a','b c'], 'ok', '[1,2)', 5)",
                   "ROW(NULL, '{}', 'with space', 'empty', NULL)",
                   "ROW(ROW(NULL,'')::pair, ARRAY[NULL, '\"'], '', '(,)', 1)"});
  Check("pair[]", {"ARRAY[ROW(1,'a')::pair, ROW(NULL,'b c')::pair, NULL]"});
  Check("withdrop", {"ROW(1, 'c')"});
}

// Every built-in type of the server with binary I/O (base types, their arrays, ranges,
// multiranges) is either compared with the server's text above or listed here with the
// reason it has no decoder; a new type in a newer server fails this test until it is added.
TEST_F(DecoderTest, EveryBuiltinTypeWithBinaryIoIsCoveredOrExplained) {
  // The types the Check() calls above compare with the server (element types of arrays
  // are covered by their array checks too).
  const std::set<std::string> tested = {
      "bool", "int2", "int4", "int8", "oid", "xid", "cid", "xid8", "float8", "float4", "numeric",
      "money", "text", "varchar", "bpchar", "name", "char", "refcursor", "bytea", "uuid", "json",
      "jsonb", "jsonpath", "xml", "pg_lsn", "date", "timestamp", "timestamptz", "time", "timetz",
      "interval", "inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "point", "line", "lseg",
      "box", "path", "polygon", "circle", "tsvector", "tsquery", "pg_snapshot", "txid_snapshot",
      "tid", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
      "int4multirange", "datemultirange", "nummultirange", "int8multirange", "tsmultirange",
      "tstzmultirange"};
  // No decoder, on purpose: the dump copies these tables in text format (docs/dump.md), so
  // the archive never holds them in binary.
  const std::set<std::string> text_only = {
      "aclitem",         // no binary I/O at all
      "int2vector", "oidvector",  // system-catalog vectors, OIDs inside
      "regclass", "regcollation", "regconfig", "regdictionary", "regnamespace", "regoper",
      "regoperator", "regproc", "regprocedure", "regrole", "regtype",  // OID-valued
      "pg_node_tree", "pg_ndistinct", "pg_dependencies", "pg_mcv_list",  // catalog internals,
      "pg_brin_bloom_summary", "pg_brin_minmax_multi_summary"};          // not storable by users
  auto types = conn_->Query(
      // Arrays are checked through their element; arrays of catalog row types, of pseudo
      // types (cstring[]) and of types without binary I/O (gtsvector[]) cannot be stored
      // in binary COPY of a user table.
      "SELECT t.oid, t.typname, t.typtype, COALESCE(e.typname, '') FROM pg_catalog.pg_type t "
      "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' AND t.typname LIKE '\\_%' "
      "WHERE t.oid < 10000 AND t.typtype IN ('b', 'r', 'm') AND t.typisdefined "
      "AND t.typsend <> 0 AND t.typreceive <> 0 "
      "AND (e.oid IS NULL OR (e.typtype NOT IN ('c', 'p') AND e.typsend <> 0)) ORDER BY t.oid");
  ASSERT_OK(types.status());
  ASSERT_GT(types->rows(), 100);
  std::vector<std::string> uncovered, unexpected_decoder;
  for (int row = 0; row < types->rows(); ++row) {
    const uint32_t oid = static_cast<uint32_t>(std::stoul(std::string(types->Get(row, 0))));
    const std::string name(types->Get(row, 1));
    const std::string element(types->Get(row, 3));
    const std::string base = element.empty() ? name : element;  // arrays: by element
    const bool has_decoder = BuiltinDecodeType(oid) != nullptr &&
                             MakeValueDecoder(*BuiltinDecodeType(oid)).ok();
    if (text_only.count(base)) {
      if (has_decoder) unexpected_decoder.push_back(name);
    } else if (!tested.count(base) || !has_decoder) {
      uncovered.push_back(name);
    }
  }
  EXPECT_THAT(uncovered, ::testing::IsEmpty()) << "built-in types without a decoder or a test";
  EXPECT_THAT(unexpected_decoder, ::testing::IsEmpty()) << "listed as text-only but decodable";
}

TEST_F(DecoderTest, MultirangesOfEveryBuiltinRange) {
  if (conn_->server_version() < 140000) GTEST_SKIP() << "multiranges are PostgreSQL 14+";
  Check("int8multirange", {"'{}'", "'{[-9223372036854775808,0),[5,9)}'"});
  Check("tsmultirange", {"'{[2000-01-01 00:00:00,2000-01-02 00:00:00),[2001-01-01 00:00:00,)}'"});
  Check("tstzmultirange", {"'{[2000-01-01 00:00:00+00,infinity)}'", "'{}'"});
}

TEST(DecoderErrorsTest, TypeWithoutDecoderNamesTableAndColumn) {
  DecodeType ext{DecodeType::Kind::kBase, 16500, "public.citext", {}};
  auto r = BinaryCopyToText::Create("public.users", {{"email", ext}});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnimplemented,
                          ::testing::AllOf(HasSubstr("public.users"), HasSubstr("email"),
                                           HasSubstr("public.citext"))));
  DecodeType acl{DecodeType::Kind::kArray, 1034, "aclitem[]",
                 {{DecodeType::Kind::kBase, 1033, "aclitem", {}}}};
  EXPECT_THAT(BinaryCopyToText::Create("t", {{"acl", acl}}),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("aclitem")));
}

TEST(DecoderErrorsTest, MalformedDataIsDataLossNotCrash) {
  auto decoder = MakeValueDecoder(*BuiltinDecodeType(1007));  // integer[]
  ASSERT_OK(decoder.status());
  std::string out;
  // ndim 1, no nulls, int4, one dimension claiming 1e9 elements with no data.
  std::string huge("\0\0\0\1\0\0\0\0\0\0\0\x17\x3b\x9a\xca\0\0\0\0\1", 20);
  EXPECT_THAT((*decoder)->Decode(huge, &out), StatusIs(absl::StatusCode::kDataLoss));
  std::string seven_dims("\0\0\0\7\0\0\0\0\0\0\0\x17", 12);
  EXPECT_THAT((*decoder)->Decode(seven_dims, &out), StatusIs(absl::StatusCode::kDataLoss));
  auto numeric = MakeValueDecoder(*BuiltinDecodeType(1700));
  ASSERT_OK(numeric.status());
  EXPECT_THAT((*numeric)->Decode(std::string("\0\5\0\0\0\0\0\0", 8), &out),
              StatusIs(absl::StatusCode::kDataLoss));
  // A tuple with a field length beyond the data, split over two Feed() calls.
  auto rows = BinaryCopyToText::Create("public.t", {{"v", *BuiltinDecodeType(25)}});
  ASSERT_OK(rows.status());
  std::string stream("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\1\x7f\xff\xff\xff", 25);
  EXPECT_THAT((*rows)->Feed(stream, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("public.t")));
  // A stream cut before its trailer.
  auto cut = BinaryCopyToText::Create("public.t", {{"v", *BuiltinDecodeType(25)}});
  ASSERT_OK(cut.status());
  EXPECT_OK((*cut)->Feed(stream.substr(0, 19), &out));
  EXPECT_THAT((*cut)->Finish(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("trailer")));
}

}  // namespace
}  // namespace pgark::engine
