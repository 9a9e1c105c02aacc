#include "absl/status/status.h"
#include "engine/pg/connection.h"
#include "gtest/gtest.h"

namespace pgark::pg {
namespace {

TEST(SqlStateToCodeTest, MapsClassesToTheDocumentedCodes) {
  EXPECT_EQ(SqlStateToCode("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqlStateToCode("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqlStateToCode("28P01"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(SqlStateToCode("42501"), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SqlStateToCode("42P01"), absl::StatusCode::kNotFound);
  EXPECT_EQ(SqlStateToCode("42P07"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(SqlStateToCode("55P03"), absl::StatusCode::kFailedPrecondition);
  // A DROP blocked by a dependent object the archive does not hold (restore --clean).
  EXPECT_EQ(SqlStateToCode("2BP01"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqlStateToCode("53100"), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SqlStateToCode("57014"), absl::StatusCode::kCancelled);
  EXPECT_EQ(SqlStateToCode("40P01"), absl::StatusCode::kAborted);
  EXPECT_EQ(SqlStateToCode("23505"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqlStateToCode("XX000"), absl::StatusCode::kUnknown);
  EXPECT_EQ(SqlStateToCode("bad"), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace pgark::pg
