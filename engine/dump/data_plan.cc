#include "engine/dump/data_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/dump/name_pattern.h"
#include "engine/pg/snapshot.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {
namespace {

using pg::OidArrayLiteral;

// Relations a dump may cover: everything outside the system schemas that is not an
// extension member (CREATE EXTENSION recreates those).
constexpr char kCandidatesSql[] = R"sql(
SELECT c.oid, c.relkind::text, c.relnamespace, format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))sql";

// Ordinary tables registered with pg_extension_config_dump() by a user extension.
constexpr char kExtensionConfigSql[] = R"sql(
SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relnamespace, u.cond
FROM pg_extension x CROSS JOIN LATERAL ROWS FROM (unnest(x.extconfig), unnest(x.extcondition)) u(reloid, cond)
JOIN pg_class c ON c.oid = u.reloid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE x.oid >= 16384 AND c.relkind = 'r'
ORDER BY 2)sql";

constexpr char kSchemasSql[] = R"sql(
SELECT n.oid FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' AND n.nspname OPERATOR(pg_catalog.~) $1)sql";

// Runs with the user's default search_path (see SelectObjects), hence fully qualified.
constexpr char kTableMatchSql[] = R"sql(
SELECT c.oid FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) $1
  AND CASE WHEN $2::pg_catalog.text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid)
           ELSE n.nspname OPERATOR(pg_catalog.~) $2::pg_catalog.text END)sql";

uint32_t ToOid(absl::string_view text) {
  uint32_t oid = 0;
  for (char c : text) oid = oid * 10 + static_cast<uint32_t>(c - '0');
  return oid;
}

absl::StatusOr<std::set<uint32_t>> MatchSchemas(pg::Connection& conn,
                                                const std::vector<std::string>& patterns,
                                                const std::string& database) {
  std::set<uint32_t> oids;
  for (const auto& pattern : patterns) {
    PGARK_ASSIGN_OR_RETURN(NamePattern parsed, ParseSchemaPattern(pattern, database));
    PGARK_ASSIGN_OR_RETURN(pg::Result result, conn.QueryParams(kSchemasSql, {parsed.name_regex}));
    for (int row = 0; row < result.rows(); ++row) oids.insert(ToOid(result.Get(row, 0)));
  }
  return oids;
}

absl::StatusOr<std::set<uint32_t>> MatchTables(pg::Connection& conn,
                                               const std::vector<std::string>& patterns,
                                               const std::string& database) {
  std::set<uint32_t> oids;
  if (patterns.empty()) return oids;
  // Unqualified patterns match tables visible on the user's search_path, as in pg_dump.
  PGARK_RETURN_IF_ERROR(conn.Execute("RESET search_path"));
  absl::Status status = absl::OkStatus();
  for (const auto& pattern : patterns) {
    auto parsed = ParseTablePattern(pattern, database);
    if (!parsed.ok()) {
      status = parsed.status();
      break;
    }
    auto result = conn.QueryParams(kTableMatchSql, {parsed->name_regex, parsed->schema_regex});
    if (!result.ok()) {
      status = result.status();
      break;
    }
    for (int row = 0; row < result->rows(); ++row) oids.insert(ToOid(result->Get(row, 0)));
  }
  PGARK_RETURN_IF_ERROR(conn.Execute("SELECT pg_catalog.set_config('search_path', '', false)"));
  PGARK_RETURN_IF_ERROR(status);
  return oids;
}

struct TypeRow {
  std::string schema, name, extension;
  char typtype = 'b';
  bool is_array = false;
  bool binary_io = true;
  uint32_t elem = 0, base = 0, range_subtype = 0, multirange_range = 0;
  std::vector<std::pair<std::string, uint32_t>> fields;  // composite attributes
};

absl::StatusOr<std::map<uint32_t, TypeRow>> ReadTypes(pg::Connection& conn,
                                                      const std::vector<uint32_t>& roots) {
  const bool pg14 = conn.server_version() >= 140000;
  // Arrays: typtype 'b' with an element; domains over arrays copy typelem, so exclude 'd'.
  const std::string is_array =
      pg14 ? "(t.typtype = 'b' AND t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc)"
           : "(t.typtype = 'b' AND t.typelem <> 0 AND t.typlen = -1)";
  const std::string multirange_child =
      pg14 ? "UNION ALL SELECT r.rngtypid FROM pg_range r WHERE r.rngmultitypid = t.oid" : "";
  const std::string multirange_col =
      pg14 ? "COALESCE((SELECT r.rngtypid FROM pg_range r WHERE r.rngmultitypid = t.oid), 0)" : "0";
  std::string sql = absl::StrCat(R"sql(
WITH RECURSIVE w(oid) AS (
  SELECT unnest($1::oid[])
  UNION
  SELECT x.child FROM w JOIN pg_type t ON t.oid = w.oid
  CROSS JOIN LATERAL (
    SELECT t.typbasetype WHERE t.typtype = 'd'
    UNION ALL SELECT t.typelem WHERE )sql", is_array, R"sql(
    UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid
    )sql", multirange_child, R"sql(
    UNION ALL SELECT a.atttypid FROM pg_attribute a
      WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
  ) x(child))
SELECT t.oid, n.nspname, t.typname, t.typtype::text, )sql", is_array, R"sql(, t.typelem, t.typbasetype,
       COALESCE((SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid), 0),
       )sql", multirange_col, R"sql(,
       t.typsend <> 0 AND t.typreceive <> 0,
       COALESCE((SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                 WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                   AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1), '')
FROM w JOIN pg_type t ON t.oid = w.oid JOIN pg_namespace n ON n.oid = t.typnamespace)sql");
  PGARK_ASSIGN_OR_RETURN(pg::Result result, conn.QueryParams(sql, {OidArrayLiteral(roots)}));
  std::map<uint32_t, TypeRow> types;
  std::vector<uint32_t> composites;
  for (int row = 0; row < result.rows(); ++row) {
    TypeRow type;
    uint32_t oid = ToOid(result.Get(row, 0));
    type.schema = std::string(result.Get(row, 1));
    type.name = std::string(result.Get(row, 2));
    type.typtype = result.Get(row, 3).empty() ? 'b' : result.Get(row, 3)[0];
    type.is_array = result.GetBool(row, 4);
    type.elem = ToOid(result.Get(row, 5));
    type.base = ToOid(result.Get(row, 6));
    type.range_subtype = ToOid(result.Get(row, 7));
    type.multirange_range = ToOid(result.Get(row, 8));
    type.binary_io = result.GetBool(row, 9);
    type.extension = std::string(result.Get(row, 10));
    if (type.typtype == 'c') composites.push_back(oid);
    types.emplace(oid, std::move(type));
  }
  if (!composites.empty()) {
    PGARK_ASSIGN_OR_RETURN(
        pg::Result fields,
        conn.QueryParams("SELECT t.oid, a.attname, a.atttypid FROM pg_type t "
                         "JOIN pg_attribute a ON a.attrelid = t.typrelid "
                         "WHERE t.oid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
                         "ORDER BY t.oid, a.attnum",
                         {OidArrayLiteral(composites)}));
    for (int row = 0; row < fields.rows(); ++row) {
      types[ToOid(fields.Get(row, 0))].fields.emplace_back(std::string(fields.Get(row, 1)),
                                                           ToOid(fields.Get(row, 2)));
    }
  }
  return types;
}

absl::StatusOr<TypeShape> BuildShape(const std::map<uint32_t, TypeRow>& types, uint32_t oid,
                                     int depth) {
  auto it = types.find(oid);
  if (it == types.end()) {
    return absl::InternalError(absl::StrCat("type ", oid, " missing from the type walk"));
  }
  if (depth > 64) return absl::FailedPreconditionError(absl::StrCat("type ", oid, " nests too deeply"));
  const TypeRow& row = it->second;
  TypeShape shape;
  shape.oid = oid;
  shape.schema = row.schema;
  shape.name = row.name;
  shape.extension = row.extension;
  shape.binary_io = row.binary_io;
  auto add_child = [&](uint32_t child) -> absl::Status {
    PGARK_ASSIGN_OR_RETURN(TypeShape sub, BuildShape(types, child, depth + 1));
    shape.children.push_back(std::move(sub));
    return absl::OkStatus();
  };
  switch (row.typtype) {
    case 'd':
      shape.kind = TypeShape::Kind::kDomain;
      PGARK_RETURN_IF_ERROR(add_child(row.base));
      break;
    case 'e':
      shape.kind = TypeShape::Kind::kEnum;
      break;
    case 'r':
      shape.kind = TypeShape::Kind::kRange;
      PGARK_RETURN_IF_ERROR(add_child(row.range_subtype));
      break;
    case 'm':
      shape.kind = TypeShape::Kind::kMultirange;
      PGARK_RETURN_IF_ERROR(add_child(row.multirange_range));
      break;
    case 'c':
      shape.kind = TypeShape::Kind::kComposite;
      for (const auto& [field_name, field_type] : row.fields) {
        shape.field_names.push_back(field_name);
        PGARK_RETURN_IF_ERROR(add_child(field_type));
      }
      break;
    case 'p':
      shape.kind = TypeShape::Kind::kPseudo;
      break;
    default:
      if (row.is_array) {
        shape.kind = TypeShape::Kind::kArray;
        PGARK_RETURN_IF_ERROR(add_child(row.elem));
      }
      break;
  }
  return shape;
}

// The first reason found in `shape` for text COPY, or "".
std::string ShapeTextReason(const TypeShape& shape, const std::vector<std::string>& safe) {
  std::string qualified = absl::StrCat(shape.schema, ".", shape.name);
  if (!shape.binary_io) return absl::StrCat("type ", qualified, " has no binary send/receive functions");
  if (shape.schema == "pg_catalog" && absl::StartsWith(shape.name, "reg")) {
    return absl::StrCat("type ", qualified, " holds OIDs that differ between databases");
  }
  // tsqueryrecv() refuses the binary form of the empty tsquery that tsquerysend() writes
  // ("malformed tsquery: operand not found", PostgreSQL 12-17): a binary dump would not load.
  if (shape.schema == "pg_catalog" && shape.name == "tsquery") {
    return absl::StrCat("type ", qualified, " cannot be read back in binary when empty");
  }
  // A base type created in the database itself (CREATE TYPE over C or internal functions):
  // its binary form is whatever its send function writes, which no export decoder knows and
  // which may embed database-specific values. Text, as pg_dump always uses.
  if (shape.kind == TypeShape::Kind::kBase && shape.schema != "pg_catalog" && shape.extension.empty()) {
    return absl::StrCat("type ", qualified, " is a base type defined in the database");
  }
  if (!shape.extension.empty() &&
      std::find(safe.begin(), safe.end(), shape.extension) == safe.end()) {
    return absl::StrCat("type ", qualified, " comes from extension ", shape.extension,
                        ", not known to be binary-safe");
  }
  for (const auto& child : shape.children) {
    std::string reason = ShapeTextReason(child, safe);
    if (!reason.empty()) return reason;
  }
  return "";
}

absl::Status FindSplitKey(pg::Connection& conn, TableData& table, std::string* key_quoted,
                          int64_t* min, int64_t* max) {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result key,
      conn.QueryParams(R"sql(
SELECT quote_ident(a.attname) FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
  AND i.indpred IS NULL AND i.indexprs IS NULL AND a.atttypid IN (21, 23, 20)
ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1)sql",
                       {absl::StrCat(table.oid)}));
  if (key.rows() == 0) return absl::OkStatus();
  *key_quoted = std::string(key.Get(0, 0));
  PGARK_ASSIGN_OR_RETURN(pg::Result range,
                         conn.Query(absl::StrCat("SELECT min(", *key_quoted, ")::int8, max(",
                                                 *key_quoted, ")::int8 FROM ONLY ", table.qualified)));
  if (range.IsNull(0, 0)) {
    key_quoted->clear();
    return absl::OkStatus();
  }
  PGARK_ASSIGN_OR_RETURN(*min, range.GetInt64(0, 0));
  PGARK_ASSIGN_OR_RETURN(*max, range.GetInt64(0, 1));
  return absl::OkStatus();
}

absl::Status PlanSplit(pg::Connection& conn, const DumpOptions& options, const std::string& am,
                       TableData& table) {
  table.parts = {TablePart{"", table.bytes}};
  if (options.split_larger_than <= 0 || table.bytes <= options.split_larger_than ||
      options.split_method == SplitMethod::kNone || table.extension_config) {
    return absl::OkStatus();
  }
  const bool tid_range_scans = conn.server_version() >= 140000;
  bool by_ctid = options.split_method == SplitMethod::kCtid ||
                 (options.split_method == SplitMethod::kAuto && tid_range_scans);
  std::vector<std::string> ranges;
  if (by_ctid) {
    // Other table AMs need not support TID range scans (pgcopydb PR #410).
    if (am != "heap") return absl::OkStatus();
    int parts = PartCount(table.bytes, options.split_larger_than, options.max_parts_per_table,
                          table.heap_blocks);
    if (parts < 2) return absl::OkStatus();
    ranges = CtidRanges(table.heap_blocks, parts);
    table.split_method = "ctid";
  } else {
    std::string key;
    int64_t min = 0, max = 0;
    PGARK_RETURN_IF_ERROR(FindSplitKey(conn, table, &key, &min, &max));
    if (key.empty()) return absl::OkStatus();
    __int128 span = static_cast<__int128>(max) - min + 1;
    int64_t limit = span > (int64_t{1} << 40) ? (int64_t{1} << 40) : static_cast<int64_t>(span);
    int parts = PartCount(table.bytes, options.split_larger_than, options.max_parts_per_table, limit);
    if (parts < 2) return absl::OkStatus();
    ranges = KeyRanges(key, min, max, parts);
    table.split_method = absl::StrCat("key:", key);
  }
  if (ranges.size() < 2) {
    table.split_method.clear();
    return absl::OkStatus();
  }
  table.parts.clear();
  for (auto& where : ranges) {
    table.parts.push_back(
        TablePart{std::move(where), table.bytes / static_cast<int64_t>(ranges.size())});
  }
  return absl::OkStatus();
}

const char* KindName(TypeShape::Kind kind) {
  switch (kind) {
    case TypeShape::Kind::kBase: return "base";
    case TypeShape::Kind::kEnum: return "enum";
    case TypeShape::Kind::kArray: return "array";
    case TypeShape::Kind::kDomain: return "domain";
    case TypeShape::Kind::kRange: return "range";
    case TypeShape::Kind::kMultirange: return "multirange";
    case TypeShape::Kind::kComposite: return "composite";
    case TypeShape::Kind::kPseudo: return "pseudo";
  }
  return "base";
}

}  // namespace

absl::StatusOr<ObjectSelection> SelectObjects(pg::Connection& conn, const DumpOptions& options) {
  const std::string database = conn.database();
  PGARK_ASSIGN_OR_RETURN(pg::Result candidates, conn.Query(kCandidatesSql));
  PGARK_ASSIGN_OR_RETURN(std::set<uint32_t> schemas, MatchSchemas(conn, {"*"}, database));
  if (!options.include_schemas.empty()) {
    PGARK_ASSIGN_OR_RETURN(schemas, MatchSchemas(conn, options.include_schemas, database));
    if (schemas.empty()) {
      return absl::NotFoundError(absl::StrCat("no matching schemas were found for -n ",
                                              absl::StrJoin(options.include_schemas, ", ")));
    }
  }
  PGARK_ASSIGN_OR_RETURN(std::set<uint32_t> excluded_schemas,
                         MatchSchemas(conn, options.exclude_schemas, database));
  for (uint32_t oid : excluded_schemas) schemas.erase(oid);

  const bool by_table = !options.include_tables.empty();
  PGARK_ASSIGN_OR_RETURN(std::set<uint32_t> included_tables,
                         MatchTables(conn, options.include_tables, database));
  PGARK_ASSIGN_OR_RETURN(std::set<uint32_t> excluded_tables,
                         MatchTables(conn, options.exclude_tables, database));

  ObjectSelection selection;
  std::set<uint32_t> selected_tables;
  for (int row = 0; row < candidates.rows(); ++row) {
    uint32_t oid = ToOid(candidates.Get(row, 0));
    char kind = candidates.Get(row, 1)[0];
    uint32_t namespace_oid = ToOid(candidates.Get(row, 2));
    bool selected = by_table ? included_tables.count(oid) > 0 : schemas.count(namespace_oid) > 0;
    if (!selected || excluded_tables.count(oid) > 0) continue;
    switch (kind) {
      case 'r': selection.tables.push_back(oid); break;
      case 'p': selection.partitioned.push_back(oid); break;
      case 'S': selection.sequences.push_back(oid); break;
      case 'm': selection.matviews.push_back(oid); break;
      default: selection.other_relations.push_back(oid); break;
    }
    if (kind == 'r' || kind == 'p') {
      selection.lock_oids.push_back(oid);
      selection.lock_names.emplace_back(candidates.Get(row, 3));
      selected_tables.insert(oid);
    }
  }
  if (by_table && selection.tables.empty() && selection.partitioned.empty() &&
      selection.sequences.empty() && selection.matviews.empty() && selection.other_relations.empty()) {
    return absl::NotFoundError(absl::StrCat("no matching tables were found for -t ",
                                            absl::StrJoin(options.include_tables, ", ")));
  }
  // A sequence owned by a selected table (serial, identity) goes with it, as in pg_dump.
  if (!selected_tables.empty()) {
    std::vector<uint32_t> owners(selected_tables.begin(), selected_tables.end());
    PGARK_ASSIGN_OR_RETURN(
        pg::Result owned,
        conn.QueryParams("SELECT DISTINCT d.objid FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                         "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                         "AND d.refobjid = ANY($1::oid[]) AND d.deptype IN ('a', 'i') AND s.relkind = 'S'",
                         {OidArrayLiteral(owners)}));
    std::set<uint32_t> sequences(selection.sequences.begin(), selection.sequences.end());
    for (int row = 0; row < owned.rows(); ++row) sequences.insert(ToOid(owned.Get(row, 0)));
    selection.sequences.assign(sequences.begin(), sequences.end());
  }
  if (!by_table) selection.schemas.assign(schemas.begin(), schemas.end());
  // Extension configuration tables: the extension's script creates them, the user's rows
  // in them are data (pg_dump's processExtensionTables). Extensions are dumped only
  // without -n/-t; -N on the table's schema and -T still exclude a table.
  if (!by_table && options.include_schemas.empty() && !options.schema_only) {
    PGARK_ASSIGN_OR_RETURN(pg::Result config, conn.Query(kExtensionConfigSql));
    for (int row = 0; row < config.rows(); ++row) {
      uint32_t oid = ToOid(config.Get(row, 0));
      if (!schemas.count(ToOid(config.Get(row, 2))) || excluded_tables.count(oid)) continue;
      selection.tables.push_back(oid);
      selection.lock_oids.push_back(oid);
      selection.lock_names.emplace_back(config.Get(row, 1));
      selection.extension_config[oid] = std::string(config.Get(row, 3));
    }
  }
  selection.include_large_objects =
      !options.schema_only && options.include_schemas.empty() && !by_table;
  return selection;
}

absl::StatusOr<DataPlan> BuildDataPlan(pg::Connection& conn, const ObjectSelection& selection,
                                       const DumpOptions& options, bool in_recovery) {
  DataPlan plan;
  plan.server_version = conn.server_version();
  PGARK_ASSIGN_OR_RETURN(pg::Result encoding,
                         conn.Query("SELECT pg_catalog.current_setting('server_encoding')"));
  plan.server_encoding = std::string(encoding.Get(0, 0));

  if (!selection.tables.empty()) {
    PGARK_ASSIGN_OR_RETURN(pg::Result tables, conn.QueryParams(R"sql(
SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relpersistence::text,
       COALESCE(am.amname, ''), pg_table_size(c.oid), pg_relation_size(c.oid, 'main'),
       current_setting('block_size')::int8, GREATEST(c.reltuples, 0)::int8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_am am ON am.oid = c.relam
WHERE c.oid = ANY($1::oid[]))sql",
                                                               {OidArrayLiteral(selection.tables)}));
    std::map<uint32_t, size_t> index_of;
    std::vector<std::string> access_methods;
    for (int row = 0; row < tables.rows(); ++row) {
      TableData table;
      table.oid = ToOid(tables.Get(row, 0));
      table.schema = std::string(tables.Get(row, 1));
      table.name = std::string(tables.Get(row, 2));
      table.qualified = std::string(tables.Get(row, 3));
      table.persistence = tables.Get(row, 4)[0];
      PGARK_ASSIGN_OR_RETURN(table.bytes, tables.GetInt64(row, 6));
      PGARK_ASSIGN_OR_RETURN(int64_t heap_bytes, tables.GetInt64(row, 7));
      PGARK_ASSIGN_OR_RETURN(int64_t block_size, tables.GetInt64(row, 8));
      PGARK_ASSIGN_OR_RETURN(table.estimated_rows, tables.GetInt64(row, 9));
      table.heap_blocks = block_size > 0 ? (heap_bytes + block_size - 1) / block_size : 0;
      if (in_recovery && table.persistence == 'u') {
        plan.skipped.push_back(absl::StrCat(table.qualified, ": unlogged table on a standby"));
        continue;
      }
      auto config = selection.extension_config.find(table.oid);
      if (config != selection.extension_config.end()) {
        table.extension_config = true;
        table.filter = config->second;
      }
      index_of[table.oid] = plan.tables.size();
      access_methods.emplace_back(tables.Get(row, 5));
      plan.tables.push_back(std::move(table));
    }
    PGARK_ASSIGN_OR_RETURN(pg::Result columns, conn.QueryParams(R"sql(
SELECT a.attrelid, a.attname, quote_ident(a.attname), a.atttypid, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attrelid, a.attnum)sql",
                                                                {OidArrayLiteral(selection.tables)}));
    std::set<uint32_t> root_types;
    std::vector<std::pair<size_t, uint32_t>> column_types;  // (table index, type oid) per column
    for (int row = 0; row < columns.rows(); ++row) {
      auto it = index_of.find(ToOid(columns.Get(row, 0)));
      if (it == index_of.end()) continue;
      ColumnInfo column;
      column.name = std::string(columns.Get(row, 1));
      column.quoted = std::string(columns.Get(row, 2));
      column.type = std::string(columns.Get(row, 4));
      uint32_t type_oid = ToOid(columns.Get(row, 3));
      column.shape.oid = type_oid;
      root_types.insert(type_oid);
      plan.tables[it->second].columns.push_back(std::move(column));
    }
    PGARK_ASSIGN_OR_RETURN(auto types,
                           ReadTypes(conn, std::vector<uint32_t>(root_types.begin(), root_types.end())));
    for (size_t table_idx = 0; table_idx < plan.tables.size(); ++table_idx) {
      TableData& table = plan.tables[table_idx];
      for (auto& column : table.columns) {
        PGARK_ASSIGN_OR_RETURN(column.shape, BuildShape(types, column.shape.oid, 0));
      }
      table.format_reason = TextFormatReason(table.columns, options.binary_safe_extensions);
      table.format = table.format_reason.empty() ? CopyFormat::kBinary : CopyFormat::kText;
      PGARK_RETURN_IF_ERROR(base::Annotate(PlanSplit(conn, options, access_methods[table_idx], table),
                                           absl::StrCat("planning the split of ", table.qualified)));
    }
    std::stable_sort(plan.tables.begin(), plan.tables.end(),
                     [](const TableData& a, const TableData& b) { return a.bytes > b.bytes; });
    for (const auto& table : plan.tables) plan.total_estimated_bytes += table.bytes;
  }

  if (!selection.sequences.empty()) {
    PGARK_ASSIGN_OR_RETURN(
        pg::Result sequences,
        conn.QueryParams("SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) "
                         "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE c.oid = ANY($1::oid[]) ORDER BY 4",
                         {OidArrayLiteral(selection.sequences)}));
    for (int row = 0; row < sequences.rows(); ++row) {
      plan.sequences.push_back(SequenceInfo{ToOid(sequences.Get(row, 0)),
                                            std::string(sequences.Get(row, 1)),
                                            std::string(sequences.Get(row, 2)),
                                            std::string(sequences.Get(row, 3))});
    }
  }

  if (!selection.matviews.empty()) {
    PGARK_ASSIGN_OR_RETURN(
        pg::Result matviews,
        conn.QueryParams("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE c.oid = ANY($1::oid[]) AND c.relispopulated ORDER BY c.oid",
                         {OidArrayLiteral(selection.matviews)}));
    for (int row = 0; row < matviews.rows(); ++row) plan.matviews_to_refresh.emplace_back(matviews.Get(row, 0));
  }

  if (selection.include_large_objects) {
    PGARK_ASSIGN_OR_RETURN(pg::Result objects,
                           conn.Query("SELECT oid FROM pg_largeobject_metadata ORDER BY oid"));
    const int per_batch = std::max(1, options.large_objects_per_stream);
    for (int row = 0; row < objects.rows(); ++row) {
      if (row % per_batch == 0) plan.large_object_batches.emplace_back();
      plan.large_object_batches.back().push_back(ToOid(objects.Get(row, 0)));
    }
    if (objects.rows() > 0) {
      auto size = conn.Query("SELECT pg_relation_size('pg_catalog.pg_largeobject')");
      if (size.ok()) plan.large_object_bytes = size->GetInt64(0, 0).value_or(0);
    }
    plan.total_estimated_bytes += plan.large_object_bytes;
  }
  return plan;
}

std::string TextFormatReason(const std::vector<ColumnInfo>& columns,
                             const std::vector<std::string>& binary_safe_extensions) {
  for (const auto& column : columns) {
    std::string reason = ShapeTextReason(column.shape, binary_safe_extensions);
    if (!reason.empty()) return absl::StrCat("column \"", column.name, "\": ", reason);
  }
  return "";
}

int PartCount(int64_t bytes, int64_t split_larger_than, int max_parts, int64_t unit_limit) {
  if (split_larger_than <= 0 || bytes <= split_larger_than) return 1;
  int64_t parts = (bytes + split_larger_than - 1) / split_larger_than;
  parts = std::min<int64_t>(parts, std::max(1, max_parts));
  parts = std::min<int64_t>(parts, unit_limit);
  return static_cast<int>(std::max<int64_t>(parts, 1));
}

std::vector<std::string> CtidRanges(int64_t blocks, int parts) {
  std::vector<std::string> ranges;
  if (parts < 2 || blocks < 2) return {""};
  int64_t per_part = (blocks + parts - 1) / parts;
  for (int64_t start = 0; start < blocks; start += per_part) {
    int64_t end = start + per_part;
    if (start == 0) {
      ranges.push_back(absl::StrCat("ctid < '(", end, ",0)'::pg_catalog.tid"));
    } else if (end >= blocks) {
      // The heap may have grown since pg_relation_size(): the last range has no end.
      ranges.push_back(absl::StrCat("ctid >= '(", start, ",0)'::pg_catalog.tid"));
    } else {
      ranges.push_back(absl::StrCat("ctid >= '(", start, ",0)'::pg_catalog.tid AND ctid < '(", end,
                                    ",0)'::pg_catalog.tid"));
    }
  }
  if (ranges.size() == 1) return {""};
  return ranges;
}

std::vector<std::string> KeyRanges(const std::string& key, int64_t min, int64_t max, int parts) {
  if (parts < 2 || max <= min) return {""};
  __int128 span = static_cast<__int128>(max) - min + 1;
  __int128 step = (span + parts - 1) / parts;
  std::vector<int64_t> bounds;  // lower bounds of parts 2..n
  for (int part = 1; part < parts; ++part) {
    __int128 bound = static_cast<__int128>(min) + step * part;
    if (bound > max) break;
    bounds.push_back(static_cast<int64_t>(bound));
  }
  if (bounds.empty()) return {""};
  std::vector<std::string> ranges;
  ranges.push_back(absl::StrCat("(", key, " < ", bounds.front(), " OR ", key, " IS NULL)"));
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    ranges.push_back(absl::StrCat(key, " >= ", bounds[i], " AND ", key, " < ", bounds[i + 1]));
  }
  ranges.push_back(absl::StrCat(key, " >= ", bounds.back()));
  return ranges;
}

std::string CopyOutSql(const TableData& table, const TablePart& part) {
  std::vector<std::string> names;
  names.reserve(table.columns.size());
  for (const auto& column : table.columns) names.push_back(column.quoted);
  std::string sql = absl::StrCat("COPY (SELECT ", absl::StrJoin(names, ", "), " FROM ONLY ",
                                 table.qualified);
  if (!table.filter.empty()) {
    absl::StrAppend(&sql, " ", table.filter);  // "WHERE ...", as recorded (never split)
  } else if (!part.where.empty()) {
    absl::StrAppend(&sql, " WHERE ", part.where);
  }
  absl::StrAppend(&sql, ") TO STDOUT");
  if (table.format == CopyFormat::kBinary) absl::StrAppend(&sql, " (FORMAT binary)");
  return sql;
}

nlohmann::json TypeShapeToJson(const TypeShape& shape) {
  nlohmann::json json = {{"kind", KindName(shape.kind)},
                         {"oid", shape.oid},
                         {"schema", shape.schema},
                         {"name", shape.name}};
  if (!shape.extension.empty()) json["extension"] = shape.extension;
  if (!shape.binary_io) json["binary_io"] = false;
  if (!shape.children.empty()) {
    nlohmann::json children = nlohmann::json::array();
    for (const auto& child : shape.children) children.push_back(TypeShapeToJson(child));
    json["children"] = std::move(children);
  }
  if (!shape.field_names.empty()) json["fields"] = shape.field_names;
  return json;
}

nlohmann::json TableToJson(const TableData& table) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& column : table.columns) {
    columns.push_back({{"name", column.name}, {"type", column.type}, {"shape", TypeShapeToJson(column.shape)}});
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& part : table.parts) parts.push_back(part.where);
  nlohmann::json json = {{"oid", table.oid},
                         {"schema", table.schema},
                         {"name", table.name},
                         {"persistence", std::string(1, table.persistence)},
                         {"format", table.format == CopyFormat::kBinary ? "binary" : "text"},
                         {"columns", std::move(columns)},
                         {"bytes", table.bytes},
                         {"estimated_rows", table.estimated_rows},
                         {"parts", std::move(parts)}};
  if (!table.format_reason.empty()) json["format_reason"] = table.format_reason;
  if (!table.split_method.empty()) json["split"] = table.split_method;
  if (table.extension_config) {
    json["extension_config"] = true;
    if (!table.filter.empty()) json["filter"] = table.filter;
  }
  return json;
}

}  // namespace pgark::engine
