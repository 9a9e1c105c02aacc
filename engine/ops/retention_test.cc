#include "engine/ops/retention.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::ops {
namespace {

absl::Time Day(int year, int month, int day, int hour = 2) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, 0, 0), absl::UTCTimeZone());
}

// The clock of the tests that do not depend on it: after every backup they make.
const absl::Time kNow = Day(2024, 6, 1);

TEST(NamingTest, RoundTripsAndRejectsForeignFiles) {
  absl::Time t = Day(2024, 3, 1, 2) + absl::Seconds(7);
  EXPECT_EQ(BackupFileName("shop", t, BackupFormat::kPgark), "shop_20240301_020007.pgark");
  EXPECT_EQ(BackupFileName("my shop/x", t, BackupFormat::kSqlGz), "my-shop-x_20240301_020007.sql.gz");
  auto parsed = ParseBackupFileName("shop_20240301_020007.pgark", "shop");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->time, t);
  EXPECT_EQ(parsed->format, BackupFormat::kPgark);
  EXPECT_TRUE(ParseBackupFileName("shop_20240301_020007.sql.gz", "shop").has_value());
  // Another database whose name shares a prefix, foreign files, temp files, bad dates.
  EXPECT_FALSE(ParseBackupFileName("shop_eu_20240301_020007.pgark", "shop").has_value());
  EXPECT_FALSE(ParseBackupFileName("shop_20240301_020007.pgark", "shop_eu").has_value());
  EXPECT_FALSE(ParseBackupFileName("notes.txt", "shop").has_value());
  EXPECT_FALSE(ParseBackupFileName("shop_20240301_020007.pgark.tmp", "shop").has_value());
  EXPECT_FALSE(ParseBackupFileName("shop_20240231_020007.pgark", "shop").has_value());
  EXPECT_FALSE(ParseBackupFileName("shop_2024030a_020007.pgark", "shop").has_value());
}

TEST(NamingTest, ParsesNowFlagForms) {
  absl::Time want = Day(2024, 3, 1, 2);
  EXPECT_EQ(*ParseNowFlag("2024-03-01T02:00:00Z"), want);
  EXPECT_EQ(*ParseNowFlag("2024-03-01T03:00:00+01:00"), want);
  EXPECT_EQ(*ParseNowFlag("20240301_020000"), want);
  EXPECT_EQ(*ParseNowFlag("2024-03-01 02:00:00"), want);
  EXPECT_FALSE(ParseNowFlag("yesterday").ok());
  EXPECT_EQ(FormatUtc(want), "2024-03-01T02:00:00Z");
}

TEST(DecideTiersTest, WeeklyOnTheWeeklyDayMonthlyOnFirstRunOfMonth) {
  // 2024-03-03 is a Sunday.
  std::vector<BackupCopy> existing;
  TierDecision d = DecideTiers(Day(2024, 3, 3), absl::Weekday::sunday, 4, 12, existing);
  EXPECT_TRUE(d.weekly);
  EXPECT_TRUE(d.monthly);
  existing.push_back({Tier::kMonthly, "x", Day(2024, 3, 1), 0, true});
  existing.push_back({Tier::kWeekly, "y", Day(2024, 3, 3, 1), 0, true});
  d = DecideTiers(Day(2024, 3, 3), absl::Weekday::sunday, 4, 12, existing);
  EXPECT_FALSE(d.weekly) << "a second run on the same Sunday is not another weekly";
  EXPECT_FALSE(d.monthly);
  d = DecideTiers(Day(2024, 3, 4), absl::Weekday::sunday, 4, 12, existing);
  EXPECT_FALSE(d.weekly);
  d = DecideTiers(Day(2024, 4, 2), absl::Weekday::sunday, 4, 12, existing);
  EXPECT_TRUE(d.monthly) << "April's first run, even if April 1 was missed";
  d = DecideTiers(Day(2024, 3, 10), absl::Weekday::sunday, 0, 0, {});
  EXPECT_FALSE(d.weekly);
  EXPECT_FALSE(d.monthly);
}

// Simulates daily runs with the default policy: the tier counts settle at 7/4/N.
TEST(PlanRetentionTest, SimulatedDaysSettleAtPolicyCounts) {
  std::vector<BackupCopy> copies;
  RetentionPolicy policy;  // 7/4/12
  for (int day = 0; day < 120; ++day) {
    absl::Time t = Day(2024, 1, 1) + absl::Hours(24 * day);
    std::string name = BackupFileName("shop", t, BackupFormat::kPgark);
    TierDecision d = DecideTiers(t, absl::Weekday::sunday, policy.weekly, policy.monthly, copies);
    copies.push_back({Tier::kDaily, name, t, 10, true});
    if (d.weekly) copies.push_back({Tier::kWeekly, name, t, 10, true});
    if (d.monthly) copies.push_back({Tier::kMonthly, name, t, 10, true});
    RetentionPlan plan = PlanRetention(copies, policy, {}, t);
    copies = plan.keep;
  }
  std::map<Tier, int> count;
  for (const BackupCopy& c : copies) count[c.tier]++;
  EXPECT_EQ(count[Tier::kDaily], 7);
  EXPECT_EQ(count[Tier::kWeekly], 4);
  EXPECT_EQ(count[Tier::kMonthly], 4);  // Jan..Apr 2024 (120 days from Jan 1 end on Apr 29)
}

TEST(PlanRetentionTest, KeepsNewestNAndReportsGoneBackups) {
  std::vector<BackupCopy> copies;
  for (int day = 1; day <= 5; ++day) {
    absl::Time t = Day(2024, 5, day);
    copies.push_back({Tier::kDaily, BackupFileName("db", t, BackupFormat::kPgark), t, 1, true});
  }
  // The oldest is also a monthly copy: its sidecar must survive.
  copies.push_back({Tier::kMonthly, copies[0].file_name, copies[0].time, 1, true});
  RetentionPlan plan = PlanRetention(copies, {2, 4, 12}, {}, kNow);
  ASSERT_EQ(plan.remove.size(), 3u);
  EXPECT_EQ(plan.remove[0].file_name, "db_20240501_020000.pgark");  // oldest first
  EXPECT_EQ(plan.remove[2].file_name, "db_20240503_020000.pgark");
  EXPECT_THAT(plan.gone, ::testing::ElementsAre("db_20240502_020000.pgark", "db_20240503_020000.pgark"));
  EXPECT_FALSE(plan.protected_backup.has_value());
}

TEST(PlanRetentionTest, NeverDeletesTheOnlyCopyOfTheNewestVerifiedBackup) {
  std::vector<BackupCopy> copies;
  for (int day = 1; day <= 4; ++day) {
    absl::Time t = Day(2024, 5, day);
    copies.push_back({Tier::kDaily, BackupFileName("db", t, BackupFormat::kPgark), t, 1, true});
  }
  // Only the oldest was verified (later verifications failed).
  std::set<std::string> verified = {copies[0].file_name};
  RetentionPlan plan = PlanRetention(copies, {2, 0, 0}, verified, kNow);
  ASSERT_TRUE(plan.protected_backup.has_value());
  EXPECT_EQ(*plan.protected_backup, copies[0].file_name);
  EXPECT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].file_name, copies[1].file_name);
  EXPECT_THAT(plan.gone, ::testing::ElementsAre(copies[1].file_name));
  // With a kept copy elsewhere, nothing needs protecting.
  copies.push_back({Tier::kMonthly, copies[0].file_name, copies[0].time, 1, true});
  plan = PlanRetention(copies, {2, 0, 12}, verified, kNow);
  EXPECT_FALSE(plan.protected_backup.has_value());
  EXPECT_EQ(plan.remove.size(), 2u);
}

// A copy as ListRoot reports it: `in_sidecar` says whether its backup's sidecar lists it.
BackupCopy Copy(Tier tier, absl::Time t, bool in_sidecar = true,
                BackupFormat format = BackupFormat::kPgark) {
  return {tier, BackupFileName("db", t, format), t, 5, in_sidecar};
}

std::vector<std::string> Names(const std::vector<BackupCopy>& copies) {
  std::vector<std::string> names;
  for (const BackupCopy& copy : copies) names.push_back(copy.file_name);
  return names;
}

// The audit's case: junk files named like backups, without a sidecar, took the retention
// slots of two verified backups and a real prune deleted junk pgark never wrote.
TEST(PlanRetentionTest, CopiesTheirSidecarDoesNotListTakeNoSlotAndAreNeverRemoved) {
  absl::Time now = Day(2026, 11, 6);
  std::vector<BackupCopy> copies = {
      Copy(Tier::kDaily, Day(2026, 11, 4)),
      Copy(Tier::kDaily, Day(2026, 11, 5)),
      Copy(Tier::kDaily, Day(2025, 1, 2, 0), /*in_sidecar=*/false),
      Copy(Tier::kDaily, Day(2026, 11, 5, 12), /*in_sidecar=*/false, BackupFormat::kSqlGz),
  };
  std::set<std::string> verified = {copies[0].file_name, copies[1].file_name};
  RetentionPlan plan = PlanRetention(copies, {2, 4, 12}, verified, now);
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_THAT(Names(plan.keep), ::testing::ElementsAre("db_20261105_020000.pgark", "db_20261104_020000.pgark"));
  ASSERT_EQ(plan.left_alone.size(), 2u);
  EXPECT_EQ(plan.left_alone[0].copy.file_name, "db_20250102_000000.pgark");
  EXPECT_TRUE(plan.left_alone[0].not_in_sidecar);
  EXPECT_FALSE(plan.left_alone[0].dated_in_future);
  EXPECT_EQ(plan.left_alone[1].copy.file_name, "db_20261105_120000.sql.gz");
  EXPECT_FALSE(plan.protected_backup.has_value());

  // With one slot, the older real backup goes; the old junk file still stays.
  plan = PlanRetention(copies, {1, 4, 12}, verified, now);
  EXPECT_THAT(Names(plan.remove), ::testing::ElementsAre("db_20261104_020000.pgark"));
  EXPECT_THAT(plan.gone, ::testing::ElementsAre("db_20261104_020000.pgark"));
  EXPECT_EQ(plan.left_alone.size(), 2u);
}

TEST(PlanRetentionTest, BackupsDatedInTheFutureAreNeitherCountedNorRemoved) {
  absl::Time now = Day(2026, 11, 6);
  std::vector<BackupCopy> copies = {
      Copy(Tier::kDaily, Day(2026, 11, 4)),
      Copy(Tier::kDaily, Day(2026, 11, 5)),
      // A run on a host whose clock says local time in UTC+14: within the tolerance.
      Copy(Tier::kDaily, now + absl::Hours(14)),
      // Written while the clock was wrong, with a sidecar: a real backup, but not counted.
      Copy(Tier::kDaily, Day(2099, 12, 31, 0)),
      Copy(Tier::kMonthly, Day(2099, 12, 31, 0)),
      Copy(Tier::kDaily, now + kFutureTolerance + absl::Seconds(1)),
      // Junk in the future: both reasons.
      Copy(Tier::kDaily, Day(2099, 12, 30, 0), /*in_sidecar=*/false),
  };
  RetentionPlan plan = PlanRetention(copies, {2, 4, 0}, {}, now);
  EXPECT_THAT(Names(plan.keep), ::testing::ElementsAre("db_20261106_160000.pgark", "db_20261105_020000.pgark"));
  EXPECT_THAT(Names(plan.remove), ::testing::ElementsAre("db_20261104_020000.pgark"));
  ASSERT_EQ(plan.left_alone.size(), 4u);
  for (const LeftAloneCopy& left : plan.left_alone) {
    EXPECT_TRUE(left.dated_in_future) << left.copy.file_name;
    EXPECT_EQ(left.not_in_sidecar, left.copy.file_name == "db_20991230_000000.pgark") << left.copy.file_name;
  }
  EXPECT_EQ(plan.left_alone[3].copy.tier, Tier::kMonthly) << "a monthly of 0 does not remove it either";
  EXPECT_THAT(plan.gone, ::testing::ElementsAre("db_20261104_020000.pgark"));

  // Once the clock reaches it, it is an ordinary backup again.
  plan = PlanRetention(copies, {2, 4, 0}, {}, Day(2100, 1, 1));
  EXPECT_TRUE(plan.left_alone.size() == 1 && plan.left_alone[0].not_in_sidecar);
  EXPECT_THAT(Names(plan.keep), ::testing::ElementsAre("db_20991231_000000.pgark", "db_20261107_020001.pgark"));
}

TEST(PlanRetentionTest, NewestVerifiedProtectionIgnoresBackupsItDoesNotManage) {
  absl::Time now = Day(2026, 11, 6);
  std::vector<BackupCopy> copies = {
      Copy(Tier::kDaily, Day(2026, 11, 3)),
      Copy(Tier::kDaily, Day(2026, 11, 4)),
      Copy(Tier::kDaily, Day(2026, 11, 5)),
      Copy(Tier::kDaily, Day(2099, 12, 31)),                       // verified, future
      Copy(Tier::kDaily, Day(2026, 11, 5, 23), /*in_sidecar=*/false),  // "verified" junk
  };
  std::set<std::string> verified = {copies[0].file_name, copies[3].file_name, copies[4].file_name};
  RetentionPlan plan = PlanRetention(copies, {2, 0, 0}, verified, now);
  ASSERT_TRUE(plan.protected_backup.has_value());
  EXPECT_EQ(*plan.protected_backup, "db_20261103_020000.pgark");
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_THAT(Names(plan.keep), ::testing::ElementsAre("db_20261105_020000.pgark", "db_20261104_020000.pgark",
                                                       "db_20261103_020000.pgark"));
  EXPECT_EQ(plan.left_alone.size(), 2u);
}

TEST(DecideTiersTest, IgnoresCopiesRetentionDoesNotManage) {
  // 2024-03-03 is a Sunday. A stray monthly/ file of March and a weekly/ file of the same
  // day without a sidecar, and a monthly backup named later in March (wrong clock).
  std::vector<BackupCopy> existing = {
      {Tier::kMonthly, "x", Day(2024, 3, 1), 0, /*in_sidecar=*/false},
      {Tier::kWeekly, "y", Day(2024, 3, 3, 1), 0, /*in_sidecar=*/false},
      {Tier::kMonthly, "z", Day(2024, 3, 28), 0, /*in_sidecar=*/true},
  };
  TierDecision d = DecideTiers(Day(2024, 3, 3), absl::Weekday::sunday, 4, 12, existing);
  EXPECT_TRUE(d.weekly);
  EXPECT_TRUE(d.monthly);
}

}  // namespace
}  // namespace pgark::ops
