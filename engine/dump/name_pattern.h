#pragma once
// pg_dump's object-name patterns (-n/-N/-t/-T), turned into anchored POSIX regular
// expressions for PostgreSQL's `~` operator, with the rules of psql's
// processSQLNamePattern (fe_utils/string_utils.c):
//   - outside double quotes letters fold to lower case, `*` matches any run of characters,
//     `?` any single character, `.` separates schema from name; other regular-expression
//     characters pass through (so `t[0-9]+` works);
//   - inside double quotes everything is literal and `""` is one `"`;
//   - `$` is always literal.
// Pure functions; thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::engine {

struct NamePattern {
  // Regex for the schema part, e.g. "^(public)$"; nullopt when the pattern has no schema
  // part (then an unqualified table pattern matches tables visible on the search_path).
  std::optional<std::string> schema_regex;
  // Regex for the object name (or the schema name, for a schema pattern).
  std::string name_regex;
};

// Parses a -t/-T pattern: "name", "schema.name" or "db.schema.name" (the database part must
// match `current_database`, as in pg_dump). Errors: kInvalidArgument for an empty pattern,
// too many dotted parts, or a database part naming another database.
absl::StatusOr<NamePattern> ParseTablePattern(absl::string_view pattern,
                                              absl::string_view current_database);

// Parses a -n/-N pattern: "schema" or "db.schema". Errors as ParseTablePattern.
absl::StatusOr<NamePattern> ParseSchemaPattern(absl::string_view pattern,
                                               absl::string_view current_database);

}  // namespace pgark::engine
