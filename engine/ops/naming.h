#pragma once
// engine/ops: names and places of backups under a root.
//
// Layout of a root (local directory or s3://bucket/prefix):
//   daily/<name>_YYYYMMDD_HHMMSS.pgark     every run (or .sql.gz with PGARK_FORMAT=sql.gz)
//   weekly/...                             the weekly-day run, a hard link / server-side copy
//   monthly/...                            the first run of each month, likewise
//   checksums/<file>.sha256                `sha256sum -c` sidecar, paths relative to the root
//   checksums/<file>.verified              JSON record written when verification passed
// Times are UTC. Only files whose names parse exactly as <name>_YYYYMMDD_HHMMSS.<ext> for the
// configured name are ever listed or pruned: anything else under the root is left alone
// (pg_back PR #11: a purge that removed files it had not written).
//
// Pure functions; thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/ops/config.h"

namespace pgark::ops {

enum class Tier { kDaily = 0, kWeekly = 1, kMonthly = 2 };
inline constexpr Tier kAllTiers[] = {Tier::kDaily, Tier::kWeekly, Tier::kMonthly};

// "daily", "weekly", "monthly" (also the directory names).
absl::string_view TierName(Tier tier);

// The name prefix for files of database `name`: characters outside [A-Za-z0-9.-] become
// '-' so the name is one path component and the '_' before the timestamp stays unambiguous.
std::string SafeNamePrefix(absl::string_view name);

// "<prefix>_YYYYMMDD_HHMMSS.pgark" or ".sql.gz", `time` in UTC (sub-second part dropped).
std::string BackupFileName(absl::string_view name, absl::Time time, BackupFormat format);

struct ParsedBackupName {
  absl::Time time;
  BackupFormat format;
};
// Parses a file name (no directory) made by BackupFileName for `name` in either format;
// std::nullopt for anything else.
std::optional<ParsedBackupName> ParseBackupFileName(absl::string_view file_name,
                                                    absl::string_view name);

// "<tier>/<file>", "checksums/<file>.sha256", "checksums/<file>.verified".
std::string TierKey(Tier tier, absl::string_view file_name);
std::string SidecarKey(absl::string_view file_name);
std::string VerifiedKey(absl::string_view file_name);

// Parses --now: "2024-03-01T02:00:00Z", "2024-03-01T02:00:00+01:00", "2024-03-01 02:00:00"
// (UTC) or "20240301_020000" (UTC). kInvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseNowFlag(absl::string_view text);

// RFC 3339 in UTC with seconds: "2024-03-01T02:00:00Z".
std::string FormatUtc(absl::Time time);

}  // namespace pgark::ops
