#pragma once
// The conflict check of a restore without --clean (docs/restore.md "Order", step 2): the names
// the run's items would create that the target already holds, found with one query before
// anything is changed.
//
// Every item that creates a named object is probed, in every section the run executes, by the
// name the target's catalogs would clash on:
//   - schema-qualified relation names (pg_class): tables, views, materialized views, sequences,
//     foreign and partitioned tables, indexes, and the index of a PRIMARY KEY / UNIQUE /
//     EXCLUDE constraint (named after the constraint); tables and views also by their row
//     type (pg_type; an array type PostgreSQL generated moves out of the way and is no clash);
//   - types (shell types too) and domains, functions and aggregates (by identity arguments),
//     operators (by argument types), operator classes and families (by access method),
//     collations, conversions, text-search parsers, templates, dictionaries and
//     configurations, extended statistics;
//   - objects outside schemas: schemas, extensions, languages, casts, transforms, access
//     methods, foreign-data wrappers, foreign servers, user mappings, publications (and a
//     table or schema added to a publication the run does not create), subscriptions of the
//     target database, event triggers;
//   - per table (or domain) that the run does not create, so only in a run without the
//     pre-data that creates it (--section post-data, -L): constraints, triggers, rules and
//     policies, and whether a partition to attach is attached already. A table the run
//     creates is probed itself, which covers them.
// Not probed: what changes an existing object instead of creating one (ATTACH of an index,
// SET DEFAULT, OWNED BY, ENABLE ROW LEVEL SECURITY, a partition's trigger clone state,
// VALIDATE CONSTRAINT, the CREATE OR REPLACE VIEW of a split view), default privileges,
// database properties, and the public schema (the archive records only its differences).
// A function is probed although pg_get_functiondef writes CREATE OR REPLACE, and an extension
// although it is CREATE EXTENSION IF NOT EXISTS: replacing or adopting the target's object
// silently is a change the check exists to prevent.
//
// Thread-safety: plain functions; FindConflicts uses only the connection it is given.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"
#include "engine/restore/load_order.h"

namespace pgark::engine::restore {

// One name to look up in the target. `kind` selects the catalog (conflict_check.cc, kProbeSql);
// `parent` is the table, domain or publication a name is scoped to ("" otherwise).
struct ConflictProbe {
  std::string kind;
  std::string schema;  // unquoted; "" for objects outside schemas
  std::string parent;  // unquoted
  std::string name;    // unquoted, spelled as the probe's catalog query builds it
  std::string what;    // how the message names it: the item id, and the index for a constraint's
};

// The probes of `items` (the run's selected items, catalog order). `find` returns the catalog
// item with an id (nullptr if none): the table, domain or publication an item belongs to. An
// item whose container is among `items` (created by this run) needs no per-table probe.
std::vector<ConflictProbe> ConflictProbes(const std::vector<const catalog::CatalogItem*>& items,
                                          const std::function<const catalog::CatalogItem*(absl::string_view)>& find);

// The `what` of at most `limit` probes whose names the target already holds, in probe order.
// One query on `conn` (none without probes); the session's search_path must be '' (as the
// restore sessions set it), so that format_type spells types as the dump recorded them.
// Changes nothing.
absl::StatusOr<std::vector<std::string>> FindConflicts(pg::Connection& conn, const std::vector<ConflictProbe>& probes,
                                                       int limit);

// Tables per statement of TablesWithRows: bounds the statement (a name is at most 63 bytes
// per part, so about 170 bytes per table, under 100 kB) and the plan (one EXISTS per table).
inline constexpr size_t kRowProbesPerStatement = 500;

// Which of `tables` (tables a data load goes into but does not create: they must be empty)
// hold rows: their positions in `tables`, ascending. A table the target does not have is
// skipped (the column check names it). Per batch of kRowProbesPerStatement tables two
// queries: the catalog's (which exist, and whether the role may read them:
// has_any_column_privilege SELECT, what a SELECT of no column needs), then one statement
// with an EXISTS (SELECT FROM ONLY t) per table. Before 2026-11-26 one query per table, and a
// failing one counted as empty. Errors: kPermissionDenied naming the tables the role may not
// read (up to 10); a failing statement's own error, annotated (row-level security that
// applies to the role is one: an error under the restore's row_security = off). Changes nothing.
absl::StatusOr<std::vector<size_t>> TablesWithRows(pg::Connection& conn, const std::vector<TableName>& tables);

// The text after "ADD CONSTRAINT <name> " in a constraint item's statement, the constraint's
// definition ("PRIMARY KEY (id)", "CHECK (...) NOT VALID", ...); "" when the statement adds no
// constraint of that name (VALIDATE CONSTRAINT). `name` unquoted; found quoted or not.
absl::string_view ConstraintDefinition(absl::string_view sql, absl::string_view name);

}  // namespace pgark::engine::restore
