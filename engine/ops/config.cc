#include "engine/ops/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/pg/snapshot.h"

extern char** environ;

namespace pgark::ops {
namespace {

// The single list of keys; docs/pgark.env.example mirrors it (config_test checks).
const std::vector<ConfigKey>& KeyTable() {
  static const std::vector<ConfigKey> kKeys = {
      {"PGARK_DATABASE", "", "database name, conninfo string or postgresql:// URI (required)"},
      {"PGARK_NAME", "", "file-name prefix; default the database name"},
      {"PGARK_BACKUP_ROOT", "", "absolute directory or s3://bucket/prefix (required)"},
      {"PGARK_COPY_TO", "", "optional second root (off-site copy, 3-2-1 rule)"},
      {"PGARK_FORMAT", "pgark", "pgark | sql.gz"},
      {"PGARK_JOBS", "4", "parallel connections for the dump (1..256)"},
      {"PGARK_COMPRESS", "zstd:1", "zstd[:1-22] | gzip[:1-9] | none"},
      {"PGARK_RETAIN_DAILY", "7", "daily backups kept (1..10000)"},
      {"PGARK_RETAIN_WEEKLY", "4", "weekly backups kept (0 = no weekly tier)"},
      {"PGARK_RETAIN_MONTHLY", "12", "monthly backups kept (0 = no monthly tier)"},
      {"PGARK_RETAIN_PRE_RESTORE", "", "restore --replace's <db>_pre_restore_* copies kept by prune (0..1000); unset: none dropped"},
      {"PGARK_RETAIN_PRE_RESTORE_DAYS", "", "prune drops pre-restore copies older than this many days (1..36500)"},
      {"PGARK_WEEKLY_DAY", "sunday", "day whose run is also kept in weekly/ (UTC)"},
      {"PGARK_VERIFY", "full", "checksum | full | restore-test"},
      {"PGARK_RESTORE_TEST_DATABASE", "", "server for restore-test scratch databases"},
      {"PGARK_ENCRYPT_KEY_FILE", "", "32-byte key file (pgark keygen -o)"},
      {"PGARK_ENCRYPT_PASSPHRASE_FILE", "", "file holding the encryption passphrase"},
      {"PGARK_ENCRYPT_RECIPIENT", "", "X25519 public key file (pgark keygen --x25519)"},
      {"PGARK_PASSPHRASE", "", "encryption passphrase (prefer the _FILE key)", true},
      {"PGARK_RETRIES", "3", "retries of transient failures, with backoff (0..20)"},
      {"PGARK_LOCK_WAIT_TIMEOUT", "10min", "the dump's wait for table locks (30s, 10min, 1h; 0 = forever), then exit 4"},
      {"PGARK_NOTIFY_ON", "failure", "failure | always"},
      {"PGARK_NOTIFY_SLACK_URL", "", "Slack incoming webhook URL", true},
      {"PGARK_NOTIFY_DISCORD_URL", "", "Discord webhook URL", true},
      {"PGARK_NOTIFY_WEBHOOK_URL", "", "generic webhook: receives the JSON summary", true},
      {"PGARK_NOTIFY_EMAIL_TO", "", "comma-separated e-mail recipients"},
      {"PGARK_NOTIFY_EMAIL_FROM", "", "sender address; default pgark@<hostname>"},
      {"PGARK_SMTP_URL", "", "smtp://host:587 or smtps://host:465 (user:password@ allowed)", true},
      {"PGARK_SMTP_USER", "", "SMTP user (overrides the URL's)"},
      {"PGARK_SMTP_PASSWORD_FILE", "", "file holding the SMTP password"},
      {"PGARK_SMTP_PASSWORD", "", "SMTP password (prefer the _FILE key)", true},
      {"PGARK_SMTP_TLS", "try", "try: smtp:// upgrades with STARTTLS when offered; required: fail without it"},
      {"PGARK_SMTP_CA_FILE", "", "CA file (PEM) that signed the relay's certificate (internal CA)"},
      {"PGARK_NOTIFY_TIMEOUT", "20", "seconds per notification attempt (1..600)"},
      {"PGARK_LOG_FILE", "", "append log lines here too; default stderr only"},
      {"PGARK_SUMMARY_FILE", "", "JSON summary of the last run; default <log file>.summary.json"},
      {"PGARK_METRICS_FILE", "", "Prometheus textfile (node_exporter textfile collector)"},
      {"PGARK_LOCK_DIR", "", "lock directory; default the root (local) or /tmp (S3)"},
      {"PGARK_CHECK_FREE_SPACE", "true", "refuse to start when a local root lacks room"},
  };
  return kKeys;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool IsKeyName(absl::string_view key) {
  if (key.empty() || absl::ascii_isdigit(key[0])) return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// Parses the value part of a line (after '='). Returns false with *error on a bad quote.
bool ParseValue(absl::string_view raw, std::string* value, std::string* error) {
  raw = absl::StripLeadingAsciiWhitespace(raw);
  if (!raw.empty() && (raw[0] == '"' || raw[0] == '\'')) {
    char quote = raw[0];
    size_t pos = 1;
    value->clear();
    for (; pos < raw.size() && raw[pos] != quote; ++pos) {
      // Double quotes take the usual .env escapes; single quotes are literal.
      if (quote == '"' && raw[pos] == '\\' && pos + 1 < raw.size()) {
        char next = raw[++pos];
        value->push_back(next == 'n' ? '\n' : next);
      } else {
        value->push_back(raw[pos]);
      }
    }
    if (pos >= raw.size()) {
      *error = absl::StrCat("unterminated ", quote == '"' ? "double" : "single", " quote");
      return false;
    }
    absl::string_view rest = absl::StripAsciiWhitespace(raw.substr(pos + 1));
    if (!rest.empty() && rest[0] != '#') {
      *error = absl::StrCat("unexpected text after the closing quote: '", rest, "'");
      return false;
    }
    return true;
  }
  // Unquoted: an inline comment starts at whitespace followed by '#'.
  size_t comment = std::string::npos;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#' && (i == 0 || absl::ascii_isspace(raw[i - 1]))) {
      comment = i;
      break;
    }
  }
  *value = std::string(absl::StripAsciiWhitespace(raw.substr(0, comment)));
  return true;
}

// Validation helpers: each adds at most one problem for its key.
class Validator {
 public:
  Validator(const ConfigValues& values, std::vector<ConfigProblem>* problems)
      : values_(values), problems_(problems) {}

  // The raw value of `key`, or its default.
  std::string Get(absl::string_view key) const {
    auto it = values_.find(std::string(key));
    if (it != values_.end()) return it->second.value;
    for (const ConfigKey& k : KeyTable()) {
      if (k.name == key) return std::string(k.default_value);
    }
    return "";
  }
  bool IsSet(absl::string_view key) const {
    auto it = values_.find(std::string(key));
    return it != values_.end() && !it->second.value.empty();
  }

  void Problem(absl::string_view key, std::string message) {
    auto it = values_.find(std::string(key));
    problems_->push_back({std::string(key), it == values_.end() ? "" : it->second.origin,
                          std::move(message)});
  }

  // Shows a value in a message unless the key is a secret.
  std::string Shown(absl::string_view key) const {
    for (const ConfigKey& k : KeyTable()) {
      if (k.name == key && k.secret) return "(value hidden)";
    }
    return absl::StrCat("'", Get(key), "'");
  }

  int Int(absl::string_view key, int low, int high, int fallback) {
    int value = 0;
    std::string raw = Get(key);
    if (!absl::SimpleAtoi(raw, &value) || value < low || value > high) {
      Problem(key, absl::StrCat("must be an integer from ", low, " to ", high, ", got '", raw, "'"));
      return fallback;
    }
    return value;
  }

  bool Bool(absl::string_view key, bool fallback) {
    std::string raw = absl::AsciiStrToLower(Get(key));
    if (raw == "true" || raw == "yes" || raw == "on" || raw == "1") return true;
    if (raw == "false" || raw == "no" || raw == "off" || raw == "0") return false;
    Problem(key, absl::StrCat("must be true or false, got '", Get(key), "'"));
    return fallback;
  }

  // One of `choices` (case-insensitive); returns its index or -1.
  int Choice(absl::string_view key, const std::vector<absl::string_view>& choices) {
    std::string raw = absl::AsciiStrToLower(Get(key));
    for (size_t i = 0; i < choices.size(); ++i) {
      if (raw == choices[i]) return static_cast<int>(i);
    }
    Problem(key, absl::StrCat("must be one of ", absl::StrJoin(choices, " | "), ", got '",
                              Get(key), "'"));
    return -1;
  }

  void Root(absl::string_view key, bool required, std::string* out) {
    std::string raw = Get(key);
    if (raw.empty()) {
      if (required) Problem(key, "is required: an absolute directory or s3://bucket/prefix");
      return;
    }
    if (absl::StartsWith(raw, "file://")) raw = raw.substr(7);
    if (IsS3Root(raw)) {
      absl::string_view bucket = absl::string_view(raw).substr(5);
      bucket = bucket.substr(0, bucket.find('/'));
      if (bucket.empty()) {
        Problem(key, absl::StrCat("names no bucket: '", raw, "' (expected s3://bucket/prefix)"));
        return;
      }
    } else if (raw[0] != '/') {
      Problem(key, absl::StrCat("must be an absolute directory or s3://bucket/prefix, got '",
                                raw, "' (cron's working directory is not yours)"));
      return;
    }
    while (raw.size() > 1 && raw.back() == '/') raw.pop_back();
    *out = raw;
  }

  void Url(absl::string_view key, const std::vector<absl::string_view>& schemes,
           std::string* out) {
    std::string raw = Get(key);
    if (raw.empty()) return;
    for (absl::string_view scheme : schemes) {
      if (absl::StartsWith(absl::AsciiStrToLower(raw), scheme) && raw.size() > scheme.size()) {
        *out = raw;
        return;
      }
    }
    Problem(key, absl::StrCat("must start with ", absl::StrJoin(schemes, " or "), ", got ",
                              Shown(key)));
  }

  // A file the run reads (key, passphrase, password): must exist and be readable.
  void ReadableFile(absl::string_view key, std::string* out) {
    std::string path = Get(key);
    if (path.empty()) return;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      Problem(key, absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
      return;
    }
    if (in.peek() == std::ifstream::traits_type::eof()) {
      Problem(key, absl::StrCat("'", path, "' is empty"));
      return;
    }
    *out = path;
  }

  // A file the run writes: its directory must exist and be writable.
  void WritableFile(absl::string_view key, std::string* out) {
    std::string path = Get(key);
    if (path.empty()) return;
    if (path[0] != '/') {
      Problem(key, absl::StrCat("must be an absolute path, got '", path, "'"));
      return;
    }
    std::string dir = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
    if (access(dir.c_str(), W_OK) != 0) {
      Problem(key, absl::StrCat("directory '", dir, "' is not writable: ", std::strerror(errno)));
      return;
    }
    *out = path;
  }

 private:
  const ConfigValues& values_;
  std::vector<ConfigProblem>* problems_;
};

void ValidateCompress(Validator& v, std::string* out) {
  std::string raw = absl::AsciiStrToLower(v.Get("PGARK_COMPRESS"));
  std::pair<std::string, std::string> parts = absl::StrSplit(raw, absl::MaxSplits(':', 1));
  int max_level = parts.first == "zstd" ? 22 : parts.first == "gzip" ? 9 : 0;
  bool ok = max_level > 0 || (parts.first == "none" && parts.second.empty());
  if (ok && !parts.second.empty()) {
    int level = 0;
    ok = absl::SimpleAtoi(parts.second, &level) && level >= 1 && level <= max_level;
  }
  if (!ok) {
    v.Problem("PGARK_COMPRESS",
              absl::StrCat("must be zstd[:1-22], gzip[:1-9] or none, got '", raw, "'"));
    return;
  }
  *out = raw;
}

void ValidateWeekday(Validator& v, absl::Weekday* out) {
  static const std::vector<std::pair<absl::string_view, absl::Weekday>> kDays = {
      {"monday", absl::Weekday::monday},   {"tuesday", absl::Weekday::tuesday},
      {"wednesday", absl::Weekday::wednesday}, {"thursday", absl::Weekday::thursday},
      {"friday", absl::Weekday::friday},   {"saturday", absl::Weekday::saturday},
      {"sunday", absl::Weekday::sunday}};
  std::string raw = absl::AsciiStrToLower(v.Get("PGARK_WEEKLY_DAY"));
  int number = -1;
  if (absl::SimpleAtoi(raw, &number) && number >= 0 && number <= 7) {
    // cron's numbering: 0 and 7 are Sunday, 1 is Monday.
    *out = number % 7 == 0 ? absl::Weekday::sunday : kDays[number - 1].second;
    return;
  }
  for (const auto& [day_name, day] : kDays) {
    if (raw.size() >= 3 && absl::StartsWith(day_name, raw)) {
      *out = day;
      return;
    }
  }
  v.Problem("PGARK_WEEKLY_DAY",
            absl::StrCat("must be a weekday (sunday, mon, ... or 0-7 as in cron), got '", raw, "'"));
}

void ValidateLockWaitTimeout(Validator& v, absl::Duration* out) {
  std::string raw = v.Get("PGARK_LOCK_WAIT_TIMEOUT");
  absl::StatusOr<absl::Duration> timeout = pg::ParseLockWaitTimeout(raw);
  // PostgreSQL's lock_timeout is an int of milliseconds; a day is far beyond any useful wait.
  if (!timeout.ok() || *timeout > absl::Hours(24)) {
    v.Problem("PGARK_LOCK_WAIT_TIMEOUT",
              absl::StrCat("must be a duration up to 24h such as 30s, 10min or 1h (0 = wait forever), "
                           "got '", raw, "'"));
    return;
  }
  *out = *timeout;
}

// A recipient (X25519 public) key lets this host encrypt but never decrypt, and the verify
// step of `full` and `restore-test` must decrypt: every run would dump, then fail at verify
// (exit 7), and no backup would ever be verified or reach weekly/ and monthly/. Caught here
// so that `config check` reports it and a run refuses before dumping. A key file or a
// passphrase next to the recipient adds a slot this host can open, so verify works then.
void ValidateVerifyCanDecrypt(Validator& v, const BackupConfig& config) {
  bool can_decrypt = v.IsSet("PGARK_ENCRYPT_KEY_FILE") || v.IsSet("PGARK_ENCRYPT_PASSPHRASE_FILE") ||
                     config.passphrase_from_env;
  if (!v.IsSet("PGARK_ENCRYPT_RECIPIENT") || can_decrypt || config.verify == VerifyMode::kChecksum ||
      config.format != BackupFormat::kPgark) {
    return;
  }
  v.Problem("PGARK_VERIFY",
            absl::StrCat("PGARK_VERIFY=", VerifyModeName(config.verify),
                         " must decrypt the new backup, but its only key is PGARK_ENCRYPT_RECIPIENT, a "
                         "public key this host cannot decrypt with, so every run would fail at verify "
                         "(exit 7): set PGARK_VERIFY=checksum and verify with the secret key elsewhere "
                         "(pgark verify --identity), or also set PGARK_ENCRYPT_KEY_FILE or "
                         "PGARK_ENCRYPT_PASSPHRASE_FILE (a second key slot this host can open)"));
}

void ValidateEmail(Validator& v, BackupConfig* config) {
  std::string raw = v.Get("PGARK_NOTIFY_EMAIL_TO");
  for (absl::string_view address : absl::StrSplit(raw, ',', absl::SkipWhitespace())) {
    address = absl::StripAsciiWhitespace(address);
    size_t at = address.find('@');
    if (at == 0 || at == absl::string_view::npos || at + 1 == address.size() ||
        address.find_first_of(" <>\r\n") != absl::string_view::npos) {
      v.Problem("PGARK_NOTIFY_EMAIL_TO", absl::StrCat("'", address, "' is not an e-mail address"));
      config->email_to.clear();
      return;
    }
    config->email_to.emplace_back(address);
  }
  config->email_from = v.Get("PGARK_NOTIFY_EMAIL_FROM");
  if (!config->email_from.empty() && config->email_from.find('@') == std::string::npos) {
    v.Problem("PGARK_NOTIFY_EMAIL_FROM",
              absl::StrCat("'", config->email_from, "' is not an e-mail address"));
  }
  if (!config->email_to.empty() && !v.IsSet("PGARK_SMTP_URL")) {
    v.Problem("PGARK_SMTP_URL", "is required when PGARK_NOTIFY_EMAIL_TO is set");
  }
  if (config->email_to.empty() && v.IsSet("PGARK_SMTP_URL")) {
    v.Problem("PGARK_NOTIFY_EMAIL_TO", "is required when PGARK_SMTP_URL is set");
  }
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void Validate(const ConfigValues& values, BackupConfig* config,
              std::vector<ConfigProblem>* problems) {
  Validator v(values, problems);
  config->database = v.Get("PGARK_DATABASE");
  if (config->database.empty()) v.Problem("PGARK_DATABASE", "is required");
  config->name = v.Get("PGARK_NAME");
  if (config->name.empty()) config->name = DatabaseNameOf(config->database);
  if (config->name.empty() && !config->database.empty()) {
    v.Problem("PGARK_NAME", "is required when PGARK_DATABASE names no database (dbname=...)");
  }
  v.Root("PGARK_BACKUP_ROOT", true, &config->backup_root);
  v.Root("PGARK_COPY_TO", false, &config->copy_to);
  if (!config->copy_to.empty() && config->copy_to == config->backup_root) {
    v.Problem("PGARK_COPY_TO", "must differ from PGARK_BACKUP_ROOT (a copy on the same root "
                               "protects nothing)");
  }
  int format = v.Choice("PGARK_FORMAT", {"pgark", "sql.gz"});
  if (format >= 0) config->format = static_cast<BackupFormat>(format);
  config->jobs = v.Int("PGARK_JOBS", 1, 256, config->jobs);
  ValidateLockWaitTimeout(v, &config->lock_wait_timeout);
  ValidateCompress(v, &config->compress);
  config->retain_daily = v.Int("PGARK_RETAIN_DAILY", 1, 10000, config->retain_daily);
  config->retain_weekly = v.Int("PGARK_RETAIN_WEEKLY", 0, 10000, config->retain_weekly);
  config->retain_monthly = v.Int("PGARK_RETAIN_MONTHLY", 0, 10000, config->retain_monthly);
  if (v.IsSet("PGARK_RETAIN_PRE_RESTORE")) {
    config->retain_pre_restore = v.Int("PGARK_RETAIN_PRE_RESTORE", 0, 1000, 1000);
  }
  if (v.IsSet("PGARK_RETAIN_PRE_RESTORE_DAYS")) {
    config->retain_pre_restore_days = v.Int("PGARK_RETAIN_PRE_RESTORE_DAYS", 1, 36500, 36500);
  }
  ValidateWeekday(v, &config->weekly_day);
  int verify = v.Choice("PGARK_VERIFY", {"checksum", "full", "restore-test"});
  if (verify >= 0) config->verify = static_cast<VerifyMode>(verify);
  config->restore_test_database = v.Get("PGARK_RESTORE_TEST_DATABASE");
  v.ReadableFile("PGARK_ENCRYPT_KEY_FILE", &config->encrypt_key_file);
  v.ReadableFile("PGARK_ENCRYPT_PASSPHRASE_FILE", &config->encrypt_passphrase_file);
  v.ReadableFile("PGARK_ENCRYPT_RECIPIENT", &config->encrypt_recipient_file);
  config->passphrase_from_env = v.IsSet("PGARK_PASSPHRASE");
  bool encrypted = v.IsSet("PGARK_ENCRYPT_KEY_FILE") || v.IsSet("PGARK_ENCRYPT_PASSPHRASE_FILE") ||
                   v.IsSet("PGARK_ENCRYPT_RECIPIENT") || config->passphrase_from_env;
  if (encrypted && config->format == BackupFormat::kSqlGz) {
    v.Problem("PGARK_FORMAT", "sql.gz backups cannot be encrypted; use PGARK_FORMAT=pgark or "
                              "remove the PGARK_ENCRYPT_* keys");
  }
  ValidateVerifyCanDecrypt(v, *config);
  config->retries = v.Int("PGARK_RETRIES", 0, 20, config->retries);
  int notify_on = v.Choice("PGARK_NOTIFY_ON", {"failure", "always"});
  if (notify_on >= 0) config->notify_on = static_cast<NotifyOn>(notify_on);
  v.Url("PGARK_NOTIFY_SLACK_URL", {"https://", "http://"}, &config->slack_url);
  v.Url("PGARK_NOTIFY_DISCORD_URL", {"https://", "http://"}, &config->discord_url);
  v.Url("PGARK_NOTIFY_WEBHOOK_URL", {"https://", "http://"}, &config->webhook_url);
  v.Url("PGARK_SMTP_URL", {"smtp://", "smtps://"}, &config->smtp_url);
  ValidateEmail(v, config);
  config->smtp_user = v.Get("PGARK_SMTP_USER");
  std::string password_file;
  v.ReadableFile("PGARK_SMTP_PASSWORD_FILE", &password_file);
  if (!password_file.empty()) {
    config->smtp_password =
        std::string(absl::StripTrailingAsciiWhitespace(ReadWholeFile(password_file)));
  } else {
    config->smtp_password = v.Get("PGARK_SMTP_PASSWORD");
  }
  // "try" keeps smtp:// working with relays that offer no STARTTLS; "required" refuses to send
  // in clear text. smtps:// is TLS from the first byte whatever this says.
  int smtp_tls = v.Choice("PGARK_SMTP_TLS", {"try", "required"});
  if (smtp_tls >= 0) config->smtp_require_tls = smtp_tls == 1;
  v.ReadableFile("PGARK_SMTP_CA_FILE", &config->smtp_ca_file);
  config->notify_timeout_seconds =
      v.Int("PGARK_NOTIFY_TIMEOUT", 1, 600, config->notify_timeout_seconds);
  v.WritableFile("PGARK_LOG_FILE", &config->log_file);
  v.WritableFile("PGARK_SUMMARY_FILE", &config->summary_file);
  if (config->summary_file.empty() && !config->log_file.empty()) {
    std::string base = config->log_file;
    if (absl::EndsWith(base, ".log")) base.resize(base.size() - 4);
    config->summary_file = absl::StrCat(base, ".summary.json");
  }
  v.WritableFile("PGARK_METRICS_FILE", &config->metrics_file);
  std::string lock_dir = v.Get("PGARK_LOCK_DIR");
  if (!lock_dir.empty()) {
    if (lock_dir[0] != '/' || access(lock_dir.c_str(), W_OK) != 0) {
      v.Problem("PGARK_LOCK_DIR",
                absl::StrCat("must be an existing writable absolute directory, got '", lock_dir,
                             "'"));
    } else {
      config->lock_dir = lock_dir;
    }
  }
  config->check_free_space = v.Bool("PGARK_CHECK_FREE_SPACE", true);
}

bool IsKnownKey(absl::string_view key) {
  for (const ConfigKey& k : KeyTable()) {
    if (k.name == key) return true;
  }
  for (absl::string_view k : PassthroughKeys()) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

absl::string_view BackupFormatName(BackupFormat format) {
  return format == BackupFormat::kSqlGz ? "sql.gz" : "pgark";
}

absl::string_view VerifyModeName(VerifyMode mode) {
  switch (mode) {
    case VerifyMode::kChecksum:
      return "checksum";
    case VerifyMode::kFull:
      return "full";
    case VerifyMode::kRestoreTest:
      return "restore-test";
  }
  return "full";
}

const std::vector<ConfigKey>& ConfigKeys() { return KeyTable(); }

const std::vector<absl::string_view>& PassthroughKeys() {
  static const std::vector<absl::string_view> kKeys = {
      "PGHOST",    "PGHOSTADDR",  "PGPORT",       "PGUSER",        "PGPASSWORD",
      "PGPASSFILE", "PGSSLMODE",  "PGSSLROOTCERT", "PGSSLCERT",     "PGSSLKEY",
      "PGSERVICE", "PGSERVICEFILE", "PGCONNECT_TIMEOUT", "PGAPPNAME", "PGOPTIONS",
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
      "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
      // engine/storage/s3/s3_options.h
      "PGARK_S3_ADDRESSING", "PGARK_S3_CONCURRENCY", "PGARK_S3_INSECURE_TLS",
      "PGARK_S3_MAX_ATTEMPTS", "PGARK_S3_PART_SIZE", "PGARK_S3_SSE", "PGARK_S3_SSE_KMS_KEY_ID",
      // engine/ops/sql_gz_check.h: where psql is (sql.gz restore tests)
      "PGARK_PG_BINDIR"};
  return kKeys;
}

std::string ConfigProblem::ToString() const {
  std::string out = key.empty() ? std::string("config") : key;
  if (!origin.empty()) absl::StrAppend(&out, " (", origin, ")");
  absl::StrAppend(&out, ": ", message);
  return out;
}

void ParseEnvText(absl::string_view text, absl::string_view source, ConfigValues* values,
                  std::vector<ConfigProblem>* problems) {
  std::map<std::string, int> first_line;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    std::string origin = absl::StrCat(source, ":", line_number);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (absl::ConsumePrefix(&line, "export ")) line = absl::StripLeadingAsciiWhitespace(line);
    size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      problems->push_back({"", origin, absl::StrCat("expected KEY=VALUE, got '", line, "'")});
      continue;
    }
    std::string key(absl::StripTrailingAsciiWhitespace(line.substr(0, equals)));
    if (!IsKeyName(key)) {
      problems->push_back({"", origin, absl::StrCat("'", key, "' is not a valid key name")});
      continue;
    }
    std::string value, error;
    if (!ParseValue(line.substr(equals + 1), &value, &error)) {
      problems->push_back({key, origin, error});
      continue;
    }
    auto [it, inserted] = first_line.emplace(key, line_number);
    if (!inserted) {
      problems->push_back({key, origin, absl::StrCat("set twice (first on line ", it->second,
                                                     "); remove one")});
    }
    (*values)[key] = {value, origin};
  }
}

std::string SuggestKey(absl::string_view unknown) {
  std::string best;
  size_t best_distance = 4;
  std::string upper = absl::AsciiStrToUpper(unknown);
  for (const ConfigKey& k : KeyTable()) {
    size_t distance = EditDistance(upper, k.name);
    // Also catch a missing prefix: RETAIN_DAILY -> PGARK_RETAIN_DAILY.
    if (!absl::StartsWith(upper, "PGARK_")) {
      distance = std::min(distance, EditDistance(absl::StrCat("PGARK_", upper), k.name));
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(k.name);
    }
  }
  return best;
}

LoadedConfig LoadBackupConfig(const std::string& config_path,
                              const std::map<std::string, std::string>& environment) {
  LoadedConfig loaded;
  if (!config_path.empty()) {
    std::ifstream in(config_path, std::ios::binary);
    if (!in) {
      loaded.problems.push_back(
          {"", config_path, absl::StrCat("cannot read the config file: ", std::strerror(errno))});
    } else {
      std::ostringstream text;
      text << in.rdbuf();
      ParseEnvText(text.str(), config_path, &loaded.values, &loaded.problems);
    }
  }
  for (const auto& [key, value] : loaded.values) {
    if (IsKnownKey(key)) continue;
    std::string hint = SuggestKey(key);
    loaded.problems.push_back(
        {key, value.origin,
         absl::StrCat("unknown key", hint.empty() ? "" : absl::StrCat(" (did you mean ", hint, "?)"))});
  }
  for (const auto& [key, value] : environment) {
    if (!absl::StartsWith(key, "PGARK_") || absl::StartsWith(key, "PGARK_TEST_")) continue;
    if (!IsKnownKey(key)) {
      std::string hint = SuggestKey(key);
      loaded.warnings.push_back(
          {key, "environment",
           absl::StrCat("unknown key", hint.empty() ? "" : absl::StrCat(" (did you mean ", hint, "?)"))});
      continue;
    }
    loaded.values[key] = {value, "environment"};
  }
  Validate(loaded.values, &loaded.config, &loaded.problems);
  return loaded;
}

std::map<std::string, std::string> EnvironmentSnapshot() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

void ExportPassthroughValues(const ConfigValues& values) {
  for (absl::string_view key : PassthroughKeys()) {
    auto it = values.find(std::string(key));
    if (it != values.end()) setenv(it->first.c_str(), it->second.value.c_str(), /*overwrite=*/0);
  }
  // The dump's and the verify step's key loaders read PGARK_PASSPHRASE from the environment
  // (cli/archive_options.h, cli/cli_common.h). Given only in the file, it was not exported and
  // the backup was written unencrypted although the configuration asked for encryption.
  auto passphrase = values.find("PGARK_PASSPHRASE");
  if (passphrase != values.end() && !passphrase->second.value.empty()) {
    setenv("PGARK_PASSPHRASE", passphrase->second.value.c_str(), /*overwrite=*/0);
  }
}

std::string DatabaseNameOf(absl::string_view database) {
  database = absl::StripAsciiWhitespace(database);
  if (absl::StartsWith(database, "postgresql://") || absl::StartsWith(database, "postgres://")) {
    absl::string_view rest = database.substr(database.find("://") + 3);
    size_t slash = rest.find('/');
    std::string name;
    if (slash != absl::string_view::npos) {
      absl::string_view path = rest.substr(slash + 1);
      name = std::string(path.substr(0, path.find('?')));
    }
    // dbname= in the query string overrides the path.
    size_t query = rest.find('?');
    if (query != absl::string_view::npos) {
      for (absl::string_view pair : absl::StrSplit(rest.substr(query + 1), '&')) {
        if (absl::ConsumePrefix(&pair, "dbname=")) name = std::string(pair);
      }
    }
    return name;
  }
  if (database.find('=') == absl::string_view::npos) return std::string(database);
  // key=value conninfo: find dbname, honouring single quotes.
  size_t pos = 0;
  while (pos < database.size()) {
    while (pos < database.size() && absl::ascii_isspace(database[pos])) ++pos;
    size_t equals = database.find('=', pos);
    if (equals == absl::string_view::npos) break;
    std::string key(absl::StripAsciiWhitespace(database.substr(pos, equals - pos)));
    pos = equals + 1;
    while (pos < database.size() && absl::ascii_isspace(database[pos])) ++pos;
    std::string value;
    if (pos < database.size() && database[pos] == '\'') {
      for (++pos; pos < database.size() && database[pos] != '\''; ++pos) {
        if (database[pos] == '\\' && pos + 1 < database.size()) ++pos;
        value.push_back(database[pos]);
      }
      ++pos;
    } else {
      while (pos < database.size() && !absl::ascii_isspace(database[pos])) {
        value.push_back(database[pos++]);
      }
    }
    if (key == "dbname") return DatabaseNameOf(value);  // dbname may itself be a URI
  }
  return "";
}

bool IsS3Root(absl::string_view root) { return absl::StartsWith(root, "s3://"); }

}  // namespace pgark::ops
