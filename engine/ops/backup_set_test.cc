#include "engine/ops/backup_set.h"

#include <map>

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

absl::Time May(int day, int hour = 2) {
  return absl::FromCivil(absl::CivilSecond(2024, 5, day, hour, 0, 0), absl::UTCTimeZone());
}

// The file name of the backup PutBackup puts for `day`.
std::string FileOf(int day) { return BackupFileName("shop", May(day), BackupFormat::kPgark); }

// Puts a backup of day `day` (May 2024) into `tiers` with a sidecar listing them.
void PutBackup(MemoryStorage& root, int day, std::vector<Tier> tiers, bool verified = false) {
  std::string file = FileOf(day);
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

TEST(ListRootTest, CopiesAreInSidecarOnlyWhenTheirOwnSidecarListsThem) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily, Tier::kMonthly});
  PutBackup(root, 2, {Tier::kDaily});
  root.Put(TierKey(Tier::kWeekly, FileOf(2)), "data");  // a copy its sidecar does not list
  root.Put(TierKey(Tier::kDaily, FileOf(3)), "junk");   // no sidecar at all
  root.Put(TierKey(Tier::kDaily, FileOf(4)), "data");
  root.Put(SidecarKey(FileOf(4)), "not a sidecar\n");
  // Another backup's sidecar listing day 3 does not vouch for it.
  root.Put(SidecarKey(FileOf(5)), FormatSidecar(Hex('a'), {TierKey(Tier::kDaily, FileOf(3))}));
  root.Put(TierKey(Tier::kDaily, FileOf(5)), "data");
  auto listing = ListRoot(root, "shop");
  ASSERT_TRUE(listing.ok()) << listing.status();
  std::map<std::string, bool> in_sidecar;
  for (const BackupCopy& copy : listing->copies) {
    in_sidecar[TierKey(copy.tier, copy.file_name)] = copy.in_sidecar;
  }
  EXPECT_THAT(in_sidecar, ::testing::UnorderedElementsAre(
                              ::testing::Pair(TierKey(Tier::kDaily, FileOf(1)), true),
                              ::testing::Pair(TierKey(Tier::kMonthly, FileOf(1)), true),
                              ::testing::Pair(TierKey(Tier::kDaily, FileOf(2)), true),
                              ::testing::Pair(TierKey(Tier::kWeekly, FileOf(2)), false),
                              ::testing::Pair(TierKey(Tier::kDaily, FileOf(3)), false),
                              ::testing::Pair(TierKey(Tier::kDaily, FileOf(4)), false),
                              ::testing::Pair(TierKey(Tier::kDaily, FileOf(5)), false)));
  ASSERT_EQ(listing->sidecar_problems.count(FileOf(4)), 1u);
  EXPECT_THAT(listing->sidecar_problems.at(FileOf(4)), HasSubstr("malformed sidecar line"));
}

// The audit's case: with PGARK_RETAIN_DAILY=2 and two verified backups, files named like
// backups but without a sidecar (two dated 2099, one "from" 2024, a sql.gz) made retention
// plan to remove both real backups and keep the junk; a real prune deleted junk pgark had
// never written.
TEST(PruneRootTest, FilesWithoutASidecarAreNeitherCountedNorRemoved) {
  MemoryStorage root;
  PutBackup(root, 4, {Tier::kDaily}, /*verified=*/true);
  PutBackup(root, 5, {Tier::kDaily}, /*verified=*/true);
  const std::vector<std::string> junk = {"daily/shop_20991231_000000.pgark", "daily/shop_20991230_000000.pgark",
                                         "daily/shop_20240102_000000.pgark", "daily/shop_20240506_000000.sql.gz"};
  for (const std::string& key : junk) root.Put(key, "junk\n");
  std::vector<std::string> before = root.keys();

  auto outcome = PruneRoot(root, Policy(2, 4, 12), /*dry_run=*/false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_THAT(outcome->removed_keys, ::testing::IsEmpty());
  EXPECT_EQ(root.keys(), before);
  EXPECT_EQ(outcome->plan.keep.size(), 2u);
  ASSERT_EQ(outcome->warnings.size(), 4u);
  for (const std::string& key : junk) {
    absl::string_view file = absl::string_view(key).substr(6);
    EXPECT_THAT(outcome->warnings, ::testing::Contains(::testing::AllOf(
                                       HasSubstr(absl::StrCat("memory:/", key, " alone")),
                                       HasSubstr(absl::StrCat("no sidecar checksums/", file, ".sha256")))));
  }
  EXPECT_THAT(outcome->warnings,
              ::testing::Contains(::testing::AllOf(HasSubstr("shop_20991231_000000.pgark"),
                                                   HasSubstr("dated in the future: is the clock right?"))));

  // One daily slot: the older real backup goes, with its sidecar and record; junk stays.
  outcome = PruneRoot(root, Policy(1, 4, 12), /*dry_run=*/false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_THAT(outcome->removed_keys,
              ElementsAre("daily/shop_20240504_020000.pgark", "checksums/shop_20240504_020000.pgark.sha256",
                          "checksums/shop_20240504_020000.pgark.verified"));
  for (const std::string& key : junk) EXPECT_EQ(*root.Get(key), "junk\n") << key;
  EXPECT_TRUE(root.Get("daily/shop_20240505_020000.pgark").ok());
}

TEST(PruneRootTest, BackupsDatedInTheFutureStayAndTheNewestVerifiedIsStillProtected) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily}, /*verified=*/true);
  for (int day = 2; day <= 5; ++day) PutBackup(root, day, {Tier::kDaily});
  // Written by a run whose clock was two weeks ahead: a real, verified backup.
  PutBackup(root, 20, {Tier::kDaily, Tier::kMonthly}, /*verified=*/true);
  auto outcome = PruneRoot(root, Policy(2, 4, 0), /*dry_run=*/false, /*now=*/May(6));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->plan.protected_backup.has_value());
  EXPECT_EQ(*outcome->plan.protected_backup, FileOf(1)) << "the newest verified backup that is not in the future";
  EXPECT_TRUE(root.Get(TierKey(Tier::kDaily, FileOf(1))).ok());
  EXPECT_FALSE(root.Get(TierKey(Tier::kDaily, FileOf(2))).ok());
  EXPECT_FALSE(root.Get(TierKey(Tier::kDaily, FileOf(3))).ok());
  EXPECT_TRUE(root.Get(TierKey(Tier::kDaily, FileOf(4))).ok());
  for (const std::string& key : {TierKey(Tier::kDaily, FileOf(20)), TierKey(Tier::kMonthly, FileOf(20)),
                                 SidecarKey(FileOf(20)), VerifiedKey(FileOf(20))}) {
    EXPECT_TRUE(root.Get(key).ok()) << key;
  }
  ASSERT_EQ(outcome->warnings.size(), 2u);
  EXPECT_THAT(outcome->warnings[0],
              HasSubstr("memory:/daily/shop_20240520_020000.pgark alone (it takes no retention slot and is "
                        "never deleted): it is dated in the future: is the clock right? (named "
                        "2024-05-20T02:00:00Z, the clock says 2024-05-06T02:00:00Z)"));
  EXPECT_THAT(outcome->warnings[1], HasSubstr("memory:/monthly/shop_20240520_020000.pgark alone"));
}

TEST(PruneRootTest, ACopyItsSidecarDoesNotListIsLeftAlone) {
  MemoryStorage root;
  PutBackup(root, 1, {Tier::kDaily});
  root.Put(TierKey(Tier::kWeekly, FileOf(1)), "data");  // e.g. copied by hand
  PutBackup(root, 2, {Tier::kDaily});
  auto outcome = PruneRoot(root, Policy(1, 0, 12), /*dry_run=*/false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  // The daily copy was the backup's last listed one: it goes with its sidecar.
  EXPECT_THAT(outcome->removed_keys,
              ElementsAre(TierKey(Tier::kDaily, FileOf(1)), SidecarKey(FileOf(1))));
  EXPECT_TRUE(root.Get(TierKey(Tier::kWeekly, FileOf(1))).ok());
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_THAT(outcome->warnings[0],
              HasSubstr("its sidecar checksums/shop_20240501_020000.pgark.sha256 does not list "
                        "weekly/shop_20240501_020000.pgark"));
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
