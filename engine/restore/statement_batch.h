#pragma once
// Runs the restore's catalog statements in batches: one round trip per batch of up to
// kMaxItems items (or kMaxBytes of SQL) instead of one per statement. A catalog with a
// million large objects, or tens of thousands of tables, otherwise spends minutes on round
// trips (2026-11-24: 20,000 large objects took 4.4 s to restore, ~0.2 ms per statement).
//
// Contract:
//   - Items run in the order added. An item's `done` runs once its batch succeeded.
//   - A batch is one transaction: the implicit transaction of a multi-statement query, or,
//     when the connection is inside a transaction (`in_transaction`), a savepoint that is
//     released after the batch.
//   - When a batch fails it is rolled back, and its items run again one at a time: the items
//     before the failing one are applied (as without batching), and the error is the failing
//     item's, annotated as FailedItem(status, what) ("<what>: <server message> (SQLSTATE x)").
//     When every item succeeds alone (the batch as a whole needed more locks than the
//     server's lock table holds, SQLSTATE 53200), the batch counts as done.
//   - Inside a transaction a failure leaves it aborted; the caller rolls back.
//
// Thread-safety: one thread at a time, like the connection it borrows.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

// "<what>: <server message> (SQLSTATE xxxxx)", keeping the status's code and payloads.
absl::Status FailedItem(const absl::Status& status, absl::string_view what);

class StatementBatch {
 public:
  static constexpr size_t kMaxItems = 1000;
  static constexpr size_t kMaxBytes = 1 << 20;

  // `conn` is borrowed and must outlive the batch.
  StatementBatch(pg::Connection& conn, bool in_transaction) : conn_(conn), in_transaction_(in_transaction) {}

  // Queues one item's SQL (may be several statements, or empty); `what` names the item in
  // errors ("restoring TABLE app.t"). Runs the batch when it is full.
  absl::Status Add(std::string sql, std::string what, std::function<void()> done = nullptr);
  // Runs what is queued. Call before the connection is used otherwise, and at the end.
  absl::Status Flush();

 private:
  struct Entry {
    std::string sql;
    std::string what;
    std::function<void()> done;
  };
  pg::Connection& conn_;
  const bool in_transaction_;
  std::vector<Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace pgark::engine::restore
