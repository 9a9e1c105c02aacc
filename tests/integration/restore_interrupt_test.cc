// Interrupted and failed restores (docs/restore.md "Interrupts and failures"): for each mode
// (plain -j 2, -1, --clean, -C, --replace, verify --restore-test, a pipe) and each event
// (SIGINT in pre-data, in the clean, in a COPY, in the sequence, privilege and REFRESH passes,
// between --replace's restore and its swap, in verify --restore-test's row count, in the swap;
// SIGTERM in an index build; the backend terminated in a COPY, also while a pipe stalls; a
// pipe cut short or stalled; a second SIGINT while cleaning up): the exit code, the message
// (what was running, what was and was not restored), the state left behind, no session of ours
// left running in the server, and a prompt end. Black-box through the real binary.
//
// The signal lands deterministically: the slow parts are slow only for the restore's own
// sessions (their application_name starts with pgark_intr), a CHECK that sleeps 5 ms per row
// and an index on an expression that does the same, and the test waits until the statement
// shows in pg_stat_activity before it signals. The pre-data case waits on a lock: another
// session's uncommitted CREATE SCHEMA of the same name; the clean, the swap and the sequence
// pass wait on locks the test holds too, and so does --replace's row count (in its temporary
// database, locked while a REFRESH waits for that lock: kWindow); the GRANT is made slow by an
// event trigger that sleeps for the restore's sessions.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

namespace fs = std::filesystem;
using ::pgark::testing::BackgroundCommand;
using ::pgark::testing::CommandResult;
using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

// 2000 rows at 5 ms: a COPY of s.slow or the build of s.indexed_slow takes 10 s unless
// interrupted; everything else is instant.
constexpr char kSource[] =
    "CREATE SCHEMA s;"
    "CREATE FUNCTION s.slowly(v integer) RETURNS boolean LANGUAGE sql AS $$ SELECT "
    "  pg_catalog.current_setting('application_name') NOT LIKE 'pgark\\_intr%' OR pg_catalog.pg_sleep(0.005) IS NOT NULL $$;"
    "CREATE FUNCTION s.slow_key(v integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN "
    "  pg_catalog.current_setting('application_name') NOT LIKE 'pgark\\_intr%' OR pg_catalog.pg_sleep(0.005) IS NOT NULL "
    "  THEN v END $$;"
    "CREATE TABLE s.a_small (id integer PRIMARY KEY);"
    "INSERT INTO s.a_small SELECT generate_series(1, 10);"
    "CREATE TABLE s.slow (id integer CHECK (s.slowly(id)));"
    "INSERT INTO s.slow SELECT generate_series(1, 2000);"
    "CREATE TABLE s.indexed (id integer);"
    "INSERT INTO s.indexed SELECT generate_series(1, 2000);"
    "CREATE INDEX indexed_slow ON s.indexed (s.slow_key(id));";

// For the passes after the main pass (sequences, privileges, materialized views): a sequence
// with a value, a privilege, and a materialized view whose REFRESH takes 10 s for the
// restore's sessions.
constexpr char kPasses[] =
    "CREATE SCHEMA p;"
    "CREATE FUNCTION p.slowly(v integer) RETURNS boolean LANGUAGE sql AS $$ SELECT "
    "  pg_catalog.current_setting('application_name') NOT LIKE 'pgark\\_intr%' OR pg_catalog.pg_sleep(0.005) IS NOT NULL $$;"
    "CREATE TABLE p.t (id integer);"
    "INSERT INTO p.t SELECT generate_series(1, 10);"
    "GRANT SELECT ON p.t TO PUBLIC;"
    "CREATE SEQUENCE p.seq;"
    "SELECT pg_catalog.setval('p.seq', 42);"
    "CREATE MATERIALIZED VIEW p.mv AS SELECT id FROM generate_series(1, 2000) id WHERE p.slowly(id);";

// For --replace's window between the restore and the swap: a table, and a materialized view
// whose REFRESH (the restore's last statement) waits, for the restore's sessions, until some
// session holds an ACCESS EXCLUSIVE lock on that table (at most 30 s), so the test provably
// holds that lock in the temporary database before the verification counts the table's rows.
constexpr char kWindow[] =
    "CREATE SCHEMA w;"
    "CREATE TABLE w.t (id integer);"
    "INSERT INTO w.t SELECT generate_series(1, 10);"
    "CREATE FUNCTION w.until_locked() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
    "  IF pg_catalog.current_setting('application_name') LIKE 'pgark\\_intr%' THEN "
    "    FOR i IN 1..3000 LOOP "
    "      EXIT WHEN EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation' AND l.granted "
    "        AND l.mode = 'AccessExclusiveLock' AND l.relation = 'w.t'::pg_catalog.regclass AND l.database = "
    "        (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())); "
    "      PERFORM pg_catalog.pg_sleep(0.01); "
    "    END LOOP; "
    "  END IF; RETURN true; END $$;"
    "CREATE MATERIALIZED VIEW w.mv AS SELECT 1 AS x WHERE w.until_locked();";

constexpr char kCopyOfSlow[] = "query LIKE 'COPY %slow%'";

// How long a signalled pgark may take to end (the slow statements take 10 s).
constexpr absl::Duration kPrompt = absl::Seconds(5);

std::string Q(const std::string& s) { return absl::StrCat("'", s, "'"); }

class RestoreInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::path(::testing::TempDir()) / absl::StrCat("pgark_intr_", getpid(), "_", test);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    archive_ = (dir_ / "db.pgark").string();
    app_ = absl::StrCat("pgark_intr_", getpid(), "_", test.substr(0, 30));
    source_ = std::make_unique<ScratchDatabase>("intrsrc");
    ASSERT_OK(source_->Connect()->Execute(kSource));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_->conninfo(), "-f", archive_});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    admin_ = PgTestServer::Get().ConnectMaintenance();
  }
  void TearDown() override {
    // Whatever a failed expectation left: our sessions, --replace's and verify's databases.
    admin_->Execute(absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ",
                                 Q(app_)))
        .IgnoreError();
    for (const std::string& like : {TemporaryLike(), verify_like_}) {
      if (like.empty()) continue;
      auto left = admin_->Query(absl::StrCat("SELECT datname FROM pg_database WHERE datname LIKE ", Q(like)));
      for (int row = 0; left.ok() && row < left->rows(); ++row) {
        admin_->Execute(absl::StrCat("DROP DATABASE IF EXISTS \"", left->Get(row, 0), "\"", Force())).IgnoreError();
      }
    }
    fs::remove_all(dir_);
  }

  // Conninfo of `dbname` whose sessions are slow and ours alone (application_name).
  std::string Slow(const std::string& dbname) const {
    return absl::StrCat(PgTestServer::Get().Conninfo(dbname), " application_name=", app_);
  }
  // Sessions of ours the server still has (a cancelled COPY must not run on).
  std::string OurSessions() {
    return Scalar(*admin_, absl::StrCat("SELECT count(*) || ' ' || coalesce(string_agg(left(query, 60), ' | '), '') "
                                        "FROM pg_stat_activity WHERE application_name = ",
                                        Q(app_)));
  }
  // Waits (bounded) until one of our sessions satisfies `condition` (on pg_stat_activity).
  bool WaitFor(BackgroundCommand& command, const std::string& condition) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline && !command.Exited()) {
      const std::string n = Scalar(*admin_, absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE application_name = ",
                                                         Q(app_), " AND (", condition, ")"));
      if (n != "0" && !absl::StartsWith(n, "error")) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }
  // Waits at most kPrompt for the command to end (then kills it and fails); returns its result.
  CommandResult Finish(BackgroundCommand& command, absl::Time signalled) {
    while (!command.Exited() && absl::Now() < signalled + kPrompt) absl::SleepFor(absl::Milliseconds(10));
    const bool prompt = command.Exited();
    EXPECT_TRUE(prompt) << "still running " << kPrompt << " after the signal";
    if (!prompt) command.Signal(SIGKILL);
    CommandResult result = command.Wait();
    // The sessions of a process that ended are gone a moment later.
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while (absl::Now() < deadline && !absl::StartsWith(OurSessions(), "0 ")) absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(OurSessions(), "0 ") << "a session of the interrupted run is still in the server";
    return result;
  }
  // Runs `argv`, waits for `condition`, sends `signal` `signals` times, `gap` apart.
  CommandResult Interrupt(const std::vector<std::string>& argv, const std::string& condition, int signal,
                          int signals = 1, absl::Duration gap = absl::Milliseconds(10)) {
    BackgroundCommand command(argv);
    const bool reached = WaitFor(command, condition);
    EXPECT_TRUE(reached) << "never saw: " << condition;
    const absl::Time signalled = absl::Now();
    if (reached) {
      for (int i = 0; i < signals; ++i) {
        if (i > 0) absl::SleepFor(gap);
        command.Signal(signal);
      }
    }
    return Finish(command, signalled);
  }
  // pgark restore -j 2 from a pipe that gets everything but the trailer (the last 100 bytes:
  // the streams load) and then stalls, open and silent; `event` (a signal, a terminated
  // backend) comes once the COPY of s.slow shows. Returns how the restore ended.
  CommandResult FromAStalledPipe(const std::function<void(BackgroundCommand&)>& event) {
    const std::string bytes = Bytes();
    const std::string fifo = (dir_ / "fifo").string();
    fs::remove(fifo);
    EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    BackgroundCommand command({"/bin/sh", "-c",
                               absl::StrCat("exec '", PGARK_BINARY, "' restore -j 2 -d '", Slow(target_.name()),
                                            "' - < '", fifo, "'")});
    const int fd = open(fifo.c_str(), O_WRONLY);  // pairs with the restore's open
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, bytes.data(), bytes.size() - 100), static_cast<ssize_t>(bytes.size() - 100));
    const bool reached = WaitFor(command, kCopyOfSlow);
    EXPECT_TRUE(reached);
    const absl::Time signalled = absl::Now();
    if (reached) event(command);
    CommandResult result = Finish(command, signalled);
    close(fd);
    return result;
  }
  // What the restore reports for the terminated COPY of s.slow: the server's FATAL message, or,
  // when the connection was reset while pgark was still sending COPY data (the kernel drops the
  // unread FATAL with the reset), libpq's own words for the closed connection.
  static ::testing::Matcher<const std::string&> NamesTheTerminatedCopy() {
    return AnyOf(HasSubstr("loading s.slow: terminating connection due to administrator command"),
                 HasSubstr("loading s.slow: ending COPY: server closed the connection unexpectedly"));
  }
  // pg_terminate_backend of our COPY of s.slow.
  void TerminateTheCopy() {
    EXPECT_OK(admin_->Execute(absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                           "application_name = ", Q(app_), " AND ", kCopyOfSlow)));
  }
  std::vector<std::string> Restore(std::vector<std::string> args, const std::string& dbname,
                                   const std::string& archive = "") {
    std::vector<std::string> argv = {PGARK_BINARY, "restore", "-d", Slow(dbname)};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(archive.empty() ? archive_ : archive);
    return argv;
  }
  // The archive of kPasses (above): nothing slow but the REFRESH of p.mv.
  std::string PassesArchive() { return ArchiveOf(kPasses, "passes.pgark"); }
  // The archive of a new database made by `sql`, as dir_/file.
  std::string ArchiveOf(const char* sql, const std::string& file) {
    ScratchDatabase source("intrsrc");
    EXPECT_OK(source.Connect()->Execute(sql));
    const std::string archive = (dir_ / file).string();
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive});
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    return archive;
  }
  // The archive's bytes, for a pipe.
  std::string Bytes() const {
    std::ifstream in(archive_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string Objects(ScratchDatabase& db) {
    return Scalar(*db.Connect(), "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 's'");
  }
  // LIKE pattern of the temporary databases of a --replace of target_.
  std::string TemporaryLike() const { return "pgark\\_replace\\_%\\_" + target_.name(); }
  // After an interrupted --replace of target_, which had table keep (x = 42): no temporary
  // database and no pre-restore copy left; target_ as it was, without the archive's `schema`.
  void ExpectTargetUntouched(const std::string& schema) {
    EXPECT_EQ(Scalar(*admin_, absl::StrCat("SELECT count(*) FROM pg_database WHERE datname LIKE ", Q(TemporaryLike()),
                                           " OR datname LIKE ", Q(target_.name() + "\\_pre\\_restore%"))),
              "0");
    EXPECT_EQ(Scalar(*target_.Connect(), "SELECT x FROM keep"), "42");
    EXPECT_EQ(Scalar(*target_.Connect(), absl::StrCat("SELECT count(*) FROM pg_namespace WHERE nspname = ", Q(schema))),
              "0");
  }
  // kWindow's archive restored by `command` into `database` (a temporary or scratch one), its
  // REFRESH waiting: locks w.t there, waits until the row count after the restore waits on
  // that lock, signals once and returns how the command ended (Finish).
  CommandResult InterruptTheRowCount(BackgroundCommand& command, const std::string& database) {
    auto blocker = pg::Connection::Open(PgTestServer::Get().Conninfo(database));
    EXPECT_OK(blocker.status());
    if (blocker.ok()) {
      EXPECT_OK((*blocker)->Execute("BEGIN; LOCK TABLE w.t IN ACCESS EXCLUSIVE MODE"));
    }
    const bool reached =
        WaitFor(command, "wait_event_type = 'Lock' AND query = 'SELECT pg_catalog.count(*) FROM ONLY \"w\".\"t\"'");
    EXPECT_TRUE(reached) << "the row count of w.t never waited on the lock";
    const absl::Time signalled = absl::Now();
    if (reached) command.Signal(SIGINT);
    CommandResult result = Finish(command, signalled);
    if (blocker.ok()) (*blocker)->Execute("ROLLBACK").IgnoreError();  // the drop WITH (FORCE) may have ended it
    return result;
  }
  // DROP DATABASE ... WITH (FORCE) is PostgreSQL 13+.
  std::string Force() const { return admin_->server_version() >= 130000 ? " WITH (FORCE)" : ""; }
  bool DatabaseExists(const std::string& name) {
    return Scalar(*admin_, absl::StrCat("SELECT count(*) FROM pg_database WHERE datname = ", Q(name))) == "1";
  }

  fs::path dir_;
  std::string archive_, app_, verify_like_;
  std::unique_ptr<ScratchDatabase> source_;
  ScratchDatabase target_{"intrdst"};
  std::unique_ptr<pg::Connection> admin_;
};

// SIGINT while pre-data waits (here on a lock): the statement is cancelled at once and the
// restore stops there; before, the signal was only seen when the main pass started, after
// the whole pre-data had run (here: once the lock was released).
TEST_F(RestoreInterruptTest, InterruptInPreDataStopsAtOnce) {
  for (const char* mode : {"-j2", "-1"}) {
    SCOPED_TRACE(mode);
    auto blocker = target_.Connect();
    ASSERT_OK(blocker->Execute("BEGIN; CREATE SCHEMA s"));
    auto result = Interrupt(Restore({mode}, target_.name()), "wait_event_type = 'Lock'", SIGINT);
    ASSERT_OK(blocker->Execute("ROLLBACK"));
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_THAT(result.err, HasSubstr("restore interrupted during pre-data (restoring "));
    EXPECT_THAT(result.err, HasSubstr("canceling statement due to user request"));
    EXPECT_THAT(result.err, HasSubstr(std::string(mode) == "-1" ? "the transaction was rolled back: nothing was restored"
                                                                 : "; nothing was restored"));
    EXPECT_EQ(Scalar(*target_.Connect(), "SELECT count(*) FROM pg_namespace WHERE nspname = 's'"), "0");
  }
}

// SIGINT in the COPY of a big table: exit 130, the message names the COPY and the tables not
// loaded, the COPY does not run on; -1 leaves the target empty.
TEST_F(RestoreInterruptTest, InterruptInACopyNamesItAndWhatWasNotLoaded) {
  auto plain = Interrupt(Restore({"-j", "2"}, target_.name()), kCopyOfSlow, SIGINT);
  EXPECT_EQ(plain.exit_code, 130) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("restore interrupted during data+post-data (2 jobs): "));
  EXPECT_THAT(plain.err, HasSubstr("data of s.slow"));
  EXPECT_THAT(plain.err, HasSubstr("restored: pre-data 7/7 items"));
  EXPECT_THAT(plain.err, HasSubstr("data not (completely) loaded: s.slow"));
  EXPECT_EQ(Scalar(*target_.Connect(), "SELECT count(*) FROM s.slow"), "0");

  ScratchDatabase single("intrdst");
  auto rolled_back = Interrupt(Restore({"-1"}, single.name()), kCopyOfSlow, SIGINT);
  EXPECT_EQ(rolled_back.exit_code, 130) << rolled_back.err;
  EXPECT_THAT(rolled_back.err, HasSubstr("data of s.slow"));
  EXPECT_THAT(rolled_back.err, HasSubstr("the transaction was rolled back: nothing was restored"));
  EXPECT_EQ(Objects(single), "0");
}

// --clean: the clean is committed before the restore runs; an interrupt after it says so, and
// the restore with --clean again completes it.
TEST_F(RestoreInterruptTest, InterruptAfterACleanSaysTheCleanWasDone) {
  // Not slow: the default application_name.
  auto first = RunCommand({PGARK_BINARY, "restore", "-d", target_.conninfo(), archive_});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto cleaned = Interrupt(Restore({"--clean", "-j", "2"}, target_.name()), kCopyOfSlow, SIGINT);
  EXPECT_EQ(cleaned.exit_code, 130) << cleaned.err;
  EXPECT_THAT(cleaned.err, HasSubstr("the clean dropped the archive's objects first; restored: pre-data 7/7"));
  EXPECT_THAT(cleaned.err, HasSubstr("data not (completely) loaded: s.slow"));
}

// -C: the database this restore created is left as far as it got, and the message says so and
// how to redo it (docs/restore.md).
TEST_F(RestoreInterruptTest, InterruptOfACreateSaysTheDatabaseIsLeft) {
  const std::string name = source_->name();
  ASSERT_OK(admin_->Execute(absl::StrCat("DROP DATABASE \"", name, "\"", Force())));
  auto created = Interrupt(Restore({"-C", "-j", "2"}, "postgres"), kCopyOfSlow, SIGINT);
  EXPECT_EQ(created.exit_code, 130) << created.err;
  EXPECT_THAT(created.err, HasSubstr("data of s.slow"));
  EXPECT_THAT(created.err, HasSubstr(absl::StrCat("database '", name, "' was created by this restore and is left "
                                                  "as far as it was restored: drop it, or run the restore again with "
                                                  "-C --clean")));
  EXPECT_TRUE(DatabaseExists(name));
}

// -C -1: "-1 leaves nothing behind" holds for -C too. CREATE DATABASE cannot run inside the
// transaction, so after a failure or an interrupt the database this restore created (empty:
// the transaction rolled back) is dropped, and the message says so (before: it was left
// empty). A second SIGINT waits for the drop, as --replace's does for its temporary database.
TEST_F(RestoreInterruptTest, CreateInOneTransactionDropsItsDatabaseAfterAFailure) {
  const std::string name = source_->name();
  ASSERT_OK(admin_->Execute(absl::StrCat("DROP DATABASE \"", name, "\"", Force())));
  const std::string dropped =
      absl::StrCat("the transaction was rolled back: nothing was restored; database '", name,
                   "' was created by this restore and has been dropped again");
  for (int signals : {1, 2}) {
    SCOPED_TRACE(signals);
    auto result = Interrupt(Restore({"-C", "-1"}, "postgres"), kCopyOfSlow, SIGINT, signals);
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_THAT(result.err, HasSubstr("data of s.slow"));
    EXPECT_THAT(result.err, HasSubstr(dropped));
    if (signals == 2) {
      EXPECT_THAT(result.err, HasSubstr(absl::StrCat("pgark: dropping database ", name, ", which this restore created, "
                                                     "first (signal again to quit now and leave database ", name)));
    }
    EXPECT_FALSE(DatabaseExists(name));
  }
  // A failing item (the COPY's backend terminated): exit 6 as before, the database dropped.
  BackgroundCommand command(Restore({"-C", "-1"}, "postgres"));
  ASSERT_TRUE(WaitFor(command, kCopyOfSlow));
  const absl::Time signalled = absl::Now();
  TerminateTheCopy();
  auto failed = Finish(command, signalled);
  EXPECT_EQ(failed.exit_code, 6) << failed.err;
  EXPECT_THAT(failed.err, NamesTheTerminatedCopy());
  EXPECT_THAT(failed.err, HasSubstr(absl::StrCat("database '", name, "' was created by this restore and has been "
                                                 "dropped again")));
  EXPECT_FALSE(DatabaseExists(name));
}

// SIGTERM during an index build (post-data): the build is cancelled, the message names it.
TEST_F(RestoreInterruptTest, SigtermInAnIndexBuildNamesIt) {
  auto result = Interrupt(Restore({"-j", "2"}, target_.name()), "query LIKE 'CREATE INDEX indexed_slow%'", SIGTERM);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("INDEX s.indexed_slow"));
  EXPECT_THAT(result.err, HasSubstr("restored: pre-data 7/7 items"));
  EXPECT_EQ(Scalar(*target_.Connect(), "SELECT count(*) FROM pg_class WHERE relname = 'indexed_slow'"), "0");
}

// The backend of a COPY terminated (pg_terminate_backend): exit 6, the table named, the other
// sessions stopped.
TEST_F(RestoreInterruptTest, TerminatedBackendFailsNamingTheTable) {
  BackgroundCommand command(Restore({"-j", "2"}, target_.name()));
  ASSERT_TRUE(WaitFor(command, kCopyOfSlow));
  const absl::Time signalled = absl::Now();
  TerminateTheCopy();
  auto result = Finish(command, signalled);
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, NamesTheTerminatedCopy());
  EXPECT_THAT(result.err, HasSubstr("data not (completely) loaded: s.slow"));
}

// A pipe: SIGINT while the writer stalls ends the restore at once (before: it waited for the
// writer's next bytes or its end); a pipe cut short is data loss, with nothing changed when
// the cut is in the metadata, and with -1 nothing restored.
TEST_F(RestoreInterruptTest, PipeStalledOrCutShort) {
  auto result = FromAStalledPipe([](BackgroundCommand& command) { command.Signal(SIGINT); });
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("data of s.slow"));
  const std::string bytes = Bytes();
  ScratchDatabase cut("intrdst");
  auto early = RunCommand({PGARK_BINARY, "restore", "-d", Slow(cut.name()), "-"}, {}, bytes.substr(0, 1000));
  EXPECT_EQ(early.exit_code, 5) << early.err;
  EXPECT_THAT(early.err, HasSubstr("nothing was changed"));
  EXPECT_EQ(Objects(cut), "0");
  auto single = RunCommand({PGARK_BINARY, "restore", "-1", "-d", Slow(cut.name()), "-"}, {},
                           bytes.substr(0, bytes.size() - 100));
  EXPECT_EQ(single.exit_code, 5) << single.err;
  EXPECT_THAT(single.err, HasSubstr("truncated"));
  EXPECT_THAT(single.err, HasSubstr("the transaction was rolled back: nothing was restored"));
  EXPECT_EQ(Objects(cut), "0");
}

// A pipe whose writer stalls while the restore fails for another reason (the COPY's backend
// terminated): the restore gives up on the pipe at once, as for an interrupt (before: it
// waited for the writer's next bytes or its end).
TEST_F(RestoreInterruptTest, PipeStalledWhileABackendIsTerminated) {
  auto result = FromAStalledPipe([this](BackgroundCommand&) { TerminateTheCopy(); });
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err, NamesTheTerminatedCopy());
  EXPECT_THAT(result.err, HasSubstr("data not (completely) loaded: s.slow"));
}

// SIGINT while --clean's DROPs wait (on a lock the test holds on a table the clean drops):
// the clean's one transaction is rolled back, the target keeps every object and row.
TEST_F(RestoreInterruptTest, InterruptInTheCleanRollsItBack) {
  auto first = RunCommand({PGARK_BINARY, "restore", "-d", target_.conninfo(), archive_});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string objects = Objects(target_);
  auto blocker = target_.Connect();
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE s.a_small IN ACCESS SHARE MODE"));
  auto result = Interrupt(Restore({"--clean", "-j", "2"}, target_.name()), "wait_event_type = 'Lock'", SIGINT);
  ASSERT_OK(blocker->Execute("ROLLBACK"));
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("restore interrupted during clean"));
  EXPECT_THAT(result.err, HasSubstr("the clean was rolled back: nothing was changed"));
  EXPECT_THAT(result.err, Not(HasSubstr("the clean dropped")));
  EXPECT_EQ(Objects(target_), objects);
  EXPECT_EQ(Scalar(*target_.Connect(), "SELECT count(*) FROM s.slow"), "2000");
}

// SIGINT while --replace's swap waits (on a lock the test holds on the target database): the
// swap is cancelled and rolled back, the old database untouched, the temporary one dropped
// (before: the swap waited for the lock and then replaced the database regardless).
TEST_F(RestoreInterruptTest, InterruptInReplacesSwapLeavesTheOldDatabase) {
  const std::string archive = PassesArchive();
  ASSERT_OK(target_.Connect()->Execute("CREATE TABLE keep AS SELECT 42 AS x"));
  auto blocker = PgTestServer::Get().ConnectMaintenance();
  ASSERT_OK(blocker->Execute(absl::StrCat("BEGIN; COMMENT ON DATABASE \"", target_.name(), "\" IS 'held'")));
  // --no-data: nothing slow before the swap.
  auto result = Interrupt(Restore({"--replace", "--section", "pre-data"}, target_.name(), archive),
                          "query LIKE '%RENAME TO%' AND wait_event_type = 'Lock'", SIGINT);
  ASSERT_OK(blocker->Execute("ROLLBACK"));
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("replace interrupted during the swap (rolled back); database '"));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("database '", target_.name(), "' was not changed, the temporary "
                                                 "database 'pgark_replace_")));
  EXPECT_THAT(result.err, HasSubstr("' was dropped"));
  ExpectTargetUntouched("p");
}

// SIGINT in --replace's window between the end of the restore and the swap, provably there:
// the verification's count(*) of w.t waits on a lock the test holds in the temporary database
// (taken while the REFRESH of w.mv, the restore's last statement, waits for it: kWindow). The
// count is cancelled, the swap does not happen, the old database is untouched and the
// temporary one dropped (before: the count waited for the lock and the first signal was seen
// only after it, so pgark hung for as long as the lock was held).
TEST_F(RestoreInterruptTest, InterruptBetweenReplacesRestoreAndSwapLeavesTheOldDatabase) {
  const std::string archive = ArchiveOf(kWindow, "window.pgark");
  ASSERT_OK(target_.Connect()->Execute("CREATE TABLE keep AS SELECT 42 AS x"));
  BackgroundCommand command(Restore({"--replace", "-j", "2"}, target_.name(), archive));
  ASSERT_TRUE(WaitFor(command, "query LIKE 'REFRESH MATERIALIZED VIEW w.mv%'"));
  const std::string temp = Scalar(*admin_, absl::StrCat("SELECT string_agg(datname, ' ') FROM pg_database WHERE "
                                                        "datname LIKE ", Q(TemporaryLike())));
  ASSERT_TRUE(absl::StartsWith(temp, "pgark_replace_") && !absl::StrContains(temp, " ")) << temp;
  const CommandResult result = InterruptTheRowCount(command, temp);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("replace interrupted before the swap (verifying row counts: canceling statement "
                                    "due to user request"));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("database '", target_.name(), "' was not changed, the temporary "
                                                 "database '", temp, "' was dropped")));
  ExpectTargetUntouched("w");
}

// The same window for verify --restore-test: after its restore, the row count of w.t in the
// scratch database waits on a lock the test holds there (taken while the REFRESH of w.mv waits
// for it: kWindow). The count is cancelled (row_counts.cc, shared with --replace), pgark ends
// promptly with 130 and the scratch database is dropped. The test finds the scratch database
// through the REFRESH's session (pg_stat_activity.datname), not by a name pattern that other
// tests' scratch databases share.
TEST_F(RestoreInterruptTest, InterruptWhileVerifyRestoreTestCountsRowsDropsItsScratchDatabase) {
  const std::string archive = ArchiveOf(kWindow, "window.pgark");
  BackgroundCommand command({PGARK_BINARY, "verify", "--restore-test", "-j", "2", "-d", Slow("postgres"), archive});
  const std::string refresh = "query LIKE 'REFRESH MATERIALIZED VIEW w.mv%'";
  ASSERT_TRUE(WaitFor(command, refresh));
  const std::string scratch = Scalar(*admin_, absl::StrCat("SELECT string_agg(DISTINCT datname, ' ') FROM "
                                                           "pg_stat_activity WHERE application_name = ",
                                                           Q(app_), " AND ", refresh));
  ASSERT_TRUE(absl::StartsWith(scratch, "pgark_verify_") && !absl::StrContains(scratch, " ")) << scratch;
  verify_like_ = scratch;  // TearDown drops it if it is left
  const CommandResult result = InterruptTheRowCount(command, scratch);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("restore test interrupted while counting the restored rows "
                                                 "(canceling statement due to user request); the scratch database ",
                                                 scratch, " was dropped")))
      << result.err;
  EXPECT_FALSE(DatabaseExists(scratch)) << scratch;
}

// SIGINT in the passes after the main pass: the sequences (a setval waiting on a lock the test
// holds), the privileges (a GRANT made slow by an event trigger for the restore's sessions)
// and the materialized views (a slow REFRESH). Each statement is cancelled at once; the data
// stays restored.
TEST_F(RestoreInterruptTest, InterruptInTheSequencePrivilegeAndRefreshPasses) {
  const std::string archive = PassesArchive();
  {
    SCOPED_TRACE("sequences");
    // Into a complete copy (not slow: the default application_name), data only.
    ASSERT_EQ(RunCommand({PGARK_BINARY, "restore", "-d", target_.conninfo(), archive}).exit_code, 0);
    auto blocker = target_.Connect();
    ASSERT_OK(blocker->Execute("BEGIN; ALTER SEQUENCE p.seq RESTART"));
    auto result = Interrupt(Restore({"--section", "data", "-t", "p.seq"}, target_.name(), archive),
                            "wait_event_type = 'Lock' AND query LIKE '%setval%'", SIGINT);
    ASSERT_OK(blocker->Execute("ROLLBACK"));
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_THAT(result.err, HasSubstr("restore interrupted during sequences"));
    EXPECT_THAT(result.err, HasSubstr("setting sequence p.seq"));
  }
  {
    SCOPED_TRACE("privileges");
    ScratchDatabase db("intrdst");
    ASSERT_OK(db.Connect()->Execute(
        "CREATE FUNCTION public.slow_grant() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
        "  IF pg_catalog.current_setting('application_name') LIKE 'pgark\\_intr%' THEN PERFORM pg_catalog.pg_sleep(10); "
        "  END IF; END $$;"
        "CREATE EVENT TRIGGER slow_grant ON ddl_command_start WHEN TAG IN ('GRANT') EXECUTE FUNCTION public.slow_grant();"
        "ALTER EVENT TRIGGER slow_grant ENABLE ALWAYS;"));
    auto result = Interrupt(Restore({"-j", "2"}, db.name(), archive), "query LIKE '%GRANT SELECT ON TABLE p.t%'", SIGINT);
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_THAT(result.err, HasSubstr("restore interrupted during privileges"));
    EXPECT_THAT(result.err, HasSubstr("canceling statement due to user request"));
    EXPECT_EQ(Scalar(*db.Connect(), "SELECT count(*) FROM p.t"), "10");
    EXPECT_EQ(Scalar(*db.Connect(), "SELECT count(*) FROM pg_class WHERE relname = 't' AND relacl IS NOT NULL"), "0");
  }
  {
    SCOPED_TRACE("materialized views");
    ScratchDatabase db("intrdst");
    auto result = Interrupt(Restore({"-j", "2"}, db.name(), archive), "query LIKE 'REFRESH MATERIALIZED VIEW%'", SIGINT);
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_THAT(result.err, HasSubstr("restore interrupted during event triggers, materialized views"));
    EXPECT_THAT(result.err, HasSubstr("MATERIALIZED VIEW p.mv"));
    EXPECT_EQ(Scalar(*db.Connect(), "SELECT count(*) FROM p.t"), "10");
    EXPECT_EQ(Scalar(*db.Connect(), "SELECT relispopulated FROM pg_class WHERE relname = 'mv'"), "f");
  }
}

// --replace interrupted, then interrupted again while it cleans up: the second signal waits
// for the temporary database to be dropped (before: the process ended at once and left it);
// the old database is untouched.
TEST_F(RestoreInterruptTest, ReplaceInterruptedTwiceDropsItsTemporaryDatabase) {
  ASSERT_OK(target_.Connect()->Execute("CREATE TABLE keep AS SELECT 42 AS x"));
  auto result = Interrupt(Restore({"--replace", "-j", "2"}, target_.name()), kCopyOfSlow, SIGINT, 2);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("pgark: dropping the temporary database pgark_replace_"));
  EXPECT_THAT(result.err, HasSubstr("data of s.slow"));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("database '", target_.name(), "' was not changed, the temporary "
                                                 "database 'pgark_replace_")));
  ExpectTargetUntouched("s");
}

// verify --restore-test: interrupted once, twice (the second waits for the drop) or three
// times (the third quits at once, cancels our statements and names the database it leaves):
// the scratch database is dropped, or named.
TEST_F(RestoreInterruptTest, VerifyRestoreTestInterruptedDropsItsScratchDatabase) {
  for (int signals : {1, 2, 3}) {
    SCOPED_TRACE(signals);
    auto result = Interrupt({PGARK_BINARY, "verify", "--restore-test", "-j", "2", "-d", Slow("postgres"), archive_},
                            kCopyOfSlow, SIGINT, signals);
    EXPECT_EQ(result.exit_code, 130) << result.err;
    const size_t at = result.err.find("scratch database 'pgark_verify_");
    ASSERT_NE(at, std::string::npos) << result.err;
    const std::string scratch = result.err.substr(at + 18, 29);
    verify_like_ = scratch;  // TearDown drops it if it is left
    if (signals >= 2) {
      EXPECT_THAT(result.err, HasSubstr(absl::StrCat("pgark: dropping the scratch database ", scratch)));
    }
    if (signals == 3 && absl::StrContains(result.err, "pgark: quit: left")) {
      // The third signal came before the drop: the database is left, and named.
      EXPECT_THAT(result.err, HasSubstr(absl::StrCat("pgark: quit: left the scratch database ", scratch)));
      continue;
    }
    EXPECT_THAT(result.err, HasSubstr("data of s.slow"));
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("the scratch database ", scratch, " was dropped")));
    EXPECT_FALSE(DatabaseExists(scratch)) << scratch;
  }
}

}  // namespace
}  // namespace pgark
