#pragma once
// One consistent snapshot shared by several connections (catalog-reference.md, section c).
//
// The leader runs BeginExportedSnapshot(): a REPEATABLE READ READ ONLY transaction and
// pg_export_snapshot(). Workers run ImportSnapshot() with the returned id before their first
// query. A snapshot can be imported only while the exporting transaction is open, so the
// leader keeps its transaction (and its table locks) until every worker is done; libpq's TCP
// keepalives (on by default) keep an idle leader connection from being dropped by middleboxes.
//
// Thread-safety: as pg::Connection (one thread per connection).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/pg/connection.h"

namespace pgark::pg {

struct ExportedSnapshot {
  std::string id;             // e.g. "00000003-0000001B-1"
  bool in_recovery = false;   // the source is a standby
};

// Leader: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; pg_export_snapshot().
// REQUIRES: no transaction open on `conn`.
absl::StatusOr<ExportedSnapshot> BeginExportedSnapshot(Connection& conn);

// Worker: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT.
// Errors: kInvalidArgument/kFailedPrecondition from the server ("invalid snapshot
// identifier") when the exporter's transaction has ended.
absl::Status ImportSnapshot(Connection& conn, absl::string_view snapshot_id);

// kFailedPrecondition, saying what to set, when locking `tables` tables at once would not fit
// in the server's shared lock table (max_locks_per_transaction x (max_connections +
// max_prepared_transactions)); filling it would make every other session fail with "out of
// shared memory".
absl::Status CheckLockCapacity(Connection& conn, size_t tables);

// Takes ACCESS SHARE locks on `qualified_names` (already quoted) in batches of about 100 kB of
// SQL, after CheckLockCapacity(). A non-zero `wait_timeout` bounds each wait (lock_timeout); a
// timeout gives kFailedPrecondition naming the batch's first tables and `wait_timeout_setting`,
// the knob the user sets it with ("--lock-wait-timeout", "PGARK_LOCK_WAIT_TIMEOUT"). On error
// the transaction is aborted.
absl::Status LockTablesShared(Connection& conn, const std::vector<std::string>& qualified_names,
                              absl::Duration wait_timeout, absl::string_view wait_timeout_setting);

// A lock wait timeout as `pgark dump --lock-wait-timeout` and PGARK_LOCK_WAIT_TIMEOUT take it:
// "30s", "500ms", "2min", "1h" (absl::ParseDuration units, plus "min") or a bare number of
// milliseconds (PostgreSQL's rule for lock_timeout). Zero means no limit.
// Errors: kInvalidArgument for anything else, including negative and infinite values.
absl::StatusOr<absl::Duration> ParseLockWaitTimeout(absl::string_view text);

// Worker: LOCK TABLE ... IN ACCESS SHARE MODE NOWAIT. A conflicting lock (held or queued)
// gives kFailedPrecondition naming the table, instead of a deadlock the server cannot see.
absl::Status LockTableNoWait(Connection& conn, absl::string_view qualified_name);

// After locking: the tables among `oids` whose relfilenode in the snapshot differs from the
// current one, i.e. that were rewritten or truncated between snapshot and lock (their rows
// would look empty or stale to the snapshot). Returns their names (regclass text).
absl::StatusOr<std::vector<std::string>> FindRewrittenTables(Connection& conn,
                                                             const std::vector<uint32_t>& oids);

// "{1,2,3}": an oid[] literal for a query parameter.
std::string OidArrayLiteral(const std::vector<uint32_t>& oids);

}  // namespace pgark::pg
