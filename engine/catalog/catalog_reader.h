#pragma once
// Reads the schema of the connected database from its system catalogs (never pg_dump) and
// turns it into a dependency-ordered Catalog (catalog_objects.h).
//
// Snapshot and locking (see docs/catalog.md):
//   - The caller opens the transaction: PrepareDumpSession(), then BEGIN + SET TRANSACTION
//     ISOLATION LEVEL REPEATABLE READ (or SERIALIZABLE), READ ONLY, and typically
//     pg_export_snapshot() for its workers. ReadCatalog() refuses to run outside such a
//     transaction (kFailedPrecondition) because the result would not be consistent.
//   - ReadCatalog() first lists the selected tables with catalog-only queries, then locks
//     them (ACCESS SHARE, relkind r/p only, like pg_dump) before any pg_get_*def runs.
//     The locks stay until the caller's transaction ends.
//   - No code of the dumped database runs: search_path is empty, and
//     restrict_nonsystem_relation_kind (when the server has it) forbids views and foreign
//     tables from being expanded.
//
// Thread-safety: the functions use `conn` exclusively for their duration.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"

namespace pgark::catalog {

struct ReadOptions {
  // Name patterns as pg_dump takes them: optional "schema." prefix, * and ? wildcards,
  // double quotes keep case and suppress wildcards. Empty = no restriction.
  std::vector<std::string> include_schemas;  // -n: only objects in these schemas
  std::vector<std::string> exclude_schemas;  // -N
  std::vector<std::string> include_tables;   // -t: only these relations (+ their indexes,
                                             //     constraints, triggers, data); no other objects
  std::vector<std::string> exclude_tables;   // -T: drop these relations and what hangs on them
  // Omit the data section (TABLE DATA, SEQUENCE SET, LARGE OBJECT). Default: false.
  bool schema_only = false;
  // Emit one BLOB item (kLargeObject, data section) per large object: create_sql is
  // lo_create(oid), plus owner, ACL and comment; the contents stay the data engine's job
  // (it must not lo_create them again). Off by default: consumers written before these
  // items existed create large objects themselves. Ignored with schema_only or filters.
  bool large_object_metadata = false;
  // Include roles and tablespaces (like pg_dumpall -g) as pre-data items. Default: false.
  bool include_globals = false;
  // Also produce TABLE DATA for foreign tables (pg_dump --include-foreign-data). Default: false.
  bool include_foreign_data = false;
  // Largest wait for the table locks, in milliseconds; 0 waits forever. A lock not granted
  // in time fails the read with kFailedPrecondition naming the table. Default: 0.
  int lock_wait_timeout_ms = 0;
  // Lock the selected tables (ACCESS SHARE). Default: true. Turn off only for tests or
  // when the caller already holds the locks.
  bool lock_tables = true;
};

// Applies the session settings of a dump connection: empty search_path,
// restrict_nonsystem_relation_kind, row_security off, timeouts off, jit off, DateStyle ISO,
// extra_float_digits 3, synchronize_seqscans off. Call before BEGIN.
absl::Status PrepareDumpSession(pg::Connection& conn);

// Reads the whole database (within `options`) in the caller's transaction.
// On success, items are topologically sorted; warnings lists objects that could not be
// reproduced exactly (they are also logged). Errors: kFailedPrecondition (not inside a
// REPEATABLE READ/SERIALIZABLE transaction, a table lock not granted in time, server
// older than 12), kAborted (a locked table was truncated or rewritten after the snapshot
// was taken: retry), kNotFound (a -t/-n pattern given but nothing matched, like pg_dump's
// --strict-names), anything the server reports (annotated with the query's purpose).
absl::StatusOr<Catalog> ReadCatalog(pg::Connection& conn, const ReadOptions& options);

// The storage race check (docs/catalog.md): a TRUNCATE or table rewrite that commits
// between a snapshot and the table lock is not MVCC-safe, the table then looks empty to
// the snapshot. ReadCatalog() runs this check itself right after locking (and fails with
// kAborted); the dump engine can re-run it, e.g. once its workers hold their locks, in a
// transaction that holds the locks. Compares TableInfo::relfilenode (read through the
// snapshot) of every TABLE / TABLE DATA item with pg_relation_filenode() now.
// Returns kAborted naming the tables whose storage changed or that were dropped (retry the
// dump), OK when none did, or the server's error. Read-only.
absl::Status CheckRelfilenodes(pg::Connection& conn, const Catalog& catalog);

// Re-reads one sequence's (last_value, is_called) live, for the data section: sequence
// state is not transactional, so the dump engine reads it after the table data. Returns
// the setval() statement for `item` (a kSequenceSet item) with the current value.
absl::StatusOr<std::string> ReadSequenceSetSql(pg::Connection& conn, const CatalogItem& item);

}  // namespace pgark::catalog
