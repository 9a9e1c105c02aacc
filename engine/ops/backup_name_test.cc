#include "engine/ops/backup_name.h"

#include "absl/strings/str_cat.h"
#include "engine/ops/naming.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A listing as ListRoot builds it (newest first): May 2024, day -> tiers, verified.
ListedBackup Backup(int day, std::vector<Tier> tiers, bool verified,
                    BackupFormat format = BackupFormat::kPgark) {
  ListedBackup backup;
  backup.time = absl::FromCivil(absl::CivilSecond(2024, 5, day, 2, 0, 0), absl::UTCTimeZone());
  backup.file_name = BackupFileName("shop", backup.time, format);
  backup.format = format;
  backup.tiers = std::move(tiers);
  backup.has_sidecar = true;
  if (verified) backup.verified = VerifiedRecord{"full", "2024-05-01T03:00:00Z", "", ""};
  return backup;
}

RootListing Listing() {
  RootListing listing;
  listing.backups = {Backup(12, {Tier::kDaily}, false), Backup(11, {Tier::kDaily}, true),
                     Backup(5, {Tier::kDaily, Tier::kWeekly}, true),
                     Backup(1, {Tier::kMonthly}, true)};
  return listing;
}

absl::StatusOr<ResolvedBackup> Resolve(const RootListing& listing, absl::string_view spec,
                                       const BackupFormat* format = nullptr) {
  return ResolveBackupName(listing, spec, "shop", "/backups", format);
}

TEST(BackupNameTest, LatestIsTheNewestVerifiedBackup) {
  auto resolved = Resolve(Listing(), "latest");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->key, "daily/shop_20240511_020000.pgark");
  EXPECT_TRUE(resolved->verified);
}

TEST(BackupNameTest, LatestFallsBackToTheNewestWhenNoneIsVerified) {
  RootListing listing;
  listing.backups = {Backup(3, {Tier::kDaily}, false), Backup(2, {Tier::kDaily}, false)};
  auto resolved = Resolve(listing, "latest");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->file_name, "shop_20240503_020000.pgark");
  EXPECT_FALSE(resolved->verified);
}

TEST(BackupNameTest, LatestInATierAndOfAFormat) {
  EXPECT_EQ(Resolve(Listing(), "weekly/latest")->key, "weekly/shop_20240505_020000.pgark");
  EXPECT_EQ(Resolve(Listing(), "monthly/latest")->key, "monthly/shop_20240501_020000.pgark");
  RootListing listing = Listing();
  listing.backups.insert(listing.backups.begin(), Backup(13, {Tier::kDaily}, true, BackupFormat::kSqlGz));
  BackupFormat pgark = BackupFormat::kPgark;
  EXPECT_EQ(Resolve(listing, "latest")->file_name, "shop_20240513_020000.sql.gz");
  EXPECT_EQ(Resolve(listing, "latest", &pgark)->file_name, "shop_20240511_020000.pgark");
}

TEST(BackupNameTest, NamesWithAndWithoutExtensionTierOrPrefix) {
  for (const char* spec : {"shop_20240505_020000.pgark", "shop_20240505_020000", "20240505_020000",
                           " shop_20240505_020000.pgark\n"}) {
    auto resolved = Resolve(Listing(), spec);
    ASSERT_TRUE(resolved.ok()) << spec << ": " << resolved.status();
    EXPECT_EQ(resolved->key, "daily/shop_20240505_020000.pgark") << spec;
  }
  EXPECT_EQ(Resolve(Listing(), "weekly/shop_20240505_020000")->key,
            "weekly/shop_20240505_020000.pgark");
  // Only in monthly/: found there without naming the tier.
  EXPECT_EQ(Resolve(Listing(), "shop_20240501_020000.pgark")->key,
            "monthly/shop_20240501_020000.pgark");
}

TEST(BackupNameTest, MissingNamesAndTiersAreNotFound) {
  EXPECT_THAT(Resolve(Listing(), "shop_20240506_020000"),
              StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("shop_20240506_020000"),
                                                          HasSubstr("/backups"))));
  EXPECT_THAT(Resolve(Listing(), "weekly/shop_20240511_020000"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no copy in weekly/")));
  // No prefix matching: "20240505" is not a stamp.
  EXPECT_THAT(Resolve(Listing(), "20240505"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Resolve(RootListing(), "latest"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no backups of shop in /backups")));
}

TEST(BackupNameTest, AmbiguousAndMalformedNamesAreRefused) {
  RootListing listing = Listing();
  listing.backups.push_back(Backup(5, {Tier::kDaily}, true, BackupFormat::kSqlGz));
  EXPECT_THAT(Resolve(listing, "shop_20240505_020000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ambiguous"), HasSubstr("shop_20240505_020000.pgark"),
                             HasSubstr("shop_20240505_020000.sql.gz"))));
  // The full name is not ambiguous.
  EXPECT_EQ(Resolve(listing, "shop_20240505_020000.sql.gz")->format, BackupFormat::kSqlGz);
  EXPECT_THAT(Resolve(listing, "hourly/latest"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Resolve(listing, "daily/x/y"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Resolve(listing, ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BackupNameTest, AnExplicitNameInAnotherFormatSaysHowToUseIt) {
  RootListing listing;
  listing.backups = {Backup(5, {Tier::kDaily}, true, BackupFormat::kSqlGz)};
  BackupFormat pgark = BackupFormat::kPgark;
  EXPECT_THAT(Resolve(listing, "shop_20240505_020000.sql.gz", &pgark),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gunzip -c")));
  EXPECT_THAT(Resolve(listing, "latest", &pgark),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no pgark backups of shop")));
}

}  // namespace
}  // namespace pgark::ops
