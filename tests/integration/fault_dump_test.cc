// Faults around `pgark dump` and `pgark backup` as an operator meets them, through the real
// binary: a worker backend terminated mid-dump, kill -9 of a dump and of a backup run, a disk
// that fills (RLIMIT_FSIZE makes write() fail with EFBIG, portably and without root), and an
// ALTER TABLE queued behind a running dump. The engine-level cases (truncate race, NOWAIT
// worker, lock timeout, cancel) are in dump_failure_test.cc.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/storage/file/file_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::BackgroundCommand;
using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

class FaultDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-fault.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { RunShell("rm -rf '" + dir_ + "'"); }

  // ~25 MB of binary COPY: long enough to stop or kill a dump in the middle.
  static void CreateBigTable(const ScratchDatabase& db, int rows = 400000) {
    ASSERT_OK(db.Connect()->Execute(absl::StrCat(
        "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v "
        "FROM generate_series(1, ", rows, ") g")));
  }

  // Every file under dir_ (recursively), as "relative/path".
  std::vector<std::string> Files() const {
    auto found = RunShell("cd '" + dir_ + "' && find . -type f | sort");
    std::vector<std::string> files;
    for (absl::string_view line : absl::StrSplit(found.out, '\n', absl::SkipEmpty())) {
      files.emplace_back(line.substr(2));
    }
    return files;
  }

  // Waits until a temp file of the storage layer under dir_ holds more than `bytes` (the
  // command is then mid-write), or the command exits. Returns true in the first case.
  bool WaitForPartialOutput(const BackgroundCommand& command, off_t bytes) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && !command.Exited()) {
      for (const std::string& file : Files()) {
        struct stat st;
        if (absl::StrContains(file, ".pgark-tmp-") &&
            stat((dir_ + "/" + file).c_str(), &st) == 0 && st.st_size > bytes) {
          return true;
        }
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  }

  // The number of dump connections of pgark to `db`, after waiting up to 10 s for it to reach 0.
  static int PgarkBackends(const ScratchDatabase& db) {
    auto admin = PgTestServer::Get().ConnectMaintenance();
    std::string sql = absl::StrCat(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgark dump%' AND datname = ",
        admin->QuoteLiteral(db.name()));
    int64_t count = -1;
    for (int i = 0; i < 500; ++i) {
      auto result = admin->Query(sql);
      count = result.ok() ? result->GetInt64(0, 0).value_or(-1) : -1;
      if (count == 0) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return static_cast<int>(count);
  }

  std::map<std::string, std::string> BackupEnv(const ScratchDatabase& db) const {
    return {{"PGARK_DATABASE", db.conninfo()}, {"PGARK_NAME", "shop"},
            {"PGARK_BACKUP_ROOT", dir_},       {"PGARK_VERIFY", "checksum"}};
  }

  std::string dir_;
};

TEST_F(FaultDumpTest, WorkerTerminatedMidDumpFailsCleanlyAndReleasesTheSnapshot) {
  ScratchDatabase db("fault_term");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db));
  std::string out = dir_ + "/out.pgark";
  BackgroundCommand dump({PGARK_BINARY, "dump", "-d", db.conninfo(), "-f", out, "-j", "1"});
  ASSERT_TRUE(WaitForPartialOutput(dump, 64 << 10)) << dump.Wait().err;
  dump.Signal(SIGSTOP);  // hold it mid-COPY while its worker backend is terminated
  auto admin = db.Connect();
  auto killed = admin->Query(absl::StrCat(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ",
      admin->QuoteLiteral(db.name()), " AND application_name LIKE 'pgark dump worker%'"));
  ASSERT_OK(killed.status());
  EXPECT_EQ(killed->GetInt64(0, 0).value_or(0), 1);
  dump.Signal(SIGCONT);
  const auto& result = dump.Wait();
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, HasSubstr("public.big"));
  EXPECT_THAT(Files(), ::testing::IsEmpty());  // nothing published, the temp file removed
  EXPECT_EQ(PgarkBackends(db), 0);             // the leader's snapshot transaction is gone too
}

TEST_F(FaultDumpTest, KillNineOfADumpLeavesNothingUnderTheFinalName) {
  ScratchDatabase db("fault_kill");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db));
  std::string out = dir_ + "/out.pgark";
  BackgroundCommand dump({PGARK_BINARY, "dump", "-d", db.conninfo(), "-f", out, "-j", "2"});
  ASSERT_TRUE(WaitForPartialOutput(dump, 64 << 10)) << dump.Wait().err;
  dump.Signal(SIGKILL);
  EXPECT_EQ(dump.Wait().exit_code, 128 + SIGKILL);
  struct stat st;
  EXPECT_NE(stat(out.c_str(), &st), 0);
  // What can remain is the hidden temp file, which no reader takes for an archive.
  for (const std::string& file : Files()) EXPECT_THAT(file, HasSubstr(".out.pgark.pgark-tmp-"));
  // The server notices the dead client: its snapshot and locks go away.
  EXPECT_EQ(PgarkBackends(db), 0);
  const std::vector<std::string> left = Files();
  ASSERT_EQ(left.size(), 1u) << "the killed dump's temp file";
  EXPECT_THAT(left[0], HasSubstr(absl::StrCat(".pgark-tmp-", storage::FileStorageWriterId().substr(
                                                  0, storage::FileStorageWriterId().rfind('.') + 1),
                                              dump.pid(), "-")));
  // The same output name works at once, and the dump points at the killed run's temp file.
  auto again = RunCommand({PGARK_BINARY, "dump", "-d", db.conninfo(), "-f", out});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_THAT(again.err, HasSubstr(absl::StrCat("stale temp file '", dir_, "/", left[0], "' left by an earlier pgark")));
  // A backup run into this root removes it (and says so); the archive stays.
  auto backup = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-01T02:00:00Z"}, BackupEnv(db));
  EXPECT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.out + backup.err, HasSubstr(absl::StrCat("removed stale temp file '", dir_, "/", left[0], "'")));
  for (const std::string& file : Files()) EXPECT_THAT(file, ::testing::Not(HasSubstr("pgark-tmp")));
  EXPECT_EQ(stat(out.c_str(), &st), 0);
}

TEST_F(FaultDumpTest, DiskFullFailsWithExit6AndRemovesTheTempFile) {
  ScratchDatabase db("fault_full");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db, 100000));
  std::string out = dir_ + "/out.pgark";
  // ulimit -f counts 512- or 1024-byte blocks depending on the shell: 512 KiB at most.
  auto dump = RunShell(absl::StrCat("ulimit -f 512 && exec '", PGARK_BINARY, "' dump -d '", db.conninfo(),
                                    "' -f '", out, "'"));
  EXPECT_EQ(dump.exit_code, 6) << dump.err;
  EXPECT_THAT(dump.err, HasSubstr("out.pgark"));
  EXPECT_THAT(Files(), ::testing::IsEmpty());
  EXPECT_EQ(PgarkBackends(db), 0);
}

TEST_F(FaultDumpTest, DiskFullDuringABackupTouchesNoEarlierBackup) {
  ScratchDatabase db("fault_bfull");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db, 100000));
  auto env = BackupEnv(db);
  for (const char* now : {"2024-03-01T02:00:00Z", "2024-03-02T02:00:00Z"}) {
    auto run = RunCommand({PGARK_BINARY, "backup", "--now", now}, env);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  const std::string digest_cmd = "cd '" + dir_ + "' && find . -name '*.pgark' -o -name '*.sha256' | sort | xargs sha256sum";
  std::string before = RunShell(digest_cmd).out;
  ASSERT_THAT(before, HasSubstr("daily/shop_20240301_020000.pgark"));
  // Retention that ran after the failure would now drop 2024-03-01's daily backup.
  env["PGARK_RETAIN_DAILY"] = "1";
  std::string command = absl::StrCat("ulimit -f 512 && exec '", PGARK_BINARY, "' backup --now 2024-03-03T02:00:00Z");
  auto failed = RunCommand({"/bin/sh", "-c", command}, env);
  EXPECT_EQ(failed.exit_code, 6) << failed.out << failed.err;
  EXPECT_EQ(RunShell(digest_cmd).out, before);
  for (const std::string& file : Files()) {
    EXPECT_THAT(file, ::testing::Not(HasSubstr("pgark-tmp"))) << "temp file left behind";
    EXPECT_THAT(file, ::testing::Not(HasSubstr("20240303"))) << "partial backup published";
  }
}

TEST_F(FaultDumpTest, KillNineOfABackupRunIsRecoveredByTheNextRun) {
  ScratchDatabase db("fault_bkill");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db));
  auto env = BackupEnv(db);
  BackgroundCommand run({PGARK_BINARY, "backup", "--now", "2024-03-01T02:00:00Z"}, env);
  ASSERT_TRUE(WaitForPartialOutput(run, 64 << 10)) << run.Wait().err;
  run.Signal(SIGKILL);
  EXPECT_EQ(run.Wait().exit_code, 128 + SIGKILL);
  for (const std::string& file : Files()) {
    EXPECT_FALSE(absl::EndsWith(file, ".pgark")) << file << " published by a killed run";
  }
  std::string temp;
  for (const std::string& file : Files()) {
    if (absl::StrContains(file, ".pgark-tmp-")) temp = file;
  }
  EXPECT_FALSE(temp.empty()) << "the killed run's temp file";
  auto next = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-01T03:00:00Z"}, env);
  EXPECT_EQ(next.exit_code, 0) << next.err;
  // The killed run's temp file is removed, and the log names it.
  EXPECT_THAT(next.out + next.err, HasSubstr(absl::StrCat("removed stale temp file '", dir_, "/", temp, "'")));
  for (const std::string& file : Files()) EXPECT_THAT(file, ::testing::Not(HasSubstr("pgark-tmp")));
  EXPECT_THAT(next.out + next.err, HasSubstr(absl::StrCat("taking over the lock of a previous backup of shop (pid ",
                                                          run.pid())));
  struct stat st;
  EXPECT_EQ(stat((dir_ + "/daily/shop_20240301_030000.pgark").c_str(), &st), 0);
}

TEST_F(FaultDumpTest, AlterTableQueuedBehindADumpWaitsForIt) {
  ScratchDatabase db("fault_alter");
  ASSERT_NO_FATAL_FAILURE(CreateBigTable(db));
  std::string out = dir_ + "/out.pgark";
  BackgroundCommand dump({PGARK_BINARY, "dump", "-d", db.conninfo(), "-f", out, "-j", "1"});
  ASSERT_TRUE(WaitForPartialOutput(dump, 64 << 10)) << dump.Wait().err;
  dump.Signal(SIGSTOP);  // keep the dump's locks held while the ALTER queues
  auto alterer = db.Connect();
  absl::Status altered;
  std::thread alter([&] { altered = alterer->Execute("ALTER TABLE big ADD COLUMN added int DEFAULT 7"); });
  auto admin = db.Connect();
  bool queued = false;
  for (int i = 0; i < 500 && !queued; ++i) {
    auto waiting = admin->Query(absl::StrCat(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted "
        "AND a.datname = ", admin->QuoteLiteral(db.name()), " AND a.query LIKE 'ALTER TABLE big%'"));
    queued = waiting.ok() && waiting->GetInt64(0, 0).value_or(0) > 0;
    if (!queued) absl::SleepFor(absl::Milliseconds(10));
  }
  dump.Signal(SIGCONT);
  const auto& result = dump.Wait();
  alter.join();
  EXPECT_TRUE(queued);
  // The documented outcome: the dump finishes with the table as of its snapshot; the
  // ALTER runs after it.
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_OK(altered);
  ScratchDatabase target("fault_alter_dst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), out});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto rows = target.Connect()->Query(
      "SELECT count(*), count(*) FILTER (WHERE v IS NULL), "
      "(SELECT count(*) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'added') FROM big");
  ASSERT_OK(rows.status());
  EXPECT_EQ(rows->GetInt64(0, 0).value_or(0), 400000);
  EXPECT_EQ(rows->GetInt64(0, 1).value_or(-1), 0);
  EXPECT_EQ(rows->GetInt64(0, 2).value_or(-1), 0);
}

}  // namespace
}  // namespace pgark
