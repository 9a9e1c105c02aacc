#include "engine/restore/pre_restore_retention.h"

#include <algorithm>

namespace pgark::engine::restore {

PreRestorePlan PlanPreRestoreRetention(std::vector<PreRestoreCopy> copies, const PreRestoreRetention& rule) {
  std::sort(copies.begin(), copies.end(), [](const PreRestoreCopy& a, const PreRestoreCopy& b) {
    if (a.taken != b.taken) return a.taken > b.taken;
    return a.name > b.name;
  });
  PreRestorePlan plan;
  std::vector<PreRestoreCopy> incomplete;
  int complete = 0;
  for (PreRestoreCopy& copy : copies) {
    if (copy.incomplete) {
      (copy.sessions > 0 ? plan.in_use : incomplete).push_back(std::move(copy));
      continue;
    }
    const bool beyond_count = rule.keep.has_value() && complete >= *rule.keep;
    const bool too_old = rule.max_age.has_value() && rule.now - copy.taken > *rule.max_age;
    ++complete;
    (beyond_count || too_old ? plan.drop : plan.keep).push_back(std::move(copy));
  }
  std::reverse(plan.drop.begin(), plan.drop.end());  // oldest first
  for (PreRestoreCopy& copy : incomplete) plan.drop.push_back(std::move(copy));
  return plan;
}

}  // namespace pgark::engine::restore
