#pragma once
// What a dump would read: the user tables of a database with their sizes.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/pg/connection.h"

namespace pgark::engine {

struct TableSize {
  std::string qualified_name;  // schema.table, quoted where needed
  int64_t estimated_rows = 0;  // pg_class.reltuples (-1 never analyzed -> 0)
  int64_t total_bytes = 0;     // pg_total_relation_size: heap + TOAST + indexes
};

// Ordinary, partitioned-leaf, unlogged and materialized-view tables outside pg_catalog,
// information_schema and extension membership, largest first.
absl::StatusOr<std::vector<TableSize>> ListTableSizes(pg::Connection& conn);

}  // namespace pgark::engine
