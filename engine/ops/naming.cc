#include "engine/ops/naming.h"

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pgark::ops {
namespace {

constexpr char kStampFormat[] = "%Y%m%d_%H%M%S";
constexpr size_t kStampLength = 15;  // YYYYMMDD_HHMMSS

absl::string_view Extension(BackupFormat format) {
  return format == BackupFormat::kSqlGz ? ".sql.gz" : ".pgark";
}

// "YYYYMMDD_HHMMSS" in UTC. absl::ParseTime's %Y is greedy ("20240301" is a year), so the
// fields are cut by position.
std::optional<absl::Time> ParseStamp(absl::string_view stamp) {
  if (stamp.size() != kStampLength) return std::nullopt;
  for (size_t i = 0; i < kStampLength; ++i) {
    if (i == 8 ? stamp[i] != '_' : !absl::ascii_isdigit(stamp[i])) return std::nullopt;
  }
  auto field = [&](size_t pos, size_t len) {
    int value = 0;
    for (size_t i = pos; i < pos + len; ++i) value = value * 10 + (stamp[i] - '0');
    return value;
  };
  absl::CivilSecond civil(field(0, 4), field(4, 2), field(6, 2), field(9, 2), field(11, 2),
                          field(13, 2));
  // Reject impossible stamps that CivilSecond normalizes (20240231 -> March 2).
  if (civil.year() != field(0, 4) || civil.month() != field(4, 2) || civil.day() != field(6, 2) ||
      civil.hour() != field(9, 2) || civil.minute() != field(11, 2) ||
      civil.second() != field(13, 2)) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

}  // namespace

absl::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kDaily:
      return "daily";
    case Tier::kWeekly:
      return "weekly";
    case Tier::kMonthly:
      return "monthly";
  }
  return "daily";
}

std::string SafeNamePrefix(absl::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') c = '-';
  }
  if (out.empty() || out[0] == '.') out.insert(0, "db");
  return out;
}

std::string BackupFileName(absl::string_view name, absl::Time time, BackupFormat format) {
  return absl::StrCat(SafeNamePrefix(name), "_",
                      absl::FormatTime(kStampFormat, time, absl::UTCTimeZone()),
                      Extension(format));
}

std::optional<ParsedBackupName> ParseBackupFileName(absl::string_view file_name,
                                                    absl::string_view name) {
  ParsedBackupName parsed;
  if (absl::ConsumeSuffix(&file_name, ".pgark")) {
    parsed.format = BackupFormat::kPgark;
  } else if (absl::ConsumeSuffix(&file_name, ".sql.gz")) {
    parsed.format = BackupFormat::kSqlGz;
  } else {
    return std::nullopt;
  }
  std::string prefix = absl::StrCat(SafeNamePrefix(name), "_");
  if (!absl::ConsumePrefix(&file_name, prefix) || file_name.size() != kStampLength) {
    return std::nullopt;
  }
  std::optional<absl::Time> time = ParseStamp(file_name);
  if (!time.has_value()) return std::nullopt;
  parsed.time = *time;
  return parsed;
}

std::string TierKey(Tier tier, absl::string_view file_name) {
  return absl::StrCat(TierName(tier), "/", file_name);
}
std::string SidecarKey(absl::string_view file_name) {
  return absl::StrCat("checksums/", file_name, ".sha256");
}
std::string VerifiedKey(absl::string_view file_name) {
  return absl::StrCat("checksums/", file_name, ".verified");
}

absl::StatusOr<absl::Time> ParseNowFlag(absl::string_view text) {
  std::string input(absl::StripAsciiWhitespace(text));
  absl::Time time;
  std::string error;
  for (const char* format : {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ",
                             "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, input, absl::UTCTimeZone(), &time, &error)) return time;
  }
  if (std::optional<absl::Time> stamp = ParseStamp(input)) return *stamp;
  return absl::InvalidArgumentError(
      absl::StrCat("--now: cannot parse '", input,
                   "' (expected UTC like 2024-03-01T02:00:00Z or 20240301_020000)"));
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace pgark::ops
