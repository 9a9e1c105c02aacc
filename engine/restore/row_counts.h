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

// A table that row-level security applies to for the session's role (a role that is not a
// superuser restoring a table with FORCE ROW LEVEL SECURITY it owns): count(*) would count
// only the rows its policies show, so the table is not counted (and not compared), with a
// warning; the load already compared each COPY's row count with the archive's.
inline constexpr int64_t kRowsNotCounted = -1;

// SELECT count(*) FROM ONLY each table, in the order given (kRowsNotCounted as above).
// Server errors as returned. An interrupt (base::RequestCancel, the SIGINT handler) cancels
// the count running (one waiting on a lock included) and stops before the next: kCancelled.
absl::StatusOr<std::vector<int64_t>> CountRestoredRows(pg::Connection& conn, const std::vector<LoadedTable>& tables);

// OK when every table (or partition-root group) holds the archive's rows (tables and groups
// with a kRowsNotCounted count are left out); otherwise
// kDataLoss naming the first table or group that differs, with both counts.
// `restored` is parallel to `tables` (CountRestoredRows); kInternal if the sizes differ.
absl::Status CompareRestoredRows(const std::vector<LoadedTable>& tables, const std::vector<int64_t>& restored);

}  // namespace pgark::engine
