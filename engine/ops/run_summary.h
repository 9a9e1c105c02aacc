#pragma once
// engine/ops: what a backup run did, step by step, and the records made from it: the JSON
// summary file, Prometheus textfile metrics and the text of notifications.
//
// Plain values; the file writers replace their file atomically (temp file + rename) so a
// reader (node_exporter, a monitoring script) never sees half a file.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pgark::ops {

struct StepRecord {
  std::string name;           // "lock", "space", "dump", "sidecar", "verify", "tiers", ...
  std::string status;         // "ok", "failed", "skipped", "warning"
  double seconds = 0;
  uint64_t bytes = 0;         // bytes written or checked by the step; 0 if none
  std::string detail;         // the error of a failed step, or a note
};

struct NotificationRecord {
  std::string channel;  // "slack", "discord", "webhook", "email"
  bool ok = false;
  std::string error;    // never holds a URL or credential
};

struct RunSummary {
  std::string name;           // PGARK_NAME
  std::string file_name;      // the backup's file name ("" if the run stopped before naming)
  std::string root;           // primary root, display form
  std::string copy_to;        // second root, display form, or ""
  absl::Time started;         // wall clock of the run (the --now time names the file)
  absl::Time finished;
  absl::Time backup_time;     // the time in the file name (--now or the clock)
  absl::Status status;        // the run's result
  int exit_code = 0;          // the process exit code for `status` (cli/exit_code.cc)
  std::string failed_step;    // the first step that failed, or ""
  uint64_t size_bytes = 0;
  std::string sha256_hex;
  std::string verify_mode;    // "checksum", "full", "restore-test"
  bool verified = false;
  std::vector<StepRecord> steps;
  std::vector<NotificationRecord> notifications;

  bool ok() const { return status.ok(); }
  double duration_seconds() const { return absl::ToDoubleSeconds(finished - started); }
};

// The summary as JSON (schema documented in docs/backup.md).
std::string SummaryToJson(const RunSummary& summary);

// One-line subject, e.g. "pgark backup of shop FAILED at dump: ..." / "pgark backup of shop ok".
std::string NotificationSubject(const RunSummary& summary);
// A few lines for humans: database, result, file, size, duration, failing step and error,
// verification, per-step timings.
std::string NotificationText(const RunSummary& summary);

// Writes `text` to `path` atomically (temp file in the same directory + rename).
absl::Status WriteFileAtomically(const std::string& path, const std::string& text);

// Prometheus text exposition for the node_exporter textfile collector. The last-success
// timestamp survives failed runs: it is carried over from `previous_text` (the file's
// current content, "" if none) when this run failed.
std::string MetricsText(const RunSummary& summary, const std::string& previous_text);

// Human-readable byte count ("1.5 GiB").
std::string HumanBytes(uint64_t bytes);

}  // namespace pgark::ops
