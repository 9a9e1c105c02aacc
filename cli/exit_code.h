#pragma once
// The one mapping from absl::Status codes to process exit codes (docs/error_codes.md).
//
//   0 success · 1 other failure · 2 usage error · 3 not found · 4 failed precondition
//   5 data loss · 6 unavailable / resource exhausted (retryable) · 7 permission/authentication
//   130 interrupted

#include "absl/status/status.h"

namespace pgark::cli {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitNotFound = 3,
  kExitPrecondition = 4,
  kExitDataLoss = 5,
  kExitUnavailable = 6,
  kExitPermission = 7,
  kExitInterrupted = 130,
};

// The exit code for a command that finished with `status`.
int ExitCodeFor(const absl::Status& status);

}  // namespace pgark::cli
