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
  existing.push_back({Tier::kMonthly, "x", Day(2024, 3, 1), 0});
  existing.push_back({Tier::kWeekly, "y", Day(2024, 3, 3, 1), 0});
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
    copies.push_back({Tier::kDaily, name, t, 10});
    if (d.weekly) copies.push_back({Tier::kWeekly, name, t, 10});
    if (d.monthly) copies.push_back({Tier::kMonthly, name, t, 10});
    RetentionPlan plan = PlanRetention(copies, policy, {});
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
    copies.push_back({Tier::kDaily, BackupFileName("db", t, BackupFormat::kPgark), t, 1});
  }
  // The oldest is also a monthly copy: its sidecar must survive.
  copies.push_back({Tier::kMonthly, copies[0].file_name, copies[0].time, 1});
  RetentionPlan plan = PlanRetention(copies, {2, 4, 12}, {});
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
    copies.push_back({Tier::kDaily, BackupFileName("db", t, BackupFormat::kPgark), t, 1});
  }
  // Only the oldest was verified (later verifications failed).
  std::set<std::string> verified = {copies[0].file_name};
  RetentionPlan plan = PlanRetention(copies, {2, 0, 0}, verified);
  ASSERT_TRUE(plan.protected_backup.has_value());
  EXPECT_EQ(*plan.protected_backup, copies[0].file_name);
  EXPECT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].file_name, copies[1].file_name);
  EXPECT_THAT(plan.gone, ::testing::ElementsAre(copies[1].file_name));
  // With a kept copy elsewhere, nothing needs protecting.
  copies.push_back({Tier::kMonthly, copies[0].file_name, copies[0].time, 1});
  plan = PlanRetention(copies, {2, 0, 12}, verified);
  EXPECT_FALSE(plan.protected_backup.has_value());
  EXPECT_EQ(plan.remove.size(), 2u);
}

}  // namespace
}  // namespace pgark::ops
