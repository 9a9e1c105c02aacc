#pragma once
// engine/ops: the configuration of scheduled backup runs (`pgark backup`, `list`, `prune`,
// `config check`).
//
// Sources: a KEY=VALUE file in the shape of an .env file (comments, blank lines, optional
// single or double quotes, an optional `export ` prefix; no variable expansion), and the
// process environment, which wins over the file for every key. Every PGARK_* key is listed
// in kConfigKeys with its default; docs/pgark.env.example lists the same keys (a unit test
// keeps them in step).
//
// Loading never stops at the first mistake: every problem is collected as a ConfigProblem
// naming its key and where the value came from, so `pgark config check` prints each on its
// own line. Checks that touch the outside world (database reachable, root writable) live in
// config_check.h.
//
// Thread-safety: plain values; the functions are pure except for reading files named by
// the configuration (key files) and the config file itself.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pgark::ops {

enum class BackupFormat { kPgark, kSqlGz };
enum class VerifyMode { kChecksum, kFull, kRestoreTest };
enum class NotifyOn { kFailure, kAlways };

absl::string_view BackupFormatName(BackupFormat format);  // "pgark", "sql.gz"
absl::string_view VerifyModeName(VerifyMode mode);        // "checksum", "full", "restore-test"

// Everything a backup run needs, validated. Defaults match kConfigKeys.
struct BackupConfig {
  // PGARK_DATABASE: database name, conninfo string or postgresql:// URI. Required.
  std::string database;
  // PGARK_NAME: the file-name prefix; default: the database name from PGARK_DATABASE.
  std::string name;
  // PGARK_BACKUP_ROOT: an absolute directory or s3://bucket/prefix. Required.
  std::string backup_root;
  // PGARK_COPY_TO: optional second root (3-2-1 rule); "" = none.
  std::string copy_to;
  int jobs = 4;                          // PGARK_JOBS (1..256)
  // PGARK_LOCK_WAIT_TIMEOUT: how long the dump waits for its ACCESS SHARE table locks before
  // the run fails (exit 4), `pgark dump --lock-wait-timeout`'s syntax; zero waits forever.
  // Default 10 minutes: a cron job must not hang behind a stuck exclusive lock.
  absl::Duration lock_wait_timeout = absl::Minutes(10);
  std::string compress = "zstd:1";       // PGARK_COMPRESS: zstd[:1-22] | gzip[:1-9] | none
  BackupFormat format = BackupFormat::kPgark;  // PGARK_FORMAT
  int retain_daily = 7;                  // PGARK_RETAIN_DAILY (1..10000)
  int retain_weekly = 4;                 // PGARK_RETAIN_WEEKLY (0 = no weekly tier)
  int retain_monthly = 12;               // PGARK_RETAIN_MONTHLY (0 = no monthly tier)
  // Pre-restore copies (`pgark restore --replace` keeps the replaced database as
  // "<db>_pre_restore_<UTC>" on PGARK_DATABASE's server): prune keeps the newest
  // PGARK_RETAIN_PRE_RESTORE (0..1000) and drops those older than PGARK_RETAIN_PRE_RESTORE_DAYS
  // (1..36500). Both unset (the default): prune never drops a database.
  std::optional<int> retain_pre_restore;
  std::optional<int> retain_pre_restore_days;
  absl::Weekday weekly_day = absl::Weekday::sunday;  // PGARK_WEEKLY_DAY
  VerifyMode verify = VerifyMode::kFull;  // PGARK_VERIFY
  std::string restore_test_database;     // PGARK_RESTORE_TEST_DATABASE; "" = PGARK_DATABASE's server
  // Encryption: any combination of key slots; all empty = not encrypted.
  std::string encrypt_key_file;          // PGARK_ENCRYPT_KEY_FILE
  std::string encrypt_passphrase_file;   // PGARK_ENCRYPT_PASSPHRASE_FILE
  std::string encrypt_recipient_file;    // PGARK_ENCRYPT_RECIPIENT (X25519 public key file)
  bool passphrase_from_env = false;      // PGARK_PASSPHRASE is set (its value is never kept here)
  int retries = 3;                       // PGARK_RETRIES (0..20): retries of transient failures
  // Notifications.
  std::string slack_url;                 // PGARK_NOTIFY_SLACK_URL (a secret: never logged)
  std::string discord_url;               // PGARK_NOTIFY_DISCORD_URL (a secret: never logged)
  std::string webhook_url;               // PGARK_NOTIFY_WEBHOOK_URL
  std::vector<std::string> email_to;     // PGARK_NOTIFY_EMAIL_TO (comma-separated)
  std::string email_from;                // PGARK_NOTIFY_EMAIL_FROM; default pgark@<hostname>
  std::string smtp_url;                  // PGARK_SMTP_URL: smtp[s]://[user[:password]@]host[:port]
  std::string smtp_user;                 // PGARK_SMTP_USER (overrides the URL's user)
  std::string smtp_password;             // PGARK_SMTP_PASSWORD or PGARK_SMTP_PASSWORD_FILE's content
  bool smtp_require_tls = false;         // PGARK_SMTP_TLS=required: smtp:// must upgrade (STARTTLS)
  std::string smtp_ca_file;              // PGARK_SMTP_CA_FILE: CA bundle for the relay's certificate
  NotifyOn notify_on = NotifyOn::kFailure;  // PGARK_NOTIFY_ON
  int notify_timeout_seconds = 20;       // PGARK_NOTIFY_TIMEOUT (1..600)
  // Files of the run.
  std::string log_file;                  // PGARK_LOG_FILE: "" = stderr only
  std::string summary_file;              // PGARK_SUMMARY_FILE: default <log file>.summary.json
  std::string metrics_file;              // PGARK_METRICS_FILE: Prometheus textfile; "" = none
  std::string lock_dir;                  // PGARK_LOCK_DIR: default the root (local) or /tmp (S3)
  bool check_free_space = true;          // PGARK_CHECK_FREE_SPACE (local roots only)
};

// One key the configuration understands.
struct ConfigKey {
  absl::string_view name;
  absl::string_view default_value;  // as written in docs/pgark.env.example; "" = unset
  absl::string_view help;           // one line
  bool secret = false;              // its value is never printed
};

// Every PGARK_* key, in the order docs/pgark.env.example lists them.
const std::vector<ConfigKey>& ConfigKeys();

// Other keys a config file may also set; they are exported to the process environment
// (unless already set there) for libpq (PG*) and S3 (AWS_*, PGARK_S3_*).
const std::vector<absl::string_view>& PassthroughKeys();

// One problem found while loading or checking, e.g.
// "PGARK_JOBS (/etc/pgark.env:4): must be an integer from 1 to 256, got 'many'".
struct ConfigProblem {
  std::string key;     // the key, or "" for a line that has none (syntax error)
  std::string origin;  // "<file>:<line>", "environment" or "" (a default / a missing key)
  std::string message;
  std::string ToString() const;
};

// A raw value and where it came from.
struct ConfigValue {
  std::string value;
  std::string origin;  // "<file>:<line>" or "environment"
};
using ConfigValues = std::map<std::string, ConfigValue>;

// Parses .env text. Adds every KEY=VALUE to *values (a later line wins) and every syntax
// error or duplicate key to *problems. `source` names the file in origins.
void ParseEnvText(absl::string_view text, absl::string_view source, ConfigValues* values,
                  std::vector<ConfigProblem>* problems);

// The closest known key to `unknown` (edit distance <= 3), or "" if none is close.
std::string SuggestKey(absl::string_view unknown);

struct LoadedConfig {
  BackupConfig config;
  ConfigValues values;                 // merged raw values (file, then environment)
  std::vector<ConfigProblem> problems; // empty = valid
  // Unknown PGARK_* environment variables (with a did-you-mean hint). Only warnings: the
  // environment is shared with other tools and other pgark modules' variables, while an
  // unknown key in the config file is always a problem.
  std::vector<ConfigProblem> warnings;
};

// Reads `config_path` (may be "" for environment only) and `environment` (NAME -> value,
// usually EnvironmentSnapshot()), merges them (environment wins) and validates every key.
// Never fails: an unreadable config file is itself a problem. Also checks that files named
// by the configuration (key files, password file) are readable. Variables named PGARK_TEST_*
// are reserved for the test suite and ignored.
LoadedConfig LoadBackupConfig(const std::string& config_path,
                              const std::map<std::string, std::string>& environment);

// The current process environment as a map.
std::map<std::string, std::string> EnvironmentSnapshot();

// Exports PassthroughKeys() and PGARK_PASSPHRASE found in the config file to the process
// environment, never overriding a variable that is already set. Not thread-safe (setenv).
void ExportPassthroughValues(const ConfigValues& values);

// The database name a conninfo/URI/bare name selects, or "" if it names none (then libpq
// falls back to PGDATABASE and PGARK_NAME must say what to call the files).
std::string DatabaseNameOf(absl::string_view database);

// True for s3:// roots; false for local directories.
bool IsS3Root(absl::string_view root);

}  // namespace pgark::ops
