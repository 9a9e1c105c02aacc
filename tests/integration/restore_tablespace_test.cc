// Tablespaces and index storage options through `pgark dump` and `pgark restore` (real
// binaries, real server), and the restore options for another environment: --no-tablespaces,
// --no-comments, --no-security-labels, --no-publications, --no-subscriptions.
//
// Tablespaces are in-place (allow_in_place_tablespaces): they need no directory owned by the
// server. The developer setting came with 15 and was backpatched to the August 2022 minor
// releases 14.5, 13.8 and 12.12 (PostgreSQL commits of 2022-07-27 "Allow \"in place\"
// tablespaces"); older minors lack it and skip. The referee is the server's pg_dump -s, which prints
// `SET default_tablespace` before every placed object and the WITH options of indexes.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/cluster_lock.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::DigestOf;
using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

class RestoreTablespaceTest : public ::testing::Test {
 protected:
  // First member: a tablespace is a cluster-wide object (GlobalsTest compares pg_dumpall -g
  // before and after its restore; a tablespace made meanwhile failed it once).
  ::pgark::testing::ClusterObjectsLock cluster_lock_;
  void SetUp() override {
    admin_ = PgTestServer::Get().ConnectMaintenance();
    if (Scalar(*admin_, "SELECT count(*) FROM pg_settings WHERE name = 'allow_in_place_tablespaces'") != "1") {
      GTEST_SKIP() << "in-place tablespaces need allow_in_place_tablespaces (15, 14.5, 13.8, 12.12 and later)";
    }
    tablespace_ = absl::StrCat("pgark_ts_", getpid());
    ASSERT_OK(admin_->Execute("SET allow_in_place_tablespaces = on"));
    ASSERT_OK(admin_->Execute(absl::StrCat("CREATE TABLESPACE ", tablespace_, " LOCATION ''")));
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_tablespace_", getpid(), ".pgark");
  }
  void TearDown() override {
    std::remove(path_.c_str());
    // The test's databases are gone by now (locals of the test body).
    if (admin_) admin_->Execute(absl::StrCat("DROP TABLESPACE IF EXISTS ", tablespace_)).IgnoreError();
  }

  // Tables, a partitioned table, indexes, index-backed constraints with storage options
  // (PRIMARY KEY, UNIQUE DEFERRABLE, EXCLUDE) and a materialized view in the tablespace;
  // rows; a comment, a publication and a subscription (not connected).
  void Seed(pg::Connection& conn) {
    const std::string& ts = tablespace_;
    ASSERT_OK(conn.Execute(absl::StrCat(
        "CREATE TABLE public.t (a int, b int, CONSTRAINT t_pk PRIMARY KEY (a) WITH (fillfactor = 70) "
        "  USING INDEX TABLESPACE ", ts, ", CONSTRAINT t_u UNIQUE (b) INCLUDE (a)) TABLESPACE ", ts, ";"
        "CREATE TABLE public.t2 (id int, c circle, v text, EXCLUDE USING gist (c WITH &&) WITH (fillfactor = 80) "
        "  USING INDEX TABLESPACE ", ts, " DEFERRABLE INITIALLY DEFERRED) TABLESPACE ", ts, ";"
        "ALTER TABLE public.t2 ADD CONSTRAINT t2_u UNIQUE (id) WITH (fillfactor = 60) USING INDEX TABLESPACE ", ts,
        "  DEFERRABLE;"
        "CREATE INDEX t2_v ON public.t2 (v) WITH (fillfactor = 50) TABLESPACE ", ts, ";"
        "CREATE TABLE public.plain (id int PRIMARY KEY WITH (fillfactor = 90), note text);"
        "CREATE TABLE public.p (a int, b int) PARTITION BY RANGE (a) TABLESPACE ", ts, ";"
        "CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (100);"
        "ALTER TABLE public.p ADD PRIMARY KEY (a) USING INDEX TABLESPACE ", ts, ";"
        "CREATE MATERIALIZED VIEW public.mv TABLESPACE ", ts, " AS SELECT a, b FROM public.t;"
        "INSERT INTO public.t SELECT g, g FROM generate_series(1, 500) g;"
        "INSERT INTO public.t2 SELECT g, circle(point(g * 10, 0), 1), g::text FROM generate_series(1, 200) g;"
        "INSERT INTO public.plain SELECT g, 'n' || g FROM generate_series(1, 100) g;"
        "INSERT INTO public.p SELECT g, g FROM generate_series(0, 99) g;"
        "REFRESH MATERIALIZED VIEW public.mv;"
        "COMMENT ON TABLE public.t IS 'tee';"
        "CREATE PUBLICATION ts_pub FOR TABLE public.t;")));
    ASSERT_OK(conn.Execute(absl::StrCat("CREATE SUBSCRIPTION ts_sub_", getpid(),
                                        " CONNECTION 'dbname=nowhere' PUBLICATION ts_pub "
                                        "WITH (connect = false, slot_name = NONE, enabled = false)")));
  }

  // Subscriptions keep DROP DATABASE from running.
  static void DropSubscriptions(pg::Connection& conn) {
    auto subs = conn.Query("SELECT quote_ident(subname) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid "
                           "WHERE d.datname = current_database()");
    ASSERT_OK(subs.status());
    for (int row = 0; row < subs->rows(); ++row) {
      ASSERT_OK(conn.Execute(absl::StrCat("DROP SUBSCRIPTION ", subs->Get(row, 0))));
    }
  }

  static std::string PlacedRelations(pg::Connection& conn) {
    return Scalar(conn,
                  "SELECT string_agg(c.relname || '@' || t.spcname, ',' ORDER BY c.relname) FROM pg_class c "
                  "JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relnamespace = 'public'::regnamespace");
  }
  static std::string IndexOptions(pg::Connection& conn) {
    return Scalar(conn,
                  "SELECT string_agg(c.relname || '=' || array_to_string(c.reloptions, ';'), ',' ORDER BY c.relname) "
                  "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('i', 'I') "
                  "AND c.reloptions IS NOT NULL");
  }
  static void ExpectSameData(pg::Connection& source, pg::Connection& target) {
    for (const char* relation : {"ONLY public.t", "ONLY public.t2", "ONLY public.plain", "ONLY public.p1", "public.mv"}) {
      EXPECT_EQ(DigestOf(target, relation), DigestOf(source, relation)) << relation;
    }
  }

  std::string tablespace_, path_;
  std::unique_ptr<pg::Connection> admin_;
};

TEST_F(RestoreTablespaceTest, PlacementAndIndexOptionsRoundTrip) {
  ScratchDatabase source_db("tssrc");
  auto source = source_db.Connect();
  ASSERT_NO_FATAL_FAILURE(Seed(*source));
  const std::string placed = PlacedRelations(*source);
  // Every kind of placed object is in the tablespace on the source.
  for (const char* name : {"t@", "t_pk@", "t2@", "t2_c_excl@", "t2_u@", "t2_v@", "p@", "p1@", "p_pkey@", "mv@"}) {
    EXPECT_THAT(placed, HasSubstr(name));
  }
  const std::string options = IndexOptions(*source);
  EXPECT_THAT(options, HasSubstr("t_pk=fillfactor=70"));
  EXPECT_THAT(options, HasSubstr("plain_pkey=fillfactor=90"));

  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db.conninfo(), "-f", path_, "-j", "2"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  {
    ScratchDatabase target_db("tsdst");
    auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target_db.conninfo(), "-j", "2", path_});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    auto target = target_db.Connect();
    // Before 2026-11-25 the constraints' indexes came back in the default tablespace and
    // without their fillfactor (pg_get_constraintdef prints neither).
    EXPECT_EQ(PlacedRelations(*target), placed);
    EXPECT_EQ(IndexOptions(*target), options);
    EXPECT_EQ(SchemaDump(target_db.name()), SchemaDump(source_db.name()));
    ExpectSameData(*source, *target);
    EXPECT_EQ(Scalar(*target, "SELECT obj_description('public.t'::regclass)"), "tee");
    DropSubscriptions(*target);
  }
  {
    // Another environment: no tablespaces, comments, publications or subscriptions.
    ScratchDatabase target_db("tsdst2");
    auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target_db.conninfo(), "-j", "2", "--no-tablespaces",
                               "--no-comments", "--no-security-labels", "--no-publications", "--no-subscriptions",
                               path_});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    auto target = target_db.Connect();
    EXPECT_EQ(PlacedRelations(*target), "");
    EXPECT_EQ(IndexOptions(*target), options);  // storage options are not placement
    ExpectSameData(*source, *target);
    EXPECT_EQ(Scalar(*target, "SELECT coalesce(obj_description('public.t'::regclass), 'none')"), "none");
    EXPECT_EQ(Scalar(*target, "SELECT count(*) FROM pg_publication"), "0");
    EXPECT_EQ(Scalar(*target, "SELECT count(*) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid "
                              "WHERE d.datname = current_database()"),
              "0");
  }
  DropSubscriptions(*source);
}

// An archive written before tablespaces were recorded apart has the clause inside its
// statements: --no-tablespaces cannot take it out and refuses before changing anything.
TEST_F(RestoreTablespaceTest, NoTablespacesRefusesAnOlderArchiveThatNamesThem) {
  ScratchDatabase source_db("tsold");
  auto source = source_db.Connect();
  testing::ArchiveSpec spec;
  spec.catalog.database = source_db.name();
  spec.catalog.server_version = PgTestServer::Get().server_version();
  spec.catalog.server_encoding = "UTF8";
  spec.catalog.item_tablespaces = false;
  catalog::CatalogItem table;
  table.id = "TABLE public.old_t";
  table.kind = catalog::ObjectKind::kTable;
  table.schema = "public";
  table.name = "old_t";
  table.section = catalog::Section::kPreData;
  table.create_sql = absl::StrCat("CREATE TABLE public.old_t (\n    a integer\n)\nTABLESPACE ", tablespace_, ";\n");
  spec.catalog.items.push_back(table);
  ASSERT_OK_AND_ASSIGN(std::string bytes, testing::BuildArchive(*source, spec));
  const std::string old_path = testing::WriteTempFile(absl::StrCat("pgark_ts_old_", getpid(), ".pgark"), bytes);

  ScratchDatabase target_db("tsold2");
  auto refused = RunCommand({PGARK_BINARY, "restore", "--no-tablespaces", "-d", target_db.conninfo(), old_path});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("TABLE public.old_t names its tablespace"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was changed"));
  auto target = target_db.Connect();
  EXPECT_EQ(Scalar(*target, "SELECT count(*) FROM pg_class WHERE relname = 'old_t'"), "0");

  // Without the option the old archive restores as before, into its tablespace.
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target_db.conninfo(), old_path});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(PlacedRelations(*target), absl::StrCat("old_t@", tablespace_));
  std::remove(old_path.c_str());
}

}  // namespace
}  // namespace pgark
