#include "engine/restore/statement_batch.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "format/base/cancellation.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine::restore {
namespace {

// Items' SQL ends with ";\n" as the catalog writes it; a statement without its semicolon
// would run into the next one's.
void AppendStatements(std::string* out, absl::string_view sql) {
  absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(sql);
  if (trimmed.empty()) return;
  absl::StrAppend(out, trimmed, trimmed.back() == ';' ? "\n" : ";\n");
}

}  // namespace

absl::Status FailedItem(const absl::Status& status, absl::string_view what) {
  std::string sqlstate = pg::SqlStateOf(status);
  std::string message = absl::StrCat(what, ": ", status.message());
  if (!sqlstate.empty()) absl::StrAppend(&message, " (SQLSTATE ", sqlstate, ")");
  return base::WithMessage(status, message);
}

absl::Status StatementBatch::Add(std::string sql, std::string what, std::function<void()> done) {
  bytes_ += sql.size();
  entries_.push_back({std::move(sql), std::move(what), std::move(done)});
  if (entries_.size() >= kMaxItems || bytes_ >= kMaxBytes) return Flush();
  return absl::OkStatus();
}

absl::Status StatementBatch::Flush() {
  std::vector<Entry> entries = std::move(entries_);
  entries_.clear();
  bytes_ = 0;
  // An interrupt that came while the connection was idle cancelled nothing: stop here.
  if (!entries.empty() && base::CancelRequested()) return FailedItem(base::CheckCancelled(), entries.front().what);
  std::string sql;
  for (const Entry& entry : entries) AppendStatements(&sql, entry.sql);
  absl::Status status;
  if (!sql.empty()) {
    status = conn_.Execute(in_transaction_
                               ? absl::StrCat("SAVEPOINT pgark_batch;\n", sql, "RELEASE SAVEPOINT pgark_batch;")
                               : sql);
  }
  if (status.ok()) {
    for (const Entry& entry : entries) {
      if (entry.done) entry.done();
    }
    return absl::OkStatus();
  }
  if (in_transaction_) {
    absl::Status back = conn_.Execute("ROLLBACK TO SAVEPOINT pgark_batch");
    if (!back.ok()) return FailedItem(status, entries.front().what);
  }
  if (status.code() == absl::StatusCode::kCancelled || base::CancelRequested()) {
    // Cancelled (an interrupt): the batch is rolled back and must not be replayed.
    return FailedItem(status, entries.size() == 1 ? entries.front().what
                                                  : absl::StrCat(entries.front().what, " and the ",
                                                                 entries.size() - 1, " items after it"));
  }
  // Find the failing item: the same statements, one item at a time.
  for (const Entry& entry : entries) {
    if (base::CancelRequested()) return FailedItem(base::CheckCancelled(), entry.what);
    std::string one;
    AppendStatements(&one, entry.sql);
    if (!one.empty()) {
      absl::Status alone = conn_.Execute(one);
      if (!alone.ok()) return FailedItem(alone, entry.what);
    }
    if (entry.done) entry.done();
  }
  // Each item succeeded alone: the state is what running them one by one gives, as without
  // batching. The batch failed for running them together (out of lock table slots, 53200).
  return absl::OkStatus();
}

}  // namespace pgark::engine::restore
