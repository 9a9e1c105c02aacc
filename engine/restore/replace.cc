#include "engine/restore/replace.h"

#include <algorithm>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "engine/catalog/sql_text.h"
#include "engine/pg/connection.h"
#include "engine/pg/conninfo.h"
#include "engine/restore/row_counts.h"
#include "format/base/logging.h"
#include "format/base/cancellation.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine::restore {
namespace {

constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1
constexpr char kPreRestoreInfix[] = "_pre_restore_";
constexpr char kObjectInUse[] = "55006";

// Databases are renamed and created from another database of the same server.
absl::StatusOr<std::unique_ptr<pg::Connection>> OpenMaintenance(const std::string& conninfo,
                                                                const std::string& avoid,
                                                                const std::string& application_name) {
  pg::ConnectOptions connect;
  connect.application_name = application_name;
  connect.dbname = avoid == "postgres" ? "template1" : "postgres";
  auto conn = pg::Connection::Open(conninfo, connect);
  if (conn.ok() || conn.status().code() != absl::StatusCode::kNotFound) return conn;
  connect.dbname = "template1";
  return pg::Connection::Open(conninfo, connect);
}

constexpr char kReplacePrefix[] = "pgark_replace_";

// "pgark_replace_<hex>_<db>", <db> cut (at a UTF-8 character boundary) to stay within
// NAMEDATALEN, which the server would otherwise truncate behind our back.
std::string TemporaryName(const std::string& hex, const std::string& database) {
  std::string name = absl::StrCat(kReplacePrefix, hex, "_");
  size_t room = std::min(database.size(), kMaxIdentifier - name.size());
  while (room > 0 && room < database.size() && (static_cast<unsigned char>(database[room]) & 0xC0) == 0x80) {
    --room;
  }
  name.append(database, 0, room);
  return name;
}

// True when `name` is a temporary database of a --replace of `database`.
bool IsTemporaryOf(absl::string_view name, const std::string& database) {
  const size_t prefix = sizeof(kReplacePrefix) - 1;
  if (name.size() < prefix + 9 || name.substr(0, prefix) != kReplacePrefix || name[prefix + 8] != '_') return false;
  const absl::string_view hex = name.substr(prefix, 8);
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return name == TemporaryName(std::string(hex), database);
}

// Sessions connected to `database` other than ours: "N session(s) (user@application, ...)".
// Client backends only: an autovacuum worker does not block RENAME/DROP DATABASE (the server
// cancels it), and counting it made --replace refuse after a bulk DELETE had woken autovacuum.
absl::StatusOr<std::pair<int, std::string>> OtherSessions(pg::Connection& conn, const std::string& database) {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result sessions,
      conn.QueryParams("SELECT pg_catalog.count(*), pg_catalog.string_agg(DISTINCT COALESCE(usename, '?') "
                       "OPERATOR(pg_catalog.||) '@' OPERATOR(pg_catalog.||) COALESCE(NULLIF(application_name, ''), "
                       "'unnamed'), ', ') FROM pg_catalog.pg_stat_activity WHERE datname = $1 "
                       "AND pid <> pg_catalog.pg_backend_pid() AND backend_type = 'client backend'",
                       {database}));
  return std::make_pair(static_cast<int>(sessions.GetInt64(0, 0).value_or(0)), std::string(sessions.Get(0, 1)));
}

absl::StatusOr<int> TerminateSessions(pg::Connection& conn, const std::string& database) {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result terminated,
      conn.QueryParams("SELECT pg_catalog.count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid)) "
                       "FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()",
                       {database}));
  return static_cast<int>(terminated.GetInt64(0, 0).value_or(0));
}

// Settings whose value is a list: each element is quoted on its own (pg_dump's
// GUC_LIST_QUOTE handling in makeAlterConfigCommand).
bool IsListSetting(absl::string_view name) {
  static const std::set<std::string, std::less<>> kLists = {
      "search_path", "temp_tablespaces", "session_preload_libraries", "shared_preload_libraries",
      "local_preload_libraries", "unix_socket_directories"};
  return kLists.count(name) > 0;
}

struct ExistingDatabase {
  bool exists = false;
  std::string oid, owner, encoding, collate, ctype;
  int64_t connection_limit = -1;
  bool owner_is_member = false;  // we may create a database owned by `owner`
};

// CREATE DATABASE for the temporary database, shaped like the target (when it exists). Not
// its connection limit: that is set once the restore is done (SetLastProperties), or a limit
// below the restore's own connections (0 or 1 for a non-superuser with -j 2) would lock it out.
std::vector<std::string> CreateLike(pg::Connection& conn, const std::string& temp, const ExistingDatabase& old) {
  std::string create = absl::StrCat("CREATE DATABASE ", conn.QuoteIdentifier(temp), " TEMPLATE template0");
  if (old.exists) {
    absl::StrAppend(&create, " ENCODING ", conn.QuoteLiteral(old.encoding), " LC_COLLATE ",
                    conn.QuoteLiteral(old.collate), " LC_CTYPE ", conn.QuoteLiteral(old.ctype));
    if (old.owner_is_member) absl::StrAppend(&create, " OWNER ", conn.QuoteIdentifier(old.owner));
  }
  return {create};
}

// The target's database-level privileges and settings, as statements for `temp`.
absl::StatusOr<std::vector<std::string>> CopyDatabaseProperties(pg::Connection& conn, const std::string& temp,
                                                                const ExistingDatabase& old) {
  std::vector<std::string> statements;
  const std::string quoted = conn.QuoteIdentifier(temp);
  PGARK_ASSIGN_OR_RETURN(
      pg::Result acl,
      conn.QueryParams("SELECT a.grantee = 0, COALESCE(r.rolname, ''), a.privilege_type, a.is_grantable "
                       "FROM pg_catalog.pg_database d, pg_catalog.aclexplode(d.datacl) a "
                       "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee WHERE d.oid = $1::pg_catalog.oid",
                       {old.oid}));
  if (acl.rows() > 0) {
    // An explicit ACL replaces the defaults (PUBLIC: CONNECT, TEMPORARY).
    statements.push_back(absl::StrCat("REVOKE ALL ON DATABASE ", quoted, " FROM PUBLIC"));
    for (int row = 0; row < acl.rows(); ++row) {
      std::string grantee = acl.GetBool(row, 0) ? "PUBLIC" : conn.QuoteIdentifier(acl.Get(row, 1));
      if (!acl.GetBool(row, 0) && acl.Get(row, 1).empty()) continue;  // a dropped role
      statements.push_back(absl::StrCat("GRANT ", acl.Get(row, 2), " ON DATABASE ", quoted, " TO ", grantee,
                                        acl.GetBool(row, 3) ? " WITH GRANT OPTION" : ""));
    }
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result settings,
      conn.QueryParams("SELECT COALESCE(r.rolname, ''), s.setrole = 0, c.setting FROM pg_catalog.pg_db_role_setting s "
                       "CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) c(setting) "
                       "LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole "
                       "WHERE s.setdatabase = $1::pg_catalog.oid",
                       {old.oid}));
  for (int row = 0; row < settings.rows(); ++row) {
    std::string setting(settings.Get(row, 2));
    size_t eq = setting.find('=');
    if (eq == std::string::npos) continue;
    std::string name = setting.substr(0, eq), value = setting.substr(eq + 1);
    std::string sql = absl::StrCat("ALTER DATABASE ", quoted);
    if (!settings.GetBool(row, 1)) {
      if (settings.Get(row, 0).empty()) continue;
      absl::StrAppend(&sql, " IN ROLE ", conn.QuoteIdentifier(settings.Get(row, 0)));
    }
    absl::StrAppend(&sql, " SET ", conn.QuoteIdentifier(name), " TO ");
    if (IsListSetting(name)) {
      std::vector<std::string> parts;
      for (absl::string_view part : absl::StrSplit(value, ", ")) parts.push_back(conn.QuoteLiteral(part));
      absl::StrAppend(&sql, absl::StrJoin(parts, ", "));
    } else {
      absl::StrAppend(&sql, conn.QuoteLiteral(value));
    }
    statements.push_back(sql);
  }
  return statements;
}

absl::StatusOr<ExistingDatabase> ReadExisting(pg::Connection& conn, const std::string& database) {
  ExistingDatabase old;
  PGARK_ASSIGN_OR_RETURN(
      pg::Result row,
      conn.QueryParams("SELECT d.oid, r.rolname, pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, "
                       "d.datctype, d.datconnlimit, pg_catalog.pg_has_role(d.datdba, 'MEMBER') "
                       "FROM pg_catalog.pg_database d JOIN pg_catalog.pg_roles r ON r.oid = d.datdba "
                       "WHERE d.datname = $1",
                       {database}));
  if (row.rows() == 0) return old;
  old.exists = true;
  old.oid = std::string(row.Get(0, 0));
  old.owner = std::string(row.Get(0, 1));
  old.encoding = std::string(row.Get(0, 2));
  old.collate = std::string(row.Get(0, 3));
  old.ctype = std::string(row.Get(0, 4));
  old.connection_limit = row.GetInt64(0, 5).value_or(-1);
  old.owner_is_member = row.GetBool(0, 6);
  return old;
}

// Every loaded table holds exactly the rows the archive's index records (row_counts.h).
absl::StatusOr<int> VerifyRowCounts(const RestoreOptions& options, const std::string& database,
                                    const RestoreResult& result) {
  pg::ConnectOptions connect;
  connect.application_name = options.application_name;
  connect.dbname = database;
  PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(options.conninfo, connect));
  PGARK_ASSIGN_OR_RETURN(std::vector<int64_t> counts, CountRestoredRows(*conn, result.loaded_tables));
  PGARK_RETURN_IF_ERROR(base::Annotate(CompareRestoredRows(result.loaded_tables, counts), "verification"));
  return static_cast<int>(counts.size());
}

class Replace {
 public:
  Replace(const ReplaceOptions& options, OpenedArchive& archive) : options_(options), archive_(archive) {}

  absl::StatusOr<ReplaceResult> Run() {
    PGARK_RETURN_IF_ERROR(Preflight());
    // A second interrupt waits for the temporary database to be dropped; a third one leaves it
    // (--list-pre-restore lists it as incomplete, --drop-pre-restore drops it).
    base::CleanupGuard guard(
        absl::StrCat("dropping the temporary database ", temp_),
        absl::StrCat("the temporary database ", temp_, " (database ", result_.database,
                     " is unchanged); pgark restore --drop-pre-restore -d ", result_.database, " drops it"));
    absl::Status status = RestoreAndSwap();
    if (!status.ok()) {
      // A server that restarted mid-restore took the maintenance session with it: one new
      // session for the clean-up (when the server is back by then).
      // (libpq notices a closed session only when it is used: hence the probe.)
      if (!maintenance_->Execute("SELECT 1").ok()) {
        auto reopened = OpenMaintenance(options_.restore.conninfo, result_.database, options_.restore.application_name);
        if (reopened.ok()) maintenance_ = *std::move(reopened);
      }
      // The restore creates the temporary database once the archive's metadata was read and
      // pre-checked: a failure before that has nothing to drop.
      absl::StatusOr<pg::Result> exists = maintenance_->QueryParams(
          "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", {temp_});
      if (exists.ok() && exists->rows() == 0) {
        return base::WithMessage(status, absl::StrCat(status.message(), "; database '", result_.database,
                                                      "' was not changed"));
      }
      // Our restore connections are closed by now; FORCE covers a lingering autovacuum.
      absl::Status dropped = maintenance_->DropDatabase(temp_, true);
      std::string outcome = dropped.ok()
          ? absl::StrCat("the temporary database '", temp_, "' was dropped")
          : absl::StrCat("dropping the temporary database '", temp_, "' failed too (",
                         dropped.message(),
                         "): pgark restore --drop-pre-restore -d ", result_.database, " drops it");
      return base::WithMessage(status, absl::StrCat(status.message(), "; database '", result_.database,
                                                    "' was not changed, ", outcome));
    }
    return result_;
  }

 private:
  absl::Status Preflight() {
    const RestoreOptions& restore = options_.restore;
    if (restore.create || restore.clean) {
      return absl::InvalidArgumentError(
          "--replace restores into a new database: it cannot be combined with --create or --clean");
    }
    if (!restore.target_database.empty()) {
      result_.database = restore.target_database;
    } else {
      PGARK_ASSIGN_OR_RETURN(result_.database, pg::ConninfoDatabase(restore.conninfo));
    }
    const absl::Time now = options_.now == absl::InfiniteFuture() ? absl::Now() : options_.now;
    pre_name_ = PreRestoreName(result_.database, now);
    if (pre_name_.size() > kMaxIdentifier) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--replace: database name '", result_.database, "' is too long to keep the old database as '", pre_name_,
          "' (at most ", kMaxIdentifier, " bytes); nothing was changed"));
    }
    PGARK_ASSIGN_OR_RETURN(maintenance_,
                           OpenMaintenance(restore.conninfo, result_.database, restore.application_name));
    PGARK_ASSIGN_OR_RETURN(pg::Result role,
                           maintenance_->Query("SELECT rolsuper, rolcreatedb FROM pg_catalog.pg_roles "
                                               "WHERE rolname = current_user"));
    if (role.rows() == 0 || (!role.GetBool(0, 0) && !role.GetBool(0, 1))) {
      return absl::PermissionDeniedError(absl::StrCat("--replace: role '", maintenance_->user(),
                                                      "' may not create databases (needs CREATEDB); nothing was changed"));
    }
    PGARK_ASSIGN_OR_RETURN(old_, ReadExisting(*maintenance_, result_.database));
    result_.replaced_existing = old_.exists;
    if (old_.exists) {
      if (!old_.owner_is_member && !role.GetBool(0, 0)) {
        return absl::PermissionDeniedError(absl::StrCat("--replace: role '", maintenance_->user(),
                                                        "' does not own database '", result_.database,
                                                        "', so it cannot rename it; nothing was changed"));
      }
      PGARK_ASSIGN_OR_RETURN(auto sessions, OtherSessions(*maintenance_, result_.database));
      if (sessions.first > 0 && !options_.terminate_connections) {
        return absl::FailedPreconditionError(absl::StrCat(
            "--replace: database '", result_.database, "' has ", sessions.first, " other session(s) (",
            sessions.second, "); renaming it needs none: close them or pass --terminate-connections; "
            "nothing was changed"));
      }
      PGARK_ASSIGN_OR_RETURN(pg::Result taken, maintenance_->QueryParams(
                                                   "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                                                   {pre_name_}));
      if (taken.rows() > 0) {
        return absl::FailedPreconditionError(absl::StrCat("--replace: database '", pre_name_,
                                                          "' already exists; nothing was changed"));
      }
      if (restore.confirm) {
        pg::ConnectOptions connect;
        connect.application_name = restore.application_name;
        connect.dbname = result_.database;
        PGARK_ASSIGN_OR_RETURN(auto target, pg::Connection::Open(restore.conninfo, connect));
        PGARK_ASSIGN_OR_RETURN(DatabaseDescription description, DescribeDatabase(*target));
        target.reset();  // no session of ours may stay on the database we rename
        if (description.HoldsObjects()) PGARK_RETURN_IF_ERROR(restore.confirm(description));
      }
    }
    std::random_device random;
    // Named after the target so a copy left by a killed run says whose it is; the name is cut
    // (at a UTF-8 character boundary) to stay within NAMEDATALEN, which the server would
    // otherwise truncate behind our back.
    temp_ = TemporaryName(absl::StrFormat("%08x", random()), result_.database);
    return absl::OkStatus();
  }

  // An archive that records nothing about its database (written before 2026-11-24): the
  // temporary database is made like the old one (or with the server's defaults).
  absl::Status CreateLikeTheOldDatabase() {
    for (const std::string& sql : CreateLike(*maintenance_, temp_, old_)) {
      absl::Status created = maintenance_->Execute(sql);
      if (!created.ok()) {
        return absl::Status(created.code(), absl::StrCat("--replace: creating the temporary database '", temp_,
                                                         "': ", created.message()));
      }
    }
    if (!old_.exists) return absl::OkStatus();
    PGARK_ASSIGN_OR_RETURN(std::vector<std::string> properties, CopyDatabaseProperties(*maintenance_, temp_, old_));
    for (const std::string& sql : properties) {
      PGARK_RETURN_IF_ERROR(base::Annotate(maintenance_->Execute(sql), "copying the database's properties"));
    }
    return absl::OkStatus();
  }

  // The connection limit and template flag, set once the restore and its verification are
  // done (a limit would stop their sessions too), right before the swap: the archive's, as -C
  // sets them (RestoreResult); an archive that records no limit (written before 2026-11-26,
  // also one made like the old database by CreateLikeTheOldDatabase) keeps the old
  // database's (docs/restore.md "--replace").
  absl::Status SetLastProperties() {
    std::optional<int> limit = result_.restore.connection_limit;
    if (!limit.has_value() && old_.exists) limit = static_cast<int>(old_.connection_limit);
    const std::string sql =
        catalog::DatabaseLimitsSql(maintenance_->QuoteIdentifier(temp_), limit, result_.restore.is_template);
    if (sql.empty()) return absl::OkStatus();
    return base::Annotate(maintenance_->Execute(sql), "setting the connection limit and template flag");
  }

  absl::Status RestoreAndSwap() {
    // The temporary database is created as `restore -C` creates the archive's database
    // (docs/restore.md "--replace"), only under another name.
    RestoreOptions restore = options_.restore;
    restore.create = true;
    restore.create_as = temp_;
    restore.replacing = result_.database;
    restore.target_database = maintenance_->database();  // where CREATE DATABASE runs
    restore.create_without_database_info = [this] { return CreateLikeTheOldDatabase(); };
    restore.confirm = nullptr;  // a new database: nothing to confirm
    PGARK_LOG(kInfo) << "replace: restoring into the temporary database '" << temp_ << "'";
    PGARK_ASSIGN_OR_RETURN(result_.restore, RunRestore(restore, archive_));
    result_.restore.database = result_.database;
    PGARK_LOG(kInfo) << "replace: verifying row counts of " << result_.restore.loaded_tables.size() << " tables";
    absl::StatusOr<int> verified = VerifyRowCounts(options_.restore, temp_, result_.restore);
    // Interrupted once the restore was done (the verification's count is cancelled, or stops
    // before the next table): the swap does not happen.
    if (base::StoppedByCancel(verified.status())) {
      return absl::CancelledError(absl::StrCat("replace interrupted before the swap (verifying row counts: ",
                                               verified.status().message(), ")"));
    }
    PGARK_RETURN_IF_ERROR(verified.status());
    result_.verified_tables = *verified;
    if (base::CancelRequested()) return absl::CancelledError("replace interrupted before the swap");
    PGARK_RETURN_IF_ERROR(SetLastProperties());
    return Swap();
  }

  absl::Status Swap() {
    const std::string target = maintenance_->QuoteIdentifier(result_.database);
    const std::string temp = maintenance_->QuoteIdentifier(temp_);
    if (!old_.exists) {
      return Annotated(maintenance_->Execute(absl::StrCat("ALTER DATABASE ", temp, " RENAME TO ", target)),
                       "renaming the temporary database");
    }
    const std::string swap = absl::StrCat("BEGIN; ALTER DATABASE ", target, " RENAME TO ",
                                          maintenance_->QuoteIdentifier(pre_name_), "; ALTER DATABASE ", temp,
                                          " RENAME TO ", target, "; COMMIT");
    absl::Status status;
    // New sessions can arrive at any time: with terminate_connections, terminate and retry.
    for (int attempt = 0; attempt < 20; ++attempt) {
      if (options_.terminate_connections) {
        PGARK_ASSIGN_OR_RETURN(int terminated, TerminateSessions(*maintenance_, result_.database));
        result_.terminated_sessions += terminated;
        if (terminated > 0) absl::SleepFor(absl::Milliseconds(100));
      }
      if (base::CancelRequested()) return absl::CancelledError("replace interrupted before the swap");
      {
        // An interrupt while the swap waits (a lock on either database) cancels it: rolled
        // back, the old database untouched. Once committed, the swap stands.
        base::CancelWatcher watcher([this] { maintenance_->Cancel().IgnoreError(); });
        status = maintenance_->Execute(swap);
      }
      if (status.ok()) break;
      maintenance_->Execute("ROLLBACK").IgnoreError();
      if (!options_.terminate_connections || pg::SqlStateOf(status) != kObjectInUse) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    if (base::StoppedByCancel(status)) {
      return absl::CancelledError("replace interrupted during the swap (rolled back)");
    }
    if (!status.ok()) {
      return Annotated(status, pg::SqlStateOf(status) == kObjectInUse && !options_.terminate_connections
                                   ? "swapping the databases (a session connected to the target during the "
                                     "restore; pass --terminate-connections to end such sessions)"
                                   : "swapping the databases");
    }
    result_.old_kept_as = pre_name_;
    if (options_.keep_old) {
      PGARK_LOG(kInfo) << "replace: '" << result_.database << "' replaced; the old database is '" << pre_name_ << "'";
    } else {
      absl::Status dropped = maintenance_->DropDatabase(pre_name_, options_.terminate_connections);
      if (dropped.ok()) {
        result_.old_kept_as.clear();
      } else {
        PGARK_LOG(kWarning) << "replace: could not drop the old database '" << pre_name_ << "': " << dropped.message();
      }
    }
    return absl::OkStatus();
  }

  static absl::Status Annotated(const absl::Status& status, absl::string_view what) {
    if (status.ok()) return status;
    std::string sqlstate = pg::SqlStateOf(status);
    return base::WithMessage(status, absl::StrCat(what, ": ", status.message(),
                                                  sqlstate.empty() ? "" : absl::StrCat(" (SQLSTATE ", sqlstate, ")")));
  }

  const ReplaceOptions& options_;
  OpenedArchive& archive_;
  ReplaceResult result_;
  std::unique_ptr<pg::Connection> maintenance_;
  ExistingDatabase old_;
  std::string pre_name_;
  std::string temp_;
};

// "YYYYMMDD_HHMMSS" (UTC). absl::ParseTime's %Y is greedy, so the fields are cut by position.
bool ParseStamp(const std::string& stamp, absl::Time* time) {
  static const std::regex kStamp(R"(^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$)");
  std::smatch m;
  if (!std::regex_match(stamp, m, kStamp)) return false;
  absl::CivilSecond civil(std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[5]),
                          std::stoi(m[6]));
  *time = absl::FromCivil(civil, absl::UTCTimeZone());
  return true;
}

}  // namespace

std::string PreRestoreName(const std::string& database, absl::Time time) {
  return absl::StrCat(database, kPreRestoreInfix, absl::FormatTime("%Y%m%d_%H%M%S", time, absl::UTCTimeZone()));
}

absl::StatusOr<ReplaceResult> RunReplace(const ReplaceOptions& options, OpenedArchive& archive) {
  Replace replace(options, archive);
  return replace.Run();
}

absl::StatusOr<ReplaceResult> RunReplace(const ReplaceOptions& options, const std::string& location) {
  PGARK_ASSIGN_OR_RETURN(OpenedArchive archive, OpenArchiveForRead(location));
  return RunReplace(options, archive);
}

absl::StatusOr<std::vector<PreRestoreCopy>> ListPreRestoreCopies(const std::string& conninfo) {
  PGARK_ASSIGN_OR_RETURN(std::string database, pg::ConninfoDatabase(conninfo));
  PGARK_ASSIGN_OR_RETURN(auto conn, OpenMaintenance(conninfo, "", "pgark restore"));
  const std::string prefix = absl::StrCat(database, kPreRestoreInfix);
  PGARK_ASSIGN_OR_RETURN(pg::Result rows,
                         conn->QueryParams("SELECT datname, pg_catalog.pg_database_size(oid) FROM pg_catalog.pg_database "
                                           "WHERE pg_catalog.left(datname, $2::pg_catalog.int4) = $1",
                                           {prefix, std::to_string(prefix.size())}));
  std::vector<PreRestoreCopy> copies;
  for (int row = 0; row < rows.rows(); ++row) {
    PreRestoreCopy copy;
    copy.name = std::string(rows.Get(row, 0));
    if (!ParseStamp(copy.name.substr(prefix.size()), &copy.taken)) continue;  // not one of ours
    copy.size_bytes = rows.GetInt64(row, 1).value_or(0);
    copies.push_back(std::move(copy));
  }
  std::sort(copies.begin(), copies.end(), [](const auto& a, const auto& b) { return a.taken > b.taken; });
  // Temporary databases of --replace runs of this database, with their session counts: a
  // killed run leaves one behind (no session); a running one has its restore's sessions.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result temps,
      conn->Query("SELECT d.datname, pg_catalog.pg_database_size(d.oid), "
                        "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity a WHERE a.datname = d.datname) "
                        "FROM pg_catalog.pg_database d WHERE pg_catalog.left(d.datname, 14) = 'pgark_replace_' "
                        "ORDER BY d.datname"));
  for (int row = 0; row < temps.rows(); ++row) {
    if (!IsTemporaryOf(temps.Get(row, 0), database)) continue;
    PreRestoreCopy copy;
    copy.name = std::string(temps.Get(row, 0));
    copy.taken = absl::InfinitePast();
    copy.size_bytes = temps.GetInt64(row, 1).value_or(0);
    copy.incomplete = true;
    copy.sessions = static_cast<int>(temps.GetInt64(row, 2).value_or(0));
    copies.push_back(std::move(copy));
  }
  return copies;
}

absl::StatusOr<PreRestoreDropOutcome> DropPreRestoreCopies(const std::string& conninfo,
                                                           const PreRestoreRetention& rule, BusyCopy busy,
                                                           bool dry_run) {
  if (rule.keep.has_value() && *rule.keep < 0) return absl::InvalidArgumentError("keep must be 0 or more");
  PGARK_ASSIGN_OR_RETURN(std::vector<PreRestoreCopy> copies, ListPreRestoreCopies(conninfo));
  PreRestoreDropOutcome outcome;
  outcome.plan = PlanPreRestoreRetention(std::move(copies), rule);
  for (const PreRestoreCopy& copy : outcome.plan.in_use) {
    PGARK_LOG(kWarning) << "temporary database '" << copy.name << "' has " << copy.sessions
                        << " session(s): a --replace may be running; not dropped";
  }
  if (outcome.plan.drop.empty()) return outcome;
  PGARK_ASSIGN_OR_RETURN(auto conn, OpenMaintenance(conninfo, "", "pgark prune"));
  for (const PreRestoreCopy& copy : outcome.plan.drop) {
    // A leftover of a killed --replace had no session when listed; it is never forced.
    const bool force = !copy.incomplete && busy == BusyCopy::kTerminate;
    if (!force) {
      PGARK_ASSIGN_OR_RETURN(auto sessions, OtherSessions(*conn, copy.name));
      if (sessions.first > 0) {
        std::string why = absl::StrCat(copy.name, ": ", sessions.first, " session(s) (", sessions.second, ")");
        if (busy == BusyCopy::kStop && !copy.incomplete && !dry_run) {
          std::vector<std::string> before;
          for (const PreRestoreCopy& done : outcome.dropped) before.push_back(done.name);
          return absl::FailedPreconditionError(absl::StrCat(
              "database '", copy.name, "' has ", sessions.first, " session(s) (", sessions.second,
              "); not dropped (pass --terminate-connections)", before.empty() ? "" : "; dropped before it: ",
              absl::StrJoin(before, ", ")));
        }
        PGARK_LOG(kWarning) << "not dropping " << why;
        outcome.skipped.push_back(std::move(why));
        continue;
      }
    }
    if (!dry_run) {
      absl::Status status = conn->DropDatabase(copy.name, force);
      if (!status.ok()) {
        return absl::Status(status.code(), absl::StrCat("dropping database '", copy.name, "': ", status.message()));
      }
    }
    outcome.dropped.push_back(copy);
  }
  return outcome;
}

}  // namespace pgark::engine::restore
