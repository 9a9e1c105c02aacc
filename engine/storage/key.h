#pragma once
// Key checks shared by every backend.
//
// A key is a '/'-separated relative path: non-empty, no leading or trailing '/', no empty,
// "." or ".." component, no NUL byte. The same rule applies to every backend so that an
// archive layout that works on local disk also works on S3 and back.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pgark::storage {

// OK if `key` is a valid key, else kInvalidArgument naming the key.
absl::Status ValidateKey(absl::string_view key);

// OK if `prefix` is "" or a valid key prefix (a valid key, optionally followed by '/').
absl::Status ValidatePrefix(absl::string_view prefix);

}  // namespace pgark::storage
