#include "engine/ops/config.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/pg/snapshot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::ops {
namespace {

using ::testing::HasSubstr;

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/pgark_config_test_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

// The problems for `key`, joined.
std::string ProblemsFor(const LoadedConfig& loaded, const std::string& key) {
  std::string out;
  for (const ConfigProblem& p : loaded.problems) {
    if (p.key == key) absl::StrAppend(&out, p.ToString(), "\n");
  }
  return out;
}

const std::map<std::string, std::string> kMinimal = {{"PGARK_DATABASE", "shop"},
                                                     {"PGARK_BACKUP_ROOT", "/backups"}};

TEST(ParseEnvTextTest, AcceptsDotEnvShapes) {
  ConfigValues values;
  std::vector<ConfigProblem> problems;
  ParseEnvText(
      "# comment\n\n"
      "export PGARK_DATABASE=shop\n"
      "PGARK_BACKUP_ROOT = \"/srv/backups dir\"  # trailing comment\n"
      "PGARK_NAME='lit $HOME \\n'\n"
      "PGARK_COMPRESS=zstd:5 # inline\n"
      "PGARK_SMTP_URL=\"smtp://a\\\"b\"\n"
      "PGARK_LOG_FILE=/var/log/a#b\n",
      "f.env", &values, &problems);
  EXPECT_TRUE(problems.empty()) << problems[0].ToString();
  EXPECT_EQ(values["PGARK_DATABASE"].value, "shop");
  EXPECT_EQ(values["PGARK_DATABASE"].origin, "f.env:3");
  EXPECT_EQ(values["PGARK_BACKUP_ROOT"].value, "/srv/backups dir");
  EXPECT_EQ(values["PGARK_COMPRESS"].value, "zstd:5");
  EXPECT_EQ(values["PGARK_NAME"].value, "lit $HOME \\n");
  EXPECT_EQ(values["PGARK_SMTP_URL"].value, "smtp://a\"b");
  EXPECT_EQ(values["PGARK_LOG_FILE"].value, "/var/log/a#b");
}

TEST(ParseEnvTextTest, ReportsEachBadLine) {
  ConfigValues values;
  std::vector<ConfigProblem> problems;
  ParseEnvText("no equals sign\nPGARK_JOBS=\"4\nPGARK_JOBS=4\nPGARK_JOBS=5\n1BAD=x\n", "f", &values,
               &problems);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].origin, "f:1");
  EXPECT_THAT(problems[0].message, HasSubstr("expected KEY=VALUE"));
  EXPECT_THAT(problems[1].message, HasSubstr("unterminated double quote"));
  EXPECT_THAT(problems[2].ToString(), HasSubstr("PGARK_JOBS (f:4): set twice"));
  EXPECT_THAT(problems[3].message, HasSubstr("not a valid key name"));
  EXPECT_EQ(values["PGARK_JOBS"].value, "5");
}

TEST(LoadBackupConfigTest, DefaultsMatchTheKeyTable) {
  LoadedConfig loaded = LoadBackupConfig("", kMinimal);
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  const BackupConfig& c = loaded.config;
  EXPECT_EQ(c.name, "shop");
  EXPECT_EQ(c.retain_daily, 7);
  EXPECT_EQ(c.retain_weekly, 4);
  EXPECT_EQ(c.retain_monthly, 12);
  EXPECT_EQ(c.weekly_day, absl::Weekday::sunday);
  EXPECT_EQ(c.verify, VerifyMode::kFull);
  EXPECT_EQ(c.notify_on, NotifyOn::kFailure);
  EXPECT_EQ(c.compress, "zstd:1");
  EXPECT_EQ(c.jobs, 4);
}

TEST(LoadBackupConfigTest, EnvironmentWinsOverTheFile) {
  std::string path = WriteTemp("PGARK_DATABASE=shop\nPGARK_BACKUP_ROOT=/a\nPGARK_RETAIN_DAILY=3\n");
  LoadedConfig loaded =
      LoadBackupConfig(path, {{"PGARK_RETAIN_DAILY", "9"}, {"PGARK_TEST_CONNINFO", "ignored"}});
  unlink(path.c_str());
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  EXPECT_EQ(loaded.config.retain_daily, 9);
  EXPECT_EQ(loaded.values["PGARK_RETAIN_DAILY"].origin, "environment");
  EXPECT_EQ(loaded.config.backup_root, "/a");
}

TEST(LoadBackupConfigTest, UnknownKeyGetsADidYouMeanHint) {
  std::string path = WriteTemp("PGARK_DATABASE=shop\nPGARK_BACKUP_ROOT=/a\nPGARK_RETAN_DAILY=3\n"
                               "RETAIN_WEEKLY=2\nCOMPLETELY_ELSE=1\n");
  LoadedConfig loaded = LoadBackupConfig(path, {{"PGARK_NOTIFY_SLAK_URL", "x"}});
  unlink(path.c_str());
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_RETAN_DAILY"),
              HasSubstr(":3): unknown key (did you mean PGARK_RETAIN_DAILY?)"));
  EXPECT_THAT(ProblemsFor(loaded, "RETAIN_WEEKLY"), HasSubstr("did you mean PGARK_RETAIN_WEEKLY?"));
  EXPECT_THAT(ProblemsFor(loaded, "COMPLETELY_ELSE"), HasSubstr("unknown key\n"));
  // An unknown environment variable is only a warning: other tools share the environment.
  EXPECT_EQ(ProblemsFor(loaded, "PGARK_NOTIFY_SLAK_URL"), "");
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_THAT(loaded.warnings[0].ToString(),
              HasSubstr("(environment): unknown key (did you mean PGARK_NOTIFY_SLACK_URL?)"));
  // Storage variables are known, in the file as well.
  EXPECT_EQ(ProblemsFor(LoadBackupConfig("", {{"PGARK_S3_PART_SIZE", "8MiB"}}), "PGARK_S3_PART_SIZE"), "");
}

TEST(LoadBackupConfigTest, EachBadValueIsReportedWithItsKey) {
  std::map<std::string, std::string> env = {
      {"PGARK_BACKUP_ROOT", "relative/dir"}, {"PGARK_JOBS", "0"},
      {"PGARK_COMPRESS", "zstd:30"},         {"PGARK_RETAIN_DAILY", "seven"},
      {"PGARK_RETAIN_WEEKLY", "-1"},         {"PGARK_WEEKLY_DAY", "someday"},
      {"PGARK_VERIFY", "maybe"},             {"PGARK_NOTIFY_ON", "sometimes"},
      {"PGARK_FORMAT", "tar"},               {"PGARK_NOTIFY_SLACK_URL", "ftp://secret-token"},
      {"PGARK_NOTIFY_EMAIL_TO", "not-an-address"}, {"PGARK_SMTP_URL", "smtp://mail"},
      {"PGARK_ENCRYPT_KEY_FILE", "/no/such/key"},  {"PGARK_METRICS_FILE", "/no/such/dir/m.prom"},
      {"PGARK_RETRIES", "99"},               {"PGARK_CHECK_FREE_SPACE", "perhaps"},
      {"PGARK_COPY_TO", "s3://"}};
  LoadedConfig loaded = LoadBackupConfig("", env);
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_DATABASE"), HasSubstr("is required"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_BACKUP_ROOT"), HasSubstr("absolute directory"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_JOBS"), HasSubstr("from 1 to 256, got '0'"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_COMPRESS"), HasSubstr("zstd[:1-22]"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_RETAIN_DAILY"), HasSubstr("got 'seven'"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_RETAIN_WEEKLY"), HasSubstr("from 0 to 10000"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_WEEKLY_DAY"), HasSubstr("got 'someday'"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_VERIFY"), HasSubstr("checksum | full | restore-test"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_NOTIFY_ON"), HasSubstr("failure | always"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_FORMAT"), HasSubstr("pgark | sql.gz"));
  // A webhook URL is a secret: the message must not echo it.
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_NOTIFY_SLACK_URL"), HasSubstr("(value hidden)"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_NOTIFY_SLACK_URL"), ::testing::Not(HasSubstr("secret")));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_NOTIFY_EMAIL_TO"), HasSubstr("not an e-mail address"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_ENCRYPT_KEY_FILE"), HasSubstr("cannot read '/no/such/key'"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_METRICS_FILE"), HasSubstr("not writable"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_RETRIES"), HasSubstr("from 0 to 20"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_CHECK_FREE_SPACE"), HasSubstr("true or false"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_COPY_TO"), HasSubstr("names no bucket"));
}

TEST(LoadBackupConfigTest, PreRestoreRetentionIsOffUnlessSetAndRangeChecked) {
  LoadedConfig unset = LoadBackupConfig("", kMinimal);
  ASSERT_TRUE(unset.problems.empty());
  EXPECT_FALSE(unset.config.retain_pre_restore.has_value());
  EXPECT_FALSE(unset.config.retain_pre_restore_days.has_value());
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_RETAIN_PRE_RESTORE"] = "0";
  env["PGARK_RETAIN_PRE_RESTORE_DAYS"] = "14";
  LoadedConfig set = LoadBackupConfig("", env);
  ASSERT_TRUE(set.problems.empty());
  EXPECT_EQ(set.config.retain_pre_restore, 0);
  EXPECT_EQ(set.config.retain_pre_restore_days, 14);
  env["PGARK_RETAIN_PRE_RESTORE"] = "-1";
  env["PGARK_RETAIN_PRE_RESTORE_DAYS"] = "0";
  LoadedConfig bad = LoadBackupConfig("", env);
  EXPECT_THAT(ProblemsFor(bad, "PGARK_RETAIN_PRE_RESTORE"), HasSubstr("from 0 to 1000, got '-1'"));
  EXPECT_THAT(ProblemsFor(bad, "PGARK_RETAIN_PRE_RESTORE_DAYS"), HasSubstr("from 1 to 36500, got '0'"));
}

TEST(LoadBackupConfigTest, MissingConfigFileIsAProblem) {
  LoadedConfig loaded = LoadBackupConfig("/no/such/pgark.env", kMinimal);
  ASSERT_FALSE(loaded.problems.empty());
  EXPECT_THAT(loaded.problems[0].ToString(),
              HasSubstr("config (/no/such/pgark.env): cannot read the config file"));
}

TEST(LoadBackupConfigTest, ReadsSmtpPasswordFromFileAndWeekdayForms) {
  std::string password = WriteTemp("s3cret\n");
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_SMTP_PASSWORD_FILE"] = password;
  env["PGARK_SMTP_URL"] = "smtps://mail.example:465";
  env["PGARK_NOTIFY_EMAIL_TO"] = "a@example.com, b@example.com";
  env["PGARK_WEEKLY_DAY"] = "Wed";
  LoadedConfig loaded = LoadBackupConfig("", env);
  unlink(password.c_str());
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  EXPECT_EQ(loaded.config.smtp_password, "s3cret");
  EXPECT_THAT(loaded.config.email_to, ::testing::ElementsAre("a@example.com", "b@example.com"));
  EXPECT_EQ(loaded.config.weekly_day, absl::Weekday::wednesday);
  env["PGARK_WEEKLY_DAY"] = "0";
  env.erase("PGARK_SMTP_PASSWORD_FILE");
  EXPECT_EQ(LoadBackupConfig("", env).config.weekly_day, absl::Weekday::sunday);
}

TEST(LoadBackupConfigTest, SmtpTlsAndCaFileAreValidated) {
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_SMTP_URL"] = "smtp://mail.example:587";
  env["PGARK_NOTIFY_EMAIL_TO"] = "a@example.com";
  LoadedConfig loaded = LoadBackupConfig("", env);
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  EXPECT_FALSE(loaded.config.smtp_require_tls);  // default: STARTTLS when offered
  EXPECT_EQ(loaded.config.smtp_ca_file, "");

  std::string ca = WriteTemp("-----BEGIN CERTIFICATE-----\n");
  env["PGARK_SMTP_TLS"] = "Required";
  env["PGARK_SMTP_CA_FILE"] = ca;
  loaded = LoadBackupConfig("", env);
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].ToString();
  EXPECT_TRUE(loaded.config.smtp_require_tls);
  EXPECT_EQ(loaded.config.smtp_ca_file, ca);
  unlink(ca.c_str());

  env["PGARK_SMTP_TLS"] = "insecure";
  env["PGARK_SMTP_CA_FILE"] = "/no/such/ca.pem";
  loaded = LoadBackupConfig("", env);
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_SMTP_TLS"), HasSubstr("must be one of try | required"));
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_SMTP_CA_FILE"), HasSubstr("/no/such/ca.pem"));
}

TEST(LoadBackupConfigTest, SqlGzCannotBeEncrypted) {
  std::string key = WriteTemp("0123456789abcdef0123456789abcdef");
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_FORMAT"] = "sql.gz";
  env["PGARK_ENCRYPT_KEY_FILE"] = key;
  LoadedConfig loaded = LoadBackupConfig("", env);
  unlink(key.c_str());
  EXPECT_THAT(ProblemsFor(loaded, "PGARK_FORMAT"), HasSubstr("cannot be encrypted"));
}

TEST(LoadBackupConfigTest, RecipientOnlyKeyCannotBeVerifiedFullyOnThisHost) {
  std::string recipient = WriteTemp("pgark-x25519-public-key-placeholder\n");
  std::string key = WriteTemp("0123456789abcdef0123456789abcdef");
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_ENCRYPT_RECIPIENT"] = recipient;
  // The default PGARK_VERIFY=full, and restore-test: both must decrypt.
  for (const char* verify : {"", "full", "restore-test"}) {
    SCOPED_TRACE(verify);
    std::map<std::string, std::string> with_verify = env;
    if (*verify != '\0') with_verify["PGARK_VERIFY"] = verify;
    std::string problems = ProblemsFor(LoadBackupConfig("", with_verify), "PGARK_VERIFY");
    EXPECT_THAT(problems, HasSubstr("PGARK_ENCRYPT_RECIPIENT"));
    EXPECT_THAT(problems, HasSubstr("set PGARK_VERIFY=checksum"));
    EXPECT_THAT(problems, HasSubstr("PGARK_ENCRYPT_KEY_FILE"));
  }
  // Fixed either way: checksum verification, or a second slot this host can open.
  std::map<std::string, std::string> checksum = env;
  checksum["PGARK_VERIFY"] = "checksum";
  EXPECT_TRUE(LoadBackupConfig("", checksum).problems.empty());
  std::map<std::string, std::string> with_key = env;
  with_key["PGARK_ENCRYPT_KEY_FILE"] = key;
  EXPECT_TRUE(LoadBackupConfig("", with_key).problems.empty());
  std::map<std::string, std::string> with_passphrase = env;
  with_passphrase["PGARK_PASSPHRASE"] = "secret words";
  EXPECT_TRUE(LoadBackupConfig("", with_passphrase).problems.empty());
  unlink(recipient.c_str());
  unlink(key.c_str());
}

TEST(LoadBackupConfigTest, LockWaitTimeoutDefaultsToTenMinutesAndTakesDumpSyntax) {
  EXPECT_EQ(LoadBackupConfig("", kMinimal).config.lock_wait_timeout, absl::Minutes(10));
  const std::vector<std::pair<std::string, absl::Duration>> good = {
      {"30s", absl::Seconds(30)},   {"500ms", absl::Milliseconds(500)}, {"2min", absl::Minutes(2)},
      {"1h", absl::Hours(1)},       {"1500", absl::Milliseconds(1500)}, {"0", absl::ZeroDuration()},
      {" 5MIN ", absl::Minutes(5)}, {"24h", absl::Hours(24)}};
  for (const auto& [text, expected] : good) {
    std::map<std::string, std::string> env = kMinimal;
    env["PGARK_LOCK_WAIT_TIMEOUT"] = text;
    LoadedConfig loaded = LoadBackupConfig("", env);
    EXPECT_TRUE(loaded.problems.empty()) << text << ": " << loaded.problems[0].ToString();
    EXPECT_EQ(loaded.config.lock_wait_timeout, expected) << text;
  }
  for (const char* bad : {"soon", "-5s", "10 minutes", "min", "25h", "inf"}) {
    std::map<std::string, std::string> env = kMinimal;
    env["PGARK_LOCK_WAIT_TIMEOUT"] = bad;
    EXPECT_THAT(ProblemsFor(LoadBackupConfig("", env), "PGARK_LOCK_WAIT_TIMEOUT"),
                HasSubstr(absl::StrCat("got '", bad, "'")))
        << bad;
  }
  EXPECT_EQ(pg::ParseLockWaitTimeout("300ms").value(), absl::Milliseconds(300));
  EXPECT_EQ(pg::ParseLockWaitTimeout("x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadBackupConfigTest, SummaryFileDefaultsNextToTheLog) {
  std::map<std::string, std::string> env = kMinimal;
  env["PGARK_LOG_FILE"] = "/tmp/pgark-backup.log";
  EXPECT_EQ(LoadBackupConfig("", env).config.summary_file, "/tmp/pgark-backup.summary.json");
}

TEST(DatabaseNameOfTest, HandlesNamesConninfoAndUris) {
  EXPECT_EQ(DatabaseNameOf("shop"), "shop");
  EXPECT_EQ(DatabaseNameOf("host=db port=5432 dbname='my shop' user=x"), "my shop");
  EXPECT_EQ(DatabaseNameOf("host=db user=x"), "");
  EXPECT_EQ(DatabaseNameOf("postgresql://u:p@h:5432/orders?sslmode=require"), "orders");
  EXPECT_EQ(DatabaseNameOf("postgresql://h/?dbname=x"), "x");
}

TEST(ConfigKeysTest, ExampleFileListsEveryKeyWithItsDefault) {
  std::ifstream in(std::string(PGARK_SOURCE_DIR) + "/docs/pgark.env.example");
  ASSERT_TRUE(in) << "docs/pgark.env.example missing";
  std::stringstream text;
  text << in.rdbuf();
  std::set<std::string> seen;
  for (const ConfigKey& key : ConfigKeys()) {
    std::string line = absl::StrCat("# ", key.name, "=", key.default_value, "\n");
    EXPECT_THAT(text.str(), HasSubstr(line)) << "docs/pgark.env.example lacks: " << line;
  }
}

}  // namespace
}  // namespace pgark::ops
