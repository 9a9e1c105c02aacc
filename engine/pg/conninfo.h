#pragma once
// Conninfo helpers that never reveal secrets.

#include <string>
#include "absl/status/statusor.h"
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

namespace pgark::pg {

// The database a connection with `conninfo` would use, as libpq resolves it: the conninfo's
// dbname (a bare name, key/value or URI path), else PGDATABASE, else the user name (the
// conninfo's user, PGUSER, or the operating-system user). Errors: kInvalidArgument for a
// conninfo libpq cannot parse (the message never repeats the conninfo).
absl::StatusOr<std::string> ConninfoDatabase(absl::string_view conninfo);

}  // namespace pgark::pg
