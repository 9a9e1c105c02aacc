// `pgark prune` against a real local root: retention counts and removes only the copies
// pgark can vouch for (listed in their sidecar, not dated in the future), and a missing root
// is reported as `pgark backup` reports it.
#include <stdlib.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/ops/backup_run.h"
#include "engine/storage/file/file_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::MakeTempDir;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::testing::HasSubstr;
using ::testing::Not;


// Prune never connects to the database unless pre-restore retention is configured.
std::map<std::string, std::string> PruneEnv(const std::string& root, int daily) {
  return {{"PGARK_DATABASE", "dbname=unused"},
          {"PGARK_NAME", "sample"},
          {"PGARK_BACKUP_ROOT", root},
          {"PGARK_RETAIN_DAILY", absl::StrCat(daily)}};
}

// A verified backup written by a real run (fake dump, real storage, sidecar, record).
RunSummary RunBackupAt(const std::string& root, absl::Time time) {
  storage::FileStorage storage(root);
  BackupConfig config;
  config.database = "sample";
  config.name = "sample";
  config.backup_root = root;
  config.verify = VerifyMode::kChecksum;
  config.retain_daily = 7;
  RunEnvironment env;
  env.primary = &storage;
  env.dump = [](const BackupConfig&, storage::ObjectWriter& out) { return out.Append("archive\n"); };
  RunSummary summary = RunBackup(config, time, env);
  EXPECT_TRUE(summary.ok()) << summary.status;
  return summary;
}

std::string Files(const std::string& root) {
  return RunShell(absl::StrCat("cd ", root, " && find daily weekly monthly checksums -type f | sort")).out;
}

TEST(OpsPruneTest, FilesWithoutASidecarOrDatedInTheFutureAreNeverPruned) {
  std::string root = MakeTempDir("ops_prune_junk");
  // Two verified runs: 11-04 is November's first, so it is in monthly/ too.
  RunBackupAt(root, absl::FromCivil(absl::CivilSecond(2026, 11, 4, 2, 0, 0), absl::UTCTimeZone()));
  RunBackupAt(root, absl::FromCivil(absl::CivilSecond(2026, 11, 5, 2, 0, 0), absl::UTCTimeZone()));
  const std::string real_4 = "daily/sample_20261104_020000.pgark";
  const std::string real_5 = "daily/sample_20261105_020000.pgark";
  const std::string future_1 = "daily/sample_20991231_000000.pgark";
  const std::string future_2 = "daily/sample_20991230_000000.pgark";
  const std::string stray = "daily/sample_20250102_000000.pgark";
  for (const std::string& key : {future_1, future_2, stray}) {
    RunShell(absl::StrCat("echo junk > ", root, "/", key));
  }
  const std::string before = Files(root);

  auto dry = RunCommand({PGARK_BINARY, "prune", "--dry-run"}, PruneEnv(root, 2));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, Not(HasSubstr(absl::StrCat("would remove ", root, "/"))));
  EXPECT_THAT(dry.out, HasSubstr(absl::StrCat(root, ": would remove 0 copies (0 B), kept 3\n")));
  for (const std::string& key : {future_1, future_2, stray}) {
    EXPECT_THAT(dry.err, HasSubstr(absl::StrCat("retention leaves ", root, "/", key, " alone"))) << key;
  }
  EXPECT_THAT(dry.err, HasSubstr(absl::StrCat("retention leaves ", root, "/", future_1,
                                              " alone (it takes no retention slot and is never deleted): it "
                                              "has no sidecar checksums/sample_20991231_000000.pgark.sha256")));
  EXPECT_THAT(dry.err, HasSubstr("it is dated in the future: is the clock right? (named 2099-12-31T00:00:00Z"));

  auto real = RunCommand({PGARK_BINARY, "prune"}, PruneEnv(root, 2));
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_EQ(Files(root), before) << real.out << real.err;

  // One daily slot: the older verified backup leaves daily/ (it stays in monthly/), the
  // junk does not move.
  real = RunCommand({PGARK_BINARY, "prune"}, PruneEnv(root, 1));
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_THAT(real.out, HasSubstr(absl::StrCat("removed ", root, "/", real_4, "\n")));
  EXPECT_THAT(real.out, Not(HasSubstr("sample_2099")));
  EXPECT_THAT(real.out, Not(HasSubstr("sample_2025")));
  for (const std::string& key : {real_5, future_1, future_2, stray}) {
    EXPECT_EQ(RunShell(absl::StrCat("test -f ", root, "/", key)).exit_code, 0) << key;
  }
  EXPECT_EQ(RunShell(absl::StrCat("test -f ", root, "/", real_4)).exit_code, 1);
  auto check = RunShell(absl::StrCat("cd ", root, " && sha256sum --strict -c checksums/*.sha256"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  // A backup run's prune step says so too: the run record, the log file and notifications
  // carry it, not only stderr.
  RunSummary run = RunBackupAt(root, absl::FromCivil(absl::CivilSecond(2026, 11, 6, 2, 0, 0), absl::UTCTimeZone()));
  bool found = false;
  for (const StepRecord& step : run.steps) {
    if (step.name != "prune") continue;
    found = true;
    EXPECT_EQ(step.status, "warning");
    EXPECT_THAT(step.detail, HasSubstr("left 3 file(s) named like backups alone"));
  }
  EXPECT_TRUE(found);
}

TEST(OpsPruneTest, MissingRootIsReportedLikeBackupDoes) {
  std::string dir = MakeTempDir("ops_prune_missing");
  std::string root = absl::StrCat(dir, "/unmounted");
  auto backup = RunCommand({PGARK_BINARY, "backup"}, PruneEnv(root, 7));
  auto prune = RunCommand({PGARK_BINARY, "prune"}, PruneEnv(root, 7));
  auto dry = RunCommand({PGARK_BINARY, "prune", "--dry-run"}, PruneEnv(root, 7));
  const std::string message =
      absl::StrCat("backup root '", root, "' (create it, or mount the backup disk): [2] No such file or directory");
  EXPECT_EQ(backup.exit_code, 3) << backup.err;
  EXPECT_THAT(backup.err, HasSubstr(message));
  for (const auto& result : {prune, dry}) {
    EXPECT_EQ(result.exit_code, backup.exit_code) << result.err;
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("pgark prune: ", message)));
    EXPECT_THAT(result.err, Not(HasSubstr("lock file")));
  }
}

}  // namespace
}  // namespace pgark::ops
