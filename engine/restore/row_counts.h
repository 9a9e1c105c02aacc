#pragma once
// The row-count check after a restore (`--replace` before it swaps, `verify --restore-test`):
// every loaded table holds exactly the rows the archive's index records for it.
//
// Tables loaded through their partition root (LoadedTable::load_root, hash partitioning on
// an enum) are checked as one group per root: the target routes each row by its own hash,
// so a sibling may hold rows that another sibling's stream carried. The group's sum must
// match the sum the archive records.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/pg/connection.h"
#include "engine/restore/restore_engine.h"

namespace pgark::engine {

// SELECT count(*) FROM ONLY each table, in the order given. Server errors as returned.
absl::StatusOr<std::vector<int64_t>> CountRestoredRows(pg::Connection& conn, const std::vector<LoadedTable>& tables);

// OK when every table (or partition-root group) holds the archive's rows; otherwise
// kDataLoss naming the first table or group that differs, with both counts.
// `restored` is parallel to `tables` (CountRestoredRows); kInternal if the sizes differ.
absl::Status CompareRestoredRows(const std::vector<LoadedTable>& tables, const std::vector<int64_t>& restored);

}  // namespace pgark::engine
