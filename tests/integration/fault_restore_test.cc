// The target server restarted in the middle of `pgark restore`: a clear error naming the
// item being restored (exit 6); with -1 (single transaction) the target is unchanged. The
// restart runs on a private server (PrivatePgServer): restarting the shared one would break
// every test running beside this one.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/private_pg_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::BackgroundCommand;
using ::pgark::testing::PrivatePgServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::AnyOf;
using ::testing::HasSubstr;

class FaultRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.error();
    archive_ = absl::StrCat(::testing::TempDir(), "/pgark_fault_restore_", getpid(), ".pgark");
    ScratchDatabase source("fault_rsrc");
    // One big table (its COPY is where the restart lands) and a small one restored before it.
    ASSERT_OK(source.Connect()->Execute(
        "CREATE TABLE a_small (id int PRIMARY KEY); INSERT INTO a_small SELECT generate_series(1, 10);"
        "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v "
        "FROM generate_series(1, 600000) g; ALTER TABLE big ADD PRIMARY KEY (id)"));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive_});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    auto admin = server_.Connect("postgres");
    ASSERT_OK(admin.status());
    ASSERT_OK((*admin)->Execute("CREATE DATABASE target TEMPLATE template0"));
  }
  void TearDown() override { RunShell("rm -f '" + archive_ + "'"); }

  // Runs `pgark restore ARGS archive` into "target" and restarts the server once a COPY
  // of the restore is running. Returns the restore's result.
  testing::CommandResult RestoreWithRestart(std::vector<std::string> args) {
    std::vector<std::string> argv = {PGARK_BINARY, "restore", "-d", server_.Conninfo("target")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(archive_);
    BackgroundCommand restore(argv);
    auto admin = server_.Connect("postgres");
    EXPECT_OK(admin.status());
    bool copying = false;
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (admin.ok() && !copying && !restore.Exited() && absl::Now() < deadline) {
      auto active = (*admin)->Query(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgark restore%' "
          "AND query LIKE 'COPY%big%'");
      copying = active.ok() && active->GetInt64(0, 0).value_or(0) > 0;
      if (!copying) absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_TRUE(copying) << "the restore never reached the COPY of big";
    if (copying) {
      restore.Signal(SIGSTOP);  // the restart lands in the COPY, not after it
      admin->reset();
      EXPECT_TRUE(server_.Restart()) << server_.error();
      restore.Signal(SIGCONT);
    }
    return restore.Wait();
  }

  PrivatePgServer server_;
  std::string archive_;
};

TEST_F(FaultRestoreTest, SingleTransactionRestoreLeavesTheTargetUnchanged) {
  auto result = RestoreWithRestart({"-1"});
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, HasSubstr("public.big"));
  auto target = server_.Connect("target");
  ASSERT_OK(target.status());
  auto tables = (*target)->Query(
      "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'public'");
  ASSERT_OK(tables.status());
  EXPECT_EQ(tables->GetInt64(0, 0).value_or(-1), 0) << "a -1 restore left objects behind";
}

// Before: the clean-up used the maintenance session the restart had closed ("dropping the
// temporary database ... failed too (: no connection to the server)"), leaving it behind.
TEST_F(FaultRestoreTest, ReplaceDropsItsTemporaryDatabaseAfterAServerRestart) {
  auto result = RestoreWithRestart({"--replace", "-y", "-j", "2"});
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, HasSubstr("database 'target' was not changed, the temporary database"));
  EXPECT_THAT(result.err, HasSubstr("was dropped"));
  auto admin = server_.Connect("postgres");
  ASSERT_OK(admin.status());
  auto left = (*admin)->Query("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgark_replace_%'");
  ASSERT_OK(left.status());
  EXPECT_EQ(left->GetInt64(0, 0).value_or(-1), 0);
}

TEST_F(FaultRestoreTest, ParallelRestoreNamesTheItemAndCanBeRedoneWithClean) {
  auto result = RestoreWithRestart({"-j", "2"});
  EXPECT_EQ(result.exit_code, 6) << result.err;
  // Whichever connection noticed first names its item (the COPY of big, or an index or
  // constraint the other connection was building), and the progress so far.
  EXPECT_THAT(result.err, ::testing::ContainsRegex("(restoring [A-Z ]+|loading) public\\."));
  EXPECT_THAT(result.err, HasSubstr("restored: pre-data"));
  EXPECT_THAT(result.err, AnyOf(HasSubstr("terminat"), HasSubstr("shut"), HasSubstr("connection")));
  // What an operator does next (docs/backup.md), as the message says: restore again with --clean.
  EXPECT_THAT(result.err, HasSubstr("to redo it, run the same restore with --clean"));
  auto again = RunCommand({PGARK_BINARY, "restore", "--clean", "--if-exists", "-d", server_.Conninfo("target"),
                           archive_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto target = server_.Connect("target");
  ASSERT_OK(target.status());
  auto rows = (*target)->Query("SELECT (SELECT count(*) FROM big), (SELECT count(*) FROM a_small)");
  ASSERT_OK(rows.status());
  EXPECT_EQ(rows->GetInt64(0, 0).value_or(0), 600000);
  EXPECT_EQ(rows->GetInt64(0, 1).value_or(0), 10);
}

}  // namespace
}  // namespace pgark
