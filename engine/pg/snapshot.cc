#include "engine/pg/snapshot.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::pg {

absl::StatusOr<ExportedSnapshot> BeginExportedSnapshot(Connection& conn) {
  PGARK_RETURN_IF_ERROR(
      conn.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  PGARK_ASSIGN_OR_RETURN(
      Result result, conn.Query("SELECT pg_catalog.pg_export_snapshot(), pg_catalog.pg_is_in_recovery()"));
  ExportedSnapshot snapshot;
  snapshot.id = std::string(result.Get(0, 0));
  snapshot.in_recovery = result.GetBool(0, 1);
  return snapshot;
}

absl::Status ImportSnapshot(Connection& conn, absl::string_view snapshot_id) {
  PGARK_RETURN_IF_ERROR(conn.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  return base::Annotate(
      conn.Execute(absl::StrCat("SET TRANSACTION SNAPSHOT ", conn.QuoteLiteral(snapshot_id))),
      absl::StrCat("importing snapshot '", snapshot_id, "'"));
}

absl::Status CheckLockCapacity(Connection& conn, size_t tables) {
  PGARK_ASSIGN_OR_RETURN(
      Result settings,
      conn.Query("SELECT current_setting('max_locks_per_transaction')::int8, "
                 "current_setting('max_connections')::int8, "
                 "current_setting('max_prepared_transactions')::int8"));
  int64_t per_transaction = settings.GetInt64(0, 0).value_or(0);
  int64_t slots = settings.GetInt64(0, 1).value_or(0) + settings.GetInt64(0, 2).value_or(0);
  int64_t capacity = per_transaction * slots;
  if (slots <= 0 || static_cast<int64_t>(tables) <= capacity) return absl::OkStatus();
  // Enough for this dump on top of what the other sessions had room for before.
  int64_t suggested = per_transaction + (static_cast<int64_t>(tables) + slots - 1) / slots;
  return absl::FailedPreconditionError(absl::StrCat(
      "the dump must lock ", tables, " tables, but the server's lock table holds about ", capacity,
      " locks (max_locks_per_transaction ", per_transaction, " x (max_connections + "
      "max_prepared_transactions) ", slots, "); taking them would exhaust it for every session: set "
      "max_locks_per_transaction to at least ", suggested, " and restart the server, or dump fewer "
      "tables (-n/-t/-T)"));
}

absl::Status LockTablesShared(Connection& conn, const std::vector<std::string>& qualified_names,
                              absl::Duration wait_timeout, absl::string_view wait_timeout_setting) {
  if (qualified_names.empty()) return absl::OkStatus();
  PGARK_RETURN_IF_ERROR(CheckLockCapacity(conn, qualified_names.size()));
  if (wait_timeout > absl::ZeroDuration()) {
    int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(wait_timeout));
    PGARK_RETURN_IF_ERROR(conn.Execute(absl::StrCat("SET lock_timeout = ", ms)));
  }
  constexpr size_t kBatchBytes = 100 * 1024;
  size_t begin = 0;
  while (begin < qualified_names.size()) {
    size_t end = begin;
    size_t bytes = 0;
    while (end < qualified_names.size() && (end == begin || bytes < kBatchBytes)) {
      bytes += qualified_names[end].size() + 2;
      ++end;
    }
    std::vector<std::string> batch(qualified_names.begin() + begin, qualified_names.begin() + end);
    absl::Status status = conn.Execute(
        absl::StrCat("LOCK TABLE ", absl::StrJoin(batch, ", "), " IN ACCESS SHARE MODE"));
    if (!status.ok()) {
      std::string names = absl::StrJoin(batch.begin(), batch.begin() + std::min<size_t>(batch.size(), 5), ", ");
      if (batch.size() > 5) absl::StrAppend(&names, ", ... (", batch.size(), " tables)");
      if (SqlStateOf(status) == "55P03") {
        absl::Status timeout = absl::FailedPreconditionError(absl::StrCat(
            "timed out after ", absl::FormatDuration(wait_timeout), " (", wait_timeout_setting,
            ") waiting for ACCESS SHARE locks on ", names,
            ": another session holds or awaits a conflicting lock"));
        timeout.SetPayload(base::kSqlStatePayload, absl::Cord("55P03"));
        return timeout;
      }
      if (SqlStateOf(status) == "53200") {  // out of shared memory: the lock table is full
        return base::Annotate(status, absl::StrCat(
            "locking ", names, " (", qualified_names.size(), " tables in all): the server's lock "
            "table is full; raise max_locks_per_transaction (and restart the server)"));
      }
      return base::Annotate(status, absl::StrCat("locking ", names));
    }
    begin = end;
  }
  if (wait_timeout > absl::ZeroDuration()) PGARK_RETURN_IF_ERROR(conn.Execute("SET lock_timeout = 0"));
  return absl::OkStatus();
}

absl::Status LockTableNoWait(Connection& conn, absl::string_view qualified_name) {
  absl::Status status =
      conn.Execute(absl::StrCat("LOCK TABLE ", qualified_name, " IN ACCESS SHARE MODE NOWAIT"));
  if (!status.ok() && SqlStateOf(status) == "55P03") {
    absl::Status locked = absl::FailedPreconditionError(absl::StrCat(
        "table ", qualified_name,
        " is locked by another session (a conflicting lock was requested after the dump "
        "started); run the dump again when it is released"));
    locked.SetPayload(base::kSqlStatePayload, absl::Cord("55P03"));
    return locked;
  }
  return status;
}

std::string OidArrayLiteral(const std::vector<uint32_t>& oids) {
  return absl::StrCat("{", absl::StrJoin(oids, ","), "}");
}

absl::StatusOr<std::vector<std::string>> FindRewrittenTables(Connection& conn,
                                                             const std::vector<uint32_t>& oids) {
  // relfilenode comes from pg_class as the snapshot sees it; pg_relation_filenode() looks at
  // the current catalog. Partitioned tables have no storage: NULL, never reported.
  PGARK_ASSIGN_OR_RETURN(
      Result result,
      conn.QueryParams("SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_class c "
                       "WHERE c.oid OPERATOR(pg_catalog.=) ANY($1::pg_catalog.oid[]) "
                       "AND c.relfilenode OPERATOR(pg_catalog.<>) pg_catalog.pg_relation_filenode(c.oid) "
                       "ORDER BY 1",
                       {OidArrayLiteral(oids)}));
  std::vector<std::string> names;
  for (int row = 0; row < result.rows(); ++row) names.emplace_back(result.Get(row, 0));
  return names;
}

absl::StatusOr<absl::Duration> ParseLockWaitTimeout(absl::string_view text) {
  std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  int64_t milliseconds = 0;
  if (absl::SimpleAtoi(value, &milliseconds) && milliseconds >= 0) {
    return absl::Milliseconds(milliseconds);
  }
  // absl::ParseDuration knows "m" for minutes; PostgreSQL and people write "min".
  if (absl::EndsWith(value, "min")) value = absl::StrCat(value.substr(0, value.size() - 3), "m");
  absl::Duration duration;
  if (!value.empty() && absl::ParseDuration(value, &duration) && duration >= absl::ZeroDuration() &&
      duration != absl::InfiniteDuration()) {
    return duration;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid lock wait timeout '", text, "' (e.g. 30s, 500ms, 2min)"));
}

}  // namespace pgark::pg
