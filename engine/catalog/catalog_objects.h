#pragma once
// engine/catalog: the schema of one database as a dependency-ordered list of DDL items.
//
// A Catalog is what the catalog reader produces (catalog_reader.h) and what an archive
// stores (as JSON, see CatalogToJson) so that a restore with no source database can
// replay it. It is a plain value: copyable, no references into libpq, thread-compatible
// (concurrent const access is safe).
//
// Replay contract (what a restore must do with `items`, in vector order):
//   1. Every item of section kPreData, in order, on one connection: create_sql, then
//      owner_sql (unless --no-owner), comment_sql and seclabel_sql.
//   2. Section kData: TABLE DATA items are loaded by the data engine (table_id names the
//      table; `table` describes the columns); SEQUENCE SET and LARGE OBJECT items carry
//      their SQL in create_sql.
//   3. Section kPostData items may run in parallel as soon as every id in `dependencies`
//      is done (and, for items with a table_id, that table's data is loaded). Items whose
//      pass is kPostAcl run only after all kMain and kAcl work is finished.
//   4. acl_sql of every item runs in the ACL pass (after post-data main items), unless
//      --no-acl.
// Every statement is self-contained and schema-qualified: the restore session should run
// with search_path = '' and check_function_bodies = false.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::catalog {

// Persisted in archives (as its name, see ObjectKindName): add, never rename.
enum class ObjectKind : uint8_t {
  kSchema = 1,
  kExtension = 2,
  kType = 3,            // enum, composite, range, base
  kShellType = 4,       // CREATE TYPE x; (loop repair for base/range types)
  kDomain = 5,
  kFunction = 6,        // functions and procedures
  kAggregate = 7,
  kOperator = 8,
  kOperatorClass = 9,
  kOperatorFamily = 10,
  kCast = 11,
  kCollation = 12,
  kConversion = 13,
  kTextSearchParser = 14,
  kTextSearchTemplate = 15,
  kTextSearchDictionary = 16,
  kTextSearchConfiguration = 17,
  kLanguage = 18,
  kTransform = 19,
  kAccessMethod = 20,
  kForeignDataWrapper = 21,
  kForeignServer = 22,
  kUserMapping = 23,
  kTable = 24,          // ordinary, partitioned, foreign tables
  kView = 25,
  kMaterializedView = 26,
  kSequence = 27,
  kSequenceOwnedBy = 28,
  kTableAttach = 29,    // ALTER TABLE parent ATTACH PARTITION child ...
  kDefault = 30,        // ALTER TABLE ... SET DEFAULT split out of a table (loop repair)
  kIndex = 31,
  kIndexAttach = 32,
  kConstraint = 33,     // PK, UNIQUE, EXCLUDE, separate CHECK, NOT VALID domain CHECK
  kForeignKey = 34,
  kTrigger = 35,
  kRule = 36,           // table rules, and CREATE OR REPLACE VIEW of a split (dummy) view
  kPolicy = 37,
  kRowSecurity = 38,    // ALTER TABLE ... ENABLE ROW LEVEL SECURITY
  kStatistics = 39,     // extended statistics
  kPublication = 40,
  kPublicationTable = 41,
  kPublicationSchema = 42,
  kSubscription = 43,
  kEventTrigger = 44,
  kDefaultAcl = 45,
  kTableData = 46,
  kSequenceSet = 47,
  kLargeObject = 48,
  kMaterializedViewData = 49,  // REFRESH MATERIALIZED VIEW
  kDatabaseProperties = 50,    // ALTER DATABASE ... SET, public schema deltas
  kRole = 51,                  // globals (ReadOptions::include_globals)
  kTablespace = 52,            // globals
};

// The pg_dump-style description ("TABLE", "INDEX", "FK CONSTRAINT", ...). Stable.
absl::string_view ObjectKindName(ObjectKind kind);
// Inverse of ObjectKindName; kInvalidArgument for an unknown name.
absl::StatusOr<ObjectKind> ObjectKindFromName(absl::string_view name);

// Persisted: add, never renumber.
enum class Section : uint8_t { kNone = 0, kPreData = 1, kData = 2, kPostData = 3 };
absl::string_view SectionName(Section section);  // "pre-data", "data", "post-data", "none"

// Which restore pass runs the item's create_sql (see the replay contract above).
enum class RestorePass : uint8_t { kMain = 0, kAcl = 1, kPostAcl = 2 };

// One column of a table as COPY sees it (dropped and generated columns are excluded).
struct ColumnInfo {
  std::string name;           // unquoted
  std::string type;           // format_type(atttypid, atttypmod), e.g. "character varying(20)"
  uint32_t type_oid = 0;      // in the source database
  std::string type_schema;    // schema of the type (after walking nothing), unquoted
  std::string type_name;      // pg_type.typname, unquoted
  int attnum = 0;             // in the source table
  bool not_null = false;
};

// What the data phase needs about a relation.
struct TableInfo {
  uint32_t oid = 0;           // in the source database (valid only during the dump)
  char relkind = 'r';         // r, p, f, m, v, S
  char relpersistence = 'p';  // p, u
  std::vector<ColumnInfo> columns;  // COPY column list, in attnum order
  bool is_partition = false;        // relispartition
  bool is_partitioned = false;      // relkind 'p' (has no data of its own)
  std::string partition_root_id;    // id of the topmost partitioned ancestor, "" if none
  // Hash partitioning on an enum (or similar OID-dependent hashing): rows must be loaded
  // through the partition root, never into a leaf directly.
  bool load_via_partition_root = false;
  bool matview_populated = false;   // relkind 'm': relispopulated
  bool has_row_security = false;    // relrowsecurity
  int64_t estimated_rows = 0;       // reltuples, 0 when unknown
  int64_t relpages = 0;
  // A configuration table of an extension (pg_extension_config_dump): the extension
  // creates the table, so no TABLE item exists for it (table_id names it all the same);
  // only its rows are dumped, restricted by `data_filter`.
  bool extension_config = false;
  // The condition pg_extension_config_dump recorded ("WHERE NOT standard_entry"), to append
  // to the COPY query; "" = every row.
  std::string data_filter;
  // pg_class.relfilenode as read through the dump snapshot (0 for relations without
  // storage). See CheckRelfilenodes() in catalog_reader.h.
  uint32_t relfilenode = 0;
};

// What the data phase needs about a sequence.
struct SequenceInfo {
  std::string owned_by_table_id;  // "" when not OWNED BY a column
  std::string owned_by_column;    // unquoted
  bool is_identity = false;       // owned by an identity column (created with the column)
  int64_t last_value = 0;         // as read in the catalog read (re-read with ReadSequenceValue)
  bool is_called = false;
  bool cycles = false;
};

// One DDL item. Ids are stable: derived from the object's kind and its identity (names,
// argument types), never from OIDs, so two reads of the same schema give the same ids.
struct CatalogItem {
  std::string id;          // e.g. "TABLE public.t", "INDEX public.t_pkey", "FUNCTION s.f(integer)"
  ObjectKind kind = ObjectKind::kTable;
  std::string schema;      // unquoted; "" for objects outside schemas
  std::string name;        // unquoted tag (functions: "f(integer)", triggers: "t tg")
  std::string owner;       // unquoted role name; "" if none
  Section section = Section::kPreData;
  RestorePass pass = RestorePass::kMain;
  std::string create_sql;  // one or more statements ending in ";\n"; may be "" (data items)
  std::string owner_sql;   // ALTER ... OWNER TO ...; skipped by --no-owner
  std::string acl_sql;     // GRANT/REVOKE; skipped by --no-acl; runs in the ACL pass
  std::string comment_sql;   // COMMENT ON ...
  std::string seclabel_sql;  // SECURITY LABEL ...
  std::string drop_sql;      // DROP ... IF EXISTS ...; for --clean ("" if not droppable)
  // Tables, materialized views, indexes and index-backed constraints outside the database's
  // default tablespace: that tablespace (unquoted), "" otherwise. create_sql does not name it;
  // the replay runs create_sql under `SET default_tablespace` (as pg_dump does), so that
  // --no-tablespaces can leave it out. Archives written before 2026-11-25 (see
  // Catalog::item_tablespaces) have the clause inside create_sql instead.
  std::string tablespace;
  std::vector<std::string> dependencies;  // ids of earlier items this one needs
  // Post-data items attached to a table (index, constraint, trigger, rule, policy, ...),
  // TABLE DATA, TABLE ATTACH, REFRESH: the id of that table. "" otherwise.
  std::string table_id;
  std::optional<TableInfo> table;        // kTable, kMaterializedView, kTableData
  std::optional<SequenceInfo> sequence;  // kSequence, kSequenceSet
  uint32_t large_object_oid = 0;         // kLargeObject
};

// The source database itself, for `pgark restore --create` (pg_dump -C). The statements
// name the source database, which is the one --create re-creates.
struct DatabaseInfo {
  std::string owner;        // role name
  std::string tablespace;   // "" when the database lives in pg_default
  // Locale clauses for CREATE DATABASE (" LOCALE_PROVIDER = icu ICU_LOCALE = '…' LC_COLLATE = '…'
  // LC_CTYPE = '…'"), each with a leading space.
  std::string locale_sql;
  std::string settings_sql;  // ALTER DATABASE d SET …;
  // ALTER ROLE r IN DATABASE d SET …; by role name (the role may be missing on a target).
  std::vector<std::pair<std::string, std::string>> role_settings_sql;
  std::string comment_sql;   // COMMENT ON DATABASE d IS …;
  std::string acl_sql;       // GRANT/REVOKE … ON DATABASE d (from the default ACL)
  // datconnlimit: -1 = no limit. nullopt: not recorded (archives written before 2026-11-26),
  // for --replace the old database's limit then stays.
  std::optional<int> connection_limit;
  bool is_template = false;  // datistemplate (false when not recorded)
};

struct Catalog {
  int server_version = 0;        // server_version_num of the source
  std::string server_encoding;   // of the source database
  std::string database;          // source database name
  // Absent in archives written before it was recorded (2026-11-24): --create then makes a
  // database owned by the restoring user, in the default tablespace, without settings.
  std::optional<DatabaseInfo> database_info;
  std::vector<CatalogItem> items;  // dependency order: every dependency precedes its dependant
  // One line per object the reader could not reproduce faithfully (also logged).
  std::vector<std::string> warnings;
  // True when items record their tablespace in CatalogItem::tablespace (pgark 2026-11-25 and
  // later); false for older archives, whose create_sql carries TABLESPACE clauses.
  bool item_tablespaces = true;

  // Index of the item with `id`, or -1.
  int Find(absl::string_view id) const;
};

// Serializes a catalog to JSON (UTF-8). Lossless: CatalogFromJson(CatalogToJson(c)) == c.
std::string CatalogToJson(const Catalog& catalog);
// Parses JSON written by CatalogToJson. Errors: kDataLoss when the text is not valid JSON
// or lacks required fields, kInvalidArgument for an unknown kind/section, or a dependency
// on an id that does not precede the item (the order contract would be broken).
absl::StatusOr<Catalog> CatalogFromJson(absl::string_view json);

bool operator==(const ColumnInfo& a, const ColumnInfo& b);
bool operator==(const TableInfo& a, const TableInfo& b);
bool operator==(const SequenceInfo& a, const SequenceInfo& b);
bool operator==(const CatalogItem& a, const CatalogItem& b);

}  // namespace pgark::catalog
