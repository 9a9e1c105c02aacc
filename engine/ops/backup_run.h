#pragma once
// engine/ops: one scheduled backup run (`pgark backup`), written against small interfaces
// so the dump and verify engines plug in without changing the orchestration.
//
// Steps, each logged on one line and recorded in the summary (status, seconds, bytes):
//   lock     per-database RunLock (a concurrent run fails here: kFailedPrecondition, exit 4);
//            it records the wall clock, never backup_time, as the run's start
//   space    local roots: free space >= estimated archive size (kResourceExhausted, exit 6)
//   dump     DumpFunction streams the archive into daily/<file> through a SHA-256 hasher and,
//            with PGARK_COPY_TO, a tee to the second root (dumped once, written twice).
//            Transient failures (kUnavailable, kAborted, kDeadlineExceeded) are retried
//            PGARK_RETRIES times with exponential backoff; a failed attempt publishes nothing.
//            A dump that waited PGARK_LOCK_WAIT_TIMEOUT for its table locks fails here
//            (kFailedPrecondition, exit 4, not retried) naming the tables and the key.
//   sidecar  checksums/<file>.sha256 on the primary
//   verify   checksum: re-read the stored object and compare SHA-256 (done here);
//            full / restore-test: VerifyFunction (the verify engine). On success
//            checksums/<file>.verified records it.
//   tiers    weekly/monthly copies (Storage::Copy) of a verified backup; sidecar rewritten
//   copy     second root: its sidecar, tier copies and verified record (a failure fails the
//            run, never touches the primary)
//   prune    retention on each root, then RunEnvironment::prune_more (pre-restore databases)
//   notify   Slack/Discord/webhook/e-mail per PGARK_NOTIFY_ON; failures recorded, never
//            change the result
// Afterwards the JSON summary and Prometheus metrics files are written when configured.
//
// A run that fails at dump leaves no object under a final name (storage.h writers publish
// only on Close()). Thread-compatible: one RunBackup at a time per RunEnvironment.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/ops/config.h"
#include "engine/ops/notify/notifier.h"
#include "engine/ops/run_summary.h"
#include "engine/options.h"
#include "engine/storage/storage.h"

namespace pgark::ops {

// The dump engine as a run sees it: writes one complete archive (or .sql.gz when
// config.format says so) of config.database into `out`, appending only. It may Close() `out`
// on success (engine::RunDump does); otherwise the run closes it, which publishes. On failure
// it must leave `out` unclosed, so nothing is published. Errors: the dump's own
// (kUnavailable, kAborted, kDeadlineExceeded are retried).
using DumpFunction =
    std::function<absl::Status(const BackupConfig& config, storage::ObjectWriter& out)>;

struct VerifyRequest {
  const BackupConfig* config = nullptr;
  storage::Storage* storage = nullptr;  // the root holding the archive
  std::string key;                      // "daily/<file>"
  std::string sha256_hex;               // of the bytes written
  VerifyMode mode = VerifyMode::kFull;  // kFull or kRestoreTest (kChecksum never reaches it)
};
// The verify engine: OK if the archive passed. kDataLoss for a damaged archive.
using VerifyFunction = std::function<absl::Status(const VerifyRequest& request)>;

// Everything a run uses besides its configuration. Pointers are borrowed.
struct RunEnvironment {
  storage::Storage* primary = nullptr;  // PGARK_BACKUP_ROOT (required)
  storage::Storage* copy_to = nullptr;  // PGARK_COPY_TO, or null
  DumpFunction dump;                    // required
  VerifyFunction verify;                // null: full/restore-test verification fails (exit 4)
  const std::vector<std::unique_ptr<notify::Notifier>>* notifiers = nullptr;  // may be null
  // Directory of the run lock; "" = no lock (unit tests).
  std::string lock_dir;
  // Free bytes at a local primary root; null = no free-space check (S3, or disabled).
  std::function<absl::StatusOr<uint64_t>()> free_bytes;
  // Size of the database in bytes, for the estimate when no previous backup exists; may be null.
  std::function<absl::StatusOr<uint64_t>()> database_bytes;
  // More housekeeping for the prune step, after the roots' retention: the CLI drops
  // pre-restore databases there when PGARK_RETAIN_PRE_RESTORE(_DAYS) is set. Null = none.
  // Returns a note for the step's detail and sets *left when something it should have
  // removed stayed (in use): the step then ends as "warning". An error fails the step.
  std::function<absl::StatusOr<std::string>(bool* left)> prune_more;
  // Sleeps between retries (tests pass a recorder). Default: absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
  // Appends one line to the run log (PGARK_LOG_FILE); null = stderr only.
  std::function<void(const std::string& line)> log_line;
  // The exit code for a status (cli/exit_code.cc); default 0 for OK, else 1.
  std::function<int(const absl::Status&)> exit_code_for;
};

// The dump options of a run's dump step (PGARK_FORMAT=pgark): PGARK_DATABASE, PGARK_JOBS and
// PGARK_LOCK_WAIT_TIMEOUT (which its timeout message names); everything else keeps engine::DumpOptions' defaults (the whole
// database). The CLI's DumpFunction starts from these.
engine::DumpOptions DumpOptionsFor(const BackupConfig& config);

// Estimated size of the next archive: the newest previous archive's size plus 25%, else
// the database size times a compression guess (1.0 for none, 0.5 otherwise), else 0.
uint64_t EstimateArchiveSize(std::optional<uint64_t> previous_size,
                             std::optional<uint64_t> database_bytes, absl::string_view compress);

// Runs one backup named after `backup_time` (UTC; --now or the clock). Never throws away a
// step's error: the returned summary's status is the first failing step's (annotated with
// the step), and every later step that still makes sense runs (notify always runs).
RunSummary RunBackup(const BackupConfig& config, absl::Time backup_time, RunEnvironment& env);

// Writes the summary JSON and metrics files named by `config` (if any). Returns the first
// error; the caller logs it (a record that cannot be written must not hide the backup's
// own result). RunBackup() calls it last.
absl::Status WriteRunRecords(const BackupConfig& config, const RunSummary& summary);

}  // namespace pgark::ops
