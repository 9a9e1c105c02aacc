// Extension configuration tables (pg_extension_config_dump) through the real binaries:
// `pgark dump` + `pgark restore`, `pgark export` live and from the archive. The extension
// creates the table with its standard rows; only the rows the recorded filter selects are
// dumped and loaded after CREATE EXTENSION.
//
// No extension installed on this machine registers configuration tables, and
// pg_extension_config_dump() runs only inside CREATE EXTENSION scripts, so the source
// records by hand what it would have recorded (pg_extension.extconfig/extcondition of
// file_fdw), and the target plays the extension's script by creating the tables with their
// standard rows before the restore (CREATE EXTENSION IF NOT EXISTS is then a no-op for them).
#include <unistd.h>

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

using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

// What the extension's script creates in every database: the tables and standard rows.
constexpr char kExtensionScript[] =
    "CREATE SCHEMA cfg;"
    "CREATE TABLE cfg.settings (k text PRIMARY KEY, v text, standard boolean NOT NULL DEFAULT false);"
    "INSERT INTO cfg.settings VALUES ('std1', 'shipped', true), ('std2', 'shipped', true);"
    "CREATE TABLE cfg.all_rows (id integer PRIMARY KEY, note text);";

constexpr char kRows[] =
    "SELECT string_agg(k || '=' || coalesce(v, 'null') || ':' || standard, ',' ORDER BY k) FROM cfg.settings";
constexpr char kAllRows[] = "SELECT string_agg(id || '=' || note, ',' ORDER BY id) FROM cfg.all_rows";

class ExtensionConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = source_db_.Connect();
    ASSERT_OK(source_->Execute(absl::StrCat(
        "CREATE EXTENSION file_fdw;", kExtensionScript,
        "ALTER EXTENSION file_fdw ADD SCHEMA cfg;"
        "ALTER EXTENSION file_fdw ADD TABLE cfg.settings; ALTER EXTENSION file_fdw ADD TABLE cfg.all_rows;"
        "UPDATE pg_catalog.pg_extension SET extconfig = ARRAY['cfg.settings'::regclass::oid, "
        "'cfg.all_rows'::regclass::oid], extcondition = ARRAY['WHERE NOT standard', ''] "
        "WHERE extname = 'file_fdw';"
        // The user's rows: the data a dump must carry.
        "INSERT INTO cfg.settings VALUES ('mine', 'local', false), ('nul', NULL, false);"
        "INSERT INTO cfg.all_rows VALUES (1, 'one'), (2, 'two');"
        "CREATE TABLE public.plain (id integer); INSERT INTO public.plain VALUES (7);")));
    dir_ = absl::StrCat(::testing::TempDir(), "/pgark_extcfg_", getpid());
    ASSERT_EQ(RunShell("mkdir -p '" + dir_ + "'").exit_code, 0);
  }
  void TearDown() override { RunShell("rm -rf '" + dir_ + "'"); }

  // A target where "CREATE EXTENSION" already made the configuration tables.
  std::unique_ptr<pg::Connection> PrepareTarget(const ScratchDatabase& target) {
    auto conn = target.Connect();
    EXPECT_OK(conn->Execute(kExtensionScript));
    return conn;
  }

  void ExpectConfigRows(pg::Connection& target) {
    EXPECT_EQ(Scalar(target, kRows), "mine=local:false,nul=null:false,std1=shipped:true,std2=shipped:true");
    EXPECT_EQ(Scalar(target, kRows), Scalar(*source_, kRows));
    EXPECT_EQ(Scalar(target, kAllRows), "1=one,2=two");
    EXPECT_EQ(Scalar(target, "SELECT count(*) FROM public.plain"), "1");
  }

  void Replay(const std::string& gz, const ScratchDatabase& target) {
    auto replay = RunShell("gunzip -c '" + gz + "' | '" + PgTestServer::Get().client_bindir() +
                           "/psql' -X -q -v ON_ERROR_STOP=1 -d '" + target.conninfo() + "'");
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
  }

  ScratchDatabase source_db_{"xsrc"};
  std::unique_ptr<pg::Connection> source_;
  std::string dir_;
};

TEST_F(ExtensionConfigTest, DumpRestoreLoadsFilteredRowsAfterCreateExtension) {
  const std::string archive = dir_ + "/a.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", archive, "-j", "2"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto listing = RunCommand({PGARK_BINARY, "restore", "-l", archive});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_THAT(listing.out, HasSubstr("; data; TABLE DATA cfg settings"));
  EXPECT_THAT(listing.out, HasSubstr("; data; TABLE DATA cfg all_rows"));
  EXPECT_THAT(listing.out, Not(HasSubstr("; TABLE cfg settings")));  // the extension creates it

  ScratchDatabase target("xdst");
  auto conn = PrepareTarget(target);
  // The standard rows are in the target already: loading them again would violate the
  // primary key, so a missing filter fails here.
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", "2", archive});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ExpectConfigRows(*conn);

  // Data only into a database that has the extension: the configuration table holds the
  // standard rows, yet it is neither reported as a conflict nor emptied.
  ScratchDatabase data_only("xdata");
  auto data_conn = PrepareTarget(data_only);
  auto data = RunCommand({PGARK_BINARY, "restore", "--section", "data", "-t", "cfg.settings", "-d",
                          data_only.conninfo(), archive});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  EXPECT_EQ(Scalar(*data_conn, kRows), Scalar(*source_, kRows));
}

TEST_F(ExtensionConfigTest, SchemaFiltersLeaveConfigurationTablesOut) {
  // -n: extensions are not dumped, so neither is their configuration data (as pg_dump).
  const std::string archive = dir_ + "/n.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-n", "public", "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto listing = RunCommand({PGARK_BINARY, "restore", "-l", archive});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_THAT(listing.out, Not(HasSubstr("cfg settings")));
  EXPECT_THAT(listing.out, Not(HasSubstr("cfg.settings")));
  EXPECT_THAT(listing.out, HasSubstr("public plain"));
}

TEST_F(ExtensionConfigTest, ExportLiveAndFromArchiveCarryFilteredRows) {
  const std::string archive = dir_ + "/e.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  for (const bool live : {true, false}) {
    SCOPED_TRACE(live ? "live" : "archive");
    const std::string gz = absl::StrCat(dir_, live ? "/live" : "/archive", ".sql.gz");
    auto exported = live ? RunCommand({PGARK_BINARY, "export", "-d", source_db_.conninfo(), "-f", gz})
                         : RunCommand({PGARK_BINARY, "export", archive, "-f", gz});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    auto text = RunShell("gunzip -c '" + gz + "'");
    ASSERT_EQ(text.exit_code, 0);
    EXPECT_THAT(text.out, HasSubstr("mine\tlocal\tf\n"));
    EXPECT_THAT(text.out, Not(HasSubstr("std1\t")));
    EXPECT_THAT(text.out, Not(HasSubstr("CREATE TABLE cfg.settings")));
    ScratchDatabase target(live ? "xlive" : "xarch");
    auto conn = PrepareTarget(target);
    ASSERT_NO_FATAL_FAILURE(Replay(gz, target));
    ExpectConfigRows(*conn);
  }
}

}  // namespace
}  // namespace pgark
