// Black-box tests of what the CLI refuses before doing anything: an unnamed restore target, a
// password on the command line, flags that would be ignored, archives and outputs that are not
// files, terminals where a stream belongs, selections that match nothing. Each refusal must
// leave the database and the file system as they were.
#include <sys/stat.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/terminal.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::RunOnTerminal;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ScratchPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/cli_refusals_", getpid(), "_", name);
}

// shop.orders: a serial column (its sequence) and a FOREIGN KEY to shop.customers.
class CliRefusalsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new ScratchDatabase("refusals");
    auto conn = source_->Connect();
    ASSERT_TRUE(conn->Execute("CREATE SCHEMA shop;"
                              "CREATE TABLE shop.customers (id serial PRIMARY KEY, name text);"
                              "CREATE TABLE shop.orders (id serial PRIMARY KEY, "
                              "  customer_id int NOT NULL REFERENCES shop.customers, total numeric);"
                              "INSERT INTO shop.customers (name) SELECT 'c' || g FROM generate_series(1, 5) g;"
                              "INSERT INTO shop.orders (customer_id, total) SELECT 1 + g % 5, g FROM generate_series(1, 40) g;")
                    .ok());
    archive_ = new std::string(ScratchPath("shop.pgark"));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-q", "-d", source_->conninfo(), "-f", *archive_, "--force"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }
  static void TearDownTestSuite() {
    std::remove(archive_->c_str());
    delete archive_;
    delete source_;
  }

  // The number of relations in schemas other than the system ones: what a refused restore must
  // not have changed.
  static std::string UserRelations(const ScratchDatabase& db) {
    auto conn = db.Connect();
    auto result = conn->Query(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')");
    return result.ok() ? std::string(result->Get(0, 0)) : "query failed";
  }

  static ScratchDatabase* source_;
  static std::string* archive_;
};
ScratchDatabase* CliRefusalsTest::source_ = nullptr;
std::string* CliRefusalsTest::archive_ = nullptr;

TEST_F(CliRefusalsTest, RestoreWithoutANamedTargetDatabaseIsRefused) {
  // libpq would fall back to the database named after the user; --clean would drop objects there.
  std::map<std::string, std::string> env = {{"PGDATABASE", ""}};
  auto result = RunCommand({PGARK_BINARY, "restore", "--clean", *archive_}, env);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("no target database: give -d DBNAME"));
  // A conninfo without dbname is no better.
  result = RunCommand({PGARK_BINARY, "restore", "-d", "host=127.0.0.1", *archive_}, env);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("no target database"));
}

TEST_F(CliRefusalsTest, APasswordOnTheCommandLineIsRefusedWithoutRepeatingIt) {
  for (const std::string& conninfo :
       {std::string("host=127.0.0.1 dbname=x password=sekrit"), std::string("postgresql://u:sekrit@127.0.0.1/x")}) {
    auto result = RunCommand({PGARK_BINARY, "dump", "--dry-run", "-d", conninfo});
    EXPECT_EQ(result.exit_code, 2) << conninfo;
    EXPECT_THAT(result.err, HasSubstr("PGPASSWORD"));
    EXPECT_THAT(result.err, Not(HasSubstr("sekrit")));
  }
}

TEST_F(CliRefusalsTest, AMalformedConnectionStringIsAUsageError) {
  auto result = RunCommand({PGARK_BINARY, "dump", "--dry-run", "-d", "postgresql://[bad"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("invalid connection string"));
}

TEST_F(CliRefusalsTest, FlagsThatWouldBeIgnoredAreRefused) {
  ScratchDatabase target("refusals_t");
  auto result = RunCommand({PGARK_BINARY, "restore", "-1", "-j", "4", "-d", target.conninfo(), *archive_});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("cannot be used with -j > 1"));
  // -C --clean drops the old database before -1's transaction: -1 could not protect it.
  result = RunCommand({PGARK_BINARY, "restore", "-C", "--clean", "-1", "-d", target.conninfo(), *archive_});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("use --replace"));
  result = RunCommand({PGARK_BINARY, "restore", "--keep", "2", "-d", target.conninfo(), *archive_});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--keep is only used with --drop-pre-restore"));
  EXPECT_EQ(UserRelations(target), "0");
  // -1 with the default -j is what it always was: one connection.
  result = RunCommand({PGARK_BINARY, "restore", "-q", "-1", "-d", target.conninfo(), *archive_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(CliRefusalsTest, AnOutputNameThatLooksLikeAFlagIsRefused) {
  // `-f --force` used to write a file named "--force".
  for (const char* command : {"dump", "export"}) {
    auto result = RunCommand({PGARK_BINARY, command, "-d", source_->conninfo(), "-f", "--force"});
    EXPECT_EQ(result.exit_code, 2) << command << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("-f '--force' looks like a flag")) << command;
  }
  EXPECT_NE(access("--force", F_OK), 0);
}

TEST_F(CliRefusalsTest, AnUnknownCommandIsNamed) {
  auto result = RunCommand({PGARK_BINARY, "restor"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown command 'restor'"));
}

TEST_F(CliRefusalsTest, ASelectionThatMatchesNothingIsRefusedWithNothingChanged) {
  ScratchDatabase target("refusals_t");
  auto result = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-t", "shop.nosuch", *archive_});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("no matching tables were found in the archive for -t shop.nosuch"));
  result = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-n", "nosuch", *archive_});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("no matching schemas were found in the archive for -n nosuch"));
  EXPECT_EQ(UserRelations(target), "0");
}

TEST_F(CliRefusalsTest, TableBringsItsSequenceAndLeavesOutForeignKeysToOthers) {
  ScratchDatabase target("refusals_t");
  ASSERT_TRUE(target.Connect()->Execute("CREATE SCHEMA shop").ok());
  auto result = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-t", "shop.orders", *archive_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("orders_customer_id_fkey is left out: it references shop.customers"));
  auto conn = target.Connect();
  auto rows = conn->Query("SELECT count(*), (SELECT last_value FROM shop.orders_id_seq) FROM shop.orders");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->Get(0, 0), "40");
  EXPECT_EQ(rows->Get(0, 1), "40");  // the serial's sequence came with the table, with its value
  auto customers = conn->Query("SELECT to_regclass('shop.customers') IS NULL");
  ASSERT_TRUE(customers.ok());
  EXPECT_EQ(customers->Get(0, 0), "t");
  // Both tables: the foreign key is restored.
  ScratchDatabase both("refusals_t");
  ASSERT_TRUE(both.Connect()->Execute("CREATE SCHEMA shop").ok());
  result = RunCommand(
      {PGARK_BINARY, "restore", "-d", both.conninfo(), "-t", "shop.orders", "-t", "shop.customers", *archive_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, Not(HasSubstr("left out")));
  auto fk = both.Connect()->Query("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_id_fkey'");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ(fk->Get(0, 0), "1");
}

TEST_F(CliRefusalsTest, AnArchivePathThatIsNotAFileIsAUsageErrorEverywhere) {
  const std::string dir = ScratchPath("dir");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ScratchDatabase target("refusals_t");
  auto result = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), dir});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("is not a regular file but a directory (to read an archive from a pipe, give '-'"));
  rmdir(dir.c_str());
}

TEST_F(CliRefusalsTest, DumpOverADirectoryIsRefusedBeforeDumping) {
  const std::string dir = ScratchPath("outdir");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source_->conninfo(), "-f", dir, "--force"});
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_THAT(result.err, HasSubstr("is not a regular file but a directory: only a file can be replaced"));
  EXPECT_THAT(result.err, Not(HasSubstr("dumped")));
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  rmdir(dir.c_str());
}

TEST_F(CliRefusalsTest, TerminalsAreRefusedWhereAStreamBelongs) {
  ScratchDatabase target("refusals_t");
  // Reading an archive from a terminal would wait for typed input without saying so.
  auto result = RunOnTerminal({PGARK_BINARY, "restore", "-d", target.conninfo(), "-"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("stdin is a terminal"));
  // Writing one to a terminal would print binary data.
  result = RunOnTerminal({PGARK_BINARY, "dump", "-d", source_->conninfo(), "-f", "-"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("stdout is a terminal"));
  EXPECT_EQ(UserRelations(target), "0");
}

}  // namespace
}  // namespace pgark
