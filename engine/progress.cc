#include "engine/progress.h"

#include "absl/strings/str_format.h"

namespace pgark::engine {

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  // Two calls, not a conditional format string: absl checks formats at compile time.
  if (unit == 0) return absl::StrFormat("%.0f %s", bytes, units[unit]);
  return absl::StrFormat("%.1f %s", bytes, units[unit]);
}

TransferProgress::Snapshot TransferProgress::Get() const {
  absl::MutexLock lock(&mu_);
  Snapshot snapshot;
  snapshot.phase = phase_;
  snapshot.items_done = items_done_;
  snapshot.items_total = items_total_;
  snapshot.total_bytes_estimate = total_bytes_estimate_;
  snapshot.bytes_done = bytes_done_;
  snapshot.rows_done = rows_done_;
  snapshot.stored_bytes = stored_bytes_;
  snapshot.streams_total = streams_total_;
  snapshot.streams_done = streams_done_;
  for (const auto& [name, state] : tables_) {
    if (state.parts_done < state.parts && (state.rows > 0 || state.bytes > 0)) {
      snapshot.active.push_back(state);
    }
  }
  return snapshot;
}

void TransferProgress::Start(int64_t total_bytes_estimate, int streams_total) {
  absl::MutexLock lock(&mu_);
  total_bytes_estimate_ = total_bytes_estimate;
  streams_total_ = streams_total;
}

void TransferProgress::Register(const std::string& table, int64_t estimated_bytes, int parts) {
  absl::MutexLock lock(&mu_);
  TableState& state = tables_[table];
  state.name = table;
  state.estimated_bytes = estimated_bytes;
  state.parts = parts;
}

void TransferProgress::AddChunk(const std::string& table, int64_t rows, int64_t bytes) {
  absl::MutexLock lock(&mu_);
  bytes_done_ += bytes;
  rows_done_ += rows;
  TableState& state = tables_[table];
  state.name = table;
  state.rows += rows;
  state.bytes += bytes;
}

void TransferProgress::StreamDone(const std::string& table) {
  absl::MutexLock lock(&mu_);
  ++streams_done_;
  ++tables_[table].parts_done;
}

void TransferProgress::SetStoredBytes(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  stored_bytes_ = bytes;
}

void TransferProgress::SetPhase(const std::string& phase, int items_total) {
  absl::MutexLock lock(&mu_);
  phase_ = phase;
  items_total_ = items_total;
  items_done_ = 0;
}

void TransferProgress::ItemDone() {
  absl::MutexLock lock(&mu_);
  ++items_done_;
}

}  // namespace pgark::engine
