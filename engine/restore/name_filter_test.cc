#include "engine/restore/name_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::StatusIs;

TEST(NameFilterTest, NoPatternSelectsEverything) {
  ASSERT_OK_AND_ASSIGN(NameFilter filter, NameFilter::Create({}, {}, {}, {}, "db"));
  EXPECT_TRUE(filter.SelectsAll());
  EXPECT_TRUE(filter.Table("public", "t"));
  EXPECT_TRUE(filter.InSchema("app"));
}

TEST(NameFilterTest, TablePatternsUseWildcardsCaseFoldingAndQuotes) {
  ASSERT_OK_AND_ASSIGN(NameFilter filter, NameFilter::Create({}, {}, {"Order*", "app.\"Mixed\"", "t[0-9]+"}, {}, "db"));
  EXPECT_TRUE(filter.TablesOnly());
  EXPECT_TRUE(filter.Table("public", "orders"));
  EXPECT_TRUE(filter.Table("sales", "order_lines"));  // unqualified: any schema
  EXPECT_FALSE(filter.Table("public", "Orders"));     // folded to lower case
  EXPECT_TRUE(filter.Table("app", "Mixed"));
  EXPECT_FALSE(filter.Table("public", "Mixed"));
  EXPECT_TRUE(filter.Table("x", "t42"));
  EXPECT_FALSE(filter.Table("x", "t4x"));             // anchored
  EXPECT_FALSE(filter.InSchema("public"));            // -t selects only tables
}

TEST(NameFilterTest, WildcardsMatchLineEndsInNamesAsPostgresqlDoes) {
  // pg_dump -t 's.*' selects "a<LF>b" (PostgreSQL's `.` matches a newline); ECMAScript's
  // would not. A quoted dot stays a literal dot.
  ASSERT_OK_AND_ASSIGN(NameFilter filter, NameFilter::Create({}, {}, {"s.*"}, {}, "db"));
  EXPECT_TRUE(filter.Table("s", "a\nb"));
  EXPECT_TRUE(filter.Table("s", "x\ry"));
  EXPECT_FALSE(filter.Table("t", "x\ry"));
  ASSERT_OK_AND_ASSIGN(NameFilter exact, NameFilter::Create({}, {}, {"s.x?y", "s.\"q.r\"", "s.t[a-c]?"}, {}, "db"));
  EXPECT_TRUE(exact.Table("s", "x\ny"));
  EXPECT_TRUE(exact.Table("s", "q.r"));
  EXPECT_FALSE(exact.Table("s", "q\nr"));  // the quoted dot is literal
  EXPECT_TRUE(exact.Table("s", "tb\r"));
  EXPECT_FALSE(exact.Table("s", "td\r"));
  ASSERT_OK_AND_ASSIGN(NameFilter schemas, NameFilter::Create({"a*"}, {}, {}, {}, "db"));
  EXPECT_TRUE(schemas.InSchema("a\nb"));
}

TEST(NameFilterTest, SchemaPatternsAndExclusions) {
  ASSERT_OK_AND_ASSIGN(NameFilter filter, NameFilter::Create({"app*"}, {"app_old"}, {}, {"app.secret*"}, "db"));
  EXPECT_TRUE(filter.Table("app", "items"));
  EXPECT_TRUE(filter.Table("app2", "items"));
  EXPECT_FALSE(filter.Table("app_old", "items"));
  EXPECT_FALSE(filter.Table("public", "items"));
  EXPECT_FALSE(filter.Table("app", "secrets"));
  EXPECT_TRUE(filter.InSchema("app"));
  EXPECT_FALSE(filter.InSchema("app_old"));
}

TEST(NameFilterTest, TablePatternIgnoresSchemaSwitchesButNotExcludeTable) {
  ASSERT_OK_AND_ASSIGN(NameFilter filter, NameFilter::Create({"other"}, {"public"}, {"public.*"}, {"*.big"}, "db"));
  EXPECT_TRUE(filter.Table("public", "small"));
  EXPECT_FALSE(filter.Table("public", "big"));
}

TEST(NameFilterTest, DatabaseQualifiedPatternMustNameTheArchivesDatabase) {
  EXPECT_OK(NameFilter::Create({}, {}, {"shop.public.t"}, {}, "shop").status());
  EXPECT_THAT(NameFilter::Create({}, {}, {"other.public.t"}, {}, "shop").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NameFilter::Create({}, {}, {"t[0-"}, {}, "shop").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pgark::engine::restore
