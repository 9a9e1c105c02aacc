// Notifications sent by the real libcurl transports to real listeners on loopback, and by
// the pgark binary when a backup fails.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/ops/notify/notifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/loopback_servers.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark::ops::notify {
namespace {

using ::pgark::testing::HttpTestServer;
using ::pgark::testing::SmtpTestServer;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

RunSummary FailedRun() {
  RunSummary summary;
  summary.name = "shop";
  summary.file_name = "shop_20240301_020000.pgark";
  summary.root = "file:///backups";
  summary.started = absl::FromUnixSeconds(1709258400);
  summary.finished = summary.started + absl::Seconds(12);
  summary.backup_time = summary.started;
  summary.status = absl::NotFoundError("dump step: database \"shop\" does not exist");
  summary.failed_step = "dump";
  summary.exit_code = 3;
  summary.steps = {{"lock", "ok", 0.01, 0, ""}, {"dump", "failed", 0.2, 0, "database \"shop\" does not exist"}};
  return summary;
}

BackupConfig NotifyConfig() {
  BackupConfig config;
  config.name = "shop";
  config.notify_on = NotifyOn::kFailure;
  config.notify_timeout_seconds = 10;
  return config;
}

TEST(OpsNotifyTest, SlackDiscordAndWebhookReachARealHttpServer) {
  HttpTestServer server(200);
  BackupConfig config = NotifyConfig();
  config.slack_url = server.Url("/services/T0/B0/slack-token");
  config.discord_url = server.Url("/api/webhooks/1/discord-token");
  config.webhook_url = server.Url("/hook");
  auto http = NewCurlHttpTransport();
  auto mail = NewCurlMailTransport();
  auto notifiers = MakeNotifiers(config, http.get(), mail.get());
  ASSERT_EQ(notifiers.size(), 3u);
  std::vector<NotificationRecord> records = NotifyAll(notifiers, FailedRun(), config.notify_on);
  ASSERT_EQ(records.size(), 3u);
  for (const NotificationRecord& r : records) EXPECT_TRUE(r.ok) << r.channel << ": " << r.error;

  std::vector<pgark::testing::HttpRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/services/T0/B0/slack-token");
  EXPECT_EQ(requests[0].content_type, "application/json");
  nlohmann::json slack = nlohmann::json::parse(requests[0].body);
  EXPECT_THAT(slack["text"].get<std::string>(), HasSubstr("pgark backup of shop FAILED at dump"));
  EXPECT_THAT(slack["attachments"][0]["text"].get<std::string>(), HasSubstr("does not exist"));

  nlohmann::json discord = nlohmann::json::parse(requests[1].body);
  EXPECT_EQ(requests[1].path, "/api/webhooks/1/discord-token");
  EXPECT_THAT(discord["content"].get<std::string>(), HasSubstr("FAILED at dump"));
  EXPECT_EQ(discord["embeds"][0]["title"], "backup of shop: FAILED");

  nlohmann::json hook = nlohmann::json::parse(requests[2].body);
  EXPECT_EQ(hook["result"], "failed");
  EXPECT_EQ(hook["failed_step"], "dump");
  EXPECT_EQ(hook["exit_code"], 3);
  EXPECT_EQ(hook["steps"][1]["name"], "dump");
}

TEST(OpsNotifyTest, HttpErrorIsReportedWithoutTheSecretUrl) {
  HttpTestServer server(500);
  auto http = NewCurlHttpTransport();
  absl::Status status = http->Post(server.Url("/services/SECRET-TOKEN"), "application/json", "{}",
                                   absl::Seconds(5));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 500")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("SECRET-TOKEN")));
  // Nobody listening (port 1): a connection error, also without the path.
  absl::Status refused = http->Post(absl::StrCat("http://127.0.0.1:1/services/SECRET-TOKEN"),
                                    "application/json", "{}", absl::Seconds(5));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr("SECRET-TOKEN")));
}

TEST(OpsNotifyTest, EmailReachesARealSmtpServerWithLogin) {
  SmtpTestServer server("mail-pass");
  BackupConfig config = NotifyConfig();
  // Credentials in the URL, percent-encoded; the password overrides from the environment
  // path (PGARK_SMTP_PASSWORD) are covered by the next test.
  config.smtp_url = absl::StrCat("smtp://alerts%40example.com:mail-pass@127.0.0.1:", server.port());
  config.email_to = {"ops@example.com", "dba@example.com"};
  config.email_from = "pgark@backup-host.example";
  auto http = NewCurlHttpTransport();
  auto mail = NewCurlMailTransport();
  auto notifiers = MakeNotifiers(config, http.get(), mail.get());
  ASSERT_EQ(notifiers.size(), 1u);
  std::vector<NotificationRecord> records = NotifyAll(notifiers, FailedRun(), config.notify_on);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].ok) << records[0].error;
  std::vector<pgark::testing::SmtpMessage> messages = server.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].auth_user, "alerts@example.com");
  EXPECT_EQ(messages[0].auth_password, "mail-pass");
  EXPECT_EQ(messages[0].mail_from, "pgark@backup-host.example");
  EXPECT_THAT(messages[0].rcpt_to, ::testing::ElementsAre("ops@example.com", "dba@example.com"));
  EXPECT_THAT(messages[0].data, HasSubstr("Subject: pgark backup of shop FAILED at dump"));
  EXPECT_THAT(messages[0].data, HasSubstr("failed step: dump\r\n"));
  EXPECT_THAT(messages[0].data, HasSubstr("duration: 12.0 s\r\n"));
}

TEST(OpsNotifyTest, RejectedSmtpLoginIsUnauthenticatedAndHidesThePassword) {
  SmtpTestServer server("right");
  auto mail = NewCurlMailTransport();
  MailEnvelope envelope;
  envelope.url = server.Url();
  envelope.user = "user";
  envelope.password = "wrong-secret";
  envelope.from = "a@example.com";
  envelope.to = {"b@example.com"};
  absl::Status status = mail->Send(envelope, "Subject: x\r\n\r\nbody\r\n", absl::Seconds(5));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("wrong-secret")));
  EXPECT_TRUE(server.messages().empty());
}

// The binary end to end: a backup of a database that does not exist fails (non-zero exit),
// the webhook and the e-mail receive the failure, and a failing Slack endpoint is recorded
// in the summary without changing the exit code.
TEST(OpsNotifyTest, FailedBackupRunNotifiesEveryChannel) {
  HttpTestServer hooks(200);
  HttpTestServer broken(503);
  SmtpTestServer smtp;
  char dir[] = "/tmp/pgark_ops_notify_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string root = absl::StrCat(dir, "/root");
  ASSERT_EQ(mkdir(root.c_str(), 0700), 0);
  std::string conninfo = pgark::testing::PgTestServer::Get().Conninfo("pgark_no_such_database");
  auto result = pgark::testing::RunCommand(
      {PGARK_BINARY, "backup", "--now", "2024-03-01T02:00:00Z"},
      {{"PGARK_DATABASE", conninfo},
       {"PGARK_NAME", "ghost"},
       {"PGARK_BACKUP_ROOT", root},
       {"PGARK_VERIFY", "checksum"},
       {"PGARK_RETRIES", "0"},
       {"PGARK_NOTIFY_WEBHOOK_URL", hooks.Url("/hook")},
       {"PGARK_NOTIFY_SLACK_URL", broken.Url("/services/SLACK-SECRET")},
       {"PGARK_SMTP_URL", smtp.Url()},
       {"PGARK_SMTP_PASSWORD", "smtp-secret-password"},
       {"PGARK_SMTP_USER", "alerts"},
       {"PGARK_NOTIFY_EMAIL_TO", "ops@example.com"},
       {"PGARK_LOG_FILE", absl::StrCat(dir, "/backup.log")}});
  EXPECT_NE(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("dump step"));
  EXPECT_THAT(result.err, Not(HasSubstr("SLACK-SECRET")));
  EXPECT_THAT(result.err, Not(HasSubstr("smtp-secret-password")));

  ASSERT_EQ(hooks.requests().size(), 1u);
  nlohmann::json hook = nlohmann::json::parse(hooks.requests()[0].body);
  EXPECT_EQ(hook["result"], "failed");
  EXPECT_EQ(hook["failed_step"], "dump");
  EXPECT_EQ(hook["exit_code"], result.exit_code);
  ASSERT_EQ(smtp.messages().size(), 1u);
  EXPECT_EQ(smtp.messages()[0].auth_password, "smtp-secret-password");
  EXPECT_THAT(smtp.messages()[0].data, HasSubstr("Subject: pgark backup of ghost FAILED at dump"));
  EXPECT_EQ(broken.requests().size(), 1u);

  // The summary next to the log records each notification, including the failed one.
  std::ifstream in(absl::StrCat(dir, "/backup.summary.json"));
  ASSERT_TRUE(in) << "summary file missing";
  nlohmann::json summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["result"], "failed");
  std::map<std::string, bool> channels;
  for (const auto& n : summary["notifications"]) channels[n["channel"]] = n["ok"];
  EXPECT_EQ(channels["webhook"], true);
  EXPECT_EQ(channels["email"], true);
  EXPECT_EQ(channels["slack"], false);
  // Nothing was published under a final name (the only file is the run lock).
  auto files = pgark::testing::RunShell(absl::StrCat("find ", root, " -type f ! -name '*.lock' | wc -l"));
  EXPECT_EQ(files.out, "0\n");
  std::ifstream log(absl::StrCat(dir, "/backup.log"));
  std::stringstream log_text;
  log_text << log.rdbuf();
  EXPECT_THAT(log_text.str(), HasSubstr("step dump failed"));
}

}  // namespace
}  // namespace pgark::ops::notify
