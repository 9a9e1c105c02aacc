// pgark restore --replace, the confirmation question, -n/-N/-t/-T patterns, --progress and
// pgark dev, black-box through the real binary against the sandbox server.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
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
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSchema[] =
    "CREATE SCHEMA app; CREATE SCHEMA audit;"
    "CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL);"
    "CREATE TABLE app.item_tags (item_id int REFERENCES app.items, tag text);"
    "CREATE TABLE app.secrets (id int);"
    "CREATE TABLE audit.log (id bigserial PRIMARY KEY, line text);"
    "INSERT INTO app.items SELECT g, 'item ' || g FROM generate_series(1, 2000) g;"
    "INSERT INTO app.item_tags SELECT g, 'tag' FROM generate_series(1, 500) g;"
    "INSERT INTO app.secrets VALUES (1), (2);"
    "INSERT INTO audit.log (line) SELECT 'line ' || g FROM generate_series(1, 300) g;";

std::string Q(const std::string& s) { return absl::StrCat("'", s, "'"); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// DROP DATABASE ... WITH (FORCE) is PostgreSQL 13+; the connections are gone by then on 12.
std::string Force(pg::Connection& conn) { return conn.server_version() >= 130000 ? " WITH (FORCE)" : ""; }

class RestoreReplaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / absl::StrCat("pgark_replace_", getpid(), "_",
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    archive_ = (dir_ / "db.pgark").string();
    ASSERT_OK(db_.Connect()->Execute(kSchema));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", db_.conninfo(), "-f", archive_, "-j", "2"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }
  void TearDown() override {
    // Pre-restore copies and temporary databases of this test's database.
    auto maintenance = PgTestServer::Get().ConnectMaintenance();
    auto leftovers = maintenance->Query(absl::StrCat(
        "SELECT datname FROM pg_database WHERE datname LIKE ", Q(db_.name() + "\\_pre\\_restore\\_%")));
    for (int row = 0; leftovers.ok() && row < leftovers->rows(); ++row) {
      (void)maintenance->DropDatabase(leftovers->Get(row, 0), true);  // a template too
    }
    auto temps = maintenance->Query(absl::StrCat(
        "SELECT datname FROM pg_database WHERE datname LIKE ", Q("pgark\\_replace\\_%\\_" + db_.name())));
    for (int row = 0; temps.ok() && row < temps->rows(); ++row) {
      (void)maintenance->DropDatabase(temps->Get(row, 0), true);
    }
    fs::remove_all(dir_);
  }
  std::string Count(const std::string& sql) { return Scalar(*db_.Connect(), sql); }
  // Databases whose name starts with `prefix`.
  int Databases(const std::string& like) {
    auto maintenance = PgTestServer::Get().ConnectMaintenance();
    return std::stoi(Scalar(*maintenance, absl::StrCat("SELECT count(*) FROM pg_database WHERE datname LIKE ", Q(like))));
  }
  int PreRestoreCopies() { return Databases(db_.name() + "\\_pre\\_restore\\_%"); }
  // Temporary databases of a --replace of this test's database (other tests run concurrently).
  int TemporaryCopies() { return Databases("pgark\\_replace\\_%\\_" + db_.name()); }
  // Changes the database after the dump, so a restore is visible.
  void Diverge() {
    ASSERT_OK(db_.Connect()->Execute(
        "DELETE FROM app.item_tags; DELETE FROM app.items WHERE id > 10; DROP TABLE IF EXISTS public.extra;"
        "CREATE TABLE public.extra (x int); INSERT INTO public.extra VALUES (42);"));
  }
  // `whole_database`: a replace (objects the archive does not have are gone), not a --clean.
  void ExpectRestored(bool whole_database = true) {
    EXPECT_EQ(Count("SELECT count(*) FROM app.items"), "2000");
    EXPECT_EQ(Count("SELECT count(*) FROM app.item_tags"), "500");
    EXPECT_EQ(Count("SELECT count(*) FROM audit.log"), "300");
    if (whole_database) {
      EXPECT_EQ(Count("SELECT count(*) FROM pg_class WHERE relname = 'extra'"), "0");
    }
  }
  void ExpectDiverged() {
    EXPECT_EQ(Count("SELECT count(*) FROM app.items"), "10");
    EXPECT_EQ(Count("SELECT count(*) FROM public.extra"), "1");
  }

  ScratchDatabase db_{"rpl"};
  fs::path dir_;
  std::string archive_;
};

TEST_F(RestoreReplaceTest, ReplaceSwapsInAVerifiedCopyAndKeepsTheOldDatabase) {
  {
    // Settings the dump records: the replaced database has them, as `restore -C` gives them.
    auto maintenance = PgTestServer::Get().ConnectMaintenance();
    ASSERT_OK(maintenance->Execute(absl::StrCat("ALTER DATABASE \"", db_.name(), "\" SET work_mem = '7MB'")));
    ASSERT_OK(maintenance->Execute(absl::StrCat("ALTER DATABASE \"", db_.name(), "\" SET search_path = app, public")));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", db_.conninfo(), "-f", archive_, "--force"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    // Changed after the dump: the old database's, not the archive's.
    ASSERT_OK(maintenance->Execute(absl::StrCat("ALTER DATABASE \"", db_.name(), "\" SET work_mem = '9MB'")));
  }
  ASSERT_NO_FATAL_FAILURE(Diverge());
  // No terminal on stdin: no question, --replace proceeds.
  auto result = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), "-j", "2", archive_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("tables verified against the archive's row counts"));
  EXPECT_THAT(result.err, Not(HasSubstr("Continue?")));
  ExpectRestored();
  // The archive's database-level settings.
  auto conn = db_.Connect();
  EXPECT_EQ(Scalar(*conn, "SHOW work_mem"), "7MB");
  EXPECT_EQ(Scalar(*conn, "SHOW search_path"), "app, public");
  EXPECT_EQ(TemporaryCopies(), 0);
  ASSERT_EQ(PreRestoreCopies(), 1);

  // The old database is intact under its pre-restore name.
  auto list = RunCommand({PGARK_BINARY, "restore", "--list-pre-restore", "-d", db_.conninfo()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::string old_name(absl::StripAsciiWhitespace(std::vector<std::string>(absl::StrSplit(list.out, ' ')).front()));
  EXPECT_THAT(old_name, ::testing::StartsWith(db_.name() + "_pre_restore_2"));
  auto old_conn = pg::Connection::Open(PgTestServer::Get().Conninfo(old_name));
  ASSERT_OK(old_conn.status());
  EXPECT_EQ(Scalar(**old_conn, "SELECT count(*) FROM app.items"), "10");
  EXPECT_EQ(Scalar(**old_conn, "SELECT x FROM public.extra"), "42");
  old_conn->reset();

  auto drop = RunCommand({PGARK_BINARY, "restore", "--drop-pre-restore", "-d", db_.conninfo()});
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_THAT(drop.out, HasSubstr(old_name));
  EXPECT_EQ(PreRestoreCopies(), 0);
  // Nothing left to list: said on stderr, stdout stays empty (it printed nothing at all).
  auto empty = RunCommand({PGARK_BINARY, "restore", "--list-pre-restore", "-d", db_.conninfo()});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
  EXPECT_THAT(empty.err, HasSubstr("no pre-restore databases"));
}

// Issue 6: `--replace` is `restore -C` plus rename-on-success. The replaced database gets what
// the archive records about its database (settings, per-role settings, comment, privileges),
// not the old database's; -x leaves the privileges out, as with -C. So does the connection
// limit (recorded since 2026-11-26): the archive's "none" replaces the old database's 7.
// The old copy keeps its own.
TEST_F(RestoreReplaceTest, ReplaceGivesTheDatabaseTheArchivesPropertiesAsCreateDoes) {
  auto maintenance = PgTestServer::Get().ConnectMaintenance();
  const std::string role = absl::StrCat("rpl_reader_", getpid());
  ASSERT_OK(maintenance->Execute(absl::StrCat("DROP ROLE IF EXISTS ", role, "; CREATE ROLE ", role)));
  ScratchDatabase source("rplsrc");
  const std::string src = absl::StrCat("\"", source.name(), "\"");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE t AS SELECT g AS x FROM generate_series(1, 10) g"));
  ASSERT_OK(maintenance->Execute(absl::StrCat(
      "ALTER DATABASE ", src, " SET work_mem = '7MB'; COMMENT ON DATABASE ", src, " IS 'from the archive';"
      "GRANT CONNECT, TEMPORARY ON DATABASE ", src, " TO ", role, "; ALTER ROLE ", role, " IN DATABASE ", src,
      " SET statement_timeout = '42s'")));
  const std::string archive = (dir_ / "props.pgark").string();
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  // The database to replace, with properties of its own.
  const std::string db = absl::StrCat("\"", db_.name(), "\"");
  ASSERT_OK(maintenance->Execute(absl::StrCat("ALTER DATABASE ", db, " SET work_mem = '3MB'; COMMENT ON DATABASE ",
                                              db, " IS 'the old one'; ALTER DATABASE ", db, " CONNECTION LIMIT 7")));
  auto property = [&](const std::string& database, const std::string& sql) {
    return Scalar(*maintenance, absl::StrCat("SELECT ", sql, " FROM pg_database d WHERE d.datname = ", Q(database)));
  };
  const std::string setting = "(SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0)";
  const std::string role_setting = absl::StrCat("(SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = "
                                                "d.oid AND setrole = ", Q(role), "::regrole)");
  const std::string comment = "shobj_description(d.oid, 'pg_database')";
  const std::string granted = absl::StrCat("coalesce(d.datacl::text, '') LIKE ", Q(absl::StrCat("%", role, "=Tc/%")));

  auto replaced = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), archive});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(Scalar(*db_.Connect(), "SELECT count(*) FROM t"), "10");
  EXPECT_EQ(Scalar(*db_.Connect(), "SHOW work_mem"), "7MB");
  EXPECT_EQ(property(db_.name(), setting), "{work_mem=7MB}");
  EXPECT_EQ(property(db_.name(), role_setting), "{statement_timeout=42s}");
  EXPECT_EQ(property(db_.name(), comment), "from the archive");
  EXPECT_EQ(property(db_.name(), granted), "t");
  EXPECT_EQ(property(db_.name(), "datconnlimit"), "-1");
  // The old database keeps its own.
  ASSERT_EQ(PreRestoreCopies(), 1);
  const std::string old = Scalar(*maintenance, absl::StrCat("SELECT datname FROM pg_database WHERE datname LIKE ",
                                                            Q(db_.name() + "\\_pre\\_restore\\_%")));
  EXPECT_EQ(property(old, setting), "{work_mem=3MB}");
  EXPECT_EQ(property(old, role_setting), "");
  EXPECT_EQ(property(old, comment), "the old one");
  EXPECT_EQ(property(old, granted), "f");
  EXPECT_EQ(property(old, "datconnlimit"), "7");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "restore", "--drop-pre-restore", "-d", db_.conninfo()}).exit_code, 0);

  // -x: no privileges from the archive (the default ones), as with -C -x; the rest as above.
  auto no_acl = RunCommand({PGARK_BINARY, "restore", "--replace", "-x", "-d", db_.conninfo(), archive});
  ASSERT_EQ(no_acl.exit_code, 0) << no_acl.err;
  EXPECT_EQ(property(db_.name(), "d.datacl IS NULL"), "t");
  EXPECT_EQ(property(db_.name(), granted), "f");
  EXPECT_EQ(property(db_.name(), setting), "{work_mem=7MB}");
  EXPECT_EQ(property(db_.name(), comment), "from the archive");
  ASSERT_EQ(RunCommand({PGARK_BINARY, "restore", "--drop-pre-restore", "-d", db_.conninfo()}).exit_code, 0);
  // And what -C makes of the same archive, for comparison: the same.
  ASSERT_OK(maintenance->Execute(absl::StrCat("DROP DATABASE ", src, Force(*maintenance))));
  auto created = RunCommand({PGARK_BINARY, "restore", "-C", "-d", PgTestServer::Get().Conninfo("postgres"), archive});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(property(source.name(), setting), "{work_mem=7MB}");
  EXPECT_EQ(property(source.name(), role_setting), "{statement_timeout=42s}");
  EXPECT_EQ(property(source.name(), comment), "from the archive");
  EXPECT_EQ(property(source.name(), granted), "t");
  EXPECT_EQ(property(source.name(), "datconnlimit"), "-1");
  ASSERT_OK(maintenance->Execute(absl::StrCat("DROP OWNED BY ", role, "; DROP ROLE ", role)));
}

// Issue 6: the dump records the database's CONNECTION LIMIT and IS_TEMPLATE (pg_dump -C writes
// both). -C --clean drops the existing template of that name (DROP DATABASE refuses a template:
// pgark makes it an ordinary one first, as pg_dump --clean -C does) and gives the new one both;
// --replace gives them too (the archive's limit, not the old database's 3); the pre-restore
// copy of a template target stays a template, and --drop-pre-restore (pgark prune's drop too)
// can drop it. Before 2026-11-26 the dump recorded neither.
TEST_F(RestoreReplaceTest, ConnectionLimitAndTemplateFlagComeFromTheArchive) {
  auto maintenance = PgTestServer::Get().ConnectMaintenance();
  ScratchDatabase source("rpltpl");
  const std::string src = absl::StrCat("\"", source.name(), "\"");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE t AS SELECT g AS x FROM generate_series(1, 10) g"));
  ASSERT_OK(maintenance->Execute(
      absl::StrCat("ALTER DATABASE ", src, " CONNECTION LIMIT 7; ALTER DATABASE ", src, " IS_TEMPLATE true")));
  const std::string archive = (dir_ / "template.pgark").string();
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto property = [&](const std::string& database) {
    return Scalar(*maintenance, absl::StrCat("SELECT datconnlimit || ' ' || datistemplate FROM pg_database "
                                             "WHERE datname = ", Q(database)));
  };

  // -C --clean over the source itself, a template.
  auto created = RunCommand({PGARK_BINARY, "restore", "-C", "--clean", "-y", "-j", "2", "-d",
                             PgTestServer::Get().Conninfo("postgres"), archive});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(property(source.name()), "7 true");
  EXPECT_EQ(Scalar(*source.Connect(), "SELECT count(*) FROM t"), "10");

  // --replace of a template whose limit is 3.
  const std::string db = absl::StrCat("\"", db_.name(), "\"");
  ASSERT_OK(maintenance->Execute(
      absl::StrCat("ALTER DATABASE ", db, " CONNECTION LIMIT 3; ALTER DATABASE ", db, " IS_TEMPLATE true")));
  auto replaced = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), archive});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(property(db_.name()), "7 true");
  EXPECT_EQ(Scalar(*db_.Connect(), "SELECT count(*) FROM t"), "10");
  ASSERT_EQ(PreRestoreCopies(), 1);
  const std::string old = Scalar(*maintenance, absl::StrCat("SELECT datname FROM pg_database WHERE datname LIKE ",
                                                            Q(db_.name() + "\\_pre\\_restore\\_%")));
  EXPECT_EQ(property(old), "3 true");
  auto dropped = RunCommand({PGARK_BINARY, "restore", "--drop-pre-restore", "-d", db_.conninfo()});
  EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_EQ(PreRestoreCopies(), 0);
}

// An archive that records nothing about its database (written before 2026-11-24; here built
// without catalog::DatabaseInfo): --replace makes the new database like the old one, as before.
TEST_F(RestoreReplaceTest, ReplaceWithoutTheArchivesDatabasePropertiesCopiesTheOldDatabases) {
  const testing::ArchiveSpec spec = testing::OneTableSpecWithoutDatabaseInfo(
      "app", "items", "CREATE TABLE app.items (id integer, name text);\n", {"id", "name"});
  auto bytes = testing::BuildArchive(*db_.Connect(), spec);
  ASSERT_OK(bytes.status());
  const std::string archive = (dir_ / "legacy.pgark").string();
  std::ofstream(archive, std::ios::binary) << *bytes;
  auto maintenance = PgTestServer::Get().ConnectMaintenance();
  const std::string db = absl::StrCat("\"", db_.name(), "\"");
  ASSERT_OK(maintenance->Execute(absl::StrCat("ALTER DATABASE ", db, " SET work_mem = '3MB'; ALTER DATABASE ", db,
                                              " SET search_path = app, public; ALTER DATABASE ", db,
                                              " CONNECTION LIMIT 7")));
  auto replaced = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), archive});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  auto conn = db_.Connect();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM app.items"), "2000");
  EXPECT_EQ(Scalar(*conn, "SHOW work_mem"), "3MB");
  EXPECT_EQ(Scalar(*conn, "SHOW search_path"), "app, public");
  EXPECT_EQ(Scalar(*conn, "SELECT datconnlimit FROM pg_database WHERE datname = current_database()"), "7");
}

TEST_F(RestoreReplaceTest, OtherSessionsMakeReplaceFailBeforeAnythingUnlessTerminated) {
  ASSERT_NO_FATAL_FAILURE(Diverge());
  auto holder = db_.Connect();
  auto refused = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), archive_});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("other session(s)"));
  EXPECT_THAT(refused.err, HasSubstr("--terminate-connections"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was changed"));
  EXPECT_EQ(TemporaryCopies(), 0);
  EXPECT_EQ(PreRestoreCopies(), 0);
  ExpectDiverged();

  auto forced = RunCommand({PGARK_BINARY, "restore", "--replace", "--terminate-connections", "-d", db_.conninfo(),
                            archive_});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_THAT(forced.err, HasSubstr("sessions terminated"));
  EXPECT_FALSE(holder->Query("SELECT 1").ok());  // its session was terminated
  ExpectRestored();
  EXPECT_EQ(PreRestoreCopies(), 1);
}

TEST_F(RestoreReplaceTest, FailedRestoreLeavesTheOldDatabaseUntouchedAndDropsTheTemporaryOne) {
  ASSERT_NO_FATAL_FAILURE(Diverge());
  std::string bytes = ReadAll(archive_);
  ASSERT_GT(bytes.size(), 1000u);
  bytes[bytes.size() / 2] ^= 0x5a;  // inside the data frames
  const std::string damaged = (dir_ / "damaged.pgark").string();
  std::ofstream(damaged, std::ios::binary) << bytes;
  auto result = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), damaged});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("was not changed"));
  EXPECT_THAT(result.err, HasSubstr("temporary database"));
  EXPECT_EQ(TemporaryCopies(), 0);
  EXPECT_EQ(PreRestoreCopies(), 0);
  ExpectDiverged();
}

TEST_F(RestoreReplaceTest, KilledReplaceLeavesATemporaryDatabaseThatHousekeepingListsAndDrops) {
  ASSERT_NO_FATAL_FAILURE(Diverge());
  // Kill -9 the replace once its temporary database exists (mid-restore).
  BackgroundCommand replace({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), "-j", "2", archive_});
  bool killed = false;
  for (int i = 0; i < 5000 && !replace.Exited(); ++i) {
    if (TemporaryCopies() > 0) {
      replace.Signal(SIGKILL);
      killed = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  const CommandResult& ended = replace.Wait();
  auto maintenance = PgTestServer::Get().ConnectMaintenance();
  if (!killed || ended.exit_code != 128 + SIGKILL) {
    // The replace finished before it could be caught (a fast machine): make the leftover it
    // would have left, so the housekeeping below is still exercised.
    GTEST_LOG_(WARNING) << "the replace ended before the kill; simulating its leftover";
    ASSERT_OK(maintenance->Execute(absl::StrCat("CREATE DATABASE \"pgark_replace_0000dead_", db_.name(), "\"")));
  }
  ASSERT_EQ(TemporaryCopies(), 1);
  // The server notices the dead client and ends its sessions.
  const std::string sessions = absl::StrCat(
      "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE ", Q("pgark\\_replace\\_%\\_" + db_.name()));
  for (int i = 0; i < 500 && Scalar(*maintenance, sessions) != "0"; ++i) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(Scalar(*maintenance, sessions), "0");
  ExpectDiverged();  // the target was never touched

  // A temporary database in use (as by a running --replace), and one of another database.
  const std::string busy = absl::StrCat("pgark_replace_0badcafe_", db_.name());
  const std::string other = absl::StrCat("pgark_replace_0badcafe_x", db_.name());
  ASSERT_OK(maintenance->Execute(absl::StrCat("CREATE DATABASE \"", busy, "\"")));
  ASSERT_OK(maintenance->Execute(absl::StrCat("CREATE DATABASE \"", other, "\"")));
  auto holder = pg::Connection::Open(PgTestServer::Get().Conninfo(busy));
  ASSERT_OK(holder.status());

  auto list = RunCommand({PGARK_BINARY, "restore", "--list-pre-restore", "-d", db_.conninfo()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::vector<std::string> lines = absl::StrSplit(list.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << list.out;
  const std::string left = absl::StartsWith(lines[0], busy + " ") ? lines[1] : lines[0];
  EXPECT_THAT(left, ::testing::MatchesRegex("pgark_replace_[0-9a-f]{8}_" + db_.name() +
                                            "  .*  incomplete: left by a --replace that did not finish.*"));
  EXPECT_THAT(list.out, HasSubstr(busy + "  "));
  EXPECT_THAT(list.out, HasSubstr("incomplete: in use by 1 session(s)"));
  EXPECT_THAT(list.out, Not(HasSubstr(other)));

  auto drop = RunCommand({PGARK_BINARY, "restore", "--drop-pre-restore", "-d", db_.conninfo()});
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_THAT(drop.out, HasSubstr("dropped " + left.substr(0, left.find(' '))));
  EXPECT_THAT(drop.err, HasSubstr("'" + busy + "' has 1 session(s): a --replace may be running; not dropped"));
  EXPECT_EQ(TemporaryCopies(), 1);  // only the busy one is left
  EXPECT_EQ(Databases(other), 1);
  ExpectDiverged();
  holder->reset();
  ASSERT_OK(maintenance->Execute(absl::StrCat("DROP DATABASE \"", other, "\"")));
}

TEST_F(RestoreReplaceTest, ReplaceCreatesAMissingDatabase) {
  ScratchDatabase other("rplnew");
  const std::string name = other.name() + "_x";
  auto result = RunCommand({PGARK_BINARY, "restore", "--replace", "-d", PgTestServer::Get().Conninfo(name), archive_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("there was no previous database"));
  auto conn = pg::Connection::Open(PgTestServer::Get().Conninfo(name));
  ASSERT_OK(conn.status());
  EXPECT_EQ(Scalar(**conn, "SELECT count(*) FROM app.items"), "2000");
  conn->reset();
  auto maintenance = PgTestServer::Get().ConnectMaintenance();
  ASSERT_OK(maintenance->Execute(absl::StrCat("DROP DATABASE \"", name, "\"", Force(*maintenance))));
}

// Black-box through a pseudo-terminal: util-linux `script` gives pgark a TTY as stdin.
CommandResult RunOnTerminal(const std::vector<std::string>& argv, const std::string& input) {
  auto shell_quote = [](const std::string& text) {
    return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
  };
  std::string command = "exec";
  for (const std::string& arg : argv) absl::StrAppend(&command, " ", shell_quote(arg));
  return RunShell(absl::StrCat("printf '", input, "' | script -qec ", shell_quote(command), " /dev/null"));
}

bool HaveScript() { return RunShell("command -v script >/dev/null").exit_code == 0; }

TEST_F(RestoreReplaceTest, CleanIntoADatabaseWithDataAsksOnATerminalOnly) {
  ASSERT_NO_FATAL_FAILURE(Diverge());
  if (HaveScript()) {
    auto declined = RunOnTerminal({PGARK_BINARY, "restore", "--clean", "-d", db_.conninfo(), archive_}, "n\\n");
    EXPECT_THAT(declined.out, HasSubstr("Continue? [y/N]"));
    EXPECT_THAT(declined.out, HasSubstr("app.items (~"));  // what would be replaced
    EXPECT_THAT(declined.out, HasSubstr("declined at the confirmation prompt"));
    EXPECT_EQ(declined.exit_code, 130) << declined.out << declined.err;
    ExpectDiverged();

    auto replace_declined =
        RunOnTerminal({PGARK_BINARY, "restore", "--replace", "-d", db_.conninfo(), archive_}, "\\n");
    EXPECT_THAT(replace_declined.out, HasSubstr("--replace will restore"));
    EXPECT_EQ(replace_declined.exit_code, 130) << replace_declined.out << replace_declined.err;
    EXPECT_EQ(TemporaryCopies(), 0);
    ExpectDiverged();

    auto yes_flag = RunOnTerminal({PGARK_BINARY, "restore", "--clean", "--yes", "-d", db_.conninfo(), archive_}, "");
    EXPECT_EQ(yes_flag.exit_code, 0) << yes_flag.out << yes_flag.err;
    EXPECT_THAT(yes_flag.out, Not(HasSubstr("Continue?")));
    ExpectRestored(false);
    ASSERT_NO_FATAL_FAILURE(Diverge());

    auto accepted = RunOnTerminal({PGARK_BINARY, "restore", "--clean", "-d", db_.conninfo(), archive_}, "y\\n");
    EXPECT_THAT(accepted.out, HasSubstr("Continue? [y/N]"));
    EXPECT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;
    ExpectRestored(false);
    ASSERT_NO_FATAL_FAILURE(Diverge());
  } else {
    GTEST_LOG_(WARNING) << "util-linux script not installed: terminal path not tested";
  }
  // Without a terminal: never waits; --clean proceeds, a plain restore refuses (conflicts).
  auto plain = RunCommand({PGARK_BINARY, "restore", "-d", db_.conninfo(), archive_});
  EXPECT_EQ(plain.exit_code, 3) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("nothing was changed"));
  auto clean = RunCommand({PGARK_BINARY, "restore", "--clean", "-d", db_.conninfo(), archive_});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.err, Not(HasSubstr("Continue?")));
  EXPECT_EQ(Count("SELECT count(*) FROM app.items"), "2000");
}

TEST_F(RestoreReplaceTest, PatternsSelectTablesLikePgDump) {
  ScratchDatabase target("rplsel");
  // -n app -T '*.secret?' : app's tables but not app.secrets; nothing of audit.
  auto result = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-n", "app", "-T", "*.secret?",
                            "--progress", "json", archive_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto conn = target.Connect();
  EXPECT_EQ(Scalar(*conn, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE n.nspname IN ('app', 'audit') AND relkind = 'r'"),
            "item_tags,items");
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM app.items"), "2000");
  // --progress json: the final state is reported per phase.
  EXPECT_THAT(result.err, HasSubstr("\"phase\":"));
  EXPECT_THAT(result.err, HasSubstr("\"rows_done\":2500"));

  ScratchDatabase second("rplsel2");
  ASSERT_OK(second.Connect()->Execute("CREATE SCHEMA app"));  // -t does not create schemas
  // -t with a wildcard; -N does not restrict -t (pg_dump's rule).
  auto tables = RunCommand({PGARK_BINARY, "restore", "-d", second.conninfo(), "-t", "app.item*", "-N", "app",
                            "--section", "pre-data", archive_});
  ASSERT_EQ(tables.exit_code, 0) << tables.err;
  EXPECT_EQ(Scalar(*second.Connect(), "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                                      "WHERE relkind = 'r' AND relnamespace = 'app'::regnamespace"),
            "item_tags,items");
  auto bad = RunCommand({PGARK_BINARY, "restore", "-d", second.conninfo(), "-t", "other.app.items", archive_});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("cross-database"));
}

TEST_F(RestoreReplaceTest, DevSnapshotsSaveLoadListPrune) {
  const std::string snapshots = (dir_ / "snaps").string();
  std::map<std::string, std::string> env = {{"PGARK_DEV_DIR", snapshots}};
  auto save = RunCommand({PGARK_BINARY, "dev", "-d", db_.conninfo(), "save", "before"}, env);
  ASSERT_EQ(save.exit_code, 0) << save.err;
  struct stat st;
  ASSERT_EQ(stat(snapshots.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto again = RunCommand({PGARK_BINARY, "dev", "-d", db_.conninfo(), "save", "before"}, env);
  EXPECT_EQ(again.exit_code, 3) << again.err;  // exists: --force needed

  ASSERT_NO_FATAL_FAILURE(Diverge());
  // Conninfo from PGARK_DATABASE_URL this time.
  std::map<std::string, std::string> env_url = env;
  env_url["PGARK_DATABASE_URL"] = db_.conninfo();
  auto load = RunCommand({PGARK_BINARY, "dev", "load", "before"}, env_url);
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.out, HasSubstr("loaded snapshot before"));
  ExpectRestored();
  EXPECT_EQ(PreRestoreCopies(), 0);  // dev load does not keep the old database

  sleep(1);  // distinct modification times
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dev", "-d", db_.conninfo(), "save", "after"}, env).exit_code, 0);
  auto list = RunCommand({PGARK_BINARY, "dev", "list"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("before"));
  EXPECT_LT(list.out.find("after"), list.out.find("before"));  // newest first
  auto prune = RunCommand({PGARK_BINARY, "dev", "prune", "--keep", "1"}, env);
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_THAT(prune.out, HasSubstr("deleted before"));
  EXPECT_FALSE(fs::exists(fs::path(snapshots) / "before.pgark"));
  EXPECT_TRUE(fs::exists(fs::path(snapshots) / "after.pgark"));
  auto missing = RunCommand({PGARK_BINARY, "dev", "load", "before"}, env_url);
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
}

}  // namespace
}  // namespace pgark
