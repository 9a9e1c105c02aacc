#include "engine/dump/name_pattern.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::StatusIs;

TEST(NamePatternTest, UnquotedLettersFoldAndWildcardsExpand) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("Orders*", "db"));
  EXPECT_FALSE(p.schema_regex.has_value());
  EXPECT_EQ(p.name_regex, "^(orders.*)$");
  ASSERT_OK_AND_ASSIGN(p, ParseTablePattern("t?", "db"));
  EXPECT_EQ(p.name_regex, "^(t.)$");
}

TEST(NamePatternTest, SchemaQualifiedPatternSplitsAtUnquotedDot) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("Sales.\"Big.Table\"", "db"));
  ASSERT_TRUE(p.schema_regex.has_value());
  EXPECT_EQ(*p.schema_regex, "^(sales)$");
  EXPECT_EQ(p.name_regex, "^(Big\\.Table)$");
}

TEST(NamePatternTest, QuotedTextIsLiteralAndDoubledQuoteIsOneQuote) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("\"a*\"\"b\"", "db"));
  EXPECT_EQ(p.name_regex, "^(a\\*\"b)$");
}

TEST(NamePatternTest, DollarIsAlwaysLiteralAndRegexPassesThroughOutsideQuotes) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("t[0-9]+$x", "db"));
  EXPECT_EQ(p.name_regex, "^(t[0-9]+\\$x)$");
}

TEST(NamePatternTest, EmptyNamePartMatchesEverythingInTheSchema) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("public.", "db"));
  EXPECT_EQ(p.name_regex, "^(.*)$");
}

TEST(NamePatternTest, DatabasePartMustBeTheCurrentDatabase) {
  ASSERT_OK_AND_ASSIGN(NamePattern p, ParseTablePattern("db.s.t", "db"));
  EXPECT_EQ(*p.schema_regex, "^(s)$");
  EXPECT_EQ(p.name_regex, "^(t)$");
  EXPECT_THAT(ParseTablePattern("other.s.t", "db"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(p, ParseSchemaPattern("db.s", "db"));
  EXPECT_EQ(p.name_regex, "^(s)$");
  EXPECT_THAT(ParseSchemaPattern("x.s", "db"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NamePatternTest, TooManyDotsAndEmptyPatternsAreRejected) {
  EXPECT_THAT(ParseTablePattern("a.b.c.d", "db"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSchemaPattern("a.b.c", "db"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTablePattern("", "db"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pgark::engine
