#include "engine/ops/backup_set.h"

#include "absl/strings/str_cat.h"
#include "engine/ops/sidecar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::MemoryStorage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Hex(char c) { return std::string(64, c); }

// Puts a backup of day `day` (May 2024) into `tiers` with a sidecar listing them.
void PutBackup(MemoryStorage& root, int day, std::vector<Tier> tiers, bool verified = false) {
  absl::Time t = absl::FromCivil(absl::CivilSecond(2024, 5, day, 2, 0, 0), absl::UTCTimeZone());
  std::string file = BackupFileName("shop", t, BackupFormat::kPgark);
  std::vector<std::string> keys;
  for (Tier tier : tiers) {
    root.Put(TierKey(tier, file), "data");
    keys.push_back(TierKey(tier, file));
  }
  root.Put(SidecarKey(file), FormatSidecar(Hex('a'), keys));
  if (verified) {
    root.Put(VerifiedKey(file), FormatVerifiedRecord({"full", "2024-05-01T03:00:00Z", Hex('a'), ""}));
  }
}

BackupConfig Policy(int daily, int weekly, int monthly) {
  BackupConfig config;
  config.name = "shop";
  config.retain_daily = daily;
  config.retain_weekly = weekly;
  config.retain_monthly = monthly;
  return config;
}

TEST(ListRootTest, ListsOnlyThisDatabasesBackupsWithState) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily, Tier::kMonthly}, /*verified=*/true);
  PutBackup(root, 2, {Tier::kDaily});
  root.Put("daily/shop_eu_20240501_020000.pgark", "other database");
  root.Put("daily/notes.txt", "operator's file");
  root.Put("daily/sub/shop_20240503_020000.pgark", "nested");
  auto listing = ListRoot(root, "shop");
  ASSERT_TRUE(listing.ok()) << listing.status();
  ASSERT_EQ(listing->backups.size(), 2u);
  EXPECT_EQ(listing->backups[0].file_name, "shop_20240502_020000.pgark");  // newest first
  EXPECT_FALSE(listing->backups[0].verified.has_value());
  EXPECT_TRUE(listing->backups[0].has_sidecar);
  EXPECT_THAT(listing->backups[1].tiers, ElementsAre(Tier::kDaily, Tier::kMonthly));
  ASSERT_TRUE(listing->backups[1].verified.has_value());
  EXPECT_EQ(listing->backups[1].verified->mode, "full");
  EXPECT_EQ(listing->copies.size(), 3u);
}

TEST(PruneRootTest, DryRunChangesNothingAndRealRunMatchesIt) {
  MemoryStorage root;
  for (int day = 1; day <= 4; ++day) PutBackup(root, day, {Tier::kDaily});
  root.Put("daily/notes.txt", "operator's file");
  std::vector<std::string> before = root.keys();
  auto dry = PruneRoot(root, Policy(2, 4, 12), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(root.keys(), before);
  EXPECT_THAT(dry->removed_keys,
              ElementsAre("daily/shop_20240501_020000.pgark", "daily/shop_20240502_020000.pgark",
                          "checksums/shop_20240501_020000.pgark.sha256",
                          "checksums/shop_20240502_020000.pgark.sha256"));
  auto real = PruneRoot(root, Policy(2, 4, 12), /*dry_run=*/false);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->removed_keys, dry->removed_keys);
  for (const std::string& key : dry->removed_keys) EXPECT_FALSE(root.Get(key).ok()) << key;
  EXPECT_TRUE(root.Get("daily/notes.txt").ok()) << "foreign files are never pruned";
  EXPECT_TRUE(root.Get("daily/shop_20240504_020000.pgark").ok());
}

TEST(PruneRootTest, RemovingOneCopyRewritesTheSidecar) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily, Tier::kMonthly});
  PutBackup(root, 2, {Tier::kDaily});
  auto outcome = PruneRoot(root, Policy(1, 4, 12), false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_THAT(outcome->rewritten_sidecars, ElementsAre("checksums/shop_20240501_020000.pgark.sha256"));
  EXPECT_EQ(*root.Get("checksums/shop_20240501_020000.pgark.sha256"),
            absl::StrCat(Hex('a'), "  monthly/shop_20240501_020000.pgark\n"));
}

TEST(PruneRootTest, KeepsTheOnlyCopyOfTheNewestVerifiedBackup) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily}, /*verified=*/true);
  PutBackup(root, 2, {Tier::kDaily});
  PutBackup(root, 3, {Tier::kDaily});
  auto outcome = PruneRoot(root, Policy(1, 0, 0), false);
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(outcome->plan.protected_backup.has_value());
  EXPECT_TRUE(root.Get("daily/shop_20240501_020000.pgark").ok());
  EXPECT_TRUE(root.Get("checksums/shop_20240501_020000.pgark.verified").ok());
  EXPECT_FALSE(root.Get("daily/shop_20240502_020000.pgark").ok());
}

TEST(VerifiedRecordTest, RoundTripsAndRejectsGarbage) {
  VerifiedRecord record{"restore-test", "2024-05-01T03:00:00Z", Hex('b'), "primary"};
  auto parsed = ParseVerifiedRecord(FormatVerifiedRecord(record));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->mode, "restore-test");
  EXPECT_EQ(parsed->via, "primary");
  EXPECT_FALSE(ParseVerifiedRecord("not json").ok());
}

}  // namespace
}  // namespace pgark::ops
