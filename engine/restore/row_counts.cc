#include "engine/restore/row_counts.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/status_macros.h"

namespace pgark::engine {

absl::StatusOr<std::vector<int64_t>> CountRestoredRows(pg::Connection& conn, const std::vector<LoadedTable>& tables) {
  std::vector<int64_t> counts;
  counts.reserve(tables.size());
  for (const LoadedTable& table : tables) {
    PGARK_ASSIGN_OR_RETURN(pg::Result count,
                           conn.Query(absl::StrCat("SELECT pg_catalog.count(*) FROM ONLY ",
                                                   conn.QuoteIdentifier(table.schema), ".",
                                                   conn.QuoteIdentifier(table.name))));
    counts.push_back(count.GetInt64(0, 0).value_or(-1));
  }
  return counts;
}

absl::Status CompareRestoredRows(const std::vector<LoadedTable>& tables, const std::vector<int64_t>& restored) {
  if (restored.size() != tables.size()) return absl::InternalError("row counts do not match the table list");
  struct Group {
    std::vector<std::string> members;
    int64_t archive_rows = 0;
    int64_t restored_rows = 0;
  };
  std::map<std::string, Group> groups;  // by partition root; checked after the plain tables
  for (size_t i = 0; i < tables.size(); ++i) {
    const LoadedTable& table = tables[i];
    if (!table.load_root.empty()) {
      Group& group = groups[table.load_root];
      group.members.push_back(absl::StrCat(table.schema, ".", table.name));
      group.archive_rows += table.archive_rows;
      group.restored_rows += restored[i];
      continue;
    }
    if (restored[i] != table.archive_rows) {
      return absl::DataLossError(absl::StrCat("table ", table.schema, ".", table.name, " has ", restored[i],
                                              " rows after the restore but the archive records ",
                                              table.archive_rows));
    }
  }
  for (const auto& [root, group] : groups) {
    if (group.restored_rows != group.archive_rows) {
      return absl::DataLossError(absl::StrCat("the partitions loaded through ", root, " (",
                                              absl::StrJoin(group.members, ", "), ") have ", group.restored_rows,
                                              " rows after the restore but the archive records ",
                                              group.archive_rows));
    }
  }
  return absl::OkStatus();
}

}  // namespace pgark::engine
