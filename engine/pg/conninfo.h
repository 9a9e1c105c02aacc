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

// The database `conninfo` names itself (a bare name, key/value dbname or URI path), else
// PGDATABASE; "" when neither does (libpq would then fall back to the user's name).
// Errors: as ConninfoDatabase.
absl::StatusOr<std::string> ConninfoExplicitDatabase(absl::string_view conninfo);

// kInvalidArgument when `conninfo` is a key/value string or URI libpq cannot parse
// ("invalid connection string: " and libpq's reason); OK for a bare name or "".
absl::Status CheckConninfoSyntax(absl::string_view conninfo);

// True when `conninfo` carries a non-empty password (key/value, URI user:password@ or a
// ?password= parameter). False for a bare name and for a conninfo libpq cannot parse.
bool ConninfoHasPassword(absl::string_view conninfo);

}  // namespace pgark::pg
