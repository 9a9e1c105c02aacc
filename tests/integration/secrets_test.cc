// Secrets and file modes. A marker secret is used as every secret at once (archive
// passphrase, database password, AWS secret key, SMTP password, webhook/Slack URL token);
// a backup run that fails late (the S3 copy is refused), so every error path and every
// notification runs, must not show it in its output, logs, run records, notifications or
// `inspect` output. No command takes a secret as an argument. Everything pgark creates is
// 0600 (files) or 0700 (directories), whatever the umask.
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/loopback_servers.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/s3_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::HttpTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::S3TestServer;
using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::SmtpTestServer;
using ::testing::HasSubstr;
using ::testing::Not;

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-secrets.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_OK(db_.Connect()->Execute(
        "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 2000) g"));
  }
  void TearDown() override { RunShell("rm -rf '" + dir_ + "'"); }

  std::string dir_;
  ScratchDatabase db_{"secrets"};
  const std::string marker_ = absl::StrCat("MaRkEr5ecret", getpid());
};

TEST_F(SecretsTest, MarkerSecretAppearsNowhere) {
  HttpTestServer http(200);
  SmtpTestServer smtp(marker_);
  S3TestServer& s3 = S3TestServer::Get();
  std::map<std::string, std::string> env = s3.Env();
  env["AWS_SECRET_ACCESS_KEY"] = marker_;  // wrong: the S3 copy fails with 403 late in the run
  std::string root = dir_ + "/root";
  ASSERT_EQ(mkdir(root.c_str(), 0700), 0);
  env["PGARK_DATABASE"] = db_.conninfo() + " password=" + marker_;  // trust auth ignores it
  env["PGARK_NAME"] = "shop";
  env["PGARK_BACKUP_ROOT"] = root;
  env["PGARK_COPY_TO"] = absl::StrCat("s3://", S3TestServer::kBucket, "/", S3TestServer::UniquePrefix());
  env["PGARK_VERIFY"] = "checksum";
  env["PGARK_PASSPHRASE"] = marker_;
  env["PGARK_NOTIFY_ON"] = "always";
  env["PGARK_NOTIFY_WEBHOOK_URL"] = http.Url("/hook/" + marker_);
  env["PGARK_NOTIFY_SLACK_URL"] = http.Url("/services/T0/B0/" + marker_);
  env["PGARK_NOTIFY_EMAIL_TO"] = "ops@example.com";
  env["PGARK_NOTIFY_EMAIL_FROM"] = "pgark@example.com";
  env["PGARK_SMTP_URL"] = smtp.Url();
  env["PGARK_SMTP_USER"] = "mailer";
  env["PGARK_SMTP_PASSWORD"] = marker_;
  env["PGARK_LOG_FILE"] = dir_ + "/pgark.log";
  env["PGARK_SUMMARY_FILE"] = dir_ + "/summary.json";
  env["PGARK_METRICS_FILE"] = dir_ + "/metrics.prom";

  auto run = RunCommand({PGARK_BINARY, "backup", "-v", "--now", "2024-03-03T02:00:00Z"}, env);
  EXPECT_NE(run.exit_code, 0) << "the S3 copy should have been refused: " << run.out << run.err;
  EXPECT_THAT(run.out + run.err, HasSubstr("s3://"));  // the failure is reported...
  EXPECT_THAT(run.out, Not(HasSubstr(marker_)));       // ...without the secret
  EXPECT_THAT(run.err, Not(HasSubstr(marker_)));

  // Notifications were really sent, and carry no secret in their bodies (the URL's own
  // path holds the token: that is how the webhook is addressed).
  std::vector<testing::HttpRequest> requests = http.requests();
  EXPECT_EQ(requests.size(), 2u);
  for (const auto& request : requests) EXPECT_THAT(request.body, Not(HasSubstr(marker_))) << request.path;
  std::vector<testing::SmtpMessage> mails = smtp.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].auth_password, marker_);
  EXPECT_THAT(mails[0].data, Not(HasSubstr(marker_)));

  // Log, summary, metrics, run records, sidecars and the archive itself (encrypted with the
  // marker as passphrase: the passphrase must not be stored).
  auto grep = RunShell(absl::StrCat("grep -rl -a -F '", marker_, "' '", dir_, "'"));
  EXPECT_EQ(grep.out, "") << "files holding the secret";
  auto listed = RunShell("find '" + root + "' -name '*.pgark' | head -n 1");
  std::string archive(absl::StripTrailingAsciiWhitespace(listed.out));
  ASSERT_FALSE(archive.empty()) << "no archive was written";

  // inspect, with and without the passphrase; config check.
  for (bool with_key : {false, true}) {
    std::map<std::string, std::string> inspect_env;
    if (with_key) inspect_env["PGARK_PASSPHRASE"] = marker_;
    auto inspect = RunCommand({PGARK_BINARY, "inspect", archive}, inspect_env);
    EXPECT_THAT(inspect.out + inspect.err, Not(HasSubstr(marker_)));
    if (with_key) {
      EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    }
  }
  auto check = RunCommand({PGARK_BINARY, "config", "check"}, env);
  EXPECT_THAT(check.out + check.err, Not(HasSubstr(marker_)));
}

TEST_F(SecretsTest, NoCommandTakesASecretAsAnArgument) {
  for (const char* command : {"dump", "restore", "export", "verify", "inspect", "keygen", "backup"}) {
    auto help = RunCommand({PGARK_BINARY, command, "--help"});
    ASSERT_EQ(help.exit_code, 0) << command;
    for (const char* flag : {"--passphrase ", "--passphrase=", "--password", "--secret", "--token", "--key "}) {
      EXPECT_THAT(help.out, Not(HasSubstr(flag))) << "pgark " << command << " --help offers " << flag;
    }
  }
}

TEST_F(SecretsTest, FilesAre0600AndDirectories0700WhateverTheUmask) {
  std::string root = dir_ + "/root";
  std::string keys = dir_ + "/keys";
  std::string out = dir_ + "/out";
  ASSERT_EQ(mkdir(root.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
  std::map<std::string, std::string> env = {
      {"PGARK_DATABASE", db_.conninfo()}, {"PGARK_NAME", "shop"}, {"PGARK_BACKUP_ROOT", root},
      {"PGARK_VERIFY", "checksum"}, {"PGARK_ENCRYPT_KEY_FILE", keys + "/backup.key"},
      {"PGARK_SUMMARY_FILE", out + "/summary.json"}, {"PGARK_METRICS_FILE", out + "/metrics.prom"},
      {"PGARK_LOG_FILE", out + "/pgark.log"}};
  const std::string pgark = absl::StrCat("umask 000 && exec '", PGARK_BINARY, "' ");
  for (const std::string& command : {
           pgark + "keygen -o '" + keys + "/backup.key'",
           pgark + "keygen --x25519 '" + keys + "/pub' '" + keys + "/sec'",
           pgark + "backup --now 2024-03-03T02:00:00Z",
           pgark + "dump -d '" + db_.conninfo() + "' -f '" + out + "/nested/dir/db.pgark'",
           pgark + "export -d '" + db_.conninfo() + "' -f '" + out + "/db.sql.gz'"}) {
    auto result = RunCommand({"/bin/sh", "-c", command}, env);
    ASSERT_EQ(result.exit_code, 0) << command << ": " << result.err;
  }
  // Everything under the three directories (the roots themselves are the test's).
  auto found = RunShell("find '" + root + "' '" + keys + "' '" + out + "' -mindepth 1 -printf '%m %y %p\\n'");
  int files = 0;
  for (absl::string_view line : absl::StrSplit(found.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    ASSERT_EQ(f.size(), 3u) << line;
    // A public key, and the monitoring outputs (a metrics collector running as another user
    // reads them; they hold no secret: MarkerSecretAppearsNowhere) may be readable, never
    // writable by others.
    if (f[2] == keys + "/pub" || absl::StartsWith(f[2], out + "/summary.json") ||
        absl::StartsWith(f[2], out + "/metrics.prom") || absl::StartsWith(f[2], out + "/pgark.log")) {
      EXPECT_EQ(std::stoi(f[0], nullptr, 8) & 022, 0) << line;
      continue;
    }
    EXPECT_EQ(f[0], f[1] == "d" ? "700" : "600") << f[2];
    if (f[1] == "f") ++files;
  }
  EXPECT_GE(files, 6) << found.out;
}

}  // namespace
}  // namespace pgark
