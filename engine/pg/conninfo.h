#pragma once
// Conninfo helpers that never reveal secrets.

#include <string>
#include "absl/strings/string_view.h"

namespace pgark::pg {

// Returns `conninfo` with any password removed: "password=..." in key/value form and the
// password part of a postgresql:// URI are replaced by "********". Anything else is kept.
// Use it before a conninfo reaches a log line or an error message.
std::string RedactConninfo(absl::string_view conninfo);

// True if `conninfo` looks like a URI (postgresql:// or postgres://) or holds key=value
// pairs; false if it is a bare database name.
bool IsConninfoString(absl::string_view conninfo);

}  // namespace pgark::pg
