#include "engine/dump/dump_plan.h"

#include "format/base/status_macros.h"

namespace pgark::engine {

absl::StatusOr<std::vector<TableSize>> ListTableSizes(pg::Connection& conn) {
  PGARK_ASSIGN_OR_RETURN(pg::Result result, conn.Query(R"sql(
    SELECT format('%I.%I', n.nspname, c.relname),
           greatest(c.reltuples, 0)::bigint,
           pg_total_relation_size(c.oid)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 3 DESC, 1)sql"));
  std::vector<TableSize> tables;
  tables.reserve(result.rows());
  for (int row = 0; row < result.rows(); ++row) {
    TableSize table;
    table.qualified_name = std::string(result.Get(row, 0));
    PGARK_ASSIGN_OR_RETURN(table.estimated_rows, result.GetInt64(row, 1));
    PGARK_ASSIGN_OR_RETURN(table.total_bytes, result.GetInt64(row, 2));
    tables.push_back(std::move(table));
  }
  return tables;
}

}  // namespace pgark::engine
