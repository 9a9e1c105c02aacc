#pragma once
// GoogleTest matchers and macros for absl::Status / absl::StatusOr.
// Debian 12's Abseil (20220623) has no absl/status/status_matchers.h; these mirror it.
//
//   EXPECT_THAT(Open("x"), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(Open("x"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'x'")));
//   EXPECT_THAT(Parse("1"), IsOkAndHolds(1));
//   ASSERT_OK(writer->Close());
//   ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(info));

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "format/base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::pgark::testing::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = ::pgark::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a matching message") {
  const absl::Status& status = ::pgark::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace pgark::testing

#define PGARK_TESTING_CONCAT_INNER_(a, b) a##b
#define PGARK_TESTING_CONCAT_(a, b) PGARK_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::pgark::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::pgark::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(PGARK_TESTING_CONCAT_(pgark_test_statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();       \
  lhs = std::move(statusor).value()
