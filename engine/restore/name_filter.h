#pragma once
// -n/-N/-t/-T for the restore: pg_dump's pattern rules (engine/dump/name_pattern.h), matched
// against the names recorded in the archive instead of a live catalog.
//
// Selection rules (pg_dump's): with -t, exactly the tables (and views, sequences, ...) whose
// name matches a -t pattern are selected, and -n/-N do not restrict them; without -t, objects
// in schemas matching a -n pattern (all schemas when there is none) and no -N pattern. -T
// removes matching tables in every case. An unqualified -t pattern matches in any schema
// (the archive has no search_path). Patterns are anchored, as in pg_dump.
//
// Thread-safety: immutable after Create; const methods are safe from any thread.

#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::engine::restore {

class NameFilter {
 public:
  // `database` is the archive's recorded database name ("db.schema.name" patterns must name
  // it). Errors: kInvalidArgument for a malformed pattern, naming it.
  static absl::StatusOr<NameFilter> Create(const std::vector<std::string>& schemas,
                                           const std::vector<std::string>& exclude_schemas,
                                           const std::vector<std::string>& tables,
                                           const std::vector<std::string>& exclude_tables,
                                           absl::string_view database);

  // True when no pattern was given (everything is selected).
  bool SelectsAll() const;
  // True when -n or -t was given: they name what to restore, so what is outside every schema
  // (extensions, casts, large objects, ...) is left out. -N and -T only take away.
  bool IncludesOnlyNamed() const { return !schemas_.empty() || !tables_.empty(); }
  // True when -t was given: only the matching tables are restored.
  bool TablesOnly() const { return !tables_.empty(); }
  // A table-like object (table, view, sequence, materialized view).
  bool Table(absl::string_view schema, absl::string_view name) const;
  // A schema-level object that is not table-like (function, type, ...). False under -t.
  bool InSchema(absl::string_view schema) const;

 private:
  struct Compiled {
    bool has_schema = false;
    std::regex schema;
    std::regex name;
  };
  static bool Matches(const std::vector<Compiled>& patterns, absl::string_view schema,
                      absl::string_view name);
  bool SchemaIncluded(absl::string_view schema) const;

  std::vector<Compiled> schemas_, exclude_schemas_, tables_, exclude_tables_;
};

}  // namespace pgark::engine::restore
