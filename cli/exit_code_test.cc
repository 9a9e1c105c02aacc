#include "cli/exit_code.h"

#include "gtest/gtest.h"

namespace pgark::cli {
namespace {

TEST(ExitCodeTest, MapsEveryDocumentedClass) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::UnknownError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::OutOfRangeError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::UnimplementedError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("x")), 7);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), 7);
  EXPECT_EQ(ExitCodeFor(absl::CancelledError("x")), 130);
}

}  // namespace
}  // namespace pgark::cli
