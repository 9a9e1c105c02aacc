#include "engine/ops/pre_restore_prune.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/ops/run_summary.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::ops {

bool PrunesPreRestoreCopies(const BackupConfig& config) {
  return config.retain_pre_restore.has_value() || config.retain_pre_restore_days.has_value();
}

engine::restore::PreRestoreRetention PreRestoreRuleOf(const BackupConfig& config, absl::Time now) {
  engine::restore::PreRestoreRetention rule;
  rule.keep = config.retain_pre_restore;
  if (config.retain_pre_restore_days.has_value()) rule.max_age = absl::Hours(24) * *config.retain_pre_restore_days;
  rule.now = now;
  return rule;
}

absl::StatusOr<engine::restore::PreRestoreDropOutcome> PrunePreRestoreCopies(const BackupConfig& config,
                                                                            absl::Time now, bool dry_run) {
  auto outcome = engine::restore::DropPreRestoreCopies(config.database, PreRestoreRuleOf(config, now),
                                                       engine::restore::BusyCopy::kSkip, dry_run);
  if (!outcome.ok()) return base::Annotate(outcome.status(), "pre-restore copies");
  return outcome;
}

std::string DescribePreRestorePrune(const engine::restore::PreRestoreDropOutcome& outcome, bool dry_run) {
  int64_t bytes = 0;
  for (const auto& copy : outcome.dropped) bytes += copy.size_bytes;
  std::string line = absl::StrCat(dry_run ? "would drop " : "dropped ", outcome.dropped.size(),
                                  " pre-restore database(s) (", HumanBytes(static_cast<uint64_t>(bytes)),
                                  "), kept ", outcome.plan.keep.size());
  std::vector<std::string> left = outcome.skipped;
  for (const auto& copy : outcome.plan.in_use) {
    left.push_back(absl::StrCat(copy.name, ": ", copy.sessions, " session(s), a --replace may be running"));
  }
  if (!left.empty()) absl::StrAppend(&line, "; left ", left.size(), " in use: ", absl::StrJoin(left, "; "));
  return line;
}

}  // namespace pgark::ops
