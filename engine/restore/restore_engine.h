#pragma once
// The parallel loader: replays an archive's catalog and streams into a database
// (catalog_objects.h "Replay contract"; catalog-reference b.6):
//
//   leader    [-C: CREATE DATABASE]  conflict check (nothing changed yet)  [-c: drops]
//             pre-data items in order on one connection
//             target column check of every table to load (before any data is sent); on a
//             PostgreSQL 12/13 target the map of embedded user-type OIDs (type_oid_patcher.h)
//   workers   -j N connections pick, largest first: table streams (COPY FROM STDIN, binary
//             or text as recorded; parts of one table concurrently; a table created in this
//             run and loaded by one stream uses BEGIN; TRUNCATE ONLY; COPY (FREEZE); COMMIT;
//             12/13 targets: binary arrays/composites of user types have their OIDs patched),
//             large-object streams (lo_create with the recorded OIDs, then lo_put), and
//             post-data items once their dependencies and their tables' data are done:
//             indexes in parallel, PK/UNIQUE built as CREATE UNIQUE INDEX then attached
//             USING INDEX where allowed, other ALTER TABLE items serialized per table
//   leader    sequence values, then the ACL pass, then the post-ACL pass (event triggers,
//             materialized view refresh); -C: the database's connection limit and template flag
//
// With single_transaction everything runs on the leader inside one transaction, so a
// failure leaves the target unchanged.
//
// Failure: the first error stops every worker (their queries are cancelled) and RunRestore
// returns it, naming the item or table and the server's error with its SQLSTATE, followed
// by what was and was not restored. Without -1, work already committed stays.
//
// Thread-safety: RunRestore runs its own threads; call it from one thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/archive_io.h"
#include "engine/restore/archive_contents.h"
#include "engine/restore/restore_options.h"

namespace pgark::engine {

// A loaded table and the rows the archive's index records for it.
struct LoadedTable {
  std::string schema, name;
  int64_t archive_rows = 0;
  int streams = 0;
  bool binary = true;  // COPY format recorded by the dump
  // "schema.name" of the partition root the rows were loaded through (hash partitioning on
  // an enum), "" when loaded into the table itself; such rows may sit in any sibling.
  std::string load_root;
};

struct RestoreResult {
  std::string database;        // the database restored into
  std::string archive_id;      // from the archive's header (hex)
  bool encrypted = false;
  std::vector<LoadedTable> loaded_tables;  // every table whose data was loaded
  int pre_data_items = 0;
  int tables = 0;              // tables whose data was loaded
  int streams = 0;             // COPY streams loaded
  int64_t rows = 0;
  int large_objects = 0;
  int sequences = 0;
  int post_data_items = 0;
  int acl_items = 0;
  int post_acl_items = 0;
  int attached_using_index = 0;  // PK/UNIQUE built as unique index, then attached
  int frozen_tables = 0;         // loaded with COPY FREEZE
  int64_t type_oids_patched = 0;  // embedded type OIDs rewritten (12/13 targets, type_oid_patcher.h)
  double seconds = 0;
  double data_seconds = 0;
  double post_data_seconds = 0;
  // create with create_as: the archive's connection limit (nullopt: not recorded) and template
  // flag, which the restore leaves to the caller (RestoreOptions::create_as).
  std::optional<int> connection_limit;
  bool is_template = false;
};

// Restores the archive at `location` (a path, "-" for stdin, s3://bucket/key).
absl::StatusOr<RestoreResult> RunRestore(const RestoreOptions& options, const std::string& location);
// Same, from an archive the caller opened (tests use in-memory sources).
absl::StatusOr<RestoreResult> RunRestore(const RestoreOptions& options, OpenedArchive& archive);

// Reads the archive's metadata (random access: trailer, index, records; a pipe: up to the
// first data frame) and returns its contents, for -l and verify.
absl::StatusOr<restore::ArchiveContents> ReadArchiveContents(OpenedArchive& archive,
                                                             const format::KeyRing& keys);

// pg_restore -l style listing: one line per catalog item ("id; section; kind; schema name
// owner") and one per data stream with its rows and bytes from the index.
absl::StatusOr<std::string> ListArchive(OpenedArchive& archive, const format::KeyRing& keys);

}  // namespace pgark::engine
