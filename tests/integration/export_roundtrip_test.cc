// `pgark export` end to end: the conformance corpus plus a table of many types exported from
// a live database, checked as gzip by independent readers (gzip -t, zcat, Python's gzip),
// replayed with real psql under ON_ERROR_STOP into an empty database, and compared with the
// source (schema with pg_dump -s as referee, per-table digests, sequences, large objects).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

// Values chosen to stress text COPY and the script: escapes, NULLs, arrays, time zones, money.
constexpr char kTypesSql[] = R"sql(
CREATE SCHEMA "Export ""Types""";
CREATE TYPE "Export ""Types""".color AS ENUM ('red', 'green', 'it''s');
CREATE TABLE "Export ""Types""".many (
  id bigserial PRIMARY KEY, "order" text, b bytea, n numeric, f float8, r real, ts timestamptz,
  t timestamp, d date, i interval, j jsonb, arr text[], ia int[][], ir int4range, c "Export ""Types""".color,
  m money, ip inet, bits varbit, tsv tsvector, u uuid, x xml, pt point, mr int4multirange);
INSERT INTO "Export ""Types""".many ("order", b, n, f, r, ts, t, d, i, j, arr, ia, ir, c, m, ip, bits, tsv, u, x, pt, mr)
SELECT E'tab\there\nnewline \\ backslash ' || g, decode(md5(g::text), 'hex'), g * 1.5, g / 7.0, g / 3.0,
       '2020-01-01 00:00:00+05:30'::timestamptz + g * interval '1 hour', '0044-03-15 BC'::timestamp,
       'infinity'::date, make_interval(days => g, secs => g / 3.0), jsonb_build_object('k', g, 's', E'a\nb'),
       ARRAY['a', NULL, 'b c', ''], ARRAY[[g, g + 1], [g + 2, NULL]], int4range(g, g + 10), 'it''s',
       g * 100.25, '10.0.0.1/8', B'1011', to_tsvector('simple', 'fat cat ' || g),
       md5(g::text)::uuid, '<a>x</a>', point(g, -g), int4multirange(int4range(1, 3), int4range(g + 5, g + 9))
FROM generate_series(1, 3000) g;
INSERT INTO "Export ""Types""".many ("order") VALUES (NULL), ('\N'), ('\.');
CREATE TABLE "Export ""Types""".empty_table (a int);
CREATE SEQUENCE "Export ""Types""".counter START 7;
SELECT nextval('"Export ""Types""".counter') FROM generate_series(1, 5);
SELECT lo_from_bytea(0, decode(repeat('ab', 3000000), 'hex'));
SELECT lo_from_bytea(0, '');
)sql";

std::string Psql() { return PgTestServer::Get().bindir() + "/psql"; }

void Seed(const ScratchDatabase& db) {
  std::vector<std::string> files;
  std::string corpus = std::string(PGARK_SOURCE_DIR) + "/tests/corpus";
  if (DIR* dir = opendir(corpus.c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") files.push_back(name);
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  int major = PgTestServer::Get().server_version() / 10000;
  for (const std::string& name : files) {
    if (name.rfind("pg", 0) == 0 && name.find("_plus") != std::string::npos &&
        std::atoi(name.c_str() + 2) > major) {
      continue;
    }
    auto r = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.conninfo(), "-f",
                         corpus + "/" + name});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
  auto r = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.conninfo()}, {},
                      kTypesSql);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

class ExportRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-export-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { RunShell("rm -rf '" + dir_ + "'"); }

  // Replays `gz` into a new database and compares it with `src`.
  void ReplayAndCompare(const ScratchDatabase& src, const std::string& gz) {
    ScratchDatabase dst("exp_dst");
    auto replay = RunShell("gunzip -c '" + gz + "' | '" + Psql() +
                           "' -X -q -v ON_ERROR_STOP=1 -d '" + dst.conninfo() + "'");
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_THAT(replay.err, ::testing::Not(HasSubstr("ERROR")));
    auto compare = RunCommand({"bash", "-c",
        ". '" PGARK_SOURCE_DIR "/tools/lib/compare.sh'; PGARK_REFEREE_BINDIR='" +
        PgTestServer::Get().bindir() + "' compare_databases '" + src.conninfo() + "' '" +
        dst.conninfo() + "'"});
    EXPECT_EQ(compare.exit_code, 0) << compare.err;
  }

  std::string dir_;
};

TEST_F(ExportRoundTripTest, LiveDatabaseReplaysIdenticallyThroughPsql) {
  ScratchDatabase src("exp_src");
  ASSERT_NO_FATAL_FAILURE(Seed(src));
  std::string gz = dir_ + "/out.sql.gz";
  auto run = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz, "-j", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("exported"));
  // Independent gzip readers accept the multi-member file and agree on its contents.
  auto test = RunCommand({"gzip", "-t", gz});
  EXPECT_EQ(test.exit_code, 0) << test.err;
  auto zcat = RunCommand({"zcat", gz});
  ASSERT_EQ(zcat.exit_code, 0);
  auto python = RunCommand({"python3", "-c",
                            "import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())",
                            gz});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  EXPECT_TRUE(python.out == zcat.out);
  EXPECT_EQ(zcat.out.rfind("--\n-- PostgreSQL database export written by pgark", 0), 0u);
  EXPECT_THAT(zcat.out, HasSubstr("SET client_encoding = 'UTF8';"));
  EXPECT_THAT(zcat.out, HasSubstr("COPY \"Export \"\"Types\"\"\".\"many\" (\"id\", \"order\""));
  EXPECT_THAT(zcat.out, HasSubstr("\n\\.\n"));
  EXPECT_THAT(zcat.out, HasSubstr("lo_put"));
  // Several members: the table data was compressed separately from the DDL.
  auto members = RunShell("python3 -c \"import sys,zlib; d=open(sys.argv[1],'rb').read(); n=0\n"
                          "while d:\n o=zlib.decompressobj(31); o.decompress(d); d=o.unused_data; n+=1\n"
                          "print(n)\" '" + gz + "'");
  ASSERT_EQ(members.exit_code, 0) << members.err;
  EXPECT_GT(std::atoi(members.out.c_str()), 3);
  struct stat st;
  ASSERT_EQ(stat(gz.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ReplayAndCompare(src, gz);
}

TEST_F(ExportRoundTripTest, StdoutOutputAndLevelsProduceTheSameScript) {
  ScratchDatabase src("exp_stdout");
  auto seed = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", src.conninfo()}, {},
                         "CREATE TABLE t (a int, b text); "
                         "INSERT INTO t SELECT g, repeat('x', g % 100) FROM generate_series(1, 50000) g;");
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  auto fast = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", "-", "--level", "1"});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  ASSERT_GE(fast.out.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(fast.out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(fast.out[1]), 0x8b);
  std::string gz1 = dir_ + "/l1.sql.gz", gz9 = dir_ + "/l9.sql.gz";
  ASSERT_EQ(RunCommand({"sh", "-c", "cat > '" + gz1 + "'"}, {}, fast.out).exit_code, 0);
  auto best = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz9, "--level", "9", "-j", "1"});
  ASSERT_EQ(best.exit_code, 0) << best.err;
  auto a = RunCommand({"zcat", gz1});
  auto b = RunCommand({"zcat", gz9});
  EXPECT_TRUE(a.out == b.out);
  struct stat s1, s9;
  ASSERT_EQ(stat(gz1.c_str(), &s1), 0);
  ASSERT_EQ(stat(gz9.c_str(), &s9), 0);
  EXPECT_LT(s9.st_size, s1.st_size);
  ReplayAndCompare(src, gz9);
}

TEST_F(ExportRoundTripTest, FailuresPublishNothingAndExistingOutputIsKept) {
  std::string gz = dir_ + "/fail.sql.gz";
  auto bad = RunCommand({PGARK_BINARY, "export", "-d",
                         PgTestServer::Get().Conninfo("pgark_no_such_database"), "-f", gz});
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("pgark_no_such_database"));
  auto listing = RunShell("ls -A '" + dir_ + "'");
  EXPECT_EQ(listing.out, "");  // no partial or temporary file left behind
  ASSERT_EQ(RunShell("echo keep > '" + gz + "'").exit_code, 0);
  ScratchDatabase src("exp_exists");
  auto exists = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz});
  EXPECT_EQ(exists.exit_code, 3) << exists.err;
  EXPECT_EQ(RunShell("cat '" + gz + "'").out, "keep\n");
}

}  // namespace
}  // namespace pgark
