#pragma once
// What a dump copies and how: the data plan.
//
// SelectObjects() applies the -n/-N/-t/-T filters (pg_dump's rules) to the source's catalog;
// BuildDataPlan() then, inside the dump snapshot and after the tables are locked, reads for
// each selected table its columns (COPY order, without dropped and generated columns), the
// shape of every column's type, the COPY format (binary unless a column's type, walked
// through domains, arrays, ranges, multiranges and composites, lacks binary I/O, is
// OID-valued (reg*) or belongs to an extension not known to be binary-safe) and how it is
// split into parts; plus the sequences, large objects and populated materialized views.
//
// Materialized views carry no data stream: like pg_dump, a restore re-runs REFRESH for the
// populated ones (listed in matviews_to_refresh) after loading the tables they read.
//
// Pure data after construction; the query functions use one connection (one thread).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/dump/copy_chunker.h"
#include "engine/options.h"
#include "engine/pg/connection.h"
#include "nlohmann/json.hpp"

namespace pgark::engine {

// OIDs below this were assigned by genbki and are the same in every cluster of a version.
inline constexpr uint32_t kFirstGenbkiObjectId = 10000;

struct ObjectSelection {
  // Selected relations by kind (pg_class.relkind): ordinary tables and partitions ('r'),
  // partitioned tables ('p'), sequences ('S'), materialized views ('m'), other ('v', 'f').
  std::vector<uint32_t> tables;          // 'r'
  std::vector<uint32_t> partitioned;     // 'p'
  std::vector<uint32_t> sequences;       // 'S'
  std::vector<uint32_t> matviews;        // 'm'
  std::vector<uint32_t> other_relations; // 'v', 'f'
  // Schemas whose non-relation objects (types, functions, ...) the catalog dump includes.
  // With -t this is empty (pg_dump dumps only the matched tables then).
  std::vector<uint32_t> schemas;
  bool include_large_objects = false;    // no -n/-t and not schema-only (pg_dump's default)
  // Quoted "schema"."name" of every 'r' and 'p' relation: what the leader locks.
  std::vector<std::string> lock_names;
  std::vector<uint32_t> lock_oids;
  // Configuration tables of dumped extensions (pg_extension_config_dump), also listed in
  // `tables`: oid -> the recorded filter condition ("WHERE ...", "" = every row). Selected
  // when extensions are dumped (no -n, no -t), unless -N or -T excludes them, as pg_dump.
  std::map<uint32_t, std::string> extension_config;
};

// Applies the filters of `options`. Errors: kInvalidArgument for a malformed pattern,
// kNotFound when -n or -t patterns were given and nothing matched.
// REQUIRES: the session search_path is '' (it is reset to the default around -t matching so
// unqualified patterns match visible tables, as pg_dump does).
absl::StatusOr<ObjectSelection> SelectObjects(pg::Connection& conn, const DumpOptions& options);

// The structure of a column's type as COPY BINARY puts it on the wire (catalog-reference
// d.4): a restore uses it to check the target and, on PostgreSQL 12/13, to patch embedded
// OIDs of arrays and composites.
struct TypeShape {
  enum class Kind : uint8_t { kBase, kEnum, kArray, kDomain, kRange, kMultirange, kComposite, kPseudo };
  Kind kind = Kind::kBase;
  uint32_t oid = 0;
  std::string schema;      // pg_type's namespace
  std::string name;        // typname
  std::string extension;   // owning extension, or ""
  bool binary_io = true;   // typsend and typreceive both exist
  // kArray: [element]; kDomain: [base]; kRange: [subtype]; kMultirange: [range];
  // kComposite: one per non-dropped attribute, with field_names beside.
  std::vector<TypeShape> children;
  std::vector<std::string> field_names;
};

struct ColumnInfo {
  std::string name;        // attname
  std::string quoted;      // quote_ident(attname), for SQL
  std::string type;        // format_type(atttypid, atttypmod), schema-qualified where needed
  TypeShape shape;
};

// One COPY of a table: the whole table or a range of it.
struct TablePart {
  std::string where;            // "" (whole table) or a condition on ctid / the split key
  int64_t estimated_bytes = 0;
};

struct TableData {
  uint32_t oid = 0;
  std::string schema, name;
  std::string qualified;        // "schema"."name", quoted
  char persistence = 'p';       // relpersistence
  std::vector<ColumnInfo> columns;
  CopyFormat format = CopyFormat::kBinary;
  std::string format_reason;    // why text was chosen ("" for binary)
  int64_t bytes = 0;            // pg_table_size: heap + TOAST (+ FSM/VM)
  int64_t heap_blocks = 0;
  int64_t estimated_rows = 0;   // reltuples, 0 if never analyzed
  std::string split_method;     // "", "ctid" or "key:<column>"
  std::vector<TablePart> parts; // at least one
  // A configuration table of an extension: CREATE EXTENSION creates it (with its standard
  // rows); only the rows matching `filter` (pg_extension_config_dump's condition, appended
  // verbatim to the SELECT as pg_dump does) are dumped. Never split.
  bool extension_config = false;
  std::string filter;
};

struct SequenceInfo {
  uint32_t oid = 0;
  std::string schema, name, qualified;
};

struct DataPlan {
  int server_version = 0;
  std::string server_encoding;  // also the client_encoding of every dump connection
  std::vector<TableData> tables;            // largest first
  std::vector<SequenceInfo> sequences;
  std::vector<std::vector<uint32_t>> large_object_batches;  // oids, ascending
  int64_t large_object_bytes = 0;           // estimate (pg_largeobject size), 0 if unknown
  std::vector<std::string> matviews_to_refresh;  // quoted names of populated matviews
  std::vector<std::string> skipped;         // tables whose data cannot be read, with reason
  int64_t total_estimated_bytes = 0;        // tables + large objects
};

// Reads the plan inside the current (snapshot) transaction. `in_recovery`: the source is a
// standby (unlogged tables are skipped). Errors: as the server reports.
absl::StatusOr<DataPlan> BuildDataPlan(pg::Connection& conn, const ObjectSelection& selection,
                                       const DumpOptions& options, bool in_recovery);

// ---- Pure helpers (unit-tested) ----

// Decides the COPY format from the column shapes. Returns "" for binary, else the reason.
std::string TextFormatReason(const std::vector<ColumnInfo>& columns,
                             const std::vector<std::string>& binary_safe_extensions);

// Number of parts for a table of `bytes` (<= 1 means no split).
int PartCount(int64_t bytes, int64_t split_larger_than, int max_parts, int64_t unit_limit);
// ctid block ranges covering `blocks` heap blocks in `parts` parts; the last is open-ended.
std::vector<std::string> CtidRanges(int64_t blocks, int parts);
// Key ranges over [min, max] of the quoted integer column `key`; the first part also takes
// NULLs and everything below, the last everything above.
std::vector<std::string> KeyRanges(const std::string& key, int64_t min, int64_t max, int parts);

// "SELECT cols FROM ONLY t [WHERE ...]" wrapped in COPY ... TO STDOUT with the table's format.
std::string CopyOutSql(const TableData& table, const TablePart& part);

// JSON forms recorded in the archive (see docs/dump.md).
nlohmann::json TypeShapeToJson(const TypeShape& shape);
nlohmann::json TableToJson(const TableData& table);

}  // namespace pgark::engine
