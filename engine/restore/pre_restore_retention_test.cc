#include "engine/restore/pre_restore_retention.h"

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::engine::restore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 25, 12, 0, 0), absl::UTCTimeZone());

PreRestoreCopy Copy(std::string name, absl::Duration age) {
  PreRestoreCopy copy;
  copy.name = std::move(name);
  copy.taken = kNow - age;
  return copy;
}

PreRestoreCopy Leftover(std::string name, int sessions) {
  PreRestoreCopy copy;
  copy.name = std::move(name);
  copy.taken = absl::InfinitePast();
  copy.incomplete = true;
  copy.sessions = sessions;
  return copy;
}

std::vector<std::string> Names(const std::vector<PreRestoreCopy>& copies) {
  std::vector<std::string> names;
  for (const PreRestoreCopy& copy : copies) names.push_back(copy.name);
  return names;
}

// Listed in no particular order, as a server might return them.
std::vector<PreRestoreCopy> Copies() {
  return {Copy("c_2d", absl::Hours(48)), Leftover("busy", 1), Copy("a_1h", absl::Hours(1)),
          Copy("d_10d", absl::Hours(240)), Leftover("left", 0), Copy("b_1d", absl::Hours(25))};
}

TEST(PreRestoreRetentionTest, NoLimitKeepsEveryCopyButDropsKilledLeftovers) {
  PreRestorePlan plan = PlanPreRestoreRetention(Copies(), {std::nullopt, std::nullopt, kNow});
  EXPECT_THAT(Names(plan.keep), ElementsAre("a_1h", "b_1d", "c_2d", "d_10d"));
  EXPECT_THAT(Names(plan.drop), ElementsAre("left"));
  EXPECT_THAT(Names(plan.in_use), ElementsAre("busy"));
}

TEST(PreRestoreRetentionTest, KeepCountsCompleteCopiesNewestFirstAndDropsOldestFirst) {
  PreRestorePlan plan = PlanPreRestoreRetention(Copies(), {2, std::nullopt, kNow});
  EXPECT_THAT(Names(plan.keep), ElementsAre("a_1h", "b_1d"));
  EXPECT_THAT(Names(plan.drop), ElementsAre("d_10d", "c_2d", "left"));
  EXPECT_THAT(Names(PlanPreRestoreRetention(Copies(), {0, std::nullopt, kNow}).keep), IsEmpty());
}

TEST(PreRestoreRetentionTest, MaxAgeDropsOlderCopiesEvenWithinTheCount) {
  PreRestorePlan plan = PlanPreRestoreRetention(Copies(), {3, absl::Hours(24), kNow});
  EXPECT_THAT(Names(plan.keep), ElementsAre("a_1h"));  // b_1d is 25 h old
  EXPECT_THAT(Names(plan.drop), ElementsAre("d_10d", "c_2d", "b_1d", "left"));
  // Exactly max_age old stays.
  PreRestorePlan edge = PlanPreRestoreRetention({Copy("x", absl::Hours(24))}, {std::nullopt, absl::Hours(24), kNow});
  EXPECT_THAT(Names(edge.keep), ElementsAre("x"));
}

TEST(PreRestoreRetentionTest, EqualTimesAreOrderedByName) {
  std::vector<PreRestoreCopy> copies = {Copy("b", absl::Hours(1)), Copy("c", absl::Hours(1)), Copy("a", absl::Hours(1))};
  PreRestorePlan plan = PlanPreRestoreRetention(copies, {1, std::nullopt, kNow});
  EXPECT_THAT(Names(plan.keep), ElementsAre("c"));
  EXPECT_THAT(Names(plan.drop), ElementsAre("a", "b"));
}

}  // namespace
}  // namespace pgark::engine::restore
