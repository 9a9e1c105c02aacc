#include "engine/restore/conflict_check.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::engine::restore {
namespace {

using catalog::CatalogItem;
using catalog::ObjectKind;
using catalog::Section;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

CatalogItem Item(const std::string& id, ObjectKind kind, const std::string& schema, const std::string& name,
                 Section section, const std::string& create, const std::string& table_id = "",
                 std::vector<std::string> deps = {}) {
  CatalogItem item;
  item.id = id;
  item.kind = kind;
  item.schema = schema;
  item.name = name;
  item.section = section;
  item.create_sql = create;
  item.table_id = table_id;
  item.dependencies = std::move(deps);
  return item;
}

// "kind schema|parent|name => what", to compare in one line.
std::vector<std::string> Describe(const std::vector<ConflictProbe>& probes) {
  std::vector<std::string> out;
  for (const ConflictProbe& p : probes) out.push_back(p.kind + " " + p.schema + "|" + p.parent + "|" + p.name + " => " + p.what);
  return out;
}

class ConflictProbesTest : public ::testing::Test {
 protected:
  std::vector<ConflictProbe> Probes(const std::vector<int>& selected) {
    std::map<std::string, const CatalogItem*> by_id;
    for (const CatalogItem& item : catalog_) by_id[item.id] = &item;
    std::vector<const CatalogItem*> items;
    for (int index : selected) items.push_back(&catalog_[index]);
    return ConflictProbes(items, [&by_id](absl::string_view id) -> const CatalogItem* {
      auto it = by_id.find(std::string(id));
      return it == by_id.end() ? nullptr : it->second;
    });
  }
  std::vector<CatalogItem> catalog_ = {
      /*0*/ Item("SCHEMA public", ObjectKind::kSchema, "", "public", Section::kPreData, "COMMENT ON SCHEMA public IS 'x';\n"),
      /*1*/ Item("SCHEMA s", ObjectKind::kSchema, "", "s", Section::kPreData, "CREATE SCHEMA s;\n"),
      /*2*/ Item("TABLE s.my t", ObjectKind::kTable, "s", "my t", Section::kPreData, "CREATE TABLE s.\"my t\" (id int);\n"),
      /*3*/ Item("CONSTRAINT s.my t my t_pkey", ObjectKind::kConstraint, "s", "my t my t_pkey", Section::kPostData,
                 "ALTER TABLE ONLY s.\"my t\"\n    ADD CONSTRAINT \"my t_pkey\" PRIMARY KEY (id);\n", "TABLE s.my t"),
      /*4*/ Item("CONSTRAINT s.my t c", ObjectKind::kConstraint, "s", "my t c", Section::kPostData,
                 "ALTER TABLE s.\"my t\" ADD CONSTRAINT c CHECK ((id > 0)) NOT VALID;\n", "TABLE s.my t"),
      /*5*/ Item("CONSTRAINT s.my t v", ObjectKind::kConstraint, "s", "my t v", Section::kPostData,
                 "ALTER TABLE ONLY s.\"my t\" VALIDATE CONSTRAINT v;\n", "TABLE s.my t"),
      /*6*/ Item("INDEX s.i", ObjectKind::kIndex, "s", "i", Section::kPostData,
                 "CREATE INDEX i ON s.\"my t\" USING btree (id);\n", "TABLE s.my t"),
      /*7*/ Item("TRIGGER s.my t tg", ObjectKind::kTrigger, "s", "my t tg", Section::kPostData,
                 "CREATE TRIGGER tg BEFORE INSERT ON s.\"my t\" FOR EACH ROW EXECUTE FUNCTION s.f();\n", "TABLE s.my t"),
      /*8*/ Item("TRIGGER s.my t clone", ObjectKind::kTrigger, "s", "my t clone", Section::kPostData,
                 "ALTER TABLE s.\"my t\" DISABLE TRIGGER clone;\n", "TABLE s.my t"),
      /*9*/ Item("RULE s.v _split", ObjectKind::kRule, "s", "v _RETURN", Section::kPostData,
                 "CREATE OR REPLACE VIEW s.v AS SELECT 1;\n", "VIEW s.v"),
      /*10*/ Item("POLICY s.my t p", ObjectKind::kPolicy, "s", "my t p", Section::kPostData,
                  "CREATE POLICY p ON s.\"my t\" FOR ALL TO PUBLIC USING (true);\n", "TABLE s.my t"),
      /*11*/ Item("PUBLICATION pub", ObjectKind::kPublication, "", "pub", Section::kPostData,
                  "CREATE PUBLICATION pub WITH (publish = 'insert');\n"),
      /*12*/ Item("PUBLICATION TABLE s pub my t", ObjectKind::kPublicationTable, "s", "pub my t", Section::kPostData,
                  "ALTER PUBLICATION pub ADD TABLE ONLY s.\"my t\";\n", "TABLE s.my t", {"PUBLICATION pub", "TABLE s.my t"}),
      /*13*/ Item("EVENT TRIGGER et", ObjectKind::kEventTrigger, "", "et", Section::kPostData,
                  "CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION s.f();\n"),
      /*14*/ Item("DOMAIN s.d", ObjectKind::kDomain, "s", "d", Section::kPreData, "CREATE DOMAIN s.d AS integer;\n"),
      /*15*/ Item("CONSTRAINT s.d dc", ObjectKind::kConstraint, "s", "d dc", Section::kPostData,
                  "ALTER DOMAIN s.d ADD CONSTRAINT dc CHECK ((VALUE > 0)) NOT VALID;\n", "", {"DOMAIN s.d"}),
      /*16*/ Item("TABLE DATA s.my t", ObjectKind::kTableData, "s", "my t", Section::kData, "", "TABLE s.my t"),
      /*17*/ Item("CONSTRAINT s.my t x", ObjectKind::kConstraint, "s", "my t x", Section::kPostData,
                  "ALTER TABLE ONLY s.\"my t\"\n    ADD CONSTRAINT x EXCLUDE USING gist (id WITH =);\n", "TABLE s.my t"),
      /*18*/ Item("FK CONSTRAINT s.my t fk", ObjectKind::kForeignKey, "s", "my t fk", Section::kPostData,
                  "ALTER TABLE ONLY s.\"my t\"\n    ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES s.\"my t\"(id);\n",
                  "TABLE s.my t"),
      /*19*/ Item("DEFAULT ACL postgres TABLES", ObjectKind::kDefaultAcl, "", "postgres TABLES", Section::kPostData,
                  "ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT SELECT ON TABLES TO PUBLIC;\n"),
      /*20*/ Item("TABLE ATTACH s.my t", ObjectKind::kTableAttach, "s", "my t", Section::kPreData,
                  "ALTER TABLE ONLY s.p ATTACH PARTITION s.\"my t\" FOR VALUES IN (1);\n", "TABLE s.my t"),
      /*21*/ Item("SHELL TYPE s.b", ObjectKind::kShellType, "s", "b", Section::kPreData, "CREATE TYPE s.b;\n"),
  };
};

TEST_F(ConflictProbesTest, AFullRestoreProbesNamesNotWhatItsNewTablesHold) {
  std::vector<int> all;
  for (int i = 0; i < static_cast<int>(catalog_.size()); ++i) all.push_back(i);
  EXPECT_THAT(Describe(Probes(all)),
              ElementsAre("schema ||s => SCHEMA s", "rowtype s||my t => TABLE s.my t",
                          "relation s||my t_pkey => CONSTRAINT s.my t my t_pkey (its index s.my t_pkey)",
                          "relation s||i => INDEX s.i", "publication ||pub => PUBLICATION pub",
                          "event trigger ||et => EVENT TRIGGER et", "type s||d => DOMAIN s.d",
                          "relation s||x => CONSTRAINT s.my t x (its index s.x)", "type s||b => SHELL TYPE s.b"));
}

TEST_F(ConflictProbesTest, PostDataIntoAnExistingSchemaProbesPerTable) {
  EXPECT_THAT(Describe(Probes({3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 17, 18})),
              ElementsAre("constraint s|my t|my t_pkey => CONSTRAINT s.my t my t_pkey",
                          "relation s||my t_pkey => CONSTRAINT s.my t my t_pkey (its index s.my t_pkey)",
                          "constraint s|my t|c => CONSTRAINT s.my t c", "relation s||i => INDEX s.i",
                          "trigger s|my t|tg => TRIGGER s.my t tg", "policy s|my t|p => POLICY s.my t p",
                          "publication table s|pub|my t => PUBLICATION TABLE s pub my t",
                          "domain constraint s|d|dc => CONSTRAINT s.d dc",
                          "constraint s|my t|x => CONSTRAINT s.my t x",
                          "relation s||x => CONSTRAINT s.my t x (its index s.x)",
                          "constraint s|my t|fk => FK CONSTRAINT s.my t fk"));
}

TEST_F(ConflictProbesTest, AttachingATableTheRunDoesNotCreateProbesThePartition) {
  EXPECT_THAT(Describe(Probes({2, 20, 21})), ElementsAre("rowtype s||my t => TABLE s.my t", "type s||b => SHELL TYPE s.b"));
  EXPECT_THAT(Describe(Probes({20})), ElementsAre("partition s||my t => TABLE ATTACH s.my t"));
}

TEST_F(ConflictProbesTest, DataAndNonCreatingItemsProbeNothing) {
  EXPECT_THAT(Probes({0, 5, 8, 9, 16, 19}), IsEmpty());
}

TEST(ConstraintDefinitionTest, FindsTheDefinitionAfterTheNameQuotedOrNot) {
  EXPECT_EQ(ConstraintDefinition("ALTER TABLE ONLY s.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n", "t_pkey"),
            "PRIMARY KEY (id);\n");
  EXPECT_EQ(ConstraintDefinition("ALTER TABLE ONLY s.\"ADD CONSTRAINT k UNIQUE\"\n    ADD CONSTRAINT \"k\"\"q\" "
                                 "CHECK ((a > 0));\n",
                                 "k\"q"),
            "CHECK ((a > 0));\n");
  EXPECT_EQ(ConstraintDefinition("ALTER TABLE ONLY s.t VALIDATE CONSTRAINT c;\n", "c"), "");
}

}  // namespace
}  // namespace pgark::engine::restore
