#pragma once
// engine/ops: which tiers a new backup joins, and which old copies retention removes.
//
// Pure planning over lists of backups; callers (backup_set.h) read the listing from a
// Storage and carry out the plan. Ordering always uses the time in the file name, never
// the object's modification time (copies and uploads change mtimes; WAL-G's
// --use-sentinel-time exists because ordering by storage time deleted new backups).
//
// Thread-safe (no state).

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/ops/naming.h"

namespace pgark::ops {

// One copy of a backup in one tier.
struct BackupCopy {
  Tier tier = Tier::kDaily;
  std::string file_name;  // "<name>_YYYYMMDD_HHMMSS.pgark"
  absl::Time time;        // from the file name
  uint64_t size = 0;
};

struct TierDecision {
  bool weekly = false;
  bool monthly = false;
};

// A run at `time` is kept in weekly/ when its UTC weekday is `weekly_day` and weekly/ holds
// no backup from the same UTC date; in monthly/ when monthly/ holds no backup from the same
// UTC month (so a month whose first days were missed still gets one). `existing` may hold
// copies of every tier; a tier with retention 0 is never joined.
TierDecision DecideTiers(absl::Time time, absl::Weekday weekly_day, int retain_weekly,
                         int retain_monthly, const std::vector<BackupCopy>& existing);

struct RetentionPolicy {
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
};

struct RetentionPlan {
  std::vector<BackupCopy> remove;  // copies to delete, oldest first
  std::vector<BackupCopy> keep;    // copies that stay, newest first per tier
  // Backups (file names) with no copy left after the plan: their sidecar and verified
  // record go too. Backups with some copies left keep a rewritten sidecar.
  std::vector<std::string> gone;
  // The newest verified backup, if retention would have removed its last copy and kept
  // one copy instead ("never delete the only copy of the newest verified backup").
  std::optional<std::string> protected_backup;
};

// Keeps the newest N copies of each tier (by file-name time; ties by name). The newest
// backup in `verified` (file names) always keeps at least one copy: if every copy of it
// would go, its copy in the most durable tier (monthly, weekly, daily) stays.
RetentionPlan PlanRetention(const std::vector<BackupCopy>& copies, const RetentionPolicy& policy,
                            const std::set<std::string>& verified);

}  // namespace pgark::ops
