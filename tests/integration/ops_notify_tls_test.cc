// E-mail notifications over TLS, sent by the real libcurl transport to a real TLS SMTP server on
// loopback (tests/testing/smtp_tls_server.py, Python's ssl module): implicit TLS (smtps://) and
// STARTTLS (smtp:// with PGARK_SMTP_TLS=required), the relay's certificate signed by a throwaway
// CA the test makes with the openssl CLI and trusted through PGARK_SMTP_CA_FILE.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/ops/notify/notifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/loopback_servers.h"
#include "tests/testing/subprocess.h"

namespace pgark::ops::notify {
namespace {

using ::pgark::testing::BackgroundCommand;
using ::pgark::testing::RunShell;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "tls-mail-secret";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CA, a server certificate it signs for 127.0.0.1, and an unrelated second CA.
class TlsSmtpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/pgark-smtp-tls.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string ca_ext = "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign";
    auto result = RunShell(absl::StrCat(
        "set -e; cd '", *dir_, "'; ",
        "openssl req -x509 ", ec, " -keyout ca.key -out ca.pem -days 2 -subj '/CN=pgark test CA' ", ca_ext,
        "; openssl req -x509 ", ec, " -keyout other.key -out other-ca.pem -days 2 -subj '/CN=another CA' ", ca_ext,
        "; openssl req ", ec, " -keyout server.key -out server.csr -subj '/CN=127.0.0.1'",
        "; printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > server.ext",
        "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext 2>/dev/null"));
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  static void TearDownTestSuite() {
    RunShell(absl::StrCat("rm -rf '", *dir_, "'"));
    delete dir_;
  }

  // Starts the Python server in `mode` ("implicit" or "starttls"); returns its port.
  int StartServer(const std::string& mode) {
    const std::string port_file = absl::StrCat(*dir_, "/", mode, ".port");
    out_ = absl::StrCat(*dir_, "/", mode, ".messages");
    unlink(port_file.c_str());
    unlink(out_.c_str());
    server_ = std::make_unique<BackgroundCommand>(std::vector<std::string>{
        "python3", PGARK_SOURCE_DIR "/tests/testing/smtp_tls_server.py", "--mode", mode, "--cert",
        *dir_ + "/server.pem", "--key", *dir_ + "/server.key", "--port-file", port_file, "--out", out_});
    for (int i = 0; i < 200 && access(port_file.c_str(), F_OK) != 0; ++i) {
      if (server_->Exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    const std::string port = ReadFile(port_file);
    EXPECT_FALSE(port.empty()) << "the TLS SMTP server did not start: " << server_->Wait().err;
    return port.empty() ? 0 : std::stoi(port);
  }

  // The messages the server accepted, one JSON object each.
  std::vector<nlohmann::json> Messages() const {
    std::vector<nlohmann::json> messages;
    for (absl::string_view line : absl::StrSplit(ReadFile(out_), '\n', absl::SkipEmpty())) {
      messages.push_back(nlohmann::json::parse(line));
    }
    return messages;
  }

  static BackupConfig MailConfig(const std::string& url, const std::string& ca_file) {
    BackupConfig config;
    config.name = "shop";
    config.notify_on = NotifyOn::kAlways;
    config.notify_timeout_seconds = 10;
    config.smtp_url = url;
    config.smtp_user = "alerts@example.com";
    config.smtp_password = kPassword;
    config.smtp_ca_file = ca_file;
    config.email_to = {"ops@example.com"};
    config.email_from = "pgark@backup-host.example";
    return config;
  }

  // Sends one notification of a successful run through MakeNotifiers, as `pgark backup` does.
  static NotificationRecord Notify(const BackupConfig& config) {
    auto http = NewCurlHttpTransport();
    auto mail = NewCurlMailTransport();
    auto notifiers = MakeNotifiers(config, http.get(), mail.get());
    EXPECT_EQ(notifiers.size(), 1u);
    RunSummary summary;
    summary.name = "shop";
    summary.file_name = "shop_20240301_020000.pgark";
    summary.started = absl::FromUnixSeconds(1709258400);
    summary.finished = summary.started + absl::Seconds(3);
    summary.backup_time = summary.started;
    std::vector<NotificationRecord> records = NotifyAll(notifiers, summary, config.notify_on);
    EXPECT_EQ(records.size(), 1u);
    return records.empty() ? NotificationRecord{} : records[0];
  }

  static std::string* dir_;
  std::unique_ptr<BackgroundCommand> server_;
  std::string out_;
};

std::string* TlsSmtpTest::dir_ = nullptr;

TEST_F(TlsSmtpTest, ImplicitTlsDeliversWithLoginToACaFileTrustedRelay) {
  const int port = StartServer("implicit");
  ASSERT_GT(port, 0);
  NotificationRecord record = Notify(MailConfig(absl::StrCat("smtps://127.0.0.1:", port), *dir_ + "/ca.pem"));
  EXPECT_TRUE(record.ok) << record.error;
  std::vector<nlohmann::json> messages = Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0]["tls"].get<bool>());
  EXPECT_EQ(messages[0]["auth_user"], "alerts@example.com");
  EXPECT_EQ(messages[0]["auth_password"], kPassword);
  EXPECT_EQ(messages[0]["rcpt_to"], nlohmann::json::array({"ops@example.com"}));
  EXPECT_THAT(messages[0]["data"].get<std::string>(), HasSubstr("Subject: pgark backup of shop"));
}

TEST_F(TlsSmtpTest, RequiredStartTlsUpgradesBeforeTheLogin) {
  const int port = StartServer("starttls");
  ASSERT_GT(port, 0);
  BackupConfig config = MailConfig(absl::StrCat("smtp://127.0.0.1:", port), *dir_ + "/ca.pem");
  config.smtp_require_tls = true;
  NotificationRecord record = Notify(config);
  EXPECT_TRUE(record.ok) << record.error;
  std::vector<nlohmann::json> messages = Messages();
  ASSERT_EQ(messages.size(), 1u);
  // The server offers AUTH only after STARTTLS and refuses MAIL before it: the password and the
  // message crossed the upgraded connection.
  EXPECT_TRUE(messages[0]["tls"].get<bool>());
  EXPECT_EQ(messages[0]["auth_password"], kPassword);
}

TEST_F(TlsSmtpTest, RequiredStartTlsAgainstAPlainRelaySendsNothing) {
  pgark::testing::SmtpTestServer plain;  // no STARTTLS offered, accepts any login
  BackupConfig config = MailConfig(plain.Url(), "");
  config.smtp_require_tls = true;
  NotificationRecord record = Notify(config);
  EXPECT_FALSE(record.ok);
  EXPECT_THAT(record.error, Not(HasSubstr(kPassword)));
  EXPECT_TRUE(plain.messages().empty());
}

TEST_F(TlsSmtpTest, CertificateFromAnotherCaIsRefusedBeforeTheLogin) {
  const int port = StartServer("implicit");
  ASSERT_GT(port, 0);
  NotificationRecord record = Notify(MailConfig(absl::StrCat("smtps://127.0.0.1:", port), *dir_ + "/other-ca.pem"));
  EXPECT_FALSE(record.ok);
  EXPECT_THAT(record.error, Not(HasSubstr(kPassword)));
  EXPECT_TRUE(Messages().empty());
  // Without a CA file the system CAs apply, which do not know the test CA either.
  record = Notify(MailConfig(absl::StrCat("smtps://127.0.0.1:", port), ""));
  EXPECT_FALSE(record.ok);
  EXPECT_TRUE(Messages().empty());
}

}  // namespace
}  // namespace pgark::ops::notify
