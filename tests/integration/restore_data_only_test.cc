// Data-only restores (`pgark restore --section data`) into a schema that already exists, as
// an operator runs them after a migration tool or to refresh a staging database: FOREIGN KEY
// order, circular references, triggers (--disable-triggers), sequences, large objects,
// materialized views, -1, --clean and a pipe. Real binaries on a real server.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::CommandResult;
using ::pgark::testing::DigestOf;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

// parent <- child <- grandchild (bigserial), a self-referencing tree with a forward
// reference, an FK onto a partitioned table from a table with an identity column, a CHECK
// calling a function, a table with row-level security, a materialized view over the chain
// and a large object. grandchild is split into several parts (streams).
constexpr char kSchema[] =
    "CREATE SCHEMA s;"
    "CREATE FUNCTION s.positive(v integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v > 0';"
    "CREATE TABLE s.parent (id integer PRIMARY KEY, note text);"
    "CREATE TABLE s.child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES s.parent,"
    "  qty integer CHECK (s.positive(qty)));"
    "CREATE TABLE s.grandchild (id bigserial PRIMARY KEY, child_id integer REFERENCES s.child, payload text);"
    "CREATE TABLE s.tree (id integer PRIMARY KEY, up integer REFERENCES s.tree);"
    "CREATE TABLE s.region (code text, id integer, PRIMARY KEY (code, id)) PARTITION BY LIST (code);"
    "CREATE TABLE s.region_eu PARTITION OF s.region FOR VALUES IN ('eu');"
    "CREATE TABLE s.region_us PARTITION OF s.region FOR VALUES IN ('us');"
    "CREATE TABLE s.shop (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text, region_id integer,"
    "  FOREIGN KEY (code, region_id) REFERENCES s.region);"
    "CREATE TABLE s.secret (id integer PRIMARY KEY, owner_name text);"
    "ALTER TABLE s.secret ENABLE ROW LEVEL SECURITY;"
    "CREATE POLICY own ON s.secret USING (owner_name = current_user);"
    "CREATE MATERIALIZED VIEW s.child_totals AS SELECT parent_id, sum(qty) AS qty FROM s.child GROUP BY parent_id;";
constexpr char kData[] =
    "INSERT INTO s.parent SELECT g, 'p' || g FROM generate_series(1, 2000) g;"
    "INSERT INTO s.child SELECT g, 1 + g % 2000, 1 + g % 7 FROM generate_series(1, 6000) g;"
    "INSERT INTO s.grandchild (child_id, payload) SELECT 1 + g % 6000, repeat('x', 50) FROM generate_series(1, 20000) g;"
    "INSERT INTO s.tree VALUES (1, 2), (2, NULL);"
    "INSERT INTO s.tree SELECT g, g / 2 FROM generate_series(3, 800) g;"
    "INSERT INTO s.region SELECT CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 500) g;"
    "INSERT INTO s.shop (code, region_id) SELECT CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g "
    "  FROM generate_series(1, 500) g;"
    "INSERT INTO s.secret VALUES (1, 'alice'), (2, 'bob');"
    "REFRESH MATERIALIZED VIEW s.child_totals;"
    "SELECT lo_from_bytea(710001, 'data-only large object');";

constexpr char kSequences[] =
    "SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null'), ',' "
    "ORDER BY schemaname, sequencename) FROM pg_sequences";
constexpr char kLargeObjects[] =
    "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata";
constexpr char kTriggerStates[] =
    "SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT tgrelid::regclass || '.' || "
    " CASE WHEN tgisinternal THEN 'RI' ELSE tgname::text END || '=' || tgenabled::text AS x FROM pg_trigger "
    " WHERE tgrelid::regclass::text LIKE 's.%') t";

class RestoreDataOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = absl::StrCat(::testing::TempDir(), "/pgark_data_only_", getpid(), ".pgark"); }
  void TearDown() override { std::remove(path_.c_str()); }

  void Seed(const std::string& schema, const std::string& data) {
    auto conn = source_.Connect();
    ASSERT_OK(conn->Execute(schema));
    ASSERT_OK(conn->Execute(data));
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_.conninfo(), "-f", path_, "--split-larger-than", "64kB"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }

  // The schema without data, the way an operator gets it from the archive: pre-data and
  // post-data (FOREIGN KEYs, triggers, indexes; materialized views refreshed empty).
  void RestoreSchema(const ScratchDatabase& target) {
    for (const char* section : {"pre-data", "post-data"}) {
      auto result = RunCommand({PGARK_BINARY, "restore", "--section", section, "-j", "1", "-d", target.conninfo(), path_});
      ASSERT_EQ(result.exit_code, 0) << section << ": " << result.err;
    }
  }

  CommandResult RestoreData(const ScratchDatabase& target, std::vector<std::string> extra) {
    std::vector<std::string> args = {PGARK_BINARY, "restore", "--section", "data", "-d", target.conninfo()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(path_);
    return RunCommand(args);
  }

  void ExpectSameData(const ScratchDatabase& target) {
    auto conn = target.Connect();
    auto source = source_.Connect();
    const std::vector<std::string> relations = testing::ComparableRelations(*source);
    EXPECT_GE(relations.size(), 8u);
    for (const std::string& relation : relations) {
      EXPECT_EQ(DigestOf(*conn, relation), DigestOf(*source, relation)) << relation;
    }
    EXPECT_EQ(Scalar(*conn, kSequences), Scalar(*source, kSequences));
    EXPECT_EQ(Scalar(*conn, kLargeObjects), Scalar(*source, kLargeObjects));
  }

  ScratchDatabase source_{"dosrc"};
  std::string path_;
};

// Before: "loading s.grandchild part 1/N: insert or update on table "grandchild" violates
// foreign key constraint ... (SQLSTATE 23503)", exit 2, at -j 4, -j 1, -1 and from a pipe:
// tables loaded largest first whatever their FOREIGN KEYs.
TEST_F(RestoreDataOnlyTest, ForeignKeyChainsLoadParentsFirstFromFileAndPipe) {
  ASSERT_NO_FATAL_FAILURE(Seed(kSchema, kData));
  const std::vector<std::vector<std::string>> runs = {{"-j", "4"}, {"-j", "1"}, {"-1"}};
  for (const auto& run : runs) {
    ScratchDatabase target("dodst");
    ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
    auto result = RestoreData(target, run);
    ASSERT_EQ(result.exit_code, 0) << run[0] << ": " << result.err;
    EXPECT_THAT(result.err, Not(HasSubstr("circular")));
    ExpectSameData(target);
    if (run[0] == "-j") continue;
    // -1 with --clean: the loaded tables are emptied in one TRUNCATE, then loaded in order.
    auto again = RestoreData(target, {"--clean", "-1", "-j", "4"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    ExpectSameData(target);
  }
  ScratchDatabase piped("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(piped));
  auto result = RunShell(absl::StrCat(PGARK_BINARY, " restore --section data -j 4 -d '", piped.conninfo(), "' - < ", path_));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ExpectSameData(piped);
  // --clean without -1, file, 4 jobs.
  auto clean = RestoreData(piped, {"--clean", "-j", "4"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ExpectSameData(piped);
}

// Tables referencing each other cannot be ordered. Through DEFERRABLE (INITIALLY IMMEDIATE)
// constraints -1 loads them (checked at COMMIT); without it pgark warns like pg_dump and the
// load fails with the server's error. Before: no warning, and -1 failed too (23503).
TEST_F(RestoreDataOnlyTest, DeferrableCycleLoadsInOneTransactionAndIsReportedOtherwise) {
  ASSERT_NO_FATAL_FAILURE(Seed(
      "CREATE SCHEMA s;"
      "CREATE TABLE s.a (id integer PRIMARY KEY, b_id integer);"
      "CREATE TABLE s.b (id integer PRIMARY KEY, a_id integer REFERENCES s.a DEFERRABLE);"
      "ALTER TABLE s.a ADD FOREIGN KEY (b_id) REFERENCES s.b DEFERRABLE;",
      "BEGIN; SET CONSTRAINTS ALL DEFERRED;"
      "INSERT INTO s.a SELECT g, g FROM generate_series(1, 300) g;"
      "INSERT INTO s.b SELECT g, g FROM generate_series(1, 300) g; COMMIT;"));
  ScratchDatabase target("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
  auto parallel = RestoreData(target, {"-j", "2"});
  EXPECT_EQ(parallel.exit_code, 2) << parallel.err;
  EXPECT_THAT(parallel.err, HasSubstr("there are circular foreign-key constraints among tables s.a, s.b"));
  EXPECT_THAT(parallel.err, HasSubstr("DEFERRABLE: restore with -1"));
  EXPECT_THAT(parallel.err, HasSubstr("SQLSTATE 23503"));

  auto single = RestoreData(target, {"-1", "--clean"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_THAT(single.err, Not(HasSubstr("circular")));
  EXPECT_EQ(Scalar(*target.Connect(), "SELECT count(*) FROM s.a JOIN s.b ON b.a_id = a.id AND a.b_id = b.id"), "300");
}

// --disable-triggers: user triggers (one writing into another loaded table, one raising)
// and FOREIGN KEY triggers (a non-deferrable cycle) are off during the load, and every
// trigger is back in its previous state afterwards (a disabled one stays disabled, ENABLE
// ALWAYS stays), also when the load fails. Before: "--disable-triggers" was unknown (exit 2).
TEST_F(RestoreDataOnlyTest, DisableTriggersLoadsTheArchiveRowsAndPutsEveryTriggerBack) {
  ASSERT_NO_FATAL_FAILURE(Seed(
      absl::StrCat(kSchema,
                   "CREATE TABLE s.audit (id serial PRIMARY KEY, what text);"
                   "CREATE FUNCTION s.audit_child() RETURNS trigger LANGUAGE plpgsql AS "
                   "  $$ BEGIN INSERT INTO s.audit(what) VALUES ('child ' || NEW.id); RETURN NEW; END $$;"
                   "CREATE TRIGGER child_audit AFTER INSERT ON s.child FOR EACH ROW EXECUTE FUNCTION s.audit_child();"
                   "CREATE TABLE s.guarded (id integer PRIMARY KEY);"
                   "CREATE FUNCTION s.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   "  $$ BEGIN RAISE EXCEPTION 'guarded is read-only'; END $$;"
                   "CREATE TABLE s.c (id integer PRIMARY KEY, d_id integer);"
                   "CREATE TABLE s.d (id integer PRIMARY KEY, c_id integer REFERENCES s.c);"),
      absl::StrCat(kData,
                   "INSERT INTO s.guarded SELECT generate_series(1, 10);"
                   "CREATE TRIGGER guarded_refuse BEFORE INSERT ON s.guarded FOR EACH ROW EXECUTE FUNCTION s.refuse();"
                   "CREATE TRIGGER guarded_off BEFORE INSERT ON s.guarded FOR EACH ROW EXECUTE FUNCTION s.refuse();"
                   "ALTER TABLE s.guarded DISABLE TRIGGER guarded_off;"
                   "CREATE TRIGGER parent_always AFTER INSERT ON s.parent FOR EACH ROW EXECUTE FUNCTION s.audit_child();"
                   "ALTER TABLE s.parent ENABLE ALWAYS TRIGGER parent_always;"
                   "INSERT INTO s.c SELECT g, g FROM generate_series(1, 100) g;"
                   "INSERT INTO s.d SELECT g, g FROM generate_series(1, 100) g;"
                   "ALTER TABLE s.c ADD FOREIGN KEY (d_id) REFERENCES s.d;")));
  ScratchDatabase target("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
  auto conn = target.Connect();
  const std::string states = Scalar(*conn, kTriggerStates);
  EXPECT_THAT(states, HasSubstr("s.guarded.guarded_off=D"));
  EXPECT_THAT(states, HasSubstr("s.parent.parent_always=A"));

  // Without the flag the triggers fire: the raising one stops the load, naming it.
  auto firing = RestoreData(target, {"-1"});
  EXPECT_NE(firing.exit_code, 0);
  EXPECT_THAT(firing.err, HasSubstr("fire while their data loads"));
  EXPECT_THAT(firing.err, HasSubstr("circular foreign-key constraints among tables s.c, s.d"));

  auto loaded = RestoreData(target, {"--disable-triggers", "-j", "4"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_THAT(loaded.err, Not(HasSubstr("circular")));
  ExpectSameData(target);
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);

  // A load that fails (a CHECK, not a trigger, rejects s.d's rows): triggers are back too.
  ASSERT_OK(conn->Execute("ALTER TABLE s.d ADD CONSTRAINT small CHECK (id < 50) NOT VALID"));
  auto failed = RestoreData(target, {"--disable-triggers", "--clean", "-j", "2"});
  EXPECT_EQ(failed.exit_code, 2) << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("SQLSTATE 23514"));
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);
  // The same with -1: rolled back (the clean too), triggers as they were.
  const std::string rows_before = Scalar(*conn, "SELECT count(*) FROM s.parent");
  auto rolled_back = RestoreData(target, {"--disable-triggers", "--clean", "-1"});
  EXPECT_EQ(rolled_back.exit_code, 2) << rolled_back.err;
  EXPECT_THAT(rolled_back.err, HasSubstr("nothing was restored"));
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.parent"), rows_before);
}

// Disabling FOREIGN KEY triggers needs a superuser: a table owner gets a clear error before
// any data is loaded, and --superuser names a role to SET ROLE to.
TEST_F(RestoreDataOnlyTest, DisableTriggersAsTableOwnerNeedsSuperuserForForeignKeys) {
  ASSERT_NO_FATAL_FAILURE(Seed(
      "CREATE SCHEMA s; CREATE TABLE s.parent (id integer PRIMARY KEY);"
      "CREATE TABLE s.child (id integer PRIMARY KEY, parent_id integer REFERENCES s.parent);",
      "INSERT INTO s.parent SELECT generate_series(1, 100); INSERT INTO s.child SELECT g, g FROM generate_series(1, 100) g;"));
  ScratchDatabase target("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
  auto conn = target.Connect();
  ASSERT_OK(conn->Execute(
      "DO $$ BEGIN CREATE ROLE pgark_data_owner LOGIN; "
      "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
      "GRANT USAGE ON SCHEMA s TO pgark_data_owner; "
      "ALTER TABLE s.parent OWNER TO pgark_data_owner; ALTER TABLE s.child OWNER TO pgark_data_owner;"));
  const std::string owner = absl::StrCat(target.conninfo(), " user=pgark_data_owner");
  if (!pg::Connection::Open(owner).ok()) GTEST_SKIP() << "cannot log in as a plain role here";
  const std::string states = Scalar(*conn, kTriggerStates);
  auto refused = RunCommand({PGARK_BINARY, "restore", "--section", "data", "--disable-triggers", "-d", owner, path_});
  EXPECT_EQ(refused.exit_code, 7) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("disabling the triggers of table s."));
  EXPECT_THAT(refused.err, HasSubstr("SQLSTATE 42501"));
  EXPECT_THAT(refused.err, HasSubstr("--superuser"));
  EXPECT_THAT(refused.err, HasSubstr("no data was loaded"));
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.parent"), "0");
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);

  // Without --disable-triggers the owner loads in FOREIGN KEY order.
  auto plain = RunCommand({PGARK_BINARY, "restore", "--section", "data", "-j", "2", "-d", owner, path_});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.child"), "100");

  // --superuser: a role the owner may SET ROLE to.
  const std::string super = Scalar(*conn, "SELECT current_user");
  ASSERT_OK(conn->Execute(absl::StrCat("GRANT ", super, " TO pgark_data_owner")));
  auto as_super = RunCommand({PGARK_BINARY, "restore", "--section", "data", "--clean", "--disable-triggers",
                              "--superuser", super, "-d", owner, path_});
  ASSERT_OK(conn->Execute(absl::StrCat("REVOKE ", super, " FROM pgark_data_owner")));
  ASSERT_EQ(as_super.exit_code, 0) << as_super.err;
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.child"), "100");
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);
  auto usage = RunCommand({PGARK_BINARY, "restore", "--section", "data", "--superuser", super, "-d", owner, path_});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--superuser is only used with --disable-triggers"));
}

// Triggers that fire during the load (no --disable-triggers), as with pg_restore: rows a
// trigger writes into another loaded table stay and do not count as a difference of that
// table's COPY; a BEFORE trigger that skips rows is a row-count difference (exit 5) whose
// message says why and what to do.
TEST_F(RestoreDataOnlyTest, FiringTriggersKeepTheRowCountChecksMeaningful) {
  ASSERT_NO_FATAL_FAILURE(Seed(
      "CREATE SCHEMA s; CREATE TABLE s.parent (id integer PRIMARY KEY);"
      "CREATE TABLE s.log (what text);"
      "CREATE FUNCTION s.log_parent() RETURNS trigger LANGUAGE plpgsql AS "
      "  $$ BEGIN INSERT INTO s.log VALUES ('parent ' || NEW.id); RETURN NEW; END $$;"
      "CREATE FUNCTION s.skip_odd() RETURNS trigger LANGUAGE plpgsql AS "
      "  $$ BEGIN IF NEW.id % 2 = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$;",
      "INSERT INTO s.parent SELECT generate_series(1, 100); INSERT INTO s.log VALUES ('archived');"
      "CREATE TRIGGER parent_log AFTER INSERT ON s.parent FOR EACH ROW EXECUTE FUNCTION s.log_parent();"));
  ScratchDatabase target("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
  auto conn = target.Connect();
  for (const char* jobs : {"1", "2"}) {
    auto loaded = RestoreData(target, {"--clean", "-j", jobs});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    EXPECT_THAT(loaded.err, HasSubstr("the triggers of s.parent fire while their data loads"));
    // The archive's row plus one per parent row, whatever the order.
    EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.log"), "101");
  }
  ASSERT_OK(conn->Execute(
      "CREATE TRIGGER parent_skip BEFORE INSERT ON s.parent FOR EACH ROW EXECUTE FUNCTION s.skip_odd()"));
  auto skipped = RestoreData(target, {"--clean", "-t", "parent"});
  EXPECT_EQ(skipped.exit_code, 5) << skipped.err;
  EXPECT_THAT(skipped.err, HasSubstr("records 100 rows but COPY loaded 50"));
  EXPECT_THAT(skipped.err, HasSubstr("BEFORE INSERT trigger that returns NULL skips rows"));
  auto disabled = RestoreData(target, {"--clean", "-t", "parent", "--disable-triggers"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.parent"), "100");
}

// Ctrl-C (SIGINT) during a --disable-triggers load stops it like a failure: the running COPY
// is cancelled, the triggers are put back, exit 130. Before: the first SIGINT was ignored by
// restore (the load ran on), only a second one ended the process, with the triggers disabled.
TEST_F(RestoreDataOnlyTest, InterruptPutsTheTriggersBack) {
  ASSERT_NO_FATAL_FAILURE(Seed(
      "CREATE SCHEMA s; CREATE TABLE s.parent (id integer PRIMARY KEY);"
      "CREATE TABLE s.slow (id integer, parent_id integer REFERENCES s.parent);"
      "CREATE FUNCTION s.slowly(v integer) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(0.002) IS NOT NULL';",
      "INSERT INTO s.parent SELECT generate_series(1, 10);"
      "INSERT INTO s.slow SELECT g, 1 + g % 10 FROM generate_series(1, 20000) g;"));
  ScratchDatabase target("dodst");
  ASSERT_NO_FATAL_FAILURE(RestoreSchema(target));
  auto conn = target.Connect();
  // 20,000 rows at 2 ms each: 40 s unless interrupted.
  ASSERT_OK(conn->Execute("ALTER TABLE s.slow ADD CHECK (s.slowly(id)) NOT VALID"));
  const std::string states = Scalar(*conn, kTriggerStates);
  EXPECT_THAT(states, HasSubstr("s.slow.RI=O"));
  auto interrupted = RunShell(absl::StrCat(PGARK_BINARY, " restore --section data --disable-triggers -j 2 -d '",
                                           target.conninfo(), "' ", path_, " & pid=$!; sleep 2; kill -INT $pid; wait $pid"));
  EXPECT_EQ(interrupted.exit_code, 130) << interrupted.err;
  EXPECT_THAT(interrupted.err, HasSubstr("interrupted"));
  EXPECT_EQ(Scalar(*conn, kTriggerStates), states);
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM s.slow"), "0");
}

}  // namespace
}  // namespace pgark
