// PGARK_FORMAT=sql.gz backup runs (the gzip-compatible export as the backup format) and
// `pgark restore --config F NAME` (backup names resolved through the root), with the real
// pgark binary, the PostgreSQL sandbox, coreutils' sha256sum, gzip and psql.
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/ops/sql_gz_check.h"
#include "engine/pg/connection.h"
#include "engine/storage/file/file_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDir(const char* label) {
  std::string pattern = absl::StrCat("/tmp/pgark_", label, "_XXXXXX");
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

int64_t Count(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->GetInt64(0, 0).value_or(-1) : -1;
}

bool DatabaseExists(const std::string& name) {
  auto conn = pg::Connection::Open(pgark::testing::PgTestServer::Get().Conninfo("postgres"));
  EXPECT_TRUE(conn.ok());
  auto result = (*conn)->QueryParams("SELECT count(*) FROM pg_database WHERE datname = $1", {name});
  return result.ok() && result->GetInt64(0, 0).value_or(0) > 0;
}

void Fill(pg::Connection& conn, int orders) {
  ASSERT_OK(conn.Execute(absl::StrCat(
      "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note, now() AS at "
      "FROM generate_series(1, ", orders, ") g;"
      "CREATE TABLE lines (id int PRIMARY KEY, body text);"
      "INSERT INTO lines SELECT g, E'tab\\there\\nnewline \\\\ backslash' FROM generate_series(1, 77) g;")));
}

std::map<std::string, std::string> Env(const ScratchDatabase& db, const std::string& root) {
  return {{"PGARK_DATABASE", db.conninfo()}, {"PGARK_NAME", "shop"}, {"PGARK_BACKUP_ROOT", root}};
}

TEST(OpsSqlGzTest, SqlGzBackupPassesSha256sumGzipAndRestoreTest) {
  ScratchDatabase db("sqlgz_src");
  auto conn = db.Connect();
  Fill(*conn, 3000);
  std::string root = TempDir("sqlgz");
  auto env = Env(db, root);
  env["PGARK_FORMAT"] = "sql.gz";
  env["PGARK_VERIFY"] = "full";  // gzip integrity
  env["PGARK_COMPRESS"] = "gzip:9";
  auto run = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-03T02:00:00Z"}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("shop_20240303_020000.sql.gz"));
  EXPECT_THAT(run.out, HasSubstr("verified"));
  // Sunday and first of the month: the same tiers as an archive.
  auto files = RunShell(absl::StrCat("cd ", root, " && find daily weekly monthly -type f | sort"));
  EXPECT_EQ(files.out,
            "daily/shop_20240303_020000.sql.gz\nmonthly/shop_20240303_020000.sql.gz\n"
            "weekly/shop_20240303_020000.sql.gz\n");
  auto check = RunShell(absl::StrCat("cd ", root, " && sha256sum --strict -c checksums/*.sha256"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("daily/shop_20240303_020000.sql.gz: OK"));
  auto gzip = RunShell(absl::StrCat("gzip -t ", root, "/daily/shop_20240303_020000.sql.gz"));
  EXPECT_EQ(gzip.exit_code, 0) << gzip.err;
  // The script holds the data (zcat reads every member).
  auto rows = RunShell(absl::StrCat("zcat ", root, "/daily/shop_20240303_020000.sql.gz | grep -c 'tab\\\\there'"));
  EXPECT_EQ(rows.out, "77\n");

  // list --json knows the format and the verification.
  auto list = RunCommand({PGARK_BINARY, "list", "--json"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  nlohmann::json json = nlohmann::json::parse(list.out);
  ASSERT_EQ(json["root"]["backups"].size(), 1u);
  EXPECT_EQ(json["root"]["backups"][0]["format"], "sql.gz");
  EXPECT_EQ(json["root"]["backups"][0]["verify_mode"], "full");

  // restore-test: psql replays the script into a scratch database.
  env["PGARK_VERIFY"] = "restore-test";
  env["PGARK_COMPRESS"] = "zstd:3";  // not gzip: the export's default level
  run = RunCommand({PGARK_BINARY, "backup", "--now", "2024-03-04T02:00:00Z"}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("psql replayed 2 COPY blocks, 3077 rows"));
  list = RunCommand({PGARK_BINARY, "list", "--json"}, env);
  json = nlohmann::json::parse(list.out);
  EXPECT_EQ(json["root"]["backups"][0]["file"], "shop_20240304_020000.sql.gz");
  EXPECT_EQ(json["root"]["backups"][0]["verify_mode"], "restore-test");

  // Retention treats sql.gz files like archives.
  env["PGARK_RETAIN_DAILY"] = "1";
  auto prune = RunCommand({PGARK_BINARY, "prune"}, env);
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_EQ(RunShell(absl::StrCat("ls ", root, "/daily")).out, "shop_20240304_020000.sql.gz\n");

  // `pgark restore` reads pgark archives only and says what to do with a sql.gz backup.
  std::string config = absl::StrCat(root, "/pgark.env");
  std::ofstream(config) << "PGARK_DATABASE=\"" << db.conninfo() << "\"\nPGARK_NAME=shop\n"
                        << "PGARK_BACKUP_ROOT=" << root << "\n";
  auto restore = RunCommand({PGARK_BINARY, "restore", "--config", config, "-d", db.conninfo(),
                             "shop_20240304_020000.sql.gz"});
  EXPECT_EQ(restore.exit_code, 4);
  EXPECT_THAT(restore.err, HasSubstr("gunzip -c"));
}

TEST(OpsSqlGzTest, RestoreTestFailsOnAScriptPsqlStopsOnAndDropsTheScratchDatabase) {
  std::string root = TempDir("sqlgz_bad");
  RunShell(absl::StrCat("mkdir -p ", root, "/daily && printf 'CREATE TABLE t (a int);\\n"
                        "COPY t (a) FROM stdin;\\n1\\nnot-a-number\\n\\\\.\\n' | gzip > ",
                        root, "/daily/bad.sql.gz"));
  storage::FileStorage storage(root);
  SqlGzRestoreReport report;
  absl::Status status = RunSqlGzRestoreTest(storage, "daily/bad.sql.gz",
                                            pgark::testing::PgTestServer::Get().Conninfo("postgres"),
                                            &report);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not-a-number")));
  ASSERT_FALSE(report.scratch_database.empty());
  EXPECT_FALSE(DatabaseExists(report.scratch_database));

  // A good script: psql's COPY tags match the script's rows.
  RunShell(absl::StrCat("printf 'CREATE TABLE t (a int);\\nCOPY t (a) FROM stdin;\\n1\\n2\\n\\\\.\\n' "
                        "| gzip > ", root, "/daily/good.sql.gz"));
  SqlGzRestoreReport good;
  ASSERT_OK(RunSqlGzRestoreTest(storage, "daily/good.sql.gz",
                                pgark::testing::PgTestServer::Get().Conninfo("postgres"), &good));
  EXPECT_EQ(good.loaded_rows, 2);
  EXPECT_EQ(good.copy_blocks, 1);
  EXPECT_FALSE(DatabaseExists(good.scratch_database));

  // Damage inside the gzip stream is found before psql's opinion matters.
  RunShell(absl::StrCat("cd ", root, "/daily && head -c 20 good.sql.gz > cut.sql.gz"));
  SqlGzRestoreReport cut;
  EXPECT_THAT(RunSqlGzRestoreTest(storage, "daily/cut.sql.gz",
                                  pgark::testing::PgTestServer::Get().Conninfo("postgres"), &cut),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST(OpsRestoreByNameTest, LatestAndListedNamesResolveThroughTheRoot) {
  ScratchDatabase db("byname_src");
  auto conn = db.Connect();
  Fill(*conn, 10);
  std::string root = TempDir("byname");
  std::string config = absl::StrCat(root, "/shop.env");
  std::ofstream(config) << "PGARK_DATABASE=\"" << db.conninfo() << "\"\nPGARK_NAME=shop\n"
                        << "PGARK_BACKUP_ROOT=" << root << "\nPGARK_VERIFY=checksum\n";
  auto first = RunCommand({PGARK_BINARY, "backup", "--config", config, "--now", "2024-05-05T02:00:00Z"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_OK(conn->Execute("INSERT INTO orders SELECT g, 'more', now() FROM generate_series(11, 20) g"));
  auto second = RunCommand({PGARK_BINARY, "backup", "--config", config, "--now", "2024-05-06T02:00:00Z"});
  ASSERT_EQ(second.exit_code, 0) << second.err;

  auto restore_rows = [&](const std::string& name) -> int64_t {
    ScratchDatabase target("byname_dst");
    auto result = RunCommand({PGARK_BINARY, "restore", "--config", config, "-d", target.conninfo(), name});
    EXPECT_EQ(result.exit_code, 0) << name << ": " << result.err;
    if (result.exit_code != 0) return -1;
    return Count(*target.Connect(), "SELECT count(*) FROM orders");
  };
  EXPECT_EQ(restore_rows("latest"), 20);
  EXPECT_EQ(restore_rows("shop_20240505_020000.pgark"), 10);
  EXPECT_EQ(restore_rows("shop_20240505_020000"), 10);
  EXPECT_EQ(restore_rows("weekly/shop_20240505_020000"), 10);  // 2024-05-05 is a Sunday

  // `latest` prefers the newest verified backup.
  ASSERT_EQ(unlink(absl::StrCat(root, "/checksums/shop_20240506_020000.pgark.verified").c_str()), 0);
  EXPECT_EQ(restore_rows("latest"), 10);

  // Errors: unknown (exit 3), ambiguous (exit 2), latest without --config (exit 2).
  auto missing = RunCommand({PGARK_BINARY, "restore", "--config", config, "-d", db.conninfo(),
                             "shop_20240507_020000"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("no backup 'shop_20240507_020000' of shop in"));
  RunShell(absl::StrCat("echo x > ", root, "/daily/shop_20240506_020000.sql.gz"));
  auto ambiguous = RunCommand({PGARK_BINARY, "restore", "--config", config, "-d", db.conninfo(),
                               "20240506_020000"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_THAT(ambiguous.err, HasSubstr("ambiguous"));
  auto bare = RunCommand({PGARK_BINARY, "restore", "-d", db.conninfo(), "latest"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_THAT(bare.err, HasSubstr("--config"));
}

}  // namespace
}  // namespace pgark::ops
