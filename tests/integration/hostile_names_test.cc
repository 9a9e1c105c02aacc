// Hostile input: objects whose names and values carry quotes, semicolons, newlines,
// backslashes, psql meta-commands, unicode and reserved words must round-trip through
// `pgark dump | pgark restore` and `pgark export | psql`, and never break out of their SQL.
// Every payload that would escape tries to remove a canary directory (`\! rm -rf DIR`) or
// drop a schema, so an escape fails the test however it happens.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::Digest;
using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

// CANARY is a directory the payloads try to delete; ROLE a per-process role name.
constexpr char kHostileSql[] = R"sql(
CREATE TABLE public.victim (id int);
INSERT INTO public.victim VALUES (1), (2);
CREATE SCHEMA "s""; DROP SCHEMA public;--
\! rm -rf CANARY";
CREATE TYPE "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."type
\! rm -rf CANARY" AS ENUM ('it''s', E'line\n\\! rm -rf CANARY', 'ünï☃', 'select');
CREATE TABLE "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select" (
  "col""q" int PRIMARY KEY,
  "end" text,
  "new
line" "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."type
\! rm -rf CANARY",
  "back\slash\" text,
  "ünïcødé ☃ 表" text,
  "; DROP TABLE public.victim; --" text,
  CONSTRAINT "c'; DROP TABLE victim;--
\! rm -rf CANARY" CHECK ("col""q" > 0));
CREATE UNIQUE INDEX "idx
\! rm -rf CANARY" ON "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select" ("end");
CREATE TABLE public."ta
ble\\""" (id int REFERENCES "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select" ("col""q"));
CREATE FUNCTION public."f'); DROP TABLE victim;--
\! rm -rf CANARY"("arg""1" int, "order" text DEFAULT E'\\! rm -rf CANARY')
  RETURNS int LANGUAGE sql AS $f$ SELECT $1 + 1 $f$;
COMMENT ON TABLE public."ta
ble\\""" IS E'comment\n\\! rm -rf CANARY\n'';DROP TABLE public.victim;--';
COMMENT ON COLUMN "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select"."end" IS 'tail \';
ALTER TABLE "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select" OWNER TO ROLE;
GRANT SELECT ON public.victim TO ROLE;
GRANT USAGE ON SCHEMA "s""; DROP SCHEMA public;--
\! rm -rf CANARY" TO ROLE;
INSERT INTO "s""; DROP SCHEMA public;--
\! rm -rf CANARY"."select" VALUES
  (1, E'\n\\! rm -rf CANARY\n', E'line\n\\! rm -rf CANARY', E'\\.\n\\.', 'ü', E'\t;\r\n'),
  (2, E'x\n\\.\n\\! rm -rf CANARY', 'it''s', 'a\b', '表', NULL),
  (3, '\unrestrict nothing', 'select', E'\\\\', '"', '--');
INSERT INTO public."ta
ble\\""" VALUES (1), (3);
)sql";

class HostileNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phXXXXXX";  // short: names hold the canary path, 63 bytes at most
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    canary_ = dir_ + "/c";
    ASSERT_EQ(mkdir(canary_.c_str(), 0700), 0);
    role_ = absl::StrCat("rôle \"q\"; DROP ROLE postgres; --\n", getpid());
    admin_ = PgTestServer::Get().ConnectMaintenance();
    ASSERT_OK(admin_->Execute(absl::StrCat("CREATE ROLE ", admin_->QuoteIdentifier(role_))));
    // A dollar-quoted role name cannot be written into the raw SQL: substitute the quoted form.
    std::string sql = absl::StrReplaceAll(
        kHostileSql, {{"CANARY", canary_}, {"ROLE", admin_->QuoteIdentifier(role_)}});
    auto seed = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", source_.conninfo()}, {}, sql);
    ASSERT_EQ(seed.exit_code, 0) << seed.err;
    ASSERT_TRUE(CanaryAlive());
  }
  void TearDown() override {
    RunShell("rm -rf '" + dir_ + "'");
  }

  static std::string Psql() { return PgTestServer::Get().client_bindir() + "/psql"; }
  bool CanaryAlive() const {
    struct stat st;
    return stat(canary_.c_str(), &st) == 0;
  }

  // Same schema (pg_dump -s as referee), comments, and rows as the source.
  void ExpectSameAsSource(const ScratchDatabase& target) {
    EXPECT_TRUE(CanaryAlive());
    std::string schema = SchemaDump(target.name());
    EXPECT_EQ(schema, SchemaDump(source_.name()));
    EXPECT_THAT(schema, HasSubstr("\"ünïcødé ☃ 表\""));
    auto src = source_.Connect();
    auto dst = target.Connect();
    const std::string tables =
        "SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.relname), E'\\x01' ORDER BY n.nspname, c.relname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema')";
    std::string list = Scalar(*src, tables);
    EXPECT_EQ(Scalar(*dst, tables), list);
    std::vector<std::string> names = absl::StrSplit(list, '\x01');
    EXPECT_EQ(names.size(), 3u) << list;
    for (const std::string& name : names) EXPECT_EQ(Digest(*dst, name), Digest(*src, name)) << name;
    EXPECT_EQ(Scalar(*dst, "SELECT count(*) FROM public.victim"), "2");
    const std::string comments =
        "SELECT string_agg(description, '|' ORDER BY description) FROM pg_description d "
        "JOIN pg_class c ON c.oid = d.objoid WHERE d.classoid = 'pg_class'::regclass";
    EXPECT_EQ(Scalar(*dst, comments), Scalar(*src, comments));
    const std::string owner =
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'select'";
    EXPECT_EQ(Scalar(*dst, owner), role_);
  }

  // Drops the role after the source database is gone (members die in reverse order).
  struct RoleDropper {
    ~RoleDropper() {
      if (admin && !role->empty()) {
        (void)admin->Execute(absl::StrCat("DROP ROLE IF EXISTS ", admin->QuoteIdentifier(*role)));
      }
    }
    std::unique_ptr<pg::Connection>& admin;
    std::string* role;
  };

  std::string dir_, canary_, role_;
  std::unique_ptr<pg::Connection> admin_;
  RoleDropper role_dropper_{admin_, &role_};
  ScratchDatabase source_{"hostile_src"};
};

TEST_F(HostileNamesTest, DumpAndRestoreRoundTrip) {
  std::string archive = dir_ + "/hostile.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_.conninfo(), "-f", archive, "-j", "2"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  for (const char* jobs : {"1", "3"}) {
    ScratchDatabase target("hostile_dst");
    auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", jobs, archive});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    ExpectSameAsSource(target);
  }
  // `inspect` prints names on one line each: a newline inside a name must not forge a line.
  auto inspect = RunCommand({PGARK_BINARY, "inspect", archive});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  for (absl::string_view line : absl::StrSplit(inspect.out, '\n')) {
    EXPECT_FALSE(absl::StartsWith(line, "\\!")) << inspect.out;
  }
}

TEST_F(HostileNamesTest, ExportReplaysThroughPsqlInRestrictedMode) {
  std::string gz = dir_ + "/hostile.sql.gz";
  auto run = RunCommand({PGARK_BINARY, "export", "-d", source_.conninfo(), "-f", gz, "-j", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string script = RunCommand({"zcat", gz}).out;

  // \restrict <key> first, \unrestrict <same key> last; the key is 63 [A-Za-z0-9].
  std::vector<std::string> lines = absl::StrSplit(script, '\n');
  std::string key;
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "\\restrict ")) {
      key = line.substr(10);
      break;
    }
    ASSERT_TRUE(line.empty() || absl::StartsWith(line, "--")) << "before \\restrict: " << line;
  }
  ASSERT_EQ(key.size(), 63u) << script.substr(0, 300);
  EXPECT_TRUE(std::all_of(key.begin(), key.end(), [](char c) { return absl::ascii_isalnum(c); }));
  EXPECT_TRUE(absl::EndsWith(script, absl::StrCat("\n\\unrestrict ", key, "\n")));
  // The banner comment of a name with a newline is flattened onto one line (a newline
  // would end the comment and run the rest of the name).
  EXPECT_THAT(script, HasSubstr("-- TABLE public.ta ble\\\\\"\n--\n"));
  EXPECT_THAT(script, ::testing::Not(HasSubstr("public.ta\nble")));

  // A second export gets a different key.
  auto again = RunCommand({PGARK_BINARY, "export", "-d", source_.conninfo(), "-f", "-", "-j", "1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto again_script = RunCommand({"zcat"}, {}, again.out);
  EXPECT_THAT(again_script.out, HasSubstr("\\restrict "));
  EXPECT_THAT(again_script.out, ::testing::Not(HasSubstr(key)));

  ScratchDatabase target("hostile_exp");
  auto replay = RunShell("gunzip -c '" + gz + "' | '" + Psql() + "' -X -q -v ON_ERROR_STOP=1 -d '" +
                         target.conninfo() + "'");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  ExpectSameAsSource(target);
}

TEST_F(HostileNamesTest, RestrictedModeBlocksAnInjectedMetaCommand) {
  // What a malicious source server could smuggle into the body of a script (a forged
  // function body or name): psql must refuse it between \restrict and \unrestrict.
  auto run = RunCommand({PGARK_BINARY, "export", "-d", source_.conninfo(), "-f", "-"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string script = RunCommand({"zcat"}, {}, run.out).out;
  size_t body = script.find("SET statement_timeout");
  ASSERT_NE(body, std::string::npos);
  script.insert(body, absl::StrCat("\\! rm -rf '", canary_, "'\n"));
  ScratchDatabase target("hostile_inj");
  auto replay = RunCommand({Psql(), "-X", "-q", "-d", target.conninfo()}, {}, script);
  EXPECT_THAT(replay.err, HasSubstr("restricted"));
  EXPECT_TRUE(CanaryAlive());
  // Without ON_ERROR_STOP psql goes on after the refused line: the rest still loads.
  EXPECT_EQ(Scalar(*target.Connect(), "SELECT count(*) FROM public.victim"), "2");
}

}  // namespace
}  // namespace pgark
