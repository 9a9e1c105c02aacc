#pragma once
// Helpers for building and enriching absl::Status values.
//
// Conventions (docs/error_codes.md): messages are lower-case with no trailing
// period, name the object in quotes, and append the OS or library detail after a
// colon. Structured detail goes into payloads, not into the text.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace pgark::base {

// Payload type URLs for structured detail attached to a Status.
inline constexpr absl::string_view kSqlStatePayload = "pgark/sqlstate";
inline constexpr absl::string_view kHttpStatusPayload = "pgark/http_status";

// Returns `status` with `context` prepended to its message ("context: message"),
// keeping the code and every payload. OK stays OK.
//
// Example: return base::Annotate(s, "dumping table 'public.orders'");
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// Returns `status` with its message replaced by `message`, keeping the code and every
// payload (the SQLSTATE, which decides e.g. whether the CLI prints a usage hint). OK stays OK.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

// Maps an errno value to a Status: ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied,
// ENOSPC/EDQUOT/ENOMEM -> kResourceExhausted, EEXIST -> kAlreadyExists,
// EINTR/EAGAIN/EIO/network errors -> kUnavailable, EINVAL -> kInvalidArgument, else kUnknown.
// The message is "<message>: [errno] <strerror>".
absl::Status ErrnoToStatus(int error_number, absl::string_view message);

// Returns the payload stored under `type_url` as a string, or "" if absent.
std::string GetPayload(const absl::Status& status, absl::string_view type_url);

}  // namespace pgark::base
