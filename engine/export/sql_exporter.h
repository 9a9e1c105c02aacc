#pragma once
// `pgark export`: a plain SQL script, gzip-compressed in parallel, that
// `gunzip -c OUT.sql.gz | psql -v ON_ERROR_STOP=1 -d EMPTY_DB` replays (docs/export.md).
//
// Script layout (the catalog's replay contract, catalog_objects.h, made sequential):
//   1. session settings psql needs (ScriptHeader)
//   2. pre-data items in catalog order: create_sql, owner_sql (unless no_owner), comment_sql,
//      seclabel_sql
//   3. data: one `COPY "s"."t" ("a", ...) FROM stdin;` block per table in text format,
//      ending in `\.`; tables appear in the order their workers finish (every table exists
//      and constraints come later, so any order replays); then sequence values and large
//      objects (lo_put pieces; the LARGE OBJECT items, lo_create + owner + comment, come right
//      after the pre-data items and their ACLs in the ACL pass)
//   4. post-data items with pass kMain, in catalog order
//   5. the ACL pass: acl_sql of every item (unless no_acl), create_sql of kAcl items
//   6. kPostAcl items
//
// Live database: a leader connection opens a REPEATABLE READ READ ONLY transaction, exports
// its snapshot and reads the catalog; `jobs` worker connections import the snapshot and run
// text COPY per table (the dump's helpers, engine/pg/snapshot.h: BeginExportedSnapshot,
// ImportSnapshot, and LockTableNoWait before each table so a queued conflicting lock fails
// the export with kFailedPrecondition instead of deadlocking unseen), each compressing its own table into gzip members (gzip_members.h).
// All sessions use kTextOutputSettingsSql, so values print exactly as the archive path's
// decoders print them (timestamptz in UTC, money under lc_monetary C).
//
// Failure: the first error stops every worker (their queries are cancelled) and is returned;
// the writer is then NOT closed, so nothing is published (the storage layer discards the
// temporary object). SIGINT (base::RequestCancel) gives kCancelled.
//
// Thread-safety: ExportDatabase runs its own threads; call it from one thread.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/export/gzip_members.h"
#include "engine/storage/storage.h"

namespace pgark::engine {

struct ExportOptions {
  std::string conninfo;     // libpq conninfo / URI / database name
  int jobs = 4;             // worker connections (1-64)
  int level = 1;            // gzip level, 1-12 (libdeflate; docs/export.md "Where the CPU goes")
  bool no_owner = false;    // skip owner_sql
  bool no_acl = false;      // skip the ACL pass
  std::string spill_dir;    // temporary files of large tables ("" = $TMPDIR or /tmp)
};

struct ExportResult {
  int tables = 0;
  int64_t rows = 0;
  int sequences = 0;
  int large_objects = 0;
  uint64_t sql_bytes = 0;   // uncompressed script
  uint64_t gzip_bytes = 0;  // written to the output
  double seconds = 0;
};

// Exports the database of options.conninfo to `writer` (borrowed) and closes it.
// Errors: kInvalidArgument (options), connection and server errors, writer errors,
// kCancelled. On error `writer` is left open (not published).
absl::StatusOr<ExportResult> ExportDatabase(const ExportOptions& options,
                                            storage::ObjectWriter* writer);

// ---- Script pieces (pure; shared with the archive path) ----

// SET commands a psql session needs before the DDL: timeouts off, client_encoding,
// standard_conforming_strings, empty search_path, check_function_bodies off, xmloption
// content, row_security off, lc_monetary C, DateStyle ISO, IntervalStyle postgres.
// The script opens with `\restrict <restrict_key>` (psql's restricted mode, PostgreSQL
// 13.22/14.19/15.14/16.10/17.6+, CVE-2025-8714): from there on psql refuses every
// meta-command except `\unrestrict <restrict_key>`, so nothing the source server returned
// (names, function bodies, data) can run `\!` or `\o` on the machine replaying the script.
std::string ScriptHeader(absl::string_view client_encoding, absl::string_view restrict_key);

// The script's last line: `\unrestrict <restrict_key>`.
std::string ScriptFooter(absl::string_view restrict_key);

// A fresh key for ScriptHeader/ScriptFooter: 63 characters [A-Za-z0-9] from the system
// CSPRNG (as pg_dump's), so the source server cannot predict it and end restricted mode.
std::string NewRestrictKey();

// "\"a\"\"b\"": an identifier, always quoted (safe for keywords and any case).
std::string QuoteIdentAlways(absl::string_view name);

// Where the rows of `data_item` (a kTableData item) are loaded: the quoted table, or its
// partition root when the table says load_via_partition_root. kInvalidArgument if the item
// has no table description or its root is missing from `catalog`.
absl::StatusOr<std::string> CopyTarget(const catalog::Catalog& catalog,
                                       const catalog::CatalogItem& data_item);

// "COPY target ("a", "b") FROM stdin;\n" (no column list for a table without columns).
std::string CopyFromStdinStatement(absl::string_view target,
                                   const std::vector<std::string>& column_names);

// The COPY statement that loads `data_item` (a kTableData item): into the table, or into its
// partition root when the table says load_via_partition_root. kInvalidArgument if the item
// has no table description or its root is missing from `catalog`.
absl::StatusOr<std::string> CopyFromStdinSql(const catalog::Catalog& catalog,
                                             const catalog::CatalogItem& data_item);

// "--\n-- KIND schema.name\n--\n\n": the comment before an item's SQL.
std::string ItemBanner(const catalog::CatalogItem& item);

// Appends the pre-data items (main pass) to `spool`, then the LARGE OBJECT items (their
// lo_create, owner and comment: the data that follows only writes them).
absl::Status AppendPreData(const catalog::Catalog& catalog, bool no_owner, GzipSpool& spool);

// Appends everything after the table data: data-section items other than large objects (SEQUENCE SET via
// `sequence_sql`, others as stored), post-data main items, the ACL pass (followed by
// `extra_acl_sql`) unless no_acl, the post-ACL items, and the closing comment.
absl::Status AppendAfterData(
    const catalog::Catalog& catalog, bool no_owner, bool no_acl,
    const std::function<absl::StatusOr<std::string>(const catalog::CatalogItem&)>& sequence_sql,
    const std::string& extra_acl_sql, GzipSpool& spool);

// The SQL of an item in the main pass: create_sql, owner_sql (unless no_owner), comment_sql,
// seclabel_sql, each as stored (they end in ";\n").
std::string MainPassSql(const catalog::CatalogItem& item, bool no_owner);

}  // namespace pgark::engine
