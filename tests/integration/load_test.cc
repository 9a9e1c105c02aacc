// Load: a database of 10,000 tables and one with a 1,000-partition table dump and restore
// correctly; a dump that would not fit in the server's lock table is refused before it
// takes a single lock, saying what to set. Dump times (CPU and wall) are printed for the
// record; the machine is shared, so they are not asserted.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/private_pg_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PrivatePgServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::testing::HasSubstr;

std::string Scalar(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  return result.ok() ? std::string(result->Get(0, 0)) : std::string(result.status().message());
}

// Runs `pgark ARGS` under /usr/bin/time; prints "<label>: <wall> s wall, <cpu> s CPU".
testing::CommandResult TimedPgark(const std::string& label, const std::vector<std::string>& args) {
  std::string times = absl::StrCat(::testing::TempDir(), "/pgark_load_time_", getpid());
  std::vector<std::string> argv = {"/usr/bin/time", "-o", times, "-f", "%e %U %S", PGARK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::CommandResult result = RunCommand(argv);
  std::vector<std::string> t = absl::StrSplit(RunShell("cat '" + times + "'").out, ' ');
  if (t.size() == 3) {
    std::printf("%s: %s s wall, %.2f s CPU (user+sys of pgark)\n", label.c_str(), t[0].c_str(),
                std::stod(t[1]) + std::stod(t[2]));
  }
  std::remove(times.c_str());
  return result;
}

// A table list with row counts: "schema.name:rows" for every table, sorted.
const char kInventory[] =
    "SELECT count(*) || ' tables, ' || sum(n_live_tup) || ' rows' FROM ("
    "  SELECT c.oid, (xpath('/row/n/text()', query_to_xml("
    "    'SELECT count(*) AS n FROM ONLY ' || c.oid::regclass, false, true, '')))[1]::text::int8 AS n_live_tup"
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind = 'r' AND n.nspname = 'public') s";

// The big cases run on a private server with a larger lock table: creating 10,000 tables,
// dumping them (10,000 ACCESS SHARE locks) and restoring pre-data in one transaction would
// exhaust the shared server's lock table and fail every test running beside them.
class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = absl::StrCat(::testing::TempDir(), "/pgark_load_", getpid(), ".pgark");
  }
  void TearDown() override { std::remove(archive_.c_str()); }

  // Creates database `name` on `server` and returns a connection to it.
  static std::unique_ptr<pg::Connection> CreateDatabase(PrivatePgServer& server, const std::string& name) {
    auto admin = server.Connect("postgres");
    EXPECT_OK(admin.status());
    if (!admin.ok()) return nullptr;
    EXPECT_OK((*admin)->Execute(absl::StrCat("CREATE DATABASE ", name, " TEMPLATE template0")));
    auto conn = server.Connect(name);
    EXPECT_OK(conn.status());
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  // Dumps database "source" of `server` and restores it into a new "target" (printing the
  // times); returns a connection to the target, null after a failure.
  std::unique_ptr<pg::Connection> DumpAndRestore(PrivatePgServer& server, const std::string& what) {
    auto dump = TimedPgark("dump of " + what, {"dump", "-d", server.Conninfo("source"), "-f", archive_, "-j", "2"});
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    auto target = CreateDatabase(server, "target");
    if (dump.exit_code != 0 || target == nullptr) return nullptr;
    auto restore = TimedPgark("restore of " + what, {"restore", "-d", server.Conninfo("target"), "-j", "2", archive_});
    EXPECT_EQ(restore.exit_code, 0) << restore.err;
    return restore.exit_code == 0 ? std::move(target) : nullptr;
  }

  std::string archive_;
};

constexpr char kBigLockTable[] = "max_locks_per_transaction = 256\n";

TEST_F(LoadTest, TenThousandTablesDumpAndRestore) {
  PrivatePgServer server(kBigLockTable);
  ASSERT_TRUE(server.ok()) << server.error();
  auto conn = CreateDatabase(server, "source");
  ASSERT_NE(conn, nullptr);
  // One statement per table would cost a round trip each: a DO block makes them server-side.
  // No variable-length column: a TOAST table and index per table would triple the relations.
  ASSERT_OK(conn->Execute(
      "DO $$ BEGIN FOR i IN 1..10000 LOOP "
      "EXECUTE format('CREATE TABLE public.t%s (id int, v int8)', i); "
      "IF i % 10 = 0 THEN EXECUTE format('INSERT INTO public.t%s VALUES (%s, %s)', i, i, i * 7919); END IF; "
      "END LOOP; END $$"));
  auto target = DumpAndRestore(server, "10,000 tables");
  ASSERT_NE(target, nullptr);
  std::string expected = Scalar(*conn, kInventory);
  EXPECT_EQ(expected, "10000 tables, 1000 rows");
  EXPECT_EQ(Scalar(*target, kInventory), expected);
  const char* sample = "SELECT string_agg(v::text, ',' ORDER BY id) FROM (SELECT * FROM t10 UNION ALL SELECT * FROM t9990) s";
  EXPECT_EQ(Scalar(*target, sample), Scalar(*conn, sample));
}

TEST_F(LoadTest, ThousandPartitionTableDumpsAndRestores) {
  PrivatePgServer server(kBigLockTable);
  ASSERT_TRUE(server.ok()) << server.error();
  auto conn = CreateDatabase(server, "source");
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(conn->Execute(
      "CREATE TABLE events (id int, at int, note text) PARTITION BY RANGE (at);"
      "DO $$ BEGIN FOR i IN 0..999 LOOP "
      "EXECUTE format('CREATE TABLE events_p%s PARTITION OF events FOR VALUES FROM (%s) TO (%s)', i, i * 100, i * 100 + 100); "
      "END LOOP; END $$;"
      "INSERT INTO events SELECT g, g, md5(g::text) FROM generate_series(0, 99999) g;"
      "CREATE INDEX events_at ON events (at)"));
  auto target = DumpAndRestore(server, "a 1,000-partition table");
  ASSERT_NE(target, nullptr);
  const char* shape =
      "SELECT (SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass) || ' partitions, ' || "
      "(SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relname LIKE 'events_p%') || ' partition indexes, ' || "
      "(SELECT count(*) || ' rows, ' || md5(string_agg(id || note, ',' ORDER BY id)) FROM events) || ', misplaced ' || "
      "(SELECT count(*) FROM events WHERE tableoid::regclass::text <> 'events_p' || (at / 100))";
  std::string expected = Scalar(*conn, shape);
  EXPECT_THAT(expected, ::testing::StartsWith("1000 partitions, 1000 partition indexes, 100000 rows, "));
  EXPECT_EQ(Scalar(*target, shape), expected);
}

TEST_F(LoadTest, DumpBeyondTheLockTableIsRefusedBeforeLocking) {
  // 10 x (20 + 0) = 200 lock slots; 300 tables do not fit.
  PrivatePgServer server("max_locks_per_transaction = 10\nmax_connections = 20\n");
  ASSERT_TRUE(server.ok()) << server.error();
  auto conn = server.Connect("postgres");
  ASSERT_OK(conn.status());
  ASSERT_OK((*conn)->Execute(
      "DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE t%s (id int)', i); END LOOP; END $$"));
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", server.Conninfo("postgres"), "-f", archive_});
  EXPECT_EQ(dump.exit_code, 4) << dump.err;
  EXPECT_THAT(dump.err, HasSubstr("the dump must lock 300 tables, but the server's lock table holds about 200 locks"));
  EXPECT_THAT(dump.err, HasSubstr("set max_locks_per_transaction to at least 25"));
  EXPECT_NE(access(archive_.c_str(), F_OK), 0);
  auto export_run = RunCommand({PGARK_BINARY, "export", "-d", server.Conninfo("postgres"), "-f", archive_ + ".sql.gz"});
  EXPECT_EQ(export_run.exit_code, 4) << export_run.err;
  EXPECT_THAT(export_run.err, HasSubstr("set max_locks_per_transaction to at least 25"));
  // 150 tables fit: the same server dumps them.
  ASSERT_OK((*conn)->Execute("DO $$ BEGIN FOR i IN 151..300 LOOP EXECUTE format('DROP TABLE t%s', i); END LOOP; END $$"));
  auto fits = RunCommand({PGARK_BINARY, "dump", "-d", server.Conninfo("postgres"), "-f", archive_});
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
}

}  // namespace
}  // namespace pgark
