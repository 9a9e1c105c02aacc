#pragma once
// engine/ops: retention of the databases `pgark restore --replace` keeps as
// "<db>_pre_restore_<UTC>" on PGARK_DATABASE's server, applied by `pgark prune` and by the
// prune step of `pgark backup` when PGARK_RETAIN_PRE_RESTORE and/or
// PGARK_RETAIN_PRE_RESTORE_DAYS is set (docs/backup.md 6.1). Unset, nothing is dropped:
// dropping databases on the production server is something the operator opts into.
//
// A copy that has sessions is left and reported (a scheduled job never disconnects anyone);
// so is a temporary database of a --replace that may be running. Leftovers of a killed
// --replace (no session) are dropped.
// Thread-compatible.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/ops/config.h"
#include "engine/restore/replace.h"

namespace pgark::ops {

// True when the configuration asks for pre-restore retention.
bool PrunesPreRestoreCopies(const BackupConfig& config);

// The configuration's rule, ages measured against `now`.
engine::restore::PreRestoreRetention PreRestoreRuleOf(const BackupConfig& config, absl::Time now);

// Applies the rule to config.database's copies (dry_run: drops nothing). Errors: the
// server's (connecting, listing, dropping), annotated with the step.
absl::StatusOr<engine::restore::PreRestoreDropOutcome> PrunePreRestoreCopies(const BackupConfig& config,
                                                                            absl::Time now, bool dry_run);

// One line for logs and the run summary: "dropped 2 pre-restore copies (1.2 GiB), kept 1"
// (dry run: "would drop"), plus "; left N in use: <name>: ..." when some were skipped.
std::string DescribePreRestorePrune(const engine::restore::PreRestoreDropOutcome& outcome, bool dry_run);

}  // namespace pgark::ops
