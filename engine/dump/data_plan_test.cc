#include "engine/dump/data_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TypeShape Scalar(const std::string& schema, const std::string& name, uint32_t oid = 23) {
  TypeShape shape;
  shape.schema = schema;
  shape.name = name;
  shape.oid = oid;
  return shape;
}

ColumnInfo Column(const std::string& name, TypeShape shape) {
  ColumnInfo column;
  column.name = name;
  column.shape = std::move(shape);
  return column;
}

TEST(DataPlanTest, PlainBuiltInColumnsUseBinary) {
  EXPECT_EQ(TextFormatReason({Column("a", Scalar("pg_catalog", "int4")),
                              Column("b", Scalar("pg_catalog", "text"))},
                             {}),
            "");
}

TEST(DataPlanTest, RegTypesNestedInArraysForceText) {
  TypeShape array = Scalar("pg_catalog", "_regclass", 2210);
  array.kind = TypeShape::Kind::kArray;
  array.children.push_back(Scalar("pg_catalog", "regclass", 2205));
  EXPECT_THAT(TextFormatReason({Column("a", Scalar("pg_catalog", "int4")), Column("r", array)}, {}),
              HasSubstr("column \"r\": type pg_catalog.regclass holds OIDs"));
}

TEST(DataPlanTest, MissingBinaryIoInsideADomainOverACompositeForcesText) {
  TypeShape acl = Scalar("pg_catalog", "aclitem", 1033);
  acl.binary_io = false;
  TypeShape composite = Scalar("public", "pair", 20000);
  composite.kind = TypeShape::Kind::kComposite;
  composite.children = {Scalar("pg_catalog", "int4"), acl};
  composite.field_names = {"x", "acl"};
  TypeShape domain = Scalar("public", "d", 20001);
  domain.kind = TypeShape::Kind::kDomain;
  domain.children.push_back(composite);
  EXPECT_THAT(TextFormatReason({Column("c", domain)}, {}), HasSubstr("aclitem has no binary"));
}

TEST(DataPlanTest, ExtensionTypesNeedTheAllowList) {
  TypeShape hstore = Scalar("public", "hstore", 30000);
  hstore.extension = "hstore";
  EXPECT_EQ(TextFormatReason({Column("h", hstore)}, {"hstore"}), "");
  EXPECT_THAT(TextFormatReason({Column("h", hstore)}, {"citext"}),
              HasSubstr("extension hstore, not known to be binary-safe"));
}

TEST(DataPlanTest, BaseTypesDefinedInTheDatabaseForceText) {
  TypeShape mine = Scalar("app", "myint", 40000);
  TypeShape array = Scalar("app", "_myint", 40001);
  array.kind = TypeShape::Kind::kArray;
  array.children.push_back(mine);
  EXPECT_THAT(TextFormatReason({Column("m", array)}, {}),
              HasSubstr("type app.myint is a base type defined in the database"));
  TypeShape color = Scalar("app", "color", 40002);
  color.kind = TypeShape::Kind::kEnum;
  EXPECT_EQ(TextFormatReason({Column("c", color)}, {}), "");
}

TEST(DataPlanTest, PartCountFollowsSizeAndCaps) {
  EXPECT_EQ(PartCount(100, 0, 64, 1000), 1);
  EXPECT_EQ(PartCount(100, 100, 64, 1000), 1);
  EXPECT_EQ(PartCount(101, 100, 64, 1000), 2);
  EXPECT_EQ(PartCount(10000, 100, 64, 1000), 64);
  EXPECT_EQ(PartCount(10000, 100, 64, 3), 3);
}

TEST(DataPlanTest, CtidRangesCoverAllBlocksAndLastIsOpen) {
  EXPECT_THAT(CtidRanges(10, 3),
              ElementsAre("ctid < '(4,0)'::pg_catalog.tid",
                          "ctid >= '(4,0)'::pg_catalog.tid AND ctid < '(8,0)'::pg_catalog.tid",
                          "ctid >= '(8,0)'::pg_catalog.tid"));
  EXPECT_THAT(CtidRanges(1, 4), ElementsAre(""));
  EXPECT_THAT(CtidRanges(100, 1), ElementsAre(""));
}

TEST(DataPlanTest, KeyRangesTakeNullsFirstAndLastIsOpen) {
  EXPECT_THAT(KeyRanges("id", 1, 100, 4),
              ElementsAre("(id < 26 OR id IS NULL)", "id >= 26 AND id < 51", "id >= 51 AND id < 76",
                          "id >= 76"));
  // Extreme int8 bounds do not overflow.
  auto ranges = KeyRanges("k", INT64_MIN, INT64_MAX, 2);
  EXPECT_THAT(ranges, ElementsAre("(k < 0 OR k IS NULL)", "k >= 0"));
  EXPECT_THAT(KeyRanges("k", 5, 5, 4), ElementsAre(""));
}

TEST(DataPlanTest, CopySqlListsColumnsReadsOnlyTheTableAndPicksTheFormat) {
  TableData table;
  table.qualified = "public.\"T\"";
  ColumnInfo a;
  a.quoted = "a";
  ColumnInfo b;
  b.quoted = "\"B c\"";
  table.columns = {a, b};
  EXPECT_EQ(CopyOutSql(table, TablePart{"ctid < '(4,0)'::pg_catalog.tid", 0}),
            "COPY (SELECT a, \"B c\" FROM ONLY public.\"T\" WHERE ctid < '(4,0)'::pg_catalog.tid) "
            "TO STDOUT (FORMAT binary)");
  table.format = CopyFormat::kText;
  table.columns.clear();
  EXPECT_EQ(CopyOutSql(table, TablePart{}), "COPY (SELECT  FROM ONLY public.\"T\") TO STDOUT");
}

}  // namespace
}  // namespace pgark::engine
