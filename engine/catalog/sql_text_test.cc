#include "engine/catalog/sql_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

// --replace applies the archive's database properties to its temporary database: only the
// database's name changes, never a literal or another identifier.
TEST(SqlTextTest, RetargetDatabaseSqlRenamesOnlyTheDatabase) {
  Quoter quoter;
  const std::string settings = absl::StrCat(
      AlterConfigSql("DATABASE src", "work_mem=7MB"),
      AlterConfigSql("DATABASE src", "search_path=\"DATABASE src\", public"),
      AlterConfigSql("DATABASE src", "application_name=x; ALTER DATABASE src SET y TO 1"));
  auto moved = RetargetDatabaseSql(settings, "src", "tmp \"1\"");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved,
            "ALTER DATABASE \"tmp \"\"1\"\"\" SET work_mem TO '7MB';\n"
            "ALTER DATABASE \"tmp \"\"1\"\"\" SET search_path TO 'DATABASE src', 'public';\n"
            "ALTER DATABASE \"tmp \"\"1\"\"\" SET application_name TO 'x; ALTER DATABASE src SET y TO 1';\n");
  // A quoted source name, a role named like the database, the comment and the ACL with a
  // grantor's SET SESSION AUTHORIZATION.
  const std::string role = AlterConfigSql("ROLE \"My DB\" IN DATABASE \"My DB\"", "work_mem=1MB");
  EXPECT_EQ(*RetargetDatabaseSql(role, "My DB", "t"), "ALTER ROLE \"My DB\" IN DATABASE \"t\" SET work_mem TO '1MB';\n");
  EXPECT_EQ(*RetargetDatabaseSql("COMMENT ON DATABASE src IS 'DATABASE src; it''s';\n", "src", "t"),
            "COMMENT ON DATABASE \"t\" IS 'DATABASE src; it''s';\n");
  const std::string acl = AclSql(quoter, "DATABASE src", "o", "{o=CTc/o,=c/o,u=c/g}", "{=Tc/o,o=CTc/o}");
  auto granted = RetargetDatabaseSql(acl, "src", "t");
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_THAT(acl, ::testing::HasSubstr("SET SESSION AUTHORIZATION g;\n"));
  EXPECT_EQ(*granted, absl::StrReplaceAll(acl, {{"DATABASE src", "DATABASE \"t\""}}));
  EXPECT_EQ(*RetargetDatabaseSql("", "src", "t"), "");
  // Text about another database, or not about a database, is refused.
  EXPECT_EQ(RetargetDatabaseSql("ALTER DATABASE other SET a TO 'b';\n", "src", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RetargetDatabaseSql("COMMENT ON DATABASE \"Src\" IS 'x';", "src", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RetargetDatabaseSql("DROP TABLE src;", "src", "t").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pgark::catalog
