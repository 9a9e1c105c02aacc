#include "engine/ops/retention.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace pgark::ops {
namespace {

absl::CivilSecond Civil(absl::Time time) { return absl::ToCivilSecond(time, absl::UTCTimeZone()); }

bool NewerFirst(const BackupCopy& a, const BackupCopy& b) {
  if (a.time != b.time) return a.time > b.time;
  return a.file_name > b.file_name;
}

int Limit(Tier tier, const RetentionPolicy& policy) {
  switch (tier) {
    case Tier::kDaily:
      return policy.daily;
    case Tier::kWeekly:
      return policy.weekly;
    case Tier::kMonthly:
      return policy.monthly;
  }
  return policy.daily;
}

bool DatedInFuture(const BackupCopy& copy, absl::Time now) {
  return copy.time > now + kFutureTolerance;
}

}  // namespace

bool RetentionManages(const BackupCopy& copy, absl::Time now) {
  return copy.in_sidecar && !DatedInFuture(copy, now);
}

TierDecision DecideTiers(absl::Time time, absl::Weekday weekly_day, int retain_weekly,
                         int retain_monthly, const std::vector<BackupCopy>& existing) {
  absl::CivilSecond now = Civil(time);
  TierDecision decision;
  decision.weekly = retain_weekly > 0 && absl::GetWeekday(now) == weekly_day;
  decision.monthly = retain_monthly > 0;
  for (const BackupCopy& copy : existing) {
    if (!RetentionManages(copy, time)) continue;
    absl::CivilSecond then = Civil(copy.time);
    if (copy.tier == Tier::kWeekly && absl::CivilDay(then) == absl::CivilDay(now)) {
      decision.weekly = false;
    }
    if (copy.tier == Tier::kMonthly && absl::CivilMonth(then) == absl::CivilMonth(now)) {
      decision.monthly = false;
    }
  }
  return decision;
}

RetentionPlan PlanRetention(const std::vector<BackupCopy>& copies, const RetentionPolicy& policy,
                            const std::set<std::string>& verified, absl::Time now) {
  RetentionPlan plan;
  std::vector<BackupCopy> managed;
  for (const BackupCopy& copy : copies) {
    if (RetentionManages(copy, now)) {
      managed.push_back(copy);
    } else {
      plan.left_alone.push_back({copy, !copy.in_sidecar, DatedInFuture(copy, now)});
    }
  }
  std::sort(plan.left_alone.begin(), plan.left_alone.end(),
            [](const LeftAloneCopy& a, const LeftAloneCopy& b) {
              return std::tie(a.copy.tier, a.copy.file_name) < std::tie(b.copy.tier, b.copy.file_name);
            });
  std::map<Tier, std::vector<BackupCopy>> by_tier;
  for (const BackupCopy& copy : managed) by_tier[copy.tier].push_back(copy);
  for (auto& [tier, list] : by_tier) {
    std::sort(list.begin(), list.end(), NewerFirst);
    size_t limit = static_cast<size_t>(std::max(0, Limit(tier, policy)));
    for (size_t i = 0; i < list.size(); ++i) {
      (i < limit ? plan.keep : plan.remove).push_back(list[i]);
    }
  }

  // The newest verified backup among the managed copies: one dated in the future would
  // otherwise take the protection from the real newest.
  const BackupCopy* newest_verified = nullptr;
  for (const BackupCopy& copy : managed) {
    if (verified.count(copy.file_name) == 0) continue;
    if (newest_verified == nullptr || NewerFirst(copy, *newest_verified)) newest_verified = &copy;
  }
  if (newest_verified != nullptr) {
    const std::string& name = newest_verified->file_name;
    bool kept = std::any_of(plan.keep.begin(), plan.keep.end(),
                            [&](const BackupCopy& c) { return c.file_name == name; });
    if (!kept) {
      // Rescue the copy in the most durable tier: it is the one retention would have
      // kept longest had the tier been larger.
      auto best = plan.remove.end();
      for (auto it = plan.remove.begin(); it != plan.remove.end(); ++it) {
        if (it->file_name == name && (best == plan.remove.end() || it->tier > best->tier)) best = it;
      }
      if (best != plan.remove.end()) {
        plan.keep.push_back(*best);
        plan.remove.erase(best);
        plan.protected_backup = name;
      }
    }
  }

  std::set<std::string> kept_names;
  for (const BackupCopy& copy : plan.keep) kept_names.insert(copy.file_name);
  std::set<std::string> gone;
  for (const BackupCopy& copy : plan.remove) {
    if (kept_names.count(copy.file_name) == 0) gone.insert(copy.file_name);
  }
  plan.gone.assign(gone.begin(), gone.end());
  std::sort(plan.remove.begin(), plan.remove.end(),
            [](const BackupCopy& a, const BackupCopy& b) { return NewerFirst(b, a); });
  return plan;
}

}  // namespace pgark::ops
