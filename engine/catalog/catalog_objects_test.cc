#include "engine/catalog/catalog_objects.h"

#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::catalog {
namespace {

using ::pgark::testing::StatusIs;

Catalog SampleCatalog() {
  Catalog catalog;
  catalog.server_version = 150004;
  catalog.server_encoding = "UTF8";
  catalog.database = "db \"x\"";
  catalog.warnings = {"something odd"};
  CatalogItem schema;
  schema.id = "SCHEMA s";
  schema.kind = ObjectKind::kSchema;
  schema.name = "s";
  schema.owner = "alice";
  schema.create_sql = "CREATE SCHEMA s;\n";
  schema.owner_sql = "ALTER SCHEMA s OWNER TO alice;\n";
  catalog.items.push_back(schema);
  CatalogItem table;
  table.id = "TABLE s.t";
  table.kind = ObjectKind::kTable;
  table.schema = "s";
  table.name = "t";
  table.create_sql = "CREATE TABLE s.t (a integer, \"b\u00e9\" text);\n";
  table.acl_sql = "GRANT SELECT ON TABLE s.t TO PUBLIC;\n";
  table.dependencies = {"SCHEMA s"};
  TableInfo info;
  info.oid = 16390;
  info.relkind = 'p';
  info.columns = {{"a", "integer", 23, "pg_catalog", "int4", 1, true},
                  {"b\u00e9", "text", 25, "pg_catalog", "text", 3, false}};
  info.is_partitioned = true;
  info.extension_config = true;
  info.data_filter = "WHERE NOT standard";
  info.relfilenode = 16391;
  table.table = info;
  catalog.items.push_back(table);
  CatalogItem seq;
  seq.id = "SEQUENCE SET s.q";
  seq.kind = ObjectKind::kSequenceSet;
  seq.section = Section::kData;
  seq.schema = "s";
  seq.name = "q";
  seq.sequence = SequenceInfo{"TABLE s.t", "a", false, -5, true, true};
  seq.dependencies = {"SCHEMA s"};
  catalog.items.push_back(seq);
  return catalog;
}

TEST(CatalogJsonTest, RoundTripIsLossless) {
  Catalog catalog = SampleCatalog();
  std::string json = CatalogToJson(catalog);
  ASSERT_OK_AND_ASSIGN(Catalog back, CatalogFromJson(json));
  EXPECT_EQ(back.server_version, 150004);
  EXPECT_EQ(back.database, catalog.database);
  EXPECT_EQ(back.warnings, catalog.warnings);
  ASSERT_EQ(back.items.size(), catalog.items.size());
  for (size_t idx = 0; idx < back.items.size(); ++idx) EXPECT_EQ(back.items[idx], catalog.items[idx]);
  EXPECT_EQ(back.Find("TABLE s.t"), 1);
  EXPECT_EQ(back.Find("nope"), -1);
  EXPECT_FALSE(back.database_info.has_value());  // older archives carry none

  catalog.database_info = DatabaseInfo{"o w", "ts", " LC_COLLATE = 'C'", "ALTER DATABASE d SET a TO 'b';\n",
                                       {{"r", "ALTER ROLE r IN DATABASE d SET a TO 'c';\n"}},
                                       "COMMENT ON DATABASE d IS 'c';\n", "GRANT CONNECT ON DATABASE d TO r;\n",
                                       /*connection_limit=*/0, /*is_template=*/true};
  ASSERT_OK_AND_ASSIGN(back, CatalogFromJson(CatalogToJson(catalog)));
  ASSERT_TRUE(back.database_info.has_value());
  EXPECT_EQ(back.database_info->owner, "o w");
  EXPECT_EQ(back.database_info->tablespace, "ts");
  EXPECT_EQ(back.database_info->locale_sql, " LC_COLLATE = 'C'");
  EXPECT_EQ(back.database_info->settings_sql, catalog.database_info->settings_sql);
  EXPECT_EQ(back.database_info->role_settings_sql, catalog.database_info->role_settings_sql);
  EXPECT_EQ(back.database_info->comment_sql, catalog.database_info->comment_sql);
  EXPECT_EQ(back.database_info->acl_sql, catalog.database_info->acl_sql);
  EXPECT_EQ(back.database_info->connection_limit, 0);
  EXPECT_TRUE(back.database_info->is_template);
}

// database_info of archives written before 2026-11-26 has no connection_limit or
// is_template: not recorded (--replace keeps the old database's limit), not a template.
// Keys this version does not know are ignored, which is how an older pgark reads this one's.
TEST(CatalogJsonTest, DatabaseLimitsAddedLaterAreOptionalAndUnknownKeysIgnored) {
  Catalog catalog = SampleCatalog();
  catalog.database_info = DatabaseInfo{};
  catalog.database_info->owner = "o";
  catalog.database_info->connection_limit = 7;
  nlohmann::json json = nlohmann::json::parse(CatalogToJson(catalog));
  EXPECT_EQ(json.at("database_info").at("connection_limit"), 7);
  EXPECT_EQ(json.at("database_info").at("is_template"), false);
  json["database_info"]["a_later_field"] = "x";
  json["a_later_field"] = 1;
  ASSERT_OK_AND_ASSIGN(Catalog back, CatalogFromJson(json.dump()));
  EXPECT_EQ(back.database_info->connection_limit, 7);
  for (const char* key : {"connection_limit", "is_template"}) json["database_info"].erase(key);
  ASSERT_OK_AND_ASSIGN(back, CatalogFromJson(json.dump()));
  ASSERT_TRUE(back.database_info.has_value());
  EXPECT_EQ(back.database_info->owner, "o");
  EXPECT_FALSE(back.database_info->connection_limit.has_value());
  EXPECT_FALSE(back.database_info->is_template);
}

TEST(CatalogJsonTest, TableFieldsAddedLaterAreOptional) {
  // Catalogs written before extension_config/data_filter/relfilenode existed still load.
  nlohmann::json json = nlohmann::json::parse(CatalogToJson(SampleCatalog()));
  for (nlohmann::json& item : json.at("items")) {
    if (!item.contains("table")) continue;
    for (const char* key : {"extension_config", "data_filter", "relfilenode"}) item["table"].erase(key);
  }
  ASSERT_OK_AND_ASSIGN(Catalog back, CatalogFromJson(json.dump()));
  ASSERT_TRUE(back.items[1].table.has_value());
  EXPECT_FALSE(back.items[1].table->extension_config);
  EXPECT_EQ(back.items[1].table->data_filter, "");
  EXPECT_EQ(back.items[1].table->relfilenode, 0u);
  EXPECT_EQ(back.items[1].table->columns.size(), 2u);
}

TEST(CatalogJsonTest, GarbageIsDataLoss) {
  EXPECT_THAT(CatalogFromJson("{not json"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(CatalogFromJson("{\"format\":\"pgark-catalog\"}"),
              StatusIs(absl::StatusCode::kDataLoss));
}

// Items are converted while the text is parsed (each dropped from the tree once converted):
// what is not an item, or an item with a wrong field, still fails the whole catalog.
TEST(CatalogJsonTest, MalformedItemsAreRejected) {
  nlohmann::json json = nlohmann::json::parse(CatalogToJson(SampleCatalog()));
  nlohmann::json not_objects = json;
  not_objects["items"].push_back(42);
  EXPECT_THAT(CatalogFromJson(not_objects.dump()),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("malformed item list")));
  nlohmann::json wrong_type = json;
  wrong_type["items"][1]["create_sql"] = 7;
  EXPECT_THAT(CatalogFromJson(wrong_type.dump()), StatusIs(absl::StatusCode::kDataLoss));
  nlohmann::json missing_key = json;
  missing_key["items"][0].erase("owner");
  EXPECT_THAT(CatalogFromJson(missing_key.dump()), StatusIs(absl::StatusCode::kDataLoss));
  nlohmann::json unknown_kind = json;
  unknown_kind["items"][1]["kind"] = "WIDGET";
  EXPECT_THAT(CatalogFromJson(unknown_kind.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("WIDGET")));
  nlohmann::json duplicate = json;
  duplicate["items"].push_back(duplicate["items"][0]);
  EXPECT_THAT(CatalogFromJson(duplicate.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("duplicate")));
  // A newer version is named as such, even though its items come first in the text.
  nlohmann::json newer = json;
  newer["version"] = 2;
  newer["items"][0]["kind"] = "WIDGET";
  EXPECT_THAT(CatalogFromJson(newer.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("version 2")));
}

TEST(CatalogJsonTest, ForwardDependencyIsRejected) {
  Catalog catalog = SampleCatalog();
  std::swap(catalog.items[0], catalog.items[1]);
  EXPECT_THAT(CatalogFromJson(CatalogToJson(catalog)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("SCHEMA s")));
}

TEST(CatalogJsonTest, KindNamesRoundTrip) {
  for (int value = 1; value <= 52; ++value) {
    auto kind = static_cast<ObjectKind>(value);
    ASSERT_NE(ObjectKindName(kind), "UNKNOWN") << value;
    EXPECT_THAT(ObjectKindFromName(ObjectKindName(kind)), ::pgark::testing::IsOkAndHolds(kind));
  }
  EXPECT_THAT(ObjectKindFromName("WIDGET"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pgark::catalog
