// Black-box tests of the pgark executable: flags, help, exit codes.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::testing::HasSubstr;

TEST(CliTest, HelpListsEverySubcommand) {
  auto result = RunCommand({PGARK_BINARY, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* name : {"dump", "restore", "verify", "export", "inspect", "keygen", "backup",
                           "list", "prune", "dev", "config"}) {
    EXPECT_THAT(result.out, HasSubstr(name)) << name;
  }
}

TEST(CliTest, SubcommandHelpShowsItsFlags) {
  auto result = RunCommand({PGARK_BINARY, "dump", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("--jobs"));
  EXPECT_THAT(result.out, HasSubstr("--schema-only"));
}

TEST(CliTest, VersionPrintsTheVersion) {
  auto result = RunCommand({PGARK_BINARY, "--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("pgark "));
}

TEST(CliTest, UnknownFlagIsAUsageError) {
  auto result = RunCommand({PGARK_BINARY, "dump", "--no-such-flag"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--no-such-flag"));
  EXPECT_THAT(result.err, HasSubstr("pgark dump --help"));
}

TEST(CliTest, BadValueIsAUsageError) {
  auto result = RunCommand({PGARK_BINARY, "dump", "-j", "0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--jobs"));
}

TEST(CliTest, IfExistsWithoutCleanIsAUsageError) {
  // As pg_restore: --if-exists only qualifies --clean's drops. Checked before the archive is opened.
  auto result = RunCommand({PGARK_BINARY, "restore", "--if-exists", "-d", "postgres", "/no/such/file.pgark"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--if-exists is only used with -c/--clean"));
}

TEST(CliTest, NoSubcommandIsAUsageError) {
  auto result = RunCommand({PGARK_BINARY});
  EXPECT_EQ(result.exit_code, 2);
}

TEST(CliTest, RestoreOfMissingFileNamesTheFile) {
  auto result = RunCommand({PGARK_BINARY, "restore", "-d", "postgres", "/no/such/file.pgark"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("/no/such/file.pgark"));
}

TEST(CliTest, DumpDryRunListsTablesWithSizes) {
  ::pgark::testing::ScratchDatabase db("cli");
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Execute("CREATE TABLE big_one AS SELECT g AS id FROM generate_series(1, 50000) g;"
                            "CREATE TABLE small_one (id int); ANALYZE")
                  .ok());
  auto result = RunCommand({PGARK_BINARY, "dump", "--dry-run", "-d", db.conninfo()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("public.big_one"));
  EXPECT_THAT(result.out, HasSubstr("public.small_one"));
  EXPECT_LT(result.out.find("big_one"), result.out.find("small_one"));  // largest first
  EXPECT_THAT(result.out, HasSubstr("2 tables"));
}

TEST(CliTest, UnreachableServerExitsUnavailable) {
  // The password comes from the environment (-d refuses one: cli_refusals_test.cc).
  auto result = RunCommand({PGARK_BINARY, "dump", "--dry-run", "-d", "host=127.0.0.1 port=1 dbname=x"},
                           {{"PGPASSWORD", "sekrit"}});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_THAT(result.err, HasSubstr("cannot connect"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("sekrit")));
}

}  // namespace
}  // namespace pgark
