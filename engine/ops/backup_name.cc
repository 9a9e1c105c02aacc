#include "engine/ops/backup_name.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "engine/ops/naming.h"

namespace pgark::ops {
namespace {

bool HasTier(const ListedBackup& backup, Tier tier) {
  for (Tier t : backup.tiers) {
    if (t == tier) return true;
  }
  return false;
}

absl::StatusOr<ResolvedBackup> Pick(const ListedBackup& backup, std::optional<Tier> tier,
                                    absl::string_view where) {
  ResolvedBackup resolved;
  resolved.file_name = backup.file_name;
  resolved.format = backup.format;
  resolved.verified = backup.verified.has_value();
  if (tier.has_value()) {
    if (!HasTier(backup, *tier)) {
      return absl::NotFoundError(absl::StrCat(backup.file_name, " has no copy in ", TierName(*tier),
                                              "/ of ", where));
    }
    resolved.key = TierKey(*tier, backup.file_name);
    return resolved;
  }
  // Daily, then weekly, then monthly: every copy holds the same bytes.
  for (Tier t : kAllTiers) {
    if (HasTier(backup, t)) {
      resolved.key = TierKey(t, backup.file_name);
      return resolved;
    }
  }
  return absl::NotFoundError(absl::StrCat(backup.file_name, " has no copy in ", where));
}

// The names `backup` answers to: its file name, without the extension, the stamp alone.
bool Matches(const ListedBackup& backup, absl::string_view name, absl::string_view text) {
  absl::string_view file = backup.file_name;
  if (file == text) return true;
  absl::string_view stem = file;
  if (!absl::ConsumeSuffix(&stem, ".pgark")) absl::ConsumeSuffix(&stem, ".sql.gz");
  if (stem == text) return true;
  std::string prefix = absl::StrCat(SafeNamePrefix(name), "_");
  return absl::ConsumePrefix(&stem, prefix) && stem == text;
}

absl::Status WrongFormat(const ListedBackup& backup, BackupFormat wanted) {
  if (backup.format == BackupFormat::kSqlGz && wanted == BackupFormat::kPgark) {
    return absl::FailedPreconditionError(absl::StrCat(
        backup.file_name, " is a plain SQL backup (PGARK_FORMAT=sql.gz), not a pgark archive: "
        "replay it with `gunzip -c FILE | psql -v ON_ERROR_STOP=1 -d DATABASE`"));
  }
  return absl::FailedPreconditionError(absl::StrCat(backup.file_name, " is a ",
                                                    BackupFormatName(backup.format), " backup, not ",
                                                    BackupFormatName(wanted)));
}

}  // namespace

absl::StatusOr<ResolvedBackup> ResolveBackupName(const RootListing& listing, absl::string_view spec,
                                                 absl::string_view name, absl::string_view where,
                                                 const BackupFormat* only_format) {
  absl::string_view text = absl::StripAsciiWhitespace(spec);
  std::optional<Tier> tier;
  if (size_t slash = text.find('/'); slash != absl::string_view::npos) {
    absl::string_view tier_name = text.substr(0, slash);
    for (Tier t : kAllTiers) {
      if (TierName(t) == tier_name) tier = t;
    }
    text.remove_prefix(slash + 1);
    if (!tier.has_value() || text.find('/') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backup name '", spec, "': expected NAME, latest or TIER/NAME with TIER daily, weekly "
          "or monthly"));
    }
  }
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("backup name '", spec, "' is empty"));
  }

  if (text == "latest") {
    const ListedBackup* newest = nullptr;
    for (const ListedBackup& backup : listing.backups) {  // newest first
      if (only_format != nullptr && backup.format != *only_format) continue;
      if (tier.has_value() && !HasTier(backup, *tier)) continue;
      if (newest == nullptr) newest = &backup;
      if (backup.verified.has_value()) return Pick(backup, tier, where);
    }
    if (newest == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "no ", only_format != nullptr ? absl::StrCat(BackupFormatName(*only_format), " ") : "",
          "backups of ", name, tier.has_value() ? absl::StrCat(" in ", TierName(*tier), "/") : "",
          " in ", where));
    }
    return Pick(*newest, tier, where);  // none verified: the newest, flagged unverified
  }

  std::vector<const ListedBackup*> matches;
  for (const ListedBackup& backup : listing.backups) {
    if (Matches(backup, name, text)) matches.push_back(&backup);
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat("no backup '", text, "' of ", name, " in ", where,
                                            " (`pgark list` shows them)"));
  }
  if (matches.size() > 1) {
    std::vector<std::string> files;
    for (const ListedBackup* backup : matches) files.push_back(backup->file_name);
    return absl::InvalidArgumentError(absl::StrCat("backup name '", text, "' is ambiguous: ",
                                                   absl::StrJoin(files, ", "),
                                                   "; give the full file name"));
  }
  if (only_format != nullptr && matches[0]->format != *only_format) {
    return WrongFormat(*matches[0], *only_format);
  }
  return Pick(*matches[0], tier, where);
}

}  // namespace pgark::ops
