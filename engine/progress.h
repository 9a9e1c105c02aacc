#pragma once
// Live counters of a running dump or restore, updated by the engine's workers and read by a
// display (cli/progress_display.h). Thread-safe: every method may be called from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace pgark::engine {

// "1.5 MB": powers of 1024, for progress lines and summaries.
std::string HumanBytes(double bytes);

class TransferProgress {
 public:
  struct TableState {
    std::string name;
    int64_t rows = 0;
    int64_t bytes = 0;          // raw COPY bytes so far
    int64_t estimated_bytes = 0;
    int parts = 1;
    int parts_done = 0;
  };
  struct Snapshot {
    std::string phase;                 // "" (dump), or the restore's phase ("pre-data", ...)
    int items_done = 0;                // catalog items of the phase done / to do (0: not counted)
    int items_total = 0;
    int64_t total_bytes_estimate = 0;  // from the catalog (dump) or the archive (restore)
    int64_t bytes_done = 0;            // raw bytes streamed
    int64_t rows_done = 0;
    int64_t stored_bytes = 0;          // archive bytes written so far (dump only)
    int streams_total = 0;
    int streams_done = 0;
    std::vector<TableState> active;    // tables with a COPY in progress
  };

  Snapshot Get() const;

  // Engine side.
  void Start(int64_t total_bytes_estimate, int streams_total);
  void SetPhase(const std::string& phase, int items_total = 0);
  void ItemDone();
  void Register(const std::string& table, int64_t estimated_bytes, int parts);
  void AddChunk(const std::string& table, int64_t rows, int64_t bytes);
  void StreamDone(const std::string& table);
  void SetStoredBytes(int64_t bytes);

 private:
  mutable absl::Mutex mu_;
  std::string phase_ ABSL_GUARDED_BY(mu_);
  int items_done_ ABSL_GUARDED_BY(mu_) = 0;
  int items_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t total_bytes_estimate_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t bytes_done_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rows_done_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t stored_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_total_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_done_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, TableState> tables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pgark::engine
