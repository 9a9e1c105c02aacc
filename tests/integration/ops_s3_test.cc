// Backup runs with an S3 second root (PGARK_COPY_TO) on a real S3-compatible server: the
// same tiers, sidecars and retention as the local root, through the Storage interface only.
#include <unistd.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/ops/backup_run.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/sidecar.h"
#include "engine/storage/file/file_storage.h"
#include "engine/storage/storage_uri.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/s3_test_server.h"
#include "tests/testing/subprocess.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::S3TestServer;
using ::testing::HasSubstr;

TEST(OpsS3Test, CopyToS3KeepsTheSameTiersSidecarsAndRetention) {
  S3TestServer& server = S3TestServer::Get();
  std::string s3_root = absl::StrCat("s3://", S3TestServer::kBucket, "/", S3TestServer::UniquePrefix());
  storage::StorageOptions options;
  options.s3 = server.Options();
  options.s3_from_environment = false;
  auto offsite = storage::OpenStorage(s3_root, options);
  ASSERT_TRUE(offsite.ok()) << offsite.status();
  char dir[] = "/tmp/pgark_ops_s3_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  storage::FileStorage local(dir);

  BackupConfig config;
  config.database = "shop";
  config.name = "shop";
  config.backup_root = dir;
  config.copy_to = s3_root;
  config.verify = VerifyMode::kChecksum;
  config.retain_daily = 3;
  RunEnvironment env;
  env.primary = &local;
  env.copy_to = offsite->get();
  // 2024-01-01 is a Monday: 15 days hold two Sundays (7th, 14th) and one first-of-month.
  for (int day = 0; day < 15; ++day) {
    std::string payload = absl::StrCat("archive ", day, std::string(1000 + day, 'z'));
    env.dump = [payload](const BackupConfig&, storage::ObjectWriter& out) { return out.Append(payload); };
    absl::Time t = absl::FromCivil(absl::CivilSecond(2024, 1, 1 + day, 1, 0, 0), absl::UTCTimeZone());
    RunSummary summary = RunBackup(config, t, env);
    ASSERT_TRUE(summary.ok()) << "day " << day << ": " << summary.status;
  }

  auto local_listing = ListRoot(local, "shop");
  auto s3_listing = ListRoot(**offsite, "shop");
  ASSERT_TRUE(local_listing.ok() && s3_listing.ok()) << s3_listing.status();
  auto keys = [](const RootListing& listing) {
    std::set<std::string> out;
    for (const BackupCopy& copy : listing.copies) out.insert(TierKey(copy.tier, copy.file_name));
    return out;
  };
  EXPECT_EQ(keys(*s3_listing), keys(*local_listing));
  EXPECT_EQ(s3_listing->copies.size(), 3u + 2u + 1u);
  for (const ListedBackup& backup : s3_listing->backups) {
    ASSERT_TRUE(backup.verified.has_value()) << backup.file_name;
    EXPECT_EQ(backup.verified->via, "primary");
    // The S3 sidecar's hash matches the bytes actually stored there.
    auto text = ReadSmallObject(**offsite, SidecarKey(backup.file_name));
    ASSERT_TRUE(text.ok());
    auto sidecar = ParseSidecar(*text);
    ASSERT_TRUE(sidecar.ok());
    EXPECT_EQ(sidecar->keys.size(), backup.tiers.size());
    for (const std::string& key : sidecar->keys) {
      auto digest = HashObject(**offsite, key);
      ASSERT_TRUE(digest.ok()) << key;
      EXPECT_EQ(digest->sha256_hex, sidecar->sha256_hex) << key;
    }
  }

  // `pgark list --json` shows the S3 root next to the local one.
  std::map<std::string, std::string> run_env = server.Env();
  run_env["PGARK_DATABASE"] = "shop";
  run_env["PGARK_BACKUP_ROOT"] = dir;
  run_env["PGARK_COPY_TO"] = s3_root;
  run_env["PGARK_RETAIN_DAILY"] = "3";
  auto result = pgark::testing::RunCommand({PGARK_BINARY, "list", "--json"}, run_env);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["copy_to"]["backups"].size(), json["root"]["backups"].size());
  EXPECT_THAT(json["copy_to"]["location"].get<std::string>(), HasSubstr("s3://"));

  // Retention on S3 through `pgark prune` with a smaller policy.
  run_env["PGARK_RETAIN_DAILY"] = "1";
  run_env["PGARK_RETAIN_WEEKLY"] = "1";
  auto prune = pgark::testing::RunCommand({PGARK_BINARY, "prune"}, run_env);
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  s3_listing = ListRoot(**offsite, "shop");
  ASSERT_TRUE(s3_listing.ok());
  EXPECT_EQ(s3_listing->copies.size(), 1u + 1u + 1u);
}

}  // namespace
}  // namespace pgark::ops
