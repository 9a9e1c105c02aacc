// The restore sessions' settings (real binaries, real server):
// - they commit asynchronously (synchronous_commit = off: no WAL flush wait per post-data
//   item), and one synchronous commit at the end makes the whole restore durable before pgark
//   reports success;
// - their index builds get maintenance_work_mem = 1GB / jobs (--maintenance-work-mem), never
//   less than the server's.
//
// An event trigger in the target records, for every DDL command the restore runs, the
// session's settings. (The final flush is not observable from SQL without racing the WAL
// writer and the other tests' transactions; it is one statement, MakeCommitsDurable.)
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;

class RestoreSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_session_", getpid(), ".pgark");
    ScratchDatabase source_db("session_src");
    auto source = source_db.Connect();
    ASSERT_OK(source->Execute(
        "CREATE TABLE public.parent (id int PRIMARY KEY, v text);"
        "CREATE TABLE public.child (id int PRIMARY KEY, parent int REFERENCES public.parent, v text);"
        "CREATE INDEX child_v ON public.child (v);"
        "INSERT INTO public.parent SELECT g, 'p' || g FROM generate_series(1, 100) g;"
        "INSERT INTO public.child SELECT g, 1 + g % 100, 'c' || g FROM generate_series(1, 1000) g;"));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db.conninfo(), "-f", path_});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // Restores the archive with `args` into a new database whose own settings are `settings`
  // ("name = value" pairs for ALTER DATABASE ... SET), and returns the distinct values
  // `expression` had during the restore's DDL commands of kind `tag`, comma-separated.
  std::string DuringRestore(const std::vector<std::string>& settings, const std::vector<std::string>& args,
                            const std::string& tag, const std::string& expression) {
    ScratchDatabase target_db("session_dst");
    auto target = target_db.Connect();
    for (const std::string& setting : settings) {
      EXPECT_OK(target->Execute(absl::StrCat("ALTER DATABASE ", target_db.name(), " SET ", setting)));
    }
    LogDdl(*target, expression);
    std::vector<std::string> command = {PGARK_BINARY, "restore", "-d", target_db.conninfo()};
    command.insert(command.end(), args.begin(), args.end());
    command.push_back(path_);
    auto restore = RunCommand(command);
    EXPECT_EQ(restore.exit_code, 0) << restore.err;
    return Scalar(*target, absl::StrCat("SELECT string_agg(DISTINCT value, ',') FROM ddl_log.commands WHERE tag = '",
                                        tag, "'"));
  }

  // A log of the DDL commands run in `conn`'s database, with the value of `expression` in
  // the running session. Names are qualified: the restore runs with search_path = ''.
  static void LogDdl(pg::Connection& conn, const std::string& expression) {
    ASSERT_OK(conn.Execute(absl::StrCat(
        "CREATE SCHEMA ddl_log;"
        "CREATE TABLE ddl_log.commands (tag text, value text);"
        "CREATE FUNCTION ddl_log.record() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
        "  INSERT INTO ddl_log.commands VALUES (tg_tag, ", expression, "); END $$;"
        "CREATE EVENT TRIGGER ddl_log_record ON ddl_command_end EXECUTE FUNCTION ddl_log.record();")));
  }

  std::string path_;
};

TEST_F(RestoreSessionTest, SessionsCommitAsynchronously) {
  // The test server runs with synchronous_commit = off; a production server with on. Every
  // DDL command of the restore ran in a session with synchronous_commit off; before
  // 2026-11-25 it was the server's setting.
  const std::string setting = "pg_catalog.current_setting('synchronous_commit')";
  for (const char* jobs : {"2", "1"}) {
    for (const char* tag : {"CREATE TABLE", "CREATE INDEX", "ALTER TABLE"}) {
      EXPECT_EQ(DuringRestore({"synchronous_commit = on"}, {"-j", jobs}, tag, setting), "off")
          << tag << " at -j " << jobs;
    }
  }
}

TEST_F(RestoreSessionTest, IndexBuildsGetMaintenanceWorkMemByJobs) {
  const std::string setting = "pg_catalog.current_setting('maintenance_work_mem')";
  const std::string server_default = "maintenance_work_mem = '64MB'";
  // auto: 1GB shared by the connections (before 2026-11-25: the server's 64MB).
  EXPECT_EQ(DuringRestore({server_default}, {"-j", "2"}, "CREATE INDEX", setting), "512MB");
  EXPECT_EQ(DuringRestore({server_default}, {"-j", "4"}, "CREATE INDEX", setting), "256MB");
  EXPECT_EQ(DuringRestore({server_default}, {"-1"}, "CREATE INDEX", setting), "1GB");
  EXPECT_EQ(DuringRestore({server_default}, {"-j", "32"}, "CREATE INDEX", setting), "64MB");
  // Chosen, or the server's.
  EXPECT_EQ(DuringRestore({server_default}, {"--maintenance-work-mem", "100MB"}, "CREATE INDEX", setting), "100MB");
  EXPECT_EQ(DuringRestore({server_default}, {"--maintenance-work-mem", "server"}, "CREATE INDEX", setting), "64MB");
  // Never below the server's own setting.
  EXPECT_EQ(DuringRestore({"maintenance_work_mem = '2GB'"}, {"-j", "2"}, "CREATE INDEX", setting), "2GB");
  // A bad value is a usage error before anything happens.
  auto bad = RunCommand({PGARK_BINARY, "restore", "-d", "dbname=nowhere", "--maintenance-work-mem", "10kB", path_});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, ::testing::HasSubstr("--maintenance-work-mem 10kB"));
}

}  // namespace
}  // namespace pgark
