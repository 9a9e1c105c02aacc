// How the restore commits (real binaries, real server): its sessions commit asynchronously
// (synchronous_commit = off: no WAL flush wait per post-data item), and one synchronous commit
// at the end makes the whole restore durable before pgark reports success.
//
// An event trigger in the target records, for every DDL command the restore runs, the
// session's synchronous_commit. (The final flush is not observable from SQL without racing
// the WAL writer and the other tests' transactions; it is one statement, MakeCommitsDurable.)
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

class RestoreCommitTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = absl::StrCat(::testing::TempDir(), "/pgark_commit_", getpid(), ".pgark"); }
  void TearDown() override { std::remove(path_.c_str()); }

  // A log of the DDL commands run in `conn`'s database, with the running session's
  // synchronous_commit. Names are qualified: the restore runs with search_path = ''.
  static void LogDdl(pg::Connection& conn) {
    ASSERT_OK(conn.Execute(
        "CREATE SCHEMA ddl_log;"
        "CREATE TABLE ddl_log.commands (tag text, synchronous_commit text);"
        "CREATE FUNCTION ddl_log.record() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
        "  INSERT INTO ddl_log.commands VALUES (tg_tag, pg_catalog.current_setting('synchronous_commit')); "
        "END $$;"
        "CREATE EVENT TRIGGER ddl_log_record ON ddl_command_end EXECUTE FUNCTION ddl_log.record();"));
  }

  std::string path_;
};

TEST_F(RestoreCommitTest, SessionsCommitAsynchronously) {
  ScratchDatabase source_db("commit_src");
  auto source = source_db.Connect();
  ASSERT_OK(source->Execute(
      "CREATE TABLE public.parent (id int PRIMARY KEY, v text);"
      "CREATE TABLE public.child (id int PRIMARY KEY, parent int REFERENCES public.parent, v text);"
      "CREATE INDEX child_v ON public.child (v);"
      "INSERT INTO public.parent SELECT g, 'p' || g FROM generate_series(1, 100) g;"
      "INSERT INTO public.child SELECT g, 1 + g % 100, 'c' || g FROM generate_series(1, 1000) g;"));
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db.conninfo(), "-f", path_});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  for (const char* jobs : {"2", "1"}) {
    SCOPED_TRACE(absl::StrCat("-j ", jobs));
    ScratchDatabase target_db("commit_dst");
    auto target = target_db.Connect();
    // The test server runs with synchronous_commit = off; a production server with on.
    ASSERT_OK(target->Execute(absl::StrCat("ALTER DATABASE ", target_db.name(), " SET synchronous_commit = on")));
    LogDdl(*target);
    auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target_db.conninfo(), "-j", jobs, path_});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;

    // Every DDL command of the restore (CREATE TABLE, CREATE INDEX, ALTER TABLE ... ADD
    // CONSTRAINT) ran in a session with synchronous_commit off; before 2026-11-25 it was the
    // server's setting ("on" by default).
    EXPECT_EQ(Scalar(*target, "SELECT string_agg(DISTINCT tag, ',' ORDER BY tag) FROM ddl_log.commands"),
              "ALTER TABLE,CREATE INDEX,CREATE TABLE");
    EXPECT_EQ(Scalar(*target, "SELECT string_agg(DISTINCT synchronous_commit, ',') FROM ddl_log.commands"), "off");
  }
}

}  // namespace
}  // namespace pgark
