// Backup runs, tiers, retention, sidecars, `pgark list/prune/config check/backup` against
// real local storage, the real PostgreSQL sandbox and coreutils' sha256sum.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/ops/backup_run.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/run_lock.h"
#include "engine/pg/connection.h"
#include "engine/restore/replace.h"
#include "engine/storage/file/file_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::MakeTempDir;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::testing::HasSubstr;


absl::Time Day(int year, int month, int day) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, 2, 30, 0), absl::UTCTimeZone());
}

// Runs 120 simulated daily backups into `root` with a fake dump step.
void SimulateDays(const std::string& root, int days) {
  storage::FileStorage storage(root);
  BackupConfig config;
  config.database = "shop";
  config.name = "shop";
  config.backup_root = root;
  config.verify = VerifyMode::kChecksum;
  RunEnvironment env;
  env.primary = &storage;
  env.lock_dir = root;
  for (int day = 0; day < days; ++day) {
    std::string payload = absl::StrCat("archive of day ", day, "\n", std::string(day * 10, 'x'));
    env.dump = [payload](const BackupConfig&, storage::ObjectWriter& out) { return out.Append(payload); };
    RunSummary summary = RunBackup(config, Day(2024, 1, 1) + absl::Hours(24 * day), env);
    ASSERT_TRUE(summary.ok()) << "day " << day << ": " << summary.status;
  }
}

std::map<std::string, std::string> ConfigEnv(const std::string& root) {
  return {{"PGARK_DATABASE", pgark::testing::PgTestServer::Get().Conninfo("postgres")},
          {"PGARK_NAME", "shop"},
          {"PGARK_BACKUP_ROOT", root},
          {"PGARK_VERIFY", "checksum"}};
}

TEST(OpsBackupTest, HundredTwentyDaysLeaveTierCountsAndSidecarsPassSha256sum) {
  std::string root = MakeTempDir("ops_days");
  SimulateDays(root, 120);
  auto count = [&](const char* tier) {
    return RunShell(absl::StrCat("ls ", root, "/", tier, " | wc -l")).out;
  };
  EXPECT_EQ(count("daily"), "7\n");
  EXPECT_EQ(count("weekly"), "4\n");
  EXPECT_EQ(count("monthly"), "4\n");
  // Weekly copies are hard links of the daily file (same inode where both exist).
  auto links = RunShell(absl::StrCat("stat -c %h ", root, "/daily/shop_20240428_023000.pgark"));
  EXPECT_EQ(links.out, "2\n") << "2024-04-28 is a Sunday: daily + weekly share one inode";

  // Every sidecar passes GNU sha256sum -c from the root, strictly.
  auto check = RunShell(absl::StrCat("cd ", root, " && sha256sum --strict -c checksums/*.sha256"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  int ok_lines = 0;
  for (absl::string_view line : absl::StrSplit(check.out, '\n', absl::SkipEmpty())) {
    EXPECT_THAT(std::string(line), HasSubstr(": OK"));
    ++ok_lines;
  }
  EXPECT_EQ(ok_lines, 15) << "one line per copy: 7 + 4 + 4";
  // And it notices damage.
  RunShell(absl::StrCat("printf x >> ", root, "/daily/shop_20240429_023000.pgark"));
  auto damaged = RunShell(absl::StrCat("cd ", root, " && sha256sum -c checksums/shop_20240429_023000.pgark.sha256"));
  EXPECT_NE(damaged.exit_code, 0);
  EXPECT_THAT(damaged.out, HasSubstr("FAILED"));
}

TEST(OpsBackupTest, ListJsonMatchesTheFilesOnDisk) {
  std::string root = MakeTempDir("ops_list");
  SimulateDays(root, 40);
  RunShell(absl::StrCat("echo hello > ", root, "/daily/notes.txt"));
  auto result = RunCommand({PGARK_BINARY, "list", "--json", "--now", "2024-02-10T00:00:00Z"},
                           ConfigEnv(root));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json json = nlohmann::json::parse(result.out);
  std::set<std::string> listed;
  for (const auto& backup : json["root"]["backups"]) {
    for (const auto& tier : backup["tiers"]) {
      listed.insert(absl::StrCat(tier.get<std::string>(), "/", backup["file"].get<std::string>()));
    }
    EXPECT_TRUE(backup["sidecar"].get<bool>());
    EXPECT_TRUE(backup["verified"].get<bool>());
    EXPECT_EQ(backup["verify_mode"], "checksum");
    struct stat info;
    std::string path = absl::StrCat(root, "/daily/", backup["file"].get<std::string>());
    if (stat(path.c_str(), &info) == 0) {
      EXPECT_EQ(backup["size_bytes"], info.st_size);
    }
  }
  auto find = RunShell(absl::StrCat("cd ", root, " && find daily weekly monthly -name '*.pgark' | sort"));
  std::set<std::string> on_disk;
  for (absl::string_view line : absl::StrSplit(find.out, '\n', absl::SkipEmpty())) {
    on_disk.insert(std::string(line));
  }
  EXPECT_EQ(listed, on_disk);
  EXPECT_EQ(json["root"]["backups"][0]["file"], "shop_20240209_023000.pgark");
  EXPECT_EQ(json["root"]["backups"][0]["age_seconds"], 21 * 3600 + 30 * 60);

  auto text = RunCommand({PGARK_BINARY, "list"}, ConfigEnv(root));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("shop_20240209_023000.pgark"));
  EXPECT_THAT(text.out, HasSubstr("daily,weekly"));  // 2024-02-04 is a Sunday
}

TEST(OpsBackupTest, PruneDryRunShowsAndRealPruneRemoves) {
  std::string root = MakeTempDir("ops_prune");
  SimulateDays(root, 10);
  auto env = ConfigEnv(root);
  env["PGARK_RETAIN_DAILY"] = "3";
  auto before = RunShell(absl::StrCat("cd ", root, " && find . -type f | sort")).out;
  auto dry = RunCommand({PGARK_BINARY, "prune", "--dry-run"}, env);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("would remove"));
  // After 10 runs with the default 7 dailies, January 4..10 are in daily/.
  EXPECT_THAT(dry.out, HasSubstr("would remove " + root + "/daily/shop_20240104_023000.pgark\n"));
  EXPECT_EQ(RunShell(absl::StrCat("cd ", root, " && find . -type f | sort")).out, before);
  auto real = RunCommand({PGARK_BINARY, "prune"}, env);
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_EQ(RunShell(absl::StrCat("ls ", root, "/daily | wc -l")).out, "3\n");
  // The January 7 backup (a Sunday) survives in weekly/, its sidecar rewritten to that copy.
  auto check = RunShell(absl::StrCat("cd ", root, " && sha256sum --strict -c checksums/*.sha256"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("weekly/shop_20240107_023000.pgark: OK"));
  EXPECT_THAT(check.out, ::testing::Not(HasSubstr("daily/shop_20240107")));
}

// PGARK_RETAIN_PRE_RESTORE(_DAYS): `pgark prune` and the backup's prune step drop the
// databases `restore --replace` kept, by count and age, never one with a session.
TEST(OpsBackupTest, PruneDropsPreRestoreDatabasesByTheConfiguredRule) {
  pgark::testing::ScratchDatabase db("opspre");
  auto maintenance = pgark::testing::PgTestServer::Get().ConnectMaintenance();
  const absl::Time now = absl::Now();
  const std::string fresh = engine::restore::PreRestoreName(db.name(), now - absl::Hours(1));
  const std::string days3 = engine::restore::PreRestoreName(db.name(), now - absl::Hours(72));
  const std::string days10 = engine::restore::PreRestoreName(db.name(), now - absl::Hours(240));
  const std::string busy = engine::restore::PreRestoreName(db.name(), now - absl::Hours(480));
  const std::string leftover = absl::StrCat("pgark_replace_0123abcd_", db.name());
  const std::string other = engine::restore::PreRestoreName("pgark_someone_else", now - absl::Hours(480));
  const std::vector<std::string> all = {fresh, days3, days10, busy, leftover, other};
  auto cleanup = absl::MakeCleanup([&] {
    for (const std::string& name : all) {
      (void)maintenance->Execute(absl::StrCat("DROP DATABASE IF EXISTS ", maintenance->QuoteIdentifier(name)));
    }
  });
  for (const std::string& name : all) {
    ASSERT_TRUE(maintenance->Execute(absl::StrCat("CREATE DATABASE ", maintenance->QuoteIdentifier(name))).ok());
  }
  auto exists = [&](const std::string& name) {
    auto found = maintenance->QueryParams("SELECT 1 FROM pg_database WHERE datname = $1", {name});
    return found.ok() && found->rows() == 1;
  };
  auto session = pg::Connection::Open(pgark::testing::PgTestServer::Get().Conninfo(busy));
  ASSERT_TRUE(session.ok()) << session.status();

  std::string root = MakeTempDir("ops_pre");
  auto env = ConfigEnv(root);
  env["PGARK_DATABASE"] = db.conninfo();
  // Unset: prune never connects to drop anything.
  auto untouched = RunCommand({PGARK_BINARY, "prune"}, env);
  ASSERT_EQ(untouched.exit_code, 0) << untouched.err;
  EXPECT_THAT(untouched.out, ::testing::Not(HasSubstr("pre-restore")));
  for (const std::string& name : all) EXPECT_TRUE(exists(name)) << name;

  env["PGARK_RETAIN_PRE_RESTORE"] = "3";
  env["PGARK_RETAIN_PRE_RESTORE_DAYS"] = "7";
  auto dry = RunCommand({PGARK_BINARY, "prune", "--dry-run"}, env);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr(absl::StrCat("would drop database ", days10, " (")));
  EXPECT_THAT(dry.out, HasSubstr(absl::StrCat("would drop database ", leftover, " (")));
  EXPECT_THAT(dry.out, HasSubstr("shop's server: would drop 2 pre-restore database(s)"));
  EXPECT_THAT(dry.out, HasSubstr(absl::StrCat("kept 2; left 1 in use: ", busy, ": 1 session(s)")));
  for (const std::string& name : all) EXPECT_TRUE(exists(name)) << name;

  // Kept: 1 h and 3 days; dropped: 10 days (within the count, but older than 7 days), the killed run's
  // leftover; left: the busy 20-day copy; another database's copy is not ours.
  auto real = RunCommand({PGARK_BINARY, "prune"}, env);
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_THAT(real.out, HasSubstr(absl::StrCat("dropped database ", days10, " (")));
  EXPECT_THAT(real.err, HasSubstr(absl::StrCat("not dropping ", busy, ": 1 session(s)")));
  EXPECT_TRUE(exists(fresh));
  EXPECT_TRUE(exists(days3));
  EXPECT_FALSE(exists(days10));
  EXPECT_FALSE(exists(leftover));
  EXPECT_TRUE(exists(busy));
  EXPECT_TRUE(exists(other));

  // The scheduled run applies the same rule in its prune step: with the session gone and
  // one copy kept, everything but the newest goes.
  session->reset();
  env["PGARK_RETAIN_PRE_RESTORE"] = "1";
  auto backup = RunCommand({PGARK_BINARY, "backup"}, env);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.err, HasSubstr("step prune ok"));
  EXPECT_THAT(backup.err, HasSubstr("dropped 2 pre-restore database(s)"));
  EXPECT_TRUE(exists(fresh));
  EXPECT_FALSE(exists(days3));
  EXPECT_FALSE(exists(busy));
  EXPECT_TRUE(exists(other));
}

TEST(OpsBackupTest, ConcurrentBackupIsRefusedWithExit4) {
  std::string root = MakeTempDir("ops_lock");
  auto lock = RunLock::Acquire(root, "shop", Day(2024, 3, 1));
  ASSERT_TRUE(lock.ok()) << lock.status();
  auto result = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-01T03:00:00Z"}, ConfigEnv(root));
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("another backup of shop is running since "
                                                 "2024-03-01T02:30:00Z, pid ", getpid())));
}

TEST(OpsBackupTest, BackupDumpsARealArchiveThatSha256sumAndInspectAccept) {
  pgark::testing::ScratchDatabase db("ops_real");
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Execute("CREATE TABLE shop_orders AS SELECT g AS id, md5(g::text) AS note "
                            "FROM generate_series(1, 5000) g")
                  .ok());
  std::string root = MakeTempDir("ops_real");
  auto env = ConfigEnv(root);
  env["PGARK_DATABASE"] = db.conninfo();
  env["PGARK_VERIFY"] = "full";  // the default: the verify engine reads every frame and tuple
  auto result = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-03T02:00:00Z"}, env);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string archive = absl::StrCat(root, "/daily/shop_20240303_020000.pgark");
  struct stat st;
  ASSERT_EQ(stat(archive.c_str(), &st), 0) << result.out << result.err;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // 2024-03-03 is a Sunday and the first run of March: kept in weekly/ and monthly/ too.
  EXPECT_EQ(RunShell(absl::StrCat("find ", root, " -name '*.pgark' | wc -l")).out, "3\n");
  auto check = RunShell(absl::StrCat("cd ", root, " && sha256sum --strict -c checksums/*.sha256"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto inspect = RunCommand({PGARK_BINARY, "inspect", archive});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("5000"));  // the table's row count in the index

  // PGARK_VERIFY=restore-test: the archive is restored into a scratch database on the
  // database's server (or PGARK_RESTORE_TEST_DATABASE's), and the run records that mode.
  env["PGARK_VERIFY"] = "restore-test";
  result = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-04T02:00:00Z"}, env);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto list = RunCommand({PGARK_BINARY, "list", "--json"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  nlohmann::json json = nlohmann::json::parse(list.out);
  EXPECT_EQ(json["root"]["backups"][0]["file"], "shop_20240304_020000.pgark");
  EXPECT_EQ(json["root"]["backups"][0]["verify_mode"], "restore-test");
  EXPECT_TRUE(json["root"]["backups"][0]["verified"].get<bool>());
  // The restore test really connects: an unreachable scratch server fails the run at that step.
  env["PGARK_RESTORE_TEST_DATABASE"] = "host=127.0.0.1 port=1 dbname=postgres connect_timeout=2";
  env["PGARK_RETRIES"] = "0";
  result = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-05T02:00:00Z"}, env);
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, HasSubstr("verify step"));
}

// Before: a PGARK_PASSPHRASE written in the configuration file (not the environment) was not
// handed to the dump, which then wrote an unencrypted archive without a word.
TEST(OpsBackupTest, PassphraseInTheConfigurationFileEncryptsTheBackup) {
  pgark::testing::ScratchDatabase db("ops_pass");
  ASSERT_TRUE(db.Connect()->Execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g").ok());
  std::string root = MakeTempDir("ops_pass");
  const std::string config = absl::StrCat(root, "/pgark.env");
  {
    std::ofstream out(config);
    out << "PGARK_DATABASE=\"" << db.conninfo() << "\"\n"
        << "PGARK_NAME=shop\nPGARK_BACKUP_ROOT=" << root << "/backups\nPGARK_VERIFY=full\n"
        << "PGARK_PASSPHRASE=correct-horse-battery-staple\n";
  }
  ASSERT_EQ(chmod(config.c_str(), 0600), 0);
  ASSERT_EQ(mkdir(absl::StrCat(root, "/backups").c_str(), 0700), 0);
  // The test process's own environment must not hold the passphrase.
  auto result = RunShell(absl::StrCat("env -u PGARK_PASSPHRASE ", PGARK_BINARY, " backup --config ", config,
                                      " --now 2024-03-04T02:00:00Z"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string archive = absl::StrCat(root, "/backups/daily/shop_20240304_020000.pgark");
  auto inspect = RunShell(absl::StrCat("env -u PGARK_PASSPHRASE ", PGARK_BINARY, " inspect ", archive));
  EXPECT_THAT(inspect.out, HasSubstr("passphrase"));
  EXPECT_THAT(inspect.out, ::testing::Not(HasSubstr("encryption   none")));
  // Without the passphrase the archive does not open; with it, it verifies.
  auto without = RunShell(absl::StrCat("env -u PGARK_PASSPHRASE ", PGARK_BINARY, " verify ", archive));
  EXPECT_EQ(without.exit_code, 7) << without.out << without.err;
  auto with = RunCommand({PGARK_BINARY, "verify", archive}, {{"PGARK_PASSPHRASE", "correct-horse-battery-staple"}});
  EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
}

TEST(OpsBackupTest, ConfigCheckReportsEachKindOfProblemOnItsOwnLine) {
  std::string dir = MakeTempDir("ops_check");
  std::string config = absl::StrCat(dir, "/pgark.env");
  std::string file_root = absl::StrCat(dir, "/not-a-dir");
  RunShell(absl::StrCat("touch ", file_root));
  {
    std::ofstream out(config);
    out << "# test config\n"
        << "export PGARK_DATABASE=\"" << pgark::testing::PgTestServer::Get().Conninfo("postgres") << "\"\n"
        << "PGARK_BACKUP_ROOT=" << dir << "\n"
        << "PGARK_RETAN_DAILY=3\n"
        << "PGARK_JOBS=lots\n"
        << "PGARK_ENCRYPT_KEY_FILE=" << dir << "/missing.key\n";
  }
  auto result = RunCommand({PGARK_BINARY, "config", "check", "--config", config});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("PGARK_RETAN_DAILY (", config,
                                                 ":4): unknown key (did you mean PGARK_RETAIN_DAILY?)\n")));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("PGARK_JOBS (", config, ":5): must be an integer")));
  EXPECT_THAT(result.err, HasSubstr("PGARK_ENCRYPT_KEY_FILE"));
  EXPECT_THAT(result.err, HasSubstr("cannot read"));

  // Environment problems: unreachable database, a root that is not a directory.
  auto env_result = RunCommand(
      {PGARK_BINARY, "config", "check"},
      {{"PGARK_DATABASE", pgark::testing::PgTestServer::Get().Conninfo("pgark_missing_db")},
       {"PGARK_NAME", "shop"},
       {"PGARK_BACKUP_ROOT", file_root},
       {"PGARK_COPY_TO", absl::StrCat(dir, "/missing-dir")}});
  EXPECT_EQ(env_result.exit_code, 2);
  EXPECT_THAT(env_result.err, HasSubstr("PGARK_DATABASE: cannot connect"));
  EXPECT_THAT(env_result.err, HasSubstr("pgark_missing_db"));
  EXPECT_THAT(env_result.err, HasSubstr("PGARK_BACKUP_ROOT: is not writable"));
  EXPECT_THAT(env_result.err, HasSubstr("not a directory"));
  EXPECT_THAT(env_result.err, HasSubstr("PGARK_COPY_TO: is not writable"));

  if (geteuid() != 0) {  // root ignores directory permissions
    std::string readonly = absl::StrCat(dir, "/readonly");
    ASSERT_EQ(mkdir(readonly.c_str(), 0500), 0);
    auto ro = RunCommand({PGARK_BINARY, "config", "check"},
                         {{"PGARK_DATABASE", pgark::testing::PgTestServer::Get().Conninfo("postgres")},
                          {"PGARK_NAME", "shop"},
                          {"PGARK_BACKUP_ROOT", readonly}});
    EXPECT_EQ(ro.exit_code, 2);
    EXPECT_THAT(ro.err, HasSubstr("PGARK_BACKUP_ROOT: is not writable"));
  }

  auto good = RunCommand({PGARK_BINARY, "config", "check"}, ConfigEnv(dir));
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("configuration ok: shop -> "));
}

}  // namespace
}  // namespace pgark::ops
