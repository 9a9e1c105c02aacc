#include "engine/ops/backup_set.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "engine/ops/sidecar.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::ops {
namespace {

// "retention leaves <root>/<tier>/<file> alone ...: <why>", for the operator to act on.
std::string LeftAloneWarning(const LeftAloneCopy& left, const RootListing& listing,
                             absl::string_view root, absl::Time now) {
  const std::string& file = left.copy.file_name;
  std::string key = TierKey(left.copy.tier, file);
  std::vector<std::string> why;
  if (left.not_in_sidecar) {
    auto problem = listing.sidecar_problems.find(file);
    if (problem != listing.sidecar_problems.end()) {
      why.push_back(absl::StrCat("its sidecar ", SidecarKey(file), " cannot be used (",
                                 problem->second, "), so pgark cannot vouch for it"));
    } else if (listing.sidecars.count(file) > 0) {
      why.push_back(absl::StrCat("its sidecar ", SidecarKey(file), " does not list ", key,
                                 ", so pgark cannot vouch for this copy"));
    } else {
      why.push_back(absl::StrCat("it has no sidecar ", SidecarKey(file),
                                 ", so pgark cannot vouch for it (not written by pgark, or its "
                                 "run stopped before the sidecar step)"));
    }
  }
  if (left.dated_in_future) {
    why.push_back(absl::StrCat("it is dated in the future: is the clock right? (named ",
                               FormatUtc(left.copy.time), ", the clock says ", FormatUtc(now),
                               ")"));
  }
  return absl::StrCat("retention leaves ", root, "/", key,
                      " alone (it takes no retention slot and is never deleted): ",
                      absl::StrJoin(why, "; "));
}

}  // namespace

std::string FormatVerifiedRecord(const VerifiedRecord& record) {
  nlohmann::json json = {{"mode", record.mode},
                         {"verified_at", record.verified_at},
                         {"sha256", record.sha256_hex}};
  if (!record.via.empty()) json["via"] = record.via;
  return json.dump() + "\n";
}

absl::StatusOr<VerifiedRecord> ParseVerifiedRecord(absl::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("mode") ||
      !json["mode"].is_string()) {
    return absl::DataLossError("malformed verified record");
  }
  VerifiedRecord record;
  record.mode = json["mode"].get<std::string>();
  record.verified_at = json.value("verified_at", "");
  record.sha256_hex = json.value("sha256", "");
  record.via = json.value("via", "");
  return record;
}

absl::StatusOr<RootListing> ListRoot(storage::Storage& storage, absl::string_view name) {
  RootListing listing;
  std::map<std::string, ListedBackup> backups;
  for (Tier tier : kAllTiers) {
    std::string prefix = absl::StrCat(TierName(tier), "/");
    PGARK_ASSIGN_OR_RETURN(auto objects, storage.List(prefix));
    for (const storage::ObjectInfo& info : objects) {
      absl::string_view file = info.key;
      // Only direct children: daily/x, not daily/sub/x.
      if (!absl::ConsumePrefix(&file, prefix) || absl::StrContains(file, '/')) continue;
      std::optional<ParsedBackupName> parsed = ParseBackupFileName(file, name);
      if (!parsed.has_value()) continue;
      listing.copies.push_back({tier, std::string(file), parsed->time, info.size});
      ListedBackup& backup = backups[std::string(file)];
      backup.file_name = std::string(file);
      backup.time = parsed->time;
      backup.format = parsed->format;
      backup.size = std::max(backup.size, info.size);
      backup.tiers.push_back(tier);
    }
  }
  PGARK_ASSIGN_OR_RETURN(auto checksums, storage.List("checksums/"));
  for (const storage::ObjectInfo& info : checksums) {
    absl::string_view file = info.key;
    if (!absl::ConsumePrefix(&file, "checksums/")) continue;
    if (absl::ConsumeSuffix(&file, ".sha256")) {
      if (ParseBackupFileName(file, name).has_value()) listing.sidecars[std::string(file)] = true;
      auto it = backups.find(std::string(file));
      if (it != backups.end()) it->second.has_sidecar = true;
    } else if (absl::ConsumeSuffix(&file, ".verified")) {
      auto it = backups.find(std::string(file));
      if (it == backups.end()) continue;
      auto text = ReadSmallObject(storage, info.key, 64 * 1024);
      if (!text.ok()) continue;  // listed but gone meanwhile, or unreadable: not verified
      auto record = ParseVerifiedRecord(*text);
      if (record.ok()) it->second.verified = *record;
    }
  }
  // Which copies the sidecars vouch for: a line "<hash>  <tier>/<file>" in the file's own
  // sidecar. A sidecar that cannot be read or parsed vouches for nothing.
  std::set<std::string> vouched;
  for (const auto& [file, present] : listing.sidecars) {
    if (backups.count(file) == 0) continue;  // no copy left to vouch for
    absl::StatusOr<std::string> text = ReadSmallObject(storage, SidecarKey(file), 64 * 1024);
    absl::StatusOr<Sidecar> sidecar = text.ok() ? ParseSidecar(*text) : text.status();
    if (!sidecar.ok()) {
      listing.sidecar_problems[file] = std::string(sidecar.status().message());
      continue;
    }
    for (const std::string& key : sidecar->keys) {
      for (Tier tier : kAllTiers) {
        if (key == TierKey(tier, file)) vouched.insert(key);
      }
    }
  }
  for (BackupCopy& copy : listing.copies) {
    copy.in_sidecar = vouched.count(TierKey(copy.tier, copy.file_name)) > 0;
  }
  for (auto& [file, backup] : backups) listing.backups.push_back(std::move(backup));
  std::sort(listing.backups.begin(), listing.backups.end(),
            [](const ListedBackup& a, const ListedBackup& b) { return a.time > b.time; });
  return listing;
}

absl::Status WriteSidecar(storage::Storage& storage, absl::string_view file_name,
                          absl::string_view sha256_hex, const std::vector<std::string>& keys) {
  return base::Annotate(
      WriteSmallObject(storage, SidecarKey(file_name), FormatSidecar(sha256_hex, keys)),
      absl::StrCat("writing sidecar ", SidecarKey(file_name)));
}

absl::StatusOr<std::vector<std::string>> AddTierCopies(storage::Storage& storage,
                                                       absl::string_view file_name,
                                                       const TierDecision& decision) {
  std::string daily = TierKey(Tier::kDaily, file_name);
  std::vector<std::string> keys = {daily};
  for (Tier tier : {Tier::kWeekly, Tier::kMonthly}) {
    if (tier == Tier::kWeekly ? !decision.weekly : !decision.monthly) continue;
    std::string key = TierKey(tier, file_name);
    absl::Status status = storage.Copy(daily, key);
    if (!status.ok() && status.code() != absl::StatusCode::kAlreadyExists) {
      return base::Annotate(status, absl::StrCat("copying ", daily, " to ", key));
    }
    keys.push_back(key);
  }
  return keys;
}

absl::StatusOr<PruneOutcome> PruneRoot(storage::Storage& storage, const BackupConfig& config,
                                       bool dry_run) {
  return PruneRoot(storage, config, dry_run, absl::Now());
}

absl::StatusOr<PruneOutcome> PruneRoot(storage::Storage& storage, const BackupConfig& config,
                                       bool dry_run, absl::Time now) {
  PGARK_ASSIGN_OR_RETURN(RootListing listing, ListRoot(storage, config.name));
  std::set<std::string> verified;
  for (const ListedBackup& backup : listing.backups) {
    if (backup.verified.has_value()) verified.insert(backup.file_name);
  }
  PruneOutcome outcome;
  outcome.plan =
      PlanRetention(listing.copies, {config.retain_daily, config.retain_weekly, config.retain_monthly},
                    verified, now);
  for (const LeftAloneCopy& left : outcome.plan.left_alone) {
    std::string warning = LeftAloneWarning(left, listing, storage.DisplayName(), now);
    PGARK_LOG(kWarning) << warning;
    outcome.warnings.push_back(std::move(warning));
  }

  // Archive copies first: if we stop half-way, a sidecar may list a missing copy (which
  // `sha256sum -c` reports) but no archive is ever left without its sidecar.
  std::set<std::string> touched;
  for (const BackupCopy& copy : outcome.plan.remove) {
    std::string key = TierKey(copy.tier, copy.file_name);
    outcome.removed_keys.push_back(key);
    outcome.removed_bytes += copy.size;
    touched.insert(copy.file_name);
    if (!dry_run) {
      PGARK_RETURN_IF_ERROR(base::Annotate(storage.Remove(key), absl::StrCat("removing ", key)));
    }
  }
  std::set<std::string> gone(outcome.plan.gone.begin(), outcome.plan.gone.end());
  for (const std::string& file : outcome.plan.gone) {
    std::vector<std::string> keys;
    if (listing.sidecars.count(file) > 0) keys.push_back(SidecarKey(file));
    if (verified.count(file) > 0) keys.push_back(VerifiedKey(file));
    for (const std::string& key : keys) {
      outcome.removed_keys.push_back(key);
      if (!dry_run) {
        PGARK_RETURN_IF_ERROR(base::Annotate(storage.Remove(key), absl::StrCat("removing ", key)));
      }
    }
  }
  // Backups that lost some copies but not all: their sidecar lists only what remains.
  for (const std::string& file : touched) {
    if (gone.count(file) > 0 || listing.sidecars.count(file) == 0) continue;
    outcome.rewritten_sidecars.push_back(SidecarKey(file));
    if (dry_run) continue;
    PGARK_ASSIGN_OR_RETURN(std::string text, ReadSmallObject(storage, SidecarKey(file)));
    PGARK_ASSIGN_OR_RETURN(Sidecar sidecar, ParseSidecar(text));
    std::set<std::string> removed(outcome.removed_keys.begin(), outcome.removed_keys.end());
    std::vector<std::string> remaining;
    for (const std::string& key : sidecar.keys) {
      if (removed.count(key) == 0) remaining.push_back(key);
    }
    PGARK_RETURN_IF_ERROR(WriteSidecar(storage, file, sidecar.sha256_hex, remaining));
  }
  return outcome;
}

}  // namespace pgark::ops
