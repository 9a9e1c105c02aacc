// `restore --clean` runs its drops in one transaction. On a server whose lock table cannot
// hold them all (SQLSTATE 53200, max_locks_per_transaction), it warns and drops item by item
// instead, and the restore still completes. A private server with a tiny lock table: the
// shared one must keep its settings for every other test.
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/private_pg_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PrivatePgServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::testing::HasSubstr;

TEST(CleanLockLimitTest, ACleanTooLargeForOneTransactionDropsItemByItem) {
  // 600 tables with a key each, dumped from the shared server: dropping (or creating) them
  // all in one transaction takes well over the ~100 locks the private server's table holds.
  testing::ScratchDatabase source("clean_locks");
  auto src = source.Connect();
  std::string sql;
  for (int i = 0; i < 600; ++i) {
    absl::StrAppend(&sql, "CREATE TABLE t", i, " (id integer PRIMARY KEY); INSERT INTO t", i, " VALUES (", i, ");");
  }
  ASSERT_OK(src->Execute(sql));
  const std::string archive = absl::StrCat(::testing::TempDir(), "/pgark_clean_locks_", getpid(), ".pgark");
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  PrivatePgServer server("max_locks_per_transaction = 10\nmax_connections = 10\n");
  ASSERT_TRUE(server.ok()) << server.error();
  auto admin = server.Connect("postgres");
  ASSERT_OK(admin.status());
  ASSERT_OK((*admin)->Execute("CREATE DATABASE dst TEMPLATE template0"));
  // Pre-data batches do not fit either: each failing batch is replayed item by item.
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", server.Conninfo("dst"), archive});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;

  auto clean = RunCommand({PGARK_BINARY, "restore", "--clean", "--yes", "-d", server.Conninfo("dst"), archive});
  std::remove(archive.c_str());
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.err, HasSubstr("the clean does not fit in one transaction"));
  auto dst = server.Connect("dst");
  ASSERT_OK(dst.status());
  // Every COPY's row count was checked against the archive; the tables are all there.
  EXPECT_THAT(clean.err, HasSubstr("600 tables (600 rows, 600 streams)"));
  EXPECT_EQ(Scalar(**dst, "SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+$' AND relkind = 'r'"), "600");
  EXPECT_EQ(Scalar(**dst, "SELECT id FROM t599"), "599");
}

}  // namespace
}  // namespace pgark
