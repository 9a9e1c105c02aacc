#include "engine/catalog/sql_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::catalog {
namespace {

TEST(SqlTextTest, QuotesOnlyWhatNeedsQuoting) {
  Quoter quoter({"select", "table"});
  EXPECT_EQ(quoter.Ident("plain_name1"), "plain_name1");
  EXPECT_EQ(quoter.Ident("select"), "\"select\"");
  EXPECT_EQ(quoter.Ident("Mixed"), "\"Mixed\"");
  EXPECT_EQ(quoter.Ident("with space"), "\"with space\"");
  EXPECT_EQ(quoter.Ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quoter.Ident("1abc"), "\"1abc\"");
  EXPECT_EQ(quoter.Ident("\xc3\xbc"), "\"\xc3\xbc\"");
  EXPECT_EQ(quoter.Qualified("s", "table"), "s.\"table\"");
  EXPECT_EQ(Literal("it's\nhere"), "'it''s\nhere'");
}

TEST(SqlTextTest, ParsesAclWithQuotedRoles) {
  std::vector<AclEntry> entries;
  ASSERT_TRUE(ParseAcl("{owner=arwdDxt/owner,\"\\\"corpus reader\\\"=ra*/owner\",=r/owner}", &entries));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].grantee, "corpus reader");
  EXPECT_EQ(entries[1].privileges, "ra*");
  EXPECT_EQ(entries[2].grantee, "");
  EXPECT_FALSE(ParseAcl("not an acl", &entries));
}

TEST(SqlTextTest, AclSqlRegrantsInOrderAndSkipsDefaults) {
  Quoter quoter;
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{o=r/o}", "{o=r/o}"), "");
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "", "{o=r/o}"), "");
  std::string sql = AclSql(quoter, "TABLE s.t", "o", "{o=arwdDxt/o,=r/o,u=a*/g}", "{o=arwdDxt/o}");
  EXPECT_EQ(sql,
            "REVOKE ALL ON TABLE s.t FROM PUBLIC;\n"
            "REVOKE ALL ON TABLE s.t FROM o;\n"
            "GRANT ALL ON TABLE s.t TO o;\n"
            "GRANT SELECT ON TABLE s.t TO PUBLIC;\n"
            "SET SESSION AUTHORIZATION g;\n"
            "GRANT INSERT ON TABLE s.t TO u WITH GRANT OPTION;\n"
            "RESET SESSION AUTHORIZATION;\n");
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{u=w/o}", "{}", "(c)"), "GRANT UPDATE(c) ON TABLE s.t TO u;\n");
}

// 17 added MAINTAIN (m) to tables: a full set listed letter by letter fails on 16 and would
// leave MAINTAIN out on 17. Granted as ALL, each server grants its own full set.
TEST(SqlTextTest, AclSqlGrantsAFullPrivilegeSetAsAll) {
  Quoter quoter;
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{o=arwdDxtm/o,u=r/o}", "{o=arwdDxtm/o}"),
            "REVOKE ALL ON TABLE s.t FROM PUBLIC;\n"
            "REVOKE ALL ON TABLE s.t FROM o;\n"
            "GRANT ALL ON TABLE s.t TO o;\n"
            "GRANT SELECT ON TABLE s.t TO u;\n");
  // Another grantee with all of them, in another order, with grant option.
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{u=r*a*w*d*D*x*t*m*/o}", "{o=arwdDxtm/o}"),
            "REVOKE ALL ON TABLE s.t FROM PUBLIC;\n"
            "REVOKE ALL ON TABLE s.t FROM o;\n"
            "GRANT ALL ON TABLE s.t TO u WITH GRANT OPTION;\n");
  // Other objects' sets are the same on every major: listed, as pg_dumpall prints them.
  EXPECT_EQ(AclSql(quoter, "FUNCTION s.f()", "o", "{u=X*/o,o=X/o}", "{=X/o,o=X/o}"),
            "REVOKE ALL ON FUNCTION s.f() FROM PUBLIC;\n"
            "REVOKE ALL ON FUNCTION s.f() FROM o;\n"
            "GRANT EXECUTE ON FUNCTION s.f() TO u WITH GRANT OPTION;\n"
            "GRANT EXECUTE ON FUNCTION s.f() TO o;\n");
  // Grant option on some only: listed.
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{u=r*a/o}", "{o=ar/o}"),
            "REVOKE ALL ON TABLE s.t FROM PUBLIC;\n"
            "REVOKE ALL ON TABLE s.t FROM o;\n"
            "GRANT INSERT ON TABLE s.t TO u;\n"
            "GRANT SELECT ON TABLE s.t TO u WITH GRANT OPTION;\n");
  // Missing one (a 16 owner's full set is not all of 17's): listed.
  EXPECT_EQ(AclSql(quoter, "TABLE s.t", "o", "{o=arwdDxt/o}", "{o=arwdDxtm/o}"),
            "REVOKE ALL ON TABLE s.t FROM PUBLIC;\n"
            "REVOKE ALL ON TABLE s.t FROM o;\n"
            "GRANT INSERT,SELECT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER ON TABLE s.t TO o;\n");
}

TEST(SqlTextTest, ColumnAclDeltaRevokesTheInitialGranteesThenRegrants) {
  Quoter quoter;
  EXPECT_EQ(ColumnAclDeltaSql(quoter, "TABLE s.v", "o", "{u=r/o}", "{u=r/o}", "(c)"), "");
  // Granted after CREATE EXTENSION: no initial entry.
  EXPECT_EQ(ColumnAclDeltaSql(quoter, "TABLE s.v", "o", "{u=r/o}", "{}", "(c)"), "GRANT SELECT(c) ON TABLE s.v TO u;\n");
  // An initial privilege revoked since.
  EXPECT_EQ(ColumnAclDeltaSql(quoter, "TABLE s.v", "o", "{}", "{u=r/o,=r/g}", "(c)"),
            "REVOKE ALL(c) ON TABLE s.v FROM u;\n"
            "SET SESSION AUTHORIZATION g;\n"
            "REVOKE ALL(c) ON TABLE s.v FROM PUBLIC;\n"
            "RESET SESSION AUTHORIZATION;\n");
  // Changed: revoke, then the current entries in order.
  EXPECT_EQ(ColumnAclDeltaSql(quoter, "TABLE s.v", "o", "{w=a/o,u=r/o}", "{u=rw/o}", "(c)"),
            "REVOKE ALL(c) ON TABLE s.v FROM u;\n"
            "GRANT INSERT(c) ON TABLE s.v TO w;\n"
            "GRANT SELECT(c) ON TABLE s.v TO u;\n");
}

TEST(SqlTextTest, NamePatternsFollowPgDump) {
  NamePattern p = ParseNamePattern("App.T*");
  EXPECT_EQ(p.schema_regex, "app");
  EXPECT_TRUE(MatchesRegex(p.name_regex, "tab"));
  EXPECT_FALSE(MatchesRegex(p.name_regex, "xtab"));
  NamePattern q = ParseNamePattern("\"My.Table\"");
  EXPECT_EQ(q.schema_regex, "");
  EXPECT_TRUE(MatchesRegex(q.name_regex, "My.Table"));
  EXPECT_FALSE(MatchesRegex(q.name_regex, "MyxTable"));
  EXPECT_TRUE(MatchesRegex(ParseNamePattern("t?").name_regex, "t1"));
}

}  // namespace
}  // namespace pgark::catalog
