// Findings of an operator drill of scheduled backups and dev snapshots, checked end to end
// with the pgark binary against the PostgreSQL sandbox:
//   - a recipient-only key with full verification is refused by `config check` and by a run
//     before it dumps (it used to pass the check, then fail every run at verify, exit 7);
//   - PGARK_LOCK_WAIT_TIMEOUT bounds a run's wait for table locks (it used to hang behind an
//     ACCESS EXCLUSIVE lock forever);
//   - `pgark dev` options are accepted after the subcommand too;
//   - `pgark dev load` says that it dropped the old database.
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/pg/connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace pgark {
namespace {

namespace fs = std::filesystem;
using ::pgark::testing::BackgroundCommand;
using ::pgark::testing::MakeTempDir;
using ::pgark::testing::RunCommand;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;


std::string Scalar(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? std::string(result->Get(0, 0)) : "";
}

TEST(OpsDrillTest, RecipientOnlyKeyWithFullVerifyIsRefusedBeforeTheDump) {
  std::string dir = MakeTempDir("drill_rcpt");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "keygen", "--x25519", dir + "/shop.pub", dir + "/shop.sec"}).exit_code, 0);
  fs::create_directory(dir + "/root");
  std::map<std::string, std::string> env = {
      {"PGARK_DATABASE", pgark::testing::PgTestServer::Get().Conninfo("postgres")},
      {"PGARK_NAME", "shop"},
      {"PGARK_BACKUP_ROOT", dir + "/root"},
      {"PGARK_ENCRYPT_RECIPIENT", dir + "/shop.pub"}};  // PGARK_VERIFY: the default, full
  auto check = RunCommand({PGARK_BINARY, "config", "check"}, env);
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_THAT(check.out, Not(HasSubstr("configuration ok")));
  EXPECT_THAT(check.err, HasSubstr("PGARK_VERIFY"));
  EXPECT_THAT(check.err, HasSubstr("PGARK_ENCRYPT_RECIPIENT"));
  EXPECT_THAT(check.err, HasSubstr("set PGARK_VERIFY=checksum"));

  // The run refuses at its configuration check: nothing is dumped.
  auto run = RunCommand({PGARK_BINARY, "backup"}, env);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("PGARK_ENCRYPT_RECIPIENT"));
  EXPECT_FALSE(fs::exists(dir + "/root/daily"));

  env["PGARK_VERIFY"] = "checksum";
  auto fixed = RunCommand({PGARK_BINARY, "config", "check"}, env);
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_THAT(fixed.out, HasSubstr("configuration ok"));
  fs::remove_all(dir);
}

TEST(OpsDrillTest, LockWaitTimeoutFailsABackupRunNamingTheTable) {
  ScratchDatabase source("drilllock");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2)"));
  auto blocker = source.Connect();
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"));
  std::string root = MakeTempDir("drill_lock");
  std::map<std::string, std::string> env = {{"PGARK_DATABASE", source.conninfo()},
                                            {"PGARK_NAME", "shop"},
                                            {"PGARK_BACKUP_ROOT", root},
                                            {"PGARK_VERIFY", "checksum"},
                                            {"PGARK_LOCK_WAIT_TIMEOUT", "2s"}};
  absl::Time start = absl::Now();
  // In the background, so that a run that waits forever (the bug) fails this test instead of
  // hanging the suite.
  BackgroundCommand backup({PGARK_BINARY, "backup"}, env);
  while (!backup.Exited() && absl::Now() - start < absl::Seconds(60)) absl::SleepFor(absl::Milliseconds(100));
  absl::Duration took = absl::Now() - start;
  if (!backup.Exited()) {
    backup.Signal(SIGKILL);
    ADD_FAILURE() << "pgark backup still waiting for the lock after " << took;
  }
  const auto& run = backup.Wait();
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_THAT(run.err, HasSubstr("public.orders"));
  EXPECT_THAT(run.err, HasSubstr("PGARK_LOCK_WAIT_TIMEOUT"));
  EXPECT_GE(took, absl::Seconds(2));
  // Connecting, planning and the other steps take well under this; a hang would not.
  EXPECT_LT(took, absl::Seconds(30));
  // Nothing published, and the next run is not refused at the run lock.
  if (fs::exists(root + "/daily")) {
    for (const auto& entry : fs::directory_iterator(root + "/daily")) {
      EXPECT_EQ(entry.path().filename().string()[0], '.') << "published by a failed run: " << entry.path();
    }
  }
  ASSERT_OK(blocker->Execute("COMMIT"));
  auto again = RunCommand({PGARK_BINARY, "backup"}, env);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  fs::remove_all(root);
}

// The first command of a disaster (docs/backup.md 11.2): with the backup disk gone, `pgark
// list` still lists PGARK_COPY_TO, and exits with the missing root's error (exit 3).
TEST(OpsDrillTest, ListShowsTheSecondRootWhenThePrimaryIsGone) {
  ScratchDatabase db("drill_list");
  ASSERT_TRUE(db.Connect()->Execute("CREATE TABLE t AS SELECT 1 AS id").ok());
  const std::string dir = MakeTempDir("drill_list");
  ASSERT_EQ(mkdir((dir + "/primary").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((dir + "/second").c_str(), 0700), 0);
  std::map<std::string, std::string> env = {{"PGARK_DATABASE", db.conninfo()},
                                            {"PGARK_NAME", "shop"},
                                            {"PGARK_BACKUP_ROOT", dir + "/primary"},
                                            {"PGARK_COPY_TO", dir + "/second"},
                                            {"PGARK_VERIFY", "checksum"}};
  auto run = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-04T02:00:00Z"}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(rename((dir + "/primary").c_str(), (dir + "/unmounted").c_str()), 0);
  auto list = RunCommand({PGARK_BINARY, "list"}, env);
  EXPECT_EQ(list.exit_code, 3) << list.out << list.err;
  EXPECT_THAT(list.out, HasSubstr("shop_20240304_020000.pgark"));
  EXPECT_THAT(list.out, HasSubstr(dir + "/second"));
  EXPECT_THAT(list.err, HasSubstr(dir + "/primary"));
  auto json = RunCommand({PGARK_BINARY, "list", "--json"}, env);
  EXPECT_EQ(json.exit_code, 3);
  EXPECT_THAT(json.out, HasSubstr("\"error\""));
  EXPECT_THAT(json.out, HasSubstr("shop_20240304_020000.pgark"));
}

TEST(OpsDrillTest, DevOptionsWorkBeforeAndAfterTheSubcommand) {
  ScratchDatabase db("drilldev");
  ASSERT_OK(db.Connect()->Execute("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)"));
  std::string dir = MakeTempDir("drill_dev");
  // Options after the subcommand (the drill's two failing command lines), then before it.
  auto after = RunCommand({PGARK_BINARY, "dev", "save", "one", "-j", "2", "-d", db.conninfo(), "--dir", dir});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  auto mixed = RunCommand({PGARK_BINARY, "dev", "--dir", dir, "save", "-d", db.conninfo(), "two"});
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  auto before = RunCommand({PGARK_BINARY, "dev", "-d", db.conninfo(), "--dir", dir, "-j", "2", "save", "three"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  for (const char* name : {"one", "two", "three"}) {
    EXPECT_TRUE(fs::exists(absl::StrCat(dir, "/", name, ".pgark"))) << name;
  }
  auto list = RunCommand({PGARK_BINARY, "dev", "list", "--dir", dir});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("three"));
  // Still refused: a value nobody takes, and an option of another subcommand.
  EXPECT_EQ(RunCommand({PGARK_BINARY, "dev", "save", "four", "extra", "--dir", dir}).exit_code, 2);
  EXPECT_EQ(RunCommand({PGARK_BINARY, "dev", "list", "--keep", "1", "--dir", dir}).exit_code, 2);
  fs::remove_all(dir);
}

TEST(OpsDrillTest, DevLoadSaysItDroppedTheOldDatabase) {
  ScratchDatabase db("drillload");
  ASSERT_OK(db.Connect()->Execute("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)"));
  std::string dir = MakeTempDir("drill_load");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dev", "save", "base", "-d", db.conninfo(), "--dir", dir}).exit_code, 0);
  ASSERT_OK(db.Connect()->Execute("INSERT INTO t VALUES (11)"));
  auto load = RunCommand({PGARK_BINARY, "dev", "load", "base", "-d", db.conninfo(), "--dir", dir});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.err, HasSubstr(absl::StrCat("dropped the old database '", db.name(), "_pre_restore_")));
  EXPECT_THAT(load.out, Not(HasSubstr("kept")));
  EXPECT_EQ(Scalar(*db.Connect(), "SELECT count(*) FROM t"), "10");
  auto admin = pgark::testing::PgTestServer::Get().Conninfo("postgres");
  auto conn = pg::Connection::Open(admin);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(Scalar(**conn, absl::StrCat("SELECT count(*) FROM pg_database WHERE datname LIKE '", db.name(),
                                        "\\_pre\\_restore\\_%'")),
            "0");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pgark
