#pragma once
// engine/ops: which tiers a new backup joins, and which old copies retention removes.
//
// Pure planning over lists of backups; callers (backup_set.h) read the listing from a
// Storage and carry out the plan. Ordering always uses the time in the file name, never
// the object's modification time (copies and uploads change mtimes; WAL-G's
// --use-sentinel-time exists because ordering by storage time deleted new backups).
//
// Retention only counts and only removes copies pgark can vouch for: a copy must be listed
// in its backup's sidecar (checksums/<file>.sha256, one per backup, one line per copy;
// sidecar.h) and must not be dated in the future (later than now + kFutureTolerance). Any
// other copy whose name looks like a backup (a stray file, a hand-made copy, the debris of
// a run that died before its sidecar, a backup written under a wrong clock) takes no tier
// slot, is never removed and is reported (RetentionPlan::left_alone).
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

// How far ahead of the clock a backup's name may be and still count as a normal backup.
// Names are UTC; a host whose clock was set to local time instead writes names up to 14 h
// ahead (UTC+14), and hosts sharing a root drift by seconds. 24 h covers every time zone
// and DST with margin, while a clock that is days, months or years wrong (an unset RTC, a
// mistyped date, a stray file "from 2099") is caught. Within it a backup merely stays the
// newest for some hours longer than it should.
inline constexpr absl::Duration kFutureTolerance = absl::Hours(24);

// One copy of a backup in one tier.
struct BackupCopy {
  Tier tier = Tier::kDaily;
  std::string file_name;  // "<name>_YYYYMMDD_HHMMSS.pgark"
  absl::Time time;        // from the file name
  uint64_t size = 0;
  // The backup's sidecar lists this copy ("<tier>/<file>"): pgark wrote it and can vouch
  // for its bytes. ListRoot (backup_set.h) sets it from the sidecar's text.
  bool in_sidecar = false;
};

// True if retention counts and may remove `copy` at time `now`: it is in its sidecar and
// not dated later than now + kFutureTolerance.
bool RetentionManages(const BackupCopy& copy, absl::Time now);

struct TierDecision {
  bool weekly = false;
  bool monthly = false;
};

// A run at `time` is kept in weekly/ when its UTC weekday is `weekly_day` and weekly/ holds
// no backup from the same UTC date; in monthly/ when monthly/ holds no backup from the same
// UTC month (so a month whose first days were missed still gets one). `existing` may hold
// copies of every tier; only those RetentionManages(copy, time) are looked at, so a stray
// file in monthly/ does not cost the month its monthly copy. A tier with retention 0 is
// never joined.
TierDecision DecideTiers(absl::Time time, absl::Weekday weekly_day, int retain_weekly,
                         int retain_monthly, const std::vector<BackupCopy>& existing);

struct RetentionPolicy {
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
};

// A copy retention neither counts nor removes, and why (both may hold).
struct LeftAloneCopy {
  BackupCopy copy;
  bool not_in_sidecar = false;  // no sidecar, an unreadable one, or one that omits this copy
  bool dated_in_future = false;  // later than now + kFutureTolerance
};

struct RetentionPlan {
  std::vector<BackupCopy> remove;  // copies to delete, oldest first
  std::vector<BackupCopy> keep;    // copies that stay, newest first per tier
  std::vector<LeftAloneCopy> left_alone;  // copies it does not manage, by tier and name
  // Backups (file names) with no managed copy left after the plan: their sidecar and
  // verified record go too. Backups with some copies left keep a rewritten sidecar. (A
  // left-alone copy of such a backup is not listed in the sidecar, so it loses nothing.)
  std::vector<std::string> gone;
  // The newest verified backup, if retention would have removed its last copy and kept
  // one copy instead ("never delete the only copy of the newest verified backup").
  std::optional<std::string> protected_backup;
};

// Keeps the newest N copies of each tier (by file-name time; ties by name) among the copies
// RetentionManages(copy, now); the others go to left_alone, never to remove, and take no
// slot. The newest backup in `verified` (file names) among the managed copies always keeps
// at least one copy: if every copy of it would go, its copy in the most durable tier
// (monthly, weekly, daily) stays.
RetentionPlan PlanRetention(const std::vector<BackupCopy>& copies, const RetentionPolicy& policy,
                            const std::set<std::string>& verified, absl::Time now);

}  // namespace pgark::ops
