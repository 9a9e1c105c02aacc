#pragma once
// Which "<db>_pre_restore_<UTC>" copies (the databases `pgark restore --replace` keeps) a
// retention rule removes: `pgark restore --drop-pre-restore`, and `pgark prune` / the prune
// step of `pgark backup` when PGARK_RETAIN_PRE_RESTORE(_DAYS) is set (docs/backup.md 6.1).
//
// Pure planning; replace.h lists the copies on a server and carries out the plan.
// Thread-safe (no state).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace pgark::engine::restore {

struct PreRestoreCopy {
  std::string name;
  absl::Time taken;    // parsed from the name; InfinitePast when incomplete
  int64_t size_bytes = 0;
  // A temporary database "pgark_replace_<hex>_<db>" of a --replace of this database: left
  // by a run that was killed (no session), or in use by one running now (sessions > 0).
  bool incomplete = false;
  int sessions = 0;  // counted for incomplete ones only
};

// A complete copy goes when it is not among the newest `keep`, or when it was taken more
// than `max_age` before `now`; unset limits remove nothing. Incomplete temporary databases
// with no session always go (a killed --replace's leftover holds a whole database's disk);
// those with sessions never (a --replace may be running).
struct PreRestoreRetention {
  std::optional<int> keep;                // >= 0
  std::optional<absl::Duration> max_age;  // > 0
  absl::Time now;                         // for max_age
};

struct PreRestorePlan {
  std::vector<PreRestoreCopy> drop;     // complete copies oldest first, then incomplete ones
  std::vector<PreRestoreCopy> keep;     // complete copies, newest first
  std::vector<PreRestoreCopy> in_use;   // incomplete ones with sessions: left alone
};

// `copies` in any order. Ties of `taken` are broken by name, so the plan is deterministic.
PreRestorePlan PlanPreRestoreRetention(std::vector<PreRestoreCopy> copies, const PreRestoreRetention& rule);

}  // namespace pgark::engine::restore
