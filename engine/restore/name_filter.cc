#include "engine/restore/name_filter.h"

#include "absl/strings/str_cat.h"
#include "engine/dump/name_pattern.h"
#include "format/base/status_macros.h"

namespace pgark::engine::restore {
namespace {

// ECMAScript's `.` stops at \n and \r; PostgreSQL's `.` (and so pg_dump's `*` and `?`) matches
// them, and identifiers may contain them. Rewrites each `.` outside a bracket expression.
std::string DotMatchesNewline(const std::string& regex) {
  std::string out;
  bool in_brackets = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      out.append(regex, i++, 2);
    } else if (in_brackets) {
      out.push_back(c);
      if (c == ']') in_brackets = false;
    } else if (c == '[') {
      out.push_back(c);
      in_brackets = true;
      // A `]` right after `[` or `[^` is a literal member, not the end.
      if (i + 1 < regex.size() && regex[i + 1] == '^') out.push_back(regex[++i]);
      if (i + 1 < regex.size() && regex[i + 1] == ']') out.push_back(regex[++i]);
    } else if (c == '.') {
      out += "[\\s\\S]";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The dump sends these regexes to PostgreSQL's `~`; here std::regex (ECMAScript) evaluates
// them. The translation only emits `^( )$`, `.*`, `.`, `\$` and escaped literals, which mean
// the same in both once `.` matches line ends too; user-written classes and quantifiers
// (`t[0-9]+`) do too.
absl::StatusOr<std::regex> Compile(const std::string& regex, const std::string& pattern) {
  try {
    return std::regex(DotMatchesNewline(regex), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pattern '", pattern, "': ", error.what()));
  }
}

}  // namespace

absl::StatusOr<NameFilter> NameFilter::Create(const std::vector<std::string>& schemas,
                                              const std::vector<std::string>& exclude_schemas,
                                              const std::vector<std::string>& tables,
                                              const std::vector<std::string>& exclude_tables,
                                              absl::string_view database) {
  NameFilter filter;
  auto add = [&](const std::vector<std::string>& patterns, bool table,
                 std::vector<Compiled>* out) -> absl::Status {
    for (const std::string& pattern : patterns) {
      PGARK_ASSIGN_OR_RETURN(NamePattern parsed, table ? ParseTablePattern(pattern, database)
                                                       : ParseSchemaPattern(pattern, database));
      Compiled compiled;
      PGARK_ASSIGN_OR_RETURN(compiled.name, Compile(parsed.name_regex, pattern));
      if (parsed.schema_regex) {
        compiled.has_schema = true;
        PGARK_ASSIGN_OR_RETURN(compiled.schema, Compile(*parsed.schema_regex, pattern));
      }
      out->push_back(std::move(compiled));
    }
    return absl::OkStatus();
  };
  PGARK_RETURN_IF_ERROR(add(schemas, false, &filter.schemas_));
  PGARK_RETURN_IF_ERROR(add(exclude_schemas, false, &filter.exclude_schemas_));
  PGARK_RETURN_IF_ERROR(add(tables, true, &filter.tables_));
  PGARK_RETURN_IF_ERROR(add(exclude_tables, true, &filter.exclude_tables_));
  return filter;
}

bool NameFilter::SelectsAll() const {
  return schemas_.empty() && exclude_schemas_.empty() && tables_.empty() && exclude_tables_.empty();
}

bool NameFilter::Matches(const std::vector<Compiled>& patterns, absl::string_view schema,
                         absl::string_view name) {
  const std::string schema_text(schema), name_text(name);
  for (const Compiled& pattern : patterns) {
    if (pattern.has_schema && !std::regex_match(schema_text, pattern.schema)) continue;
    if (std::regex_match(name_text, pattern.name)) return true;
  }
  return false;
}

bool NameFilter::SchemaIncluded(absl::string_view schema) const {
  // Schema patterns keep their one part in `name`.
  if (!schemas_.empty() && !Matches(schemas_, "", schema)) return false;
  return !Matches(exclude_schemas_, "", schema);
}

bool NameFilter::Table(absl::string_view schema, absl::string_view name) const {
  if (Matches(exclude_tables_, schema, name)) return false;
  if (!tables_.empty()) return Matches(tables_, schema, name);
  return SchemaIncluded(schema);
}

bool NameFilter::InSchema(absl::string_view schema) const {
  if (!tables_.empty()) return false;
  return SchemaIncluded(schema);
}

}  // namespace pgark::engine::restore
