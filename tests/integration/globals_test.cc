// Roles and tablespaces (`pgark dump --globals`, `pgark restore --globals`), with the
// server's own `pg_dumpall -g` as the referee (tests only). Roles are cluster-wide: every
// object here is named pgark_g*, and only lines naming them are compared.
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/globals.h"
#include "format/base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cluster_lock.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDropGlobals[] =
    "DROP ROLE IF EXISTS pgark_g_amy; DROP ROLE IF EXISTS pgark_g_zadmin; "
    "DROP ROLE IF EXISTS pgark_g_member; DROP ROLE IF EXISTS \"pgark_g Weird\"\"Name\"; "
    "DROP ROLE IF EXISTS pgark_g_admin;";

// The lines of a globals script that name this test's objects, comments dropped.
std::vector<std::string> OurLines(const std::string& script) {
  std::vector<std::string> lines;
  std::istringstream in(script);
  for (std::string line; std::getline(in, line);) {
    if (!absl::StartsWith(line, "--") && absl::StrContains(line, "pgark_g")) lines.push_back(line);
  }
  return lines;
}

// This test's roles, memberships, role settings and tablespace as the catalogs say them, one
// line each (a role's line names its CONNECTION LIMIT). The referee where pg_dumpall cannot
// be: pg_dumpall 15 refuses a 16+ server.
std::vector<std::string> CatalogGlobals(const std::string& conninfo) {
  auto conn = pg::Connection::Open(conninfo);
  EXPECT_TRUE(conn.ok()) << conn.status();
  if (!conn.ok()) return {};
  auto rows = (*conn)->Query(
      "SELECT 'ROLE ' || quote_ident(a.rolname) || ' CONNECTION LIMIT ' || a.rolconnlimit || ' ' || "
      "  (to_jsonb(a) - 'oid' - 'rolpassword')::text || ' comment ' || "
      "  COALESCE(shobj_description(a.oid, 'pg_authid'), '-') FROM pg_authid a WHERE a.rolname LIKE 'pgark_g%' "
      "UNION ALL SELECT 'MEMBER ' || quote_ident(r.rolname) || ' IN ' || quote_ident(m.rolname) || ' ' || "
      "  (to_jsonb(am) - 'oid' - 'roleid' - 'member' - 'grantor')::text || ' BY ' || g.rolname "
      "  FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member JOIN pg_roles m ON m.oid = am.roleid "
      "  JOIN pg_roles g ON g.oid = am.grantor WHERE r.rolname LIKE 'pgark_g%' OR m.rolname LIKE 'pgark_g%' "
      "UNION ALL SELECT 'SETTING ' || quote_ident(r.rolname) || ' ' || array_to_string(s.setconfig, ',') "
      "  FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
      "  WHERE s.setdatabase = 0 AND r.rolname LIKE 'pgark_g%' "
      "UNION ALL SELECT 'TABLESPACE ' || quote_ident(t.spcname) || ' ' || pg_get_userbyid(t.spcowner) || ' ' || "
      "  COALESCE(array_to_string(t.spcoptions, ','), '-') || ' ' || COALESCE(t.spcacl::text, '-') || ' ' || "
      "  COALESCE(shobj_description(t.oid, 'pg_tablespace'), '-') FROM pg_tablespace t WHERE t.spcname LIKE 'pgark_g%' "
      "ORDER BY 1");
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> lines;
  for (int row = 0; rows.ok() && row < rows->rows(); ++row) lines.emplace_back(rows->Get(row, 0));
  return lines;
}

// pg_dumpall -g's lines for this test's objects; where pg_dumpall refuses the server (16+),
// the catalog description above (each test compares one referee with itself).
std::vector<std::string> GlobalsReferee(const std::string& conninfo) {
  if (!PgTestServer::Get().SchemaRefereeIsPgDump()) return CatalogGlobals(conninfo);
  std::vector<std::string> argv = {PgTestServer::Get().client_bindir() + "/pg_dumpall", "-g", "--dbname=" + conninfo,
                                   "--no-role-passwords"};
  auto run = RunCommand(argv);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return OurLines(run.out);
}

std::vector<std::string> PgDumpallGlobals(const std::string& conninfo, bool passwords) {
  std::vector<std::string> argv = {PgTestServer::Get().client_bindir() + "/pg_dumpall", "-g", "--dbname=" + conninfo};
  if (!passwords) argv.push_back("--no-role-passwords");
  auto run = RunCommand(argv);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return OurLines(run.out);
}

class GlobalsTest : public ::testing::Test {
 protected:
  // First member: held before SetUp creates the roles, released after TearDown drops them
  // (the two GlobalsTest cases create the same roles; ctest runs them concurrently).
  ::pgark::testing::ClusterObjectsLock cluster_lock_;
  void SetUp() override {
    conn_ = db_.Connect();
    ASSERT_OK(conn_->Execute(kDropGlobals));
    conn_->Execute("DROP TABLESPACE IF EXISTS pgark_g_ts").IgnoreError();
    // In-place tablespaces (a developer option) need no directory owned by the server.
    ASSERT_OK(conn_->Execute("SET allow_in_place_tablespaces = on"));
    ASSERT_OK(conn_->Execute("CREATE TABLESPACE pgark_g_ts LOCATION ''"));
    ASSERT_OK(conn_->Execute(
        "ALTER TABLESPACE pgark_g_ts SET (seq_page_cost = 2, random_page_cost = 3);"
        "COMMENT ON TABLESPACE pgark_g_ts IS 'scratch space';"
        "GRANT CREATE ON TABLESPACE pgark_g_ts TO PUBLIC;"
        "CREATE ROLE pgark_g_admin LOGIN CREATEDB CONNECTION LIMIT 5 PASSWORD 'secret' VALID UNTIL 'infinity';"
        "CREATE ROLE \"pgark_g Weird\"\"Name\" NOINHERIT BYPASSRLS;"
        "CREATE ROLE pgark_g_member;"
        "GRANT pgark_g_admin TO \"pgark_g Weird\"\"Name\" WITH ADMIN OPTION;"
        "GRANT \"pgark_g Weird\"\"Name\" TO pgark_g_member;"
        "ALTER ROLE pgark_g_admin SET work_mem = '8MB';"
        "ALTER ROLE pgark_g_admin SET search_path = app, \"$user\", \"We ird\";"
        "COMMENT ON ROLE pgark_g_admin IS 'it''s the admin';"
        "CREATE TABLE public.t (a int); INSERT INTO public.t VALUES (1);"));
    dir_ = absl::StrCat(::testing::TempDir(), "/pgark_globals_", getpid());
    ASSERT_EQ(RunShell("mkdir -p '" + dir_ + "'").exit_code, 0);
  }
  void TearDown() override {
    conn_->Execute(kDropGlobals).IgnoreError();
    conn_->Execute("DROP TABLESPACE IF EXISTS pgark_g_ts").IgnoreError();
    RunShell("rm -rf '" + dir_ + "'");
  }

  ScratchDatabase db_{"glob"};
  std::unique_ptr<pg::Connection> conn_;
  std::string dir_;
};

TEST_F(GlobalsTest, ReadGlobalsPrintsWhatPgDumpallPrints) {
  for (const bool passwords : {false, true}) {
    SCOPED_TRACE(passwords ? "with passwords" : "without passwords");
    catalog::GlobalsOptions options;
    options.role_passwords = passwords;
    ASSERT_OK_AND_ASSIGN(catalog::Globals globals, catalog::ReadGlobals(*conn_, options));
    // Privileges print differently (pg_dumpall folds them into GRANT ALL; ours re-grant
    // entry by entry, as everywhere in the catalog): compared apart, by their effect.
    auto without_acl = [](std::vector<std::string> lines) {
      lines.erase(std::remove_if(lines.begin(), lines.end(),
                                 [](const std::string& l) { return absl::StrContains(l, " ON TABLESPACE "); }),
                  lines.end());
      return lines;
    };
    std::vector<std::string> ours = without_acl(OurLines(catalog::GlobalsSql(globals)));
    EXPECT_GE(ours.size(), 12u);
    if (PgTestServer::Get().SchemaRefereeIsPgDump()) {
      EXPECT_EQ(ours, without_acl(PgDumpallGlobals(db_.conninfo(), passwords)));
    }
    const std::string sql = catalog::GlobalsSql(globals);
    EXPECT_THAT(sql, HasSubstr("GRANT CREATE ON TABLESPACE pgark_g_ts TO PUBLIC;\n"));
    // password_encryption defaults to scram-sha-256 from 14 on, to md5 before.
    EXPECT_EQ(absl::StrContains(sql, conn_->server_version() >= 140000 ? "SCRAM-SHA-256$" : "PASSWORD 'md5"), passwords);
    // The JSON record round-trips.
    ASSERT_OK_AND_ASSIGN(catalog::Globals again, catalog::GlobalsFromJson(catalog::GlobalsToJson(globals)));
    EXPECT_EQ(catalog::GlobalsSql(again), sql);
  }
  EXPECT_THAT(catalog::GlobalsFromJson("{\"items\": [{\"kind\": \"nope\", \"name\": \"x\", \"sql\": \"\"}]}"),
              StatusIs(absl::StatusCode::kDataLoss));
  if (!PgTestServer::Get().SchemaRefereeIsPgDump()) {
    GTEST_SKIP() << "pg_dumpall " << PgTestServer::Get().client_major() << " refuses a PostgreSQL "
                 << PgTestServer::Get().server_version() / 10000
                 << " server: ReadGlobals' text was not compared with pg_dumpall -g (the rest was checked; "
                    "DumpAndRestoreRecreateRolesAndSkipExistingOnes compares the catalogs)";
  }
}

// Privileges on parameters (15+) are dumped, and replaying them gives the same ACL (compared by
// effect: like every ACL of the catalog they are re-granted entry by entry, where pg_dumpall
// folds them into GRANT ALL); what ReadGlobals does not reproduce warns: a role's security
// label (written directly: no label provider can be loaded here, docs/catalog.md).
TEST_F(GlobalsTest, ParameterPrivilegesReplayAndRoleLabelsWarn) {
  // GRANT ... ON PARAMETER and pg_parameter_acl are 15+; before, only the label half runs.
  const bool parameter_acls = conn_->server_version() >= 150000;
  constexpr char kGrant[] =
      "GRANT SET ON PARAMETER work_mem TO pgark_g_member;"
      "GRANT ALTER SYSTEM ON PARAMETER \"pgark_g.custom\" TO pgark_g_admin WITH GRANT OPTION;";
  constexpr char kRevoke[] =
      "REVOKE SET ON PARAMETER work_mem FROM pgark_g_member;"
      "REVOKE ALL ON PARAMETER \"pgark_g.custom\" FROM pgark_g_admin CASCADE;";
  constexpr char kAcls[] =
      "SELECT string_agg(parname || ' ' || paracl::text, '; ' ORDER BY parname) FROM pg_catalog.pg_parameter_acl "
      "WHERE parname IN ('work_mem', 'pgark_g.custom')";
  if (parameter_acls) {
    ASSERT_OK(conn_->Execute(kGrant));
  }
  ASSERT_OK(conn_->Execute(
      "INSERT INTO pg_catalog.pg_shseclabel SELECT oid, 'pg_catalog.pg_authid'::regclass, 'dummy', 'role label' "
      "FROM pg_catalog.pg_roles WHERE rolname = 'pgark_g_member'"));
  absl::StatusOr<catalog::Globals> read = catalog::ReadGlobals(*conn_, {});
  absl::StatusOr<pg::Result> granted = conn_->Query(parameter_acls ? kAcls : "SELECT NULL");
  // Shared catalogs: undone before anything can fail (DROP ROLE in TearDown needs it too).
  ASSERT_OK(conn_->Execute(
      std::string(parameter_acls ? kRevoke : "") +
      "DELETE FROM pg_catalog.pg_shseclabel WHERE classoid = 'pg_catalog.pg_authid'::regclass "
      "AND objoid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'pgark_g_member')"));
  ASSERT_OK(read.status());
  ASSERT_OK(granted.status());
  EXPECT_THAT(read->warnings,
              ::testing::ElementsAre(HasSubstr("security label(s) on roles or tablespaces are not dumped")));
  std::string replay;
  std::vector<std::string> names;
  for (const catalog::GlobalItem& item : read->items) {
    if (item.kind != catalog::GlobalItem::Kind::kParameterPrivileges) continue;
    if (item.name != "work_mem" && item.name != "pgark_g.custom") continue;
    names.push_back(item.name);
    replay += item.sql;
  }
  if (!parameter_acls) {
    EXPECT_THAT(names, ::testing::IsEmpty());
    return;
  }
  EXPECT_THAT(names, ::testing::ElementsAre("pgark_g.custom", "work_mem"));
  EXPECT_THAT(replay, HasSubstr("GRANT SET ON PARAMETER work_mem TO pgark_g_member;\n"));
  ASSERT_OK(conn_->Execute(replay));
  absl::StatusOr<pg::Result> replayed = conn_->Query(kAcls);
  conn_->Execute(kRevoke).IgnoreError();
  ASSERT_OK(replayed.status());
  EXPECT_EQ(replayed->Get(0, 0), granted->Get(0, 0));
  EXPECT_THAT(std::string(granted->Get(0, 0)), HasSubstr("pgark_g_admin=A*/postgres"));
}

// PostgreSQL 16+ accepts "GRANT r TO m GRANTED BY g" only once g holds ADMIN OPTION on r, so
// a grant by a member comes after the grant that made it an admin, whatever the names' order
// (on 15 the server records any grantor a superuser names, which lets this test build it).
TEST_F(GlobalsTest, MembershipsGrantedByAnAdminFollowItsAdminGrant) {
  ASSERT_OK(conn_->Execute(
      "CREATE ROLE pgark_g_zadmin; CREATE ROLE pgark_g_amy;"
      "GRANT pgark_g_member TO pgark_g_zadmin WITH ADMIN OPTION;"
      "GRANT pgark_g_member TO pgark_g_amy GRANTED BY pgark_g_zadmin;"));
  absl::StatusOr<catalog::Globals> read = catalog::ReadGlobals(*conn_, {});
  ASSERT_OK(conn_->Execute("DROP ROLE pgark_g_amy; DROP ROLE pgark_g_zadmin;"));
  ASSERT_OK(read.status());
  const std::string sql = catalog::GlobalsSql(*read);
  const size_t admin_grant = sql.find("GRANT pgark_g_member TO pgark_g_zadmin WITH ADMIN OPTION");
  // 16+ also print the grant's INHERIT and SET options before GRANTED BY.
  const std::string member_options = conn_->server_version() >= 160000 ? "WITH INHERIT TRUE, SET TRUE " : "";
  const size_t member_grant =
      sql.find(absl::StrCat("GRANT pgark_g_member TO pgark_g_amy ", member_options, "GRANTED BY pgark_g_zadmin;"));
  ASSERT_NE(admin_grant, std::string::npos) << sql;
  ASSERT_NE(member_grant, std::string::npos) << sql;
  EXPECT_LT(admin_grant, member_grant) << sql;
}

TEST_F(GlobalsTest, DumpAndRestoreRecreateRolesAndSkipExistingOnes) {
  const std::string archive = dir_ + "/g.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "--globals", "-d", db_.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto listing = RunCommand({PGARK_BINARY, "restore", "-l", archive});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_THAT(listing.out, HasSubstr("; globals: ROLE pgark_g_admin\n"));
  EXPECT_THAT(listing.out, HasSubstr("; globals: TABLESPACE pgark_g_ts\n"));

  const std::vector<std::string> before = GlobalsReferee(db_.conninfo());
  ASSERT_OK(conn_->Execute(kDropGlobals));
  ASSERT_THAT(GlobalsReferee(db_.conninfo()), ::testing::Not(::testing::Contains(HasSubstr("ROLE"))));

  ScratchDatabase target("glob_dst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "--globals", "-d", target.conninfo(), archive});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("tablespace \"pgark_g_ts\" already exists: skipped"));
  EXPECT_THAT(restore.err, Not(HasSubstr("role \"pgark_g_admin\" already exists")));
  EXPECT_EQ(GlobalsReferee(db_.conninfo()), before);

  // Again into another database: every role exists now and is left alone, with a notice.
  ASSERT_OK(conn_->Execute("ALTER ROLE pgark_g_admin CONNECTION LIMIT 9"));
  ScratchDatabase second("glob_dst2");
  restore = RunCommand({PGARK_BINARY, "restore", "--globals", "-d", second.conninfo(), archive});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("role \"pgark_g_admin\" already exists: skipped"));
  EXPECT_THAT(restore.err, HasSubstr("role \"pgark_g Weird\"Name\" already exists: skipped"));
  EXPECT_THAT(GlobalsReferee(db_.conninfo()), ::testing::Contains(HasSubstr("CONNECTION LIMIT 9")));

  // --globals of an archive dumped without them is refused before anything is restored.
  const std::string plain = dir_ + "/p.pgark";
  ASSERT_EQ(RunCommand({PGARK_BINARY, "dump", "-d", db_.conninfo(), "-f", plain}).exit_code, 0);
  ScratchDatabase third("glob_dst3");
  restore = RunCommand({PGARK_BINARY, "restore", "--globals", "-d", third.conninfo(), plain});
  EXPECT_EQ(restore.exit_code, 4) << restore.err;  // kFailedPrecondition
  EXPECT_THAT(restore.err, HasSubstr("dump it with 'pgark dump --globals'"));
  auto third_conn = third.Connect();
  EXPECT_FALSE(third_conn->Query("SELECT 1 FROM public.t").ok());  // nothing restored
  EXPECT_EQ(RunCommand({PGARK_BINARY, "dump", "--role-passwords", "-d", db_.conninfo(), "-f", dir_ + "/x"}).exit_code,
            2);
}

// What pg_database and pg_db_role_setting say about `db`, names resolved (oids differ
// after a restore).
std::string DescribeDatabase(pg::Connection& conn, const std::string& db) {
  auto r = conn.QueryParams(
      "SELECT pg_catalog.pg_get_userbyid(d.datdba) || ' | ' || t.spcname || ' | ' || "
      "COALESCE(d.datacl::text, '-') || ' | ' || COALESCE(pg_catalog.shobj_description(d.oid, 'pg_database'), '-') "
      "|| ' | ' || d.datcollate || ' | ' || COALESCE((SELECT pg_catalog.string_agg(COALESCE(r.rolname, '*') || ':' "
      "|| pg_catalog.array_to_string(s.setconfig, ','), ';' ORDER BY r.rolname NULLS FIRST) "
      "FROM pg_catalog.pg_db_role_setting s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole "
      "WHERE s.setdatabase = d.oid), '-') "
      "FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1",
      {db});
  if (!r.ok() || r->rows() != 1) return "missing";
  return std::string(r->Get(0, 0));
}

// `restore --globals -C` onto a server without the database's owner: the roles come
// first, then the database with its owner, tablespace, settings, comment and privileges,
// then its objects; roles that exist by then are skipped with a notice. Names here avoid
// "pgark_g" (GlobalsTest compares every line naming that prefix, possibly concurrently).
TEST(GlobalsCreateTest, CreateRestoresRolesFirstThenTheDatabaseAsDumped) {
  // Its dump --globals reads every role, and its restores create them: not while GlobalsTest
  // creates and drops its own.
  ::pgark::testing::ClusterObjectsLock cluster_lock;
  auto admin = PgTestServer::Get().ConnectMaintenance();
  const std::string db = absl::StrCat("pgark_cgsrc_", getpid());
  // DROP DATABASE cannot run in a multi-statement string (an implicit transaction).
  auto drop_all = [&]() -> absl::Status {
    PGARK_RETURN_IF_ERROR(admin->Execute(absl::StrCat("DROP DATABASE IF EXISTS ", db)));
    return admin->Execute("DROP ROLE IF EXISTS pgark_cgowner; DROP ROLE IF EXISTS pgark_cgreader;");
  };
  auto cleanup = [&] {
    drop_all().IgnoreError();
    admin->Execute("DROP TABLESPACE IF EXISTS pgark_cgts").IgnoreError();
  };
  cleanup();
  ASSERT_OK(admin->Execute("SET allow_in_place_tablespaces = on"));
  ASSERT_OK(admin->Execute("CREATE TABLESPACE pgark_cgts LOCATION ''"));
  ASSERT_OK(admin->Execute("CREATE ROLE pgark_cgowner; CREATE ROLE pgark_cgreader;"));
  ASSERT_OK(admin->Execute(absl::StrCat("CREATE DATABASE ", db, " OWNER pgark_cgowner TABLESPACE pgark_cgts")));
  ASSERT_OK(admin->Execute(absl::StrCat(
      "ALTER DATABASE ", db, " SET work_mem = '3MB';"
      "ALTER DATABASE ", db, " SET search_path = app, \"$user\";"
      "ALTER ROLE pgark_cgreader IN DATABASE ", db, " SET statement_timeout = '7s';"
      "COMMENT ON DATABASE ", db, " IS 'the source';"
      "REVOKE CONNECT ON DATABASE ", db, " FROM PUBLIC;"
      "GRANT CONNECT ON DATABASE ", db, " TO pgark_cgreader;")));
  const std::string conninfo = PgTestServer::Get().Conninfo(db);
  {
    pg::ConnectOptions options;
    ASSERT_OK_AND_ASSIGN(auto src, pg::Connection::Open(conninfo, options));
    ASSERT_OK(src->Execute("CREATE TABLE public.t (a int); INSERT INTO public.t VALUES (1), (2);"
                           "ALTER TABLE public.t OWNER TO pgark_cgowner;"));
  }
  // Would make every restore session read-only if the restore did not override it.
  ASSERT_OK(admin->Execute(absl::StrCat("ALTER DATABASE ", db, " SET default_transaction_read_only = on")));
  const std::string before = DescribeDatabase(*admin, db);
  ASSERT_THAT(before, HasSubstr("pgark_cgowner | pgark_cgts | "));

  const std::string dir = absl::StrCat(::testing::TempDir(), "/pgark_globals_create_", getpid());
  ASSERT_EQ(RunShell("mkdir -p '" + dir + "'").exit_code, 0);
  const std::string archive = dir + "/c.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "--globals", "-d", conninfo, "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  // The target lacks the database and both roles (the tablespace stays: it needs a directory).
  ASSERT_OK(drop_all());
  const std::string maintenance = PgTestServer::Get().Conninfo("postgres");
  auto restore = RunCommand({PGARK_BINARY, "restore", "--globals", "-C", "-d", maintenance, archive});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("tablespace \"pgark_cgts\" already exists: skipped"));
  EXPECT_EQ(DescribeDatabase(*admin, db), before);
  {
    pg::ConnectOptions options;
    ASSERT_OK_AND_ASSIGN(auto restored, pg::Connection::Open(conninfo, options));
    ASSERT_OK_AND_ASSIGN(pg::Result t, restored->Query(
        "SELECT pg_catalog.count(*)::text || ' ' || (SELECT pg_catalog.pg_get_userbyid(relowner) "
        "FROM pg_catalog.pg_class WHERE oid = 'public.t'::pg_catalog.regclass) FROM public.t"));
    EXPECT_EQ(t.Get(0, 0), "2 pgark_cgowner");
  }

  // Again with --clean: the roles exist now and are reported, not an error.
  restore = RunCommand({PGARK_BINARY, "restore", "--globals", "-C", "--clean", "-d", maintenance, archive});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("role \"pgark_cgowner\" already exists: skipped"));
  EXPECT_EQ(DescribeDatabase(*admin, db), before);

  // Without --globals the missing owner is a clear error before anything is created.
  ASSERT_OK(drop_all());
  restore = RunCommand({PGARK_BINARY, "restore", "-C", "-d", maintenance, archive});
  EXPECT_NE(restore.exit_code, 0);
  EXPECT_THAT(restore.err, HasSubstr("restore with --globals, or -O"));
  EXPECT_EQ(DescribeDatabase(*admin, db), "missing");
  // -O (--no-owner): created, owned by the restoring user.
  restore = RunCommand({PGARK_BINARY, "restore", "-C", "-O", "-x", "-d", maintenance, archive});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("role \"pgark_cgreader\" does not exist: its settings in database"));
  const std::string unowned = DescribeDatabase(*admin, db);
  EXPECT_THAT(unowned, Not(HasSubstr("pgark_cgowner")));
  EXPECT_THAT(unowned, HasSubstr(" | pgark_cgts | - | the source | "));  // -x: no privileges

  cleanup();
  RunShell("rm -rf '" + dir + "'");
}

}  // namespace
}  // namespace pgark
