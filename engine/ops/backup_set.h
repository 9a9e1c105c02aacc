#pragma once
// engine/ops: the backups of one database under one root, as stored: listing them, adding a
// new backup's tier copies and sidecar, and carrying out retention.
//
// Works on any storage::Storage (local directory, S3, MemoryStorage in tests) through its
// List/Copy/Remove calls only, so both roots of the 3-2-1 rule behave the same. Only keys
// that parse as this database's backups (naming.h) are ever touched, and retention removes
// only copies their sidecar lists and that are not dated in the future (retention.h).
//
// Thread-compatible: one caller per root at a time (the run lock guarantees it for runs;
// `pgark prune` run by hand next to a running backup could race with it, as documented).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/ops/config.h"
#include "engine/ops/retention.h"
#include "engine/storage/storage.h"

namespace pgark::ops {

// What checksums/<file>.verified says.
struct VerifiedRecord {
  std::string mode;         // "checksum", "full", "restore-test"
  std::string verified_at;  // RFC 3339 UTC
  std::string sha256_hex;
  std::string via;          // "" = verified on this root; "primary" = copy of a verified primary
};

// One backup (one file name) with all its copies.
struct ListedBackup {
  std::string file_name;
  absl::Time time;
  BackupFormat format = BackupFormat::kPgark;
  uint64_t size = 0;
  std::vector<Tier> tiers;           // where copies exist
  bool has_sidecar = false;
  std::optional<VerifiedRecord> verified;
};

struct RootListing {
  std::vector<BackupCopy> copies;   // every copy in every tier, unsorted
  std::vector<ListedBackup> backups;  // newest first
  std::map<std::string, bool> sidecars;  // file name -> sidecar present
  // File name -> why its sidecar could not be used (unreadable, malformed): none of its
  // copies is then in_sidecar.
  std::map<std::string, std::string> sidecar_problems;
};

// Lists `name`'s backups on `storage`. Reads each sidecar (to set BackupCopy::in_sidecar)
// and each verified record: small objects, one read each per backup. A sidecar or record
// that cannot be read is noted, never an error. Errors: those of Storage::List
// (kUnimplemented for stdio).
absl::StatusOr<RootListing> ListRoot(storage::Storage& storage, absl::string_view name);

// Serializes / parses a verified record (JSON).
std::string FormatVerifiedRecord(const VerifiedRecord& record);
absl::StatusOr<VerifiedRecord> ParseVerifiedRecord(absl::string_view text);

// Writes checksums/<file>.sha256 listing `keys` (overwrites).
absl::Status WriteSidecar(storage::Storage& storage, absl::string_view file_name,
                          absl::string_view sha256_hex, const std::vector<std::string>& keys);

// Copies daily/<file> into weekly/ and/or monthly/ as `decision` says (Storage::Copy: a hard
// link or server-side copy) and returns the keys of every copy, daily first. A copy that
// already exists counts as done (a retried run).
absl::StatusOr<std::vector<std::string>> AddTierCopies(storage::Storage& storage,
                                                       absl::string_view file_name,
                                                       const TierDecision& decision);

struct PruneOutcome {
  RetentionPlan plan;
  std::vector<std::string> removed_keys;  // archives, sidecars, records (planned, if dry run)
  std::vector<std::string> rewritten_sidecars;
  uint64_t removed_bytes = 0;
  // One line per copy retention left alone (plan.left_alone), naming it and saying why;
  // also logged as warnings.
  std::vector<std::string> warnings;
};

// Applies the retention policy of `config` to `name`'s backups on `storage`, at time `now`
// (the clock; never --now of a replayed run, which would make real backups look future).
// With `dry_run` nothing changes and removed_keys says what would go. Deletes archive copies
// first, then sidecars and records of backups with no copy left, and rewrites the sidecars
// of backups that keep some copies. Copies retention does not manage (retention.h) stay and
// are reported in warnings, dry run or not. Stops at the first storage error (a later run
// resumes).
absl::StatusOr<PruneOutcome> PruneRoot(storage::Storage& storage, const BackupConfig& config,
                                       bool dry_run, absl::Time now);
// The same at absl::Now().
absl::StatusOr<PruneOutcome> PruneRoot(storage::Storage& storage, const BackupConfig& config,
                                       bool dry_run);

}  // namespace pgark::ops
