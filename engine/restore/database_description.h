#pragma once
// What a database already holds, shown before a restore replaces or drops it (the
// confirmation question of `pgark restore`, the --replace summary).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pgark::pg {
class Connection;
}

namespace pgark::engine::restore {

struct DatabaseDescription {
  std::string name;
  int64_t size_bytes = 0;        // pg_database_size
  int schemas = 0;               // user schemas other than public
  int tables = 0;                // ordinary and partitioned tables
  int64_t estimated_rows = 0;    // sum of pg_class.reltuples (an estimate, as ANALYZE left it)
  int tables_with_rows = 0;      // tables where reltuples > 0 or relpages > 0
  int other_relations = 0;       // views, materialized views, sequences, foreign tables
  int functions = 0;             // functions and procedures
  int types = 0;                 // enums, domains, ranges, composite types
  int extensions = 0;            // other than plpgsql
  int64_t large_objects = 0;
  std::vector<std::string> largest_tables;  // up to 5 "schema.name (~N rows, SIZE)"

  // True when the database holds any user object or large object. Extension members are
  // not counted as user objects (they belong to the extension).
  bool HoldsObjects() const;
  // A few lines for a terminal: "database 'x' (12 MB): 3 tables with ~1200 rows, ...".
  std::string ToText() const;
};

// Reads the description of the database `conn` is connected to (catalog queries only).
absl::StatusOr<DatabaseDescription> DescribeDatabase(pg::Connection& conn);

}  // namespace pgark::engine::restore
