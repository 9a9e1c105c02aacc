#include "engine/restore/database_description.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/pg/connection.h"
#include "engine/progress.h"
#include "format/base/status_macros.h"

namespace pgark::engine::restore {
namespace {

// User namespaces, and "not a member of an extension" for a catalog row.
constexpr char kUserNamespace[] =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
std::string NotExtensionMember(absl::string_view catalog, absl::string_view oid) {
  return absl::StrCat("NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '", catalog,
                      "'::pg_catalog.regclass AND d.objid = ", oid, " AND d.deptype = 'e')");
}

}  // namespace

bool DatabaseDescription::HoldsObjects() const {
  return schemas + tables + other_relations + functions + types + extensions > 0 || large_objects > 0;
}

std::string DatabaseDescription::ToText() const {
  std::string out = absl::StrFormat("database '%s' (%s): %d tables (%d with rows, ~%d rows in all)", name,
                                    HumanBytes(static_cast<double>(size_bytes)), tables, tables_with_rows, estimated_rows);
  std::vector<std::string> others;
  if (schemas > 0) others.push_back(absl::StrCat(schemas, " schemas besides public"));
  if (other_relations > 0) others.push_back(absl::StrCat(other_relations, " views/sequences"));
  if (functions > 0) others.push_back(absl::StrCat(functions, " functions"));
  if (types > 0) others.push_back(absl::StrCat(types, " types"));
  if (extensions > 0) others.push_back(absl::StrCat(extensions, " extensions"));
  if (large_objects > 0) others.push_back(absl::StrCat(large_objects, " large objects"));
  if (!others.empty()) absl::StrAppend(&out, ", ", absl::StrJoin(others, ", "));
  absl::StrAppend(&out, "\n");
  for (const std::string& table : largest_tables) absl::StrAppend(&out, "  ", table, "\n");
  return out;
}

absl::StatusOr<DatabaseDescription> DescribeDatabase(pg::Connection& conn) {
  DatabaseDescription description;
  description.name = conn.database();
  const std::string user_class =
      absl::StrCat(kUserNamespace, " AND ", NotExtensionMember("pg_catalog.pg_class", "c.oid"));
  const std::string sql = absl::StrCat(
      "SELECT pg_catalog.pg_database_size(pg_catalog.current_database()), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace n WHERE ", kUserNamespace,
      "  AND n.nspname <> 'public' AND ", NotExtensionMember("pg_catalog.pg_namespace", "n.oid"), "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE c.relkind IN ('r', 'p') AND ", user_class, "), "
      "(SELECT COALESCE(pg_catalog.sum(GREATEST(c.reltuples, 0)), 0)::pg_catalog.int8 FROM pg_catalog.pg_class c "
      "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND ", user_class, "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE c.relkind = 'r' AND (c.reltuples > 0 OR c.relpages > 0) AND ", user_class, "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE c.relkind IN ('v', 'm', 'S', 'f') AND ", user_class, "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
      "  WHERE ", kUserNamespace, " AND ", NotExtensionMember("pg_catalog.pg_proc", "p.oid"), "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
      "  WHERE ", kUserNamespace, " AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND EXISTS ("
      "  SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))) AND ",
      NotExtensionMember("pg_catalog.pg_type", "t.oid"), "), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'), "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_largeobject_metadata)");
  PGARK_ASSIGN_OR_RETURN(pg::Result row, conn.Query(sql));
  auto get = [&](int column) { return row.GetInt64(0, column).value_or(0); };
  description.size_bytes = get(0);
  description.schemas = static_cast<int>(get(1));
  description.tables = static_cast<int>(get(2));
  description.estimated_rows = get(3);
  description.tables_with_rows = static_cast<int>(get(4));
  description.other_relations = static_cast<int>(get(5));
  description.functions = static_cast<int>(get(6));
  description.types = static_cast<int>(get(7));
  description.extensions = static_cast<int>(get(8));
  description.large_objects = get(9);
  PGARK_ASSIGN_OR_RETURN(
      pg::Result largest,
      conn.Query(absl::StrCat(
          "SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) "
          "pg_catalog.quote_ident(c.relname), GREATEST(c.reltuples, 0)::pg_catalog.int8, "
          "pg_catalog.pg_total_relation_size(c.oid) FROM pg_catalog.pg_class c "
          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND ", user_class,
          " ORDER BY 3 DESC, 1 LIMIT 5")));
  for (int i = 0; i < largest.rows(); ++i) {
    description.largest_tables.push_back(absl::StrFormat("%s (~%d rows, %s)", largest.Get(i, 0),
                                                         largest.GetInt64(i, 1).value_or(0),
                                                         HumanBytes(static_cast<double>(largest.GetInt64(i, 2).value_or(0)))));
  }
  return description;
}

}  // namespace pgark::engine::restore
