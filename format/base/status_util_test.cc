#include "format/base/status_util.h"

#include "gtest/gtest.h"

namespace pgark::base {
namespace {

absl::Status ServerError() {
  absl::Status status = absl::InvalidArgumentError("new row violates check constraint");
  status.SetPayload(kSqlStatePayload, absl::Cord("23514"));
  return status;
}

TEST(StatusUtilTest, AnnotateAndWithMessageKeepCodeAndPayloads) {
  absl::Status annotated = Annotate(ServerError(), "loading public.t");
  EXPECT_EQ(annotated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(annotated.message(), "loading public.t: new row violates check constraint");
  EXPECT_EQ(GetPayload(annotated, kSqlStatePayload), "23514");

  absl::Status replaced = WithMessage(annotated, "something else; restored: nothing");
  EXPECT_EQ(replaced.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replaced.message(), "something else; restored: nothing");
  EXPECT_EQ(GetPayload(replaced, kSqlStatePayload), "23514");
}

TEST(StatusUtilTest, OkStaysOk) {
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
  EXPECT_TRUE(WithMessage(absl::OkStatus(), "x").ok());
  EXPECT_EQ(GetPayload(absl::InternalError("x"), kSqlStatePayload), "");
}

}  // namespace
}  // namespace pgark::base
