#include "engine/restore/row_counts.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"

namespace pgark::engine {

absl::StatusOr<std::vector<int64_t>> CountRestoredRows(pg::Connection& conn, const std::vector<LoadedTable>& tables) {
  std::vector<int64_t> counts;
  counts.reserve(tables.size());
  // Nothing else watches for an interrupt here (the restore's watchers are gone): without
  // this a count waiting on a lock, or a big table's, ran on after SIGINT until it ended.
  base::CancelWatcher watcher([&conn] { conn.Cancel().IgnoreError(); });
  PGARK_ASSIGN_OR_RETURN(
      pg::Result filtered,
      conn.Query("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                 "ON n.oid = c.relnamespace WHERE c.relrowsecurity AND pg_catalog.row_security_active(c.oid)"));
  std::set<std::pair<std::string, std::string>> not_counted;
  for (int row = 0; row < filtered.rows(); ++row) {
    not_counted.emplace(std::string(filtered.Get(row, 0)), std::string(filtered.Get(row, 1)));
  }
  for (const LoadedTable& table : tables) {
    // A cancel request that reached the server between two counts is lost: stop here.
    PGARK_RETURN_IF_ERROR(base::CheckCancelled());
    if (not_counted.count({table.schema, table.name}) > 0) {
      PGARK_LOG(kWarning) << "row count of " << table.schema << "." << table.name
                          << " not checked after the restore: row-level security applies to the restoring role "
                             "(the load compared its rows with the archive's)";
      counts.push_back(kRowsNotCounted);
      continue;
    }
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
    bool counted = true;
  };
  std::map<std::string, Group> groups;  // by partition root; checked after the plain tables
  for (size_t i = 0; i < tables.size(); ++i) {
    const LoadedTable& table = tables[i];
    if (!table.load_root.empty()) {
      Group& group = groups[table.load_root];
      group.members.push_back(absl::StrCat(table.schema, ".", table.name));
      group.archive_rows += table.archive_rows;
      group.restored_rows += restored[i];
      group.counted = group.counted && restored[i] != kRowsNotCounted;
      continue;
    }
    if (restored[i] != table.archive_rows && restored[i] != kRowsNotCounted) {
      return absl::DataLossError(absl::StrCat("table ", table.schema, ".", table.name, " has ", restored[i],
                                              " rows after the restore but the archive records ",
                                              table.archive_rows));
    }
  }
  for (const auto& [root, group] : groups) {
    if (group.counted && group.restored_rows != group.archive_rows) {
      return absl::DataLossError(absl::StrCat("the partitions loaded through ", root, " (",
                                              absl::StrJoin(group.members, ", "), ") have ", group.restored_rows,
                                              " rows after the restore but the archive records ",
                                              group.archive_rows));
    }
  }
  return absl::OkStatus();
}

}  // namespace pgark::engine
