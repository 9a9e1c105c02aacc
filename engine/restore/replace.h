#pragma once
// `pgark restore --replace`: an atomic replace of a whole database (docs/restore.md).
//
//   preflight  (nothing changed yet) the target's name fits "<db>_pre_restore_<UTC>" in 63
//              bytes; the role may create and rename databases; no other session is connected
//              to the target (or terminate_connections); the confirm callback, when set and
//              the target holds user objects, agrees
//   restore    into a new temporary database "pgark_replace_<random>_<db>" created as `restore -C`
//              creates the archive's database (RestoreOptions::create_as: encoding, locale,
//              owner, tablespace, settings, comment, privileges, honouring -O/-x/--no-comments/
//              --no-tablespaces). An archive that records nothing about its database: created
//              like the target (encoding, locale, owner, connection limit, privileges,
//              ALTER DATABASE ... SET), as before
//   verify     every loaded table's row count equals the archive index's
//   limits     the archive's connection limit and IS_TEMPLATE, as -C sets them, only now (a
//              limit would stop the restore's and the verification's sessions); an archive
//              that records no connection limit (written before 2026-11-26): the old
//              database's
//   swap       one transaction: target -> "<db>_pre_restore_<UTC YYYYMMDD_HHMMSS>",
//              temporary -> target. With terminate_connections, sessions that connected in
//              the meantime are terminated and the swap retried; without it the swap fails
//   after      keep_old=false drops the pre-restore copy (pgark dev load)
//
// On any failure before or during the swap the target database is untouched (same name,
// same contents) and the temporary database is dropped (a template too: DropDatabase);
// the error says so. A template target is renamed like any other; its pre-restore copy stays
// a template, which DropPreRestoreCopies can drop.
// Thread-safety: call from one thread.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/archive_io.h"
#include "engine/restore/pre_restore_retention.h"
#include "engine/restore/restore_engine.h"

namespace pgark::engine::restore {

struct ReplaceOptions {
  // conninfo (or target_database) names the database to replace; create/clean must be
  // false (the temporary database is always new). Its confirm callback is used as below.
  RestoreOptions restore;
  // Terminate other sessions of the target (pg_terminate_backend) right before the swap.
  // Default false: any other session makes the replace fail before anything is created.
  bool terminate_connections = false;
  // Keep the old database as "<db>_pre_restore_<UTC>". Default true.
  bool keep_old = true;
  // The UTC time in the pre-restore name. Default: now.
  absl::Time now = absl::InfiniteFuture();
};

struct ReplaceResult {
  RestoreResult restore;
  std::string database;          // the replaced database's name
  bool replaced_existing = false;  // false: the target did not exist and was created
  std::string old_kept_as;       // "<db>_pre_restore_<UTC>", "" when none was kept
  int terminated_sessions = 0;
  int verified_tables = 0;       // tables whose row count was checked against the archive
};

// Runs the replace of the database restore.conninfo names, from an open archive.
// Errors: kInvalidArgument (options, name too long), kFailedPrecondition (other sessions,
// missing privileges, a pre-restore copy of that second exists), kAborted (the confirm
// callback declined), restore errors, kDataLoss (row counts differ). All leave the target
// database untouched.
absl::StatusOr<ReplaceResult> RunReplace(const ReplaceOptions& options, OpenedArchive& archive);
absl::StatusOr<ReplaceResult> RunReplace(const ReplaceOptions& options, const std::string& location);

// "<db>_pre_restore_YYYYMMDD_HHMMSS" for `time` in UTC.
std::string PreRestoreName(const std::string& database, absl::Time time);

// The "<db>_pre_restore_*" databases on the server of `conninfo` (db = the conninfo's
// database), newest first, then the incomplete temporary databases of --replace runs of
// that database, by name.
absl::StatusOr<std::vector<PreRestoreCopy>> ListPreRestoreCopies(const std::string& conninfo);

// What a drop does with a copy it should drop that has sessions of other clients.
enum class BusyCopy {
  kStop,       // stop with kFailedPrecondition, naming it and what was dropped before it
  kSkip,       // leave it and report it (pgark prune: a scheduled job never disconnects anyone)
  kTerminate,  // DROP DATABASE ... WITH (FORCE) (PostgreSQL 13+)
};

struct PreRestoreDropOutcome {
  PreRestorePlan plan;
  std::vector<PreRestoreCopy> dropped;  // in plan order; with dry_run, what would be dropped
  // Copies the plan drops that were left: "<name>: N session(s) (user@application, ...)".
  std::vector<std::string> skipped;
};

// Applies `rule` to the pre-restore copies of the conninfo's database (see
// PlanPreRestoreRetention). Incomplete temporary databases are never forced and never stop
// the run (their sessions mean a --replace may be running; they are in plan.in_use).
// With dry_run nothing is dropped and `busy` is only reported. Errors: listing or dropping
// (annotated with the database), kFailedPrecondition for a busy copy with kStop.
absl::StatusOr<PreRestoreDropOutcome> DropPreRestoreCopies(const std::string& conninfo,
                                                           const PreRestoreRetention& rule, BusyCopy busy,
                                                           bool dry_run = false);

}  // namespace pgark::engine::restore
