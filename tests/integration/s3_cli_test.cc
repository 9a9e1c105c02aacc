// The real pgark binary against the loopback S3 server (tests/testing/s3_test_server.h):
// `pgark dump -f s3://`, `restore s3://`, `verify s3://`, `export s3://` and backup runs with
// s3:// roots, with the AWS CLI as the independent client in both directions.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/s3_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::CommandResult;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::S3TestServer;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

class S3CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = &S3TestServer::Get();
    env_ = server_->Env();
    prefix_ = S3TestServer::UniquePrefix();
    char tmpl[] = "/tmp/pgark-s3cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(tmp_); }

  std::string Url(const std::string& key) const {
    return absl::StrCat("s3://", S3TestServer::kBucket, "/", prefix_, "/", key);
  }
  CommandResult Pgark(std::vector<std::string> args,
                      const std::map<std::string, std::string>& extra = {}) {
    std::vector<std::string> argv = {PGARK_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = env_;
    for (const auto& [k, v] : extra) env[k] = v;
    return RunCommand(argv, env);
  }
  CommandResult Aws(std::vector<std::string> args) {
    std::vector<std::string> argv = {"aws", "--endpoint-url", server_->endpoint()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env_);
  }
  static void Fill(const ScratchDatabase& db, int rows) {
    ASSERT_OK(db.Connect()->Execute(absl::StrCat(
        "CREATE TABLE orders AS SELECT g AS id, repeat(md5(g::text), 8) AS note "
        "FROM generate_series(1, ", rows, ") g")));
  }
  static int64_t Rows(const ScratchDatabase& db) {
    auto result = db.Connect()->Query("SELECT count(*) FROM orders");
    return result.ok() ? result->GetInt64(0, 0).value_or(-1) : -1;
  }

  S3TestServer* server_ = nullptr;
  std::map<std::string, std::string> env_;
  std::string prefix_;
  std::string tmp_;
};

TEST_F(S3CliTest, DumpToS3IsReadByAwsAndRestoredVerifiedExportedByPgark) {
  ScratchDatabase source("s3cli_src");
  Fill(source, 20000);  // several 64 KiB parts: a multipart upload
  auto dump = Pgark({"dump", "-d", source.conninfo(), "-f", Url("shop.pgark")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_GT(server_->RequestLog(prefix_ + "/shop.pgark?partNumber=2").size(), 0u);

  // The AWS CLI downloads what pgark wrote; pgark verifies that local copy.
  auto get = Aws({"s3", "cp", Url("shop.pgark"), tmp_ + "/shop.pgark"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  auto local_verify = Pgark({"verify", tmp_ + "/shop.pgark"});
  EXPECT_EQ(local_verify.exit_code, 0) << local_verify.err;

  auto verify = Pgark({"verify", Url("shop.pgark")});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  ScratchDatabase target("s3cli_dst");
  auto restore = Pgark({"restore", "-d", target.conninfo(), "-j", "2", Url("shop.pgark")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(Rows(target), 20000);

  // export reads the archive from S3 and writes a local .sql.gz ...
  std::string gz = tmp_ + "/out.sql.gz";
  auto exported = Pgark({"export", Url("shop.pgark"), "-f", gz});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(RunShell("gzip -t " + gz).exit_code, 0);
  EXPECT_EQ(RunShell("zcat " + gz + " | grep -c '^COPY '").out, "1\n");
  // ... and writes to S3, which the AWS CLI reads back as a valid gzip file.
  auto to_s3 = Pgark({"export", "-d", source.conninfo(), "-f", Url("live.sql.gz")});
  ASSERT_EQ(to_s3.exit_code, 0) << to_s3.err;
  auto gz_get = Aws({"s3", "cp", Url("live.sql.gz"), tmp_ + "/live.sql.gz"});
  ASSERT_EQ(gz_get.exit_code, 0) << gz_get.err;
  EXPECT_EQ(RunShell("gzip -t " + tmp_ + "/live.sql.gz").exit_code, 0);

  // A damaged object on S3 (uploaded by aws) fails verify with exit 5.
  RunShell(absl::StrCat("cd ", tmp_, " && cp shop.pgark bad.pgark && printf 'XXXXXXXX' | "
                        "dd of=bad.pgark bs=1 seek=4000 conv=notrunc 2>/dev/null"));
  ASSERT_EQ(Aws({"s3", "cp", tmp_ + "/bad.pgark", Url("bad.pgark")}).exit_code, 0);
  auto bad = Pgark({"verify", Url("bad.pgark")});
  EXPECT_EQ(bad.exit_code, 5) << bad.err;
}

TEST_F(S3CliTest, PgarkReadsWhatAwsUploaded) {
  ScratchDatabase source("s3cli_aws_src");
  Fill(source, 5000);
  std::string archive = tmp_ + "/local.pgark";
  auto dump = Pgark({"dump", "-d", source.conninfo(), "-f", archive});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto put = Aws({"s3", "cp", archive, Url("from-aws.pgark")});
  ASSERT_EQ(put.exit_code, 0) << put.err;

  auto verify = Pgark({"verify", Url("from-aws.pgark")});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  auto list = Pgark({"restore", "-l", Url("from-aws.pgark")});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("orders"));
  ScratchDatabase target("s3cli_aws_dst");
  auto restore = Pgark({"restore", "-d", target.conninfo(), Url("from-aws.pgark")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(Rows(target), 5000);

  auto missing = Pgark({"verify", Url("no-such.pgark")});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("no-such.pgark"));

  // A 403 (wrong secret) is exit 7, says what to check, and the secret stays out. (Both commands
  // start with a HEAD request, whose 403 has no error document; the server's code and message
  // for other requests: S3StorageTest.WrongSecretIsPermissionDenied.)
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify", Url("from-aws.pgark")},
        std::vector<std::string>{"dump", "-d", source.conninfo(), "-f", Url("denied.pgark")}}) {
    auto denied = Pgark(args, {{"AWS_SECRET_ACCESS_KEY", "not-the-right-secret"}});
    EXPECT_EQ(denied.exit_code, 7) << args[0] << ": " << denied.err;
    EXPECT_THAT(denied.err, HasSubstr("HTTP 403 Forbidden (access denied")) << args[0];
    EXPECT_THAT(denied.err, ::testing::Not(HasSubstr("--force"))) << args[0];
    EXPECT_THAT(denied.err, ::testing::Not(HasSubstr("not-the-right-secret"))) << args[0];
  }
  EXPECT_NE(Aws({"s3", "ls", Url("denied.pgark")}).exit_code, 0);  // nothing was written
}

TEST_F(S3CliTest, BackupRunsWithS3RootAndS3CopyPassSha256sumAfterAwsDownload) {
  ScratchDatabase source("s3cli_backup");
  Fill(source, 3000);
  std::string local_root = tmp_ + "/root";
  ASSERT_EQ(mkdir(local_root.c_str(), 0700), 0);
  std::string s3_root = Url("primary");
  std::string s3_copy = Url("offsite");
  std::string config = tmp_ + "/shop.env";
  std::ofstream(config) << "PGARK_DATABASE=\"" << source.conninfo() << "\"\n"
                        << "PGARK_NAME=shop\nPGARK_VERIFY=full\n"
                        << "PGARK_LOCK_DIR=" << tmp_ << "\n";

  // 1. An S3 primary root (dump streamed there, full verify reading it back).
  auto run = Pgark({"backup", "--config", config, "--now", "2024-03-03T02:00:00Z"},
                   {{"PGARK_BACKUP_ROOT", s3_root}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("verified"));
  // 2. A local primary with an S3 second root.
  run = Pgark({"backup", "--config", config, "--now", "2024-03-04T02:00:00Z"},
              {{"PGARK_BACKUP_ROOT", local_root}, {"PGARK_COPY_TO", s3_copy}});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // The AWS CLI downloads each S3 root; GNU sha256sum checks every copy against its sidecar.
  // 2024-03-03 is a Sunday and the first of March on the S3 root: daily, weekly, monthly; the
  // copy root's first March backup is the Monday run: daily and monthly.
  for (const auto& [root, copies] : {std::pair<std::string, int>{s3_root, 3}, {s3_copy, 2}}) {
    std::string dir = absl::StrCat(tmp_, "/sync", copies);
    auto sync = Aws({"s3", "sync", root, dir});
    ASSERT_EQ(sync.exit_code, 0) << sync.err;
    auto check = RunShell(absl::StrCat("cd ", dir, " && sha256sum --strict -c checksums/*.sha256"));
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(RunShell(absl::StrCat("cd ", dir, " && sha256sum -c checksums/*.sha256 | grep -c ': OK$'")).out,
              absl::StrCat(copies, "\n"))
        << root;
  }
  auto offsite = RunShell(absl::StrCat("cat ", tmp_, "/sync2/checksums/shop_20240304_020000.pgark.verified"));
  EXPECT_THAT(offsite.out, HasSubstr("\"via\":\"primary\""));

  // Restore by name from the S3 root ...
  ScratchDatabase target("s3cli_backup_dst");
  auto restore = Pgark({"restore", "--config", config, "-d", target.conninfo(), "latest"},
                       {{"PGARK_BACKUP_ROOT", s3_root}});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("'latest' is daily/shop_20240303_020000.pgark in s3://"));
  EXPECT_EQ(Rows(target), 3000);
  // ... and from the off-site copy when the local primary is gone.
  std::filesystem::remove_all(local_root);
  ScratchDatabase target2("s3cli_backup_dst2");
  restore = Pgark({"restore", "--config", config, "-d", target2.conninfo(), "shop_20240304_020000"},
                  {{"PGARK_BACKUP_ROOT", local_root}, {"PGARK_COPY_TO", s3_copy}});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("in " + s3_copy));
  EXPECT_EQ(Rows(target2), 3000);
}

}  // namespace
}  // namespace pgark
