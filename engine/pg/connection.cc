#include "engine/pg/connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/pg/conninfo.h"
#include "format/base/status_macros.h"
#include "format/base/logging.h"
#include "format/base/status_util.h"

namespace pgark::pg {
namespace {

// libpq's messages end with a newline and sometimes carry "ERROR:  " prefixes.
// libpq's text without its level prefix, on one line: a connection failure continues on
// an indented second line ("\n\tIs the server running on that host..."), which would break
// the one-line records of a log file and a run summary.
std::string CleanMessage(const char* text) {
  absl::string_view message = text ? text : "";
  message = absl::StripTrailingAsciiWhitespace(message);
  absl::ConsumePrefix(&message, "ERROR:  ");
  absl::ConsumePrefix(&message, "FATAL:  ");
  std::string line;
  line.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '\n') {
      line.push_back(message[i]);
      continue;
    }
    while (i + 1 < message.size() && (message[i + 1] == ' ' || message[i + 1] == '\t')) ++i;
    line.push_back(' ');
  }
  return line;
}

void NoticeToLog(void*, const char* message) {
  PGARK_LOG(kDebug) << "server: " << CleanMessage(message);
}

absl::Status MakeStatus(absl::StatusCode code, std::string message, absl::string_view sqlstate) {
  absl::Status status(code, message);
  if (!sqlstate.empty()) {
    status.SetPayload(base::kSqlStatePayload, absl::Cord(sqlstate));
  }
  return status;
}

}  // namespace

absl::StatusCode SqlStateToCode(absl::string_view s) {
  if (s.size() != 5) return absl::StatusCode::kUnknown;
  absl::string_view cls = s.substr(0, 2);
  if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03") return absl::StatusCode::kUnavailable;
  if (cls == "28") return absl::StatusCode::kUnauthenticated;
  if (s == "42501") return absl::StatusCode::kPermissionDenied;
  if (s == "3D000" || s == "42P01" || s == "42704" || s == "42883" || s == "3F000") {
    return absl::StatusCode::kNotFound;
  }
  if (s == "42P04" || s == "42P06" || s == "42P07" || s == "42710" || s == "42723") {
    return absl::StatusCode::kAlreadyExists;
  }
  // 2BP01: an object still has dependents (a DROP of --clean blocked by a view the archive
  // does not hold): the target's state, not a bug.
  if (s == "55P03" || s == "55006" || s == "0A000" || cls == "2B") return absl::StatusCode::kFailedPrecondition;
  if (cls == "53") return absl::StatusCode::kResourceExhausted;
  if (s == "57014") return absl::StatusCode::kCancelled;
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (cls == "22" || cls == "23" || cls == "42") return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnknown;
}

std::string SqlStateOf(const absl::Status& status) {
  return base::GetPayload(status, base::kSqlStatePayload);
}

// ---- Result ----

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int Result::rows() const { return result_ ? PQntuples(result_) : 0; }
int Result::columns() const { return result_ ? PQnfields(result_) : 0; }
absl::string_view Result::column_name(int column) const { return PQfname(result_, column); }

int Result::column_index(absl::string_view name) const {
  for (int i = 0; i < columns(); ++i) {
    if (column_name(i) == name) return i;
  }
  return -1;
}

bool Result::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

absl::string_view Result::Get(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column),
                          static_cast<size_t>(PQgetlength(result_, row, column)));
}

absl::StatusOr<int64_t> Result::GetInt64(int row, int column) const {
  int64_t value = 0;
  if (IsNull(row, column) || !absl::SimpleAtoi(Get(row, column), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("column '", column_name(column), "' row ", row,
                                                   " is not an integer: '", Get(row, column), "'"));
  }
  return value;
}

bool Result::GetBool(int row, int column) const { return Get(row, column) == "t"; }

int64_t Result::affected_rows() const {
  int64_t n = 0;
  if (result_ != nullptr && absl::SimpleAtoi(PQcmdTuples(result_), &n)) return n;
  return 0;
}

// ---- Connection ----

Connection::Connection(pg_conn* conn) : conn_(conn) {}

Connection::~Connection() {
  signal_cancel_.reset();  // before cancel_ is freed
  if (copy_row_ != nullptr) PQfreemem(copy_row_);
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(absl::string_view conninfo,
                                                             const ConnectOptions& options) {
  // libpq reports a malformed string as a failed connection; it is a usage error (exit 2).
  PGARK_RETURN_IF_ERROR(CheckConninfoSyntax(conninfo));
  std::string conninfo_str(conninfo);
  std::string timeout = absl::StrCat(options.connect_timeout_seconds);
  std::vector<const char*> keys = {"dbname", "fallback_application_name", "connect_timeout"};
  std::vector<const char*> values = {conninfo_str.c_str(), options.application_name.c_str(),
                                     timeout.c_str()};
  if (!options.dbname.empty()) {
    // Only the first "dbname" is expanded as a conninfo; a later one overrides the database.
    keys.push_back("dbname");
    values.push_back(options.dbname.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (raw == nullptr) return absl::ResourceExhaustedError("out of memory creating a libpq connection");
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string message = CleanMessage(PQerrorMessage(raw));
    std::string target = RedactConninfo(conninfo.empty() ? "(PG* environment)" : conninfo);
    if (!options.dbname.empty()) absl::StrAppend(&target, " database '", options.dbname, "'");
    absl::StatusCode code = absl::StatusCode::kUnavailable;
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no pg_hba.conf entry") != std::string::npos ||
        message.find("role \"") != std::string::npos ||
        message.find("no password supplied") != std::string::npos) {
      code = absl::StatusCode::kUnauthenticated;
    } else if (message.find("database \"") != std::string::npos &&
               message.find("does not exist") != std::string::npos) {
      code = absl::StatusCode::kNotFound;
    } else if (message.find("invalid connection option") != std::string::npos ||
               message.find("missing \"=\"") != std::string::npos ||
               message.find("invalid URI") != std::string::npos ||
               message.find("invalid integer value") != std::string::npos) {
      code = absl::StatusCode::kInvalidArgument;
    }
    return absl::Status(code, absl::StrCat("cannot connect to '", target, "': ", message));
  }
  PQsetNoticeProcessor(raw, NoticeToLog, nullptr);
  conn->server_version_ = PQserverVersion(raw);
  conn->cancel_ = PQgetCancel(raw);
  if (conn->cancel_ != nullptr) {
    // PQcancel is async-signal-safe (libpq documentation, "Canceling Queries in Progress").
    conn->signal_cancel_ = std::make_unique<base::SignalCancelTarget>(
        [](void* cancel) {
          char error[256];
          PQcancel(static_cast<pg_cancel*>(cancel), error, sizeof(error));
        },
        conn->cancel_);
  }
  if (PQsetClientEncoding(raw, "UTF8") != 0) {
    return conn->ErrorFromConnection("setting client_encoding to UTF8");
  }
  absl::Status settings = conn->Execute("SET DateStyle = ISO; SET extra_float_digits = 3");
  if (!settings.ok()) return settings;
  return conn;
}

std::string Connection::database() const { return PQdb(conn_); }
std::string Connection::user() const { return PQuser(conn_); }
std::string Connection::endpoint() const {
  const char* host = PQhost(conn_);
  return absl::StrCat(host ? host : "", ":", PQport(conn_));
}
int Connection::backend_pid() const { return PQbackendPID(conn_); }

std::map<std::string, std::string> Connection::Parameters() const {
  std::map<std::string, std::string> out;
  PQconninfoOption* options = PQconninfo(conn_);
  if (options == nullptr) return out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') out[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return out;
}
bool Connection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

absl::Status Connection::ErrorFromResult(pg_result* result, absl::string_view what) const {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? CleanMessage(PQresultErrorMessage(result)) : "";
  if (message.empty()) message = CleanMessage(PQerrorMessage(conn_));
  absl::StatusCode code =
      sqlstate ? SqlStateToCode(sqlstate)
               : (ok() ? absl::StatusCode::kUnknown : absl::StatusCode::kUnavailable);
  std::string text = what.empty() ? message : absl::StrCat(what, ": ", message);
  return MakeStatus(code, std::move(text), sqlstate ? sqlstate : "");
}

absl::Status Connection::ErrorFromConnection(absl::string_view what) const {
  std::string message = CleanMessage(PQerrorMessage(conn_));
  absl::StatusCode code = ok() ? absl::StatusCode::kUnknown : absl::StatusCode::kUnavailable;
  return absl::Status(code, what.empty() ? message : absl::StrCat(what, ": ", message));
}

absl::StatusOr<Result> Connection::TakeResult(pg_result* raw, absl::string_view what) {
  Result result(raw);  // owns raw from here on, also on error
  if (raw == nullptr) return ErrorFromConnection(what);
  switch (PQresultStatus(raw)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_COPY_OUT:
    case PGRES_COPY_IN:
      return result;
    default:
      return ErrorFromResult(raw, what);
  }
}

absl::StatusOr<Result> Connection::Query(absl::string_view sql) {
  std::string sql_str(sql);
  return TakeResult(PQexec(conn_, sql_str.c_str()), "");
}

absl::Status Connection::Execute(absl::string_view sql) { return Query(sql).status(); }

absl::StatusOr<Result> Connection::QueryParams(
    absl::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::string sql_str(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  return TakeResult(PQexecParams(conn_, sql_str.c_str(), static_cast<int>(params.size()),
                                 /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                                 /*paramFormats=*/nullptr, /*resultFormat=*/0),
                    "");
}

absl::Status Connection::StartCopyOut(absl::string_view copy_sql) {
  std::string sql_str(copy_sql);
  auto result = TakeResult(PQexec(conn_, sql_str.c_str()), "");
  if (!result.ok()) return result.status();
  return absl::OkStatus();
}

absl::StatusOr<bool> Connection::ReadCopyRow(std::string* row) {
  absl::string_view view;
  PGARK_ASSIGN_OR_RETURN(bool more, ReadCopyRow(&view));
  if (more) row->assign(view.data(), view.size());
  return more;
}

absl::StatusOr<bool> Connection::ReadCopyRow(absl::string_view* row) {
  if (copy_row_ != nullptr) {
    PQfreemem(copy_row_);
    copy_row_ = nullptr;
  }
  char* buffer = nullptr;
  int length = PQgetCopyData(conn_, &buffer, /*async=*/0);
  if (length >= 0) {
    copy_row_ = buffer;
    *row = absl::string_view(buffer, static_cast<size_t>(length));
    return true;
  }
  *row = absl::string_view();
  if (length == -2) return ErrorFromConnection("reading COPY data");
  // -1: the COPY is done; its final result tells whether it succeeded.
  absl::Status status = absl::OkStatus();
  while (PGresult* raw = PQgetResult(conn_)) {
    auto result = TakeResult(raw, "");
    if (!result.ok() && status.ok()) status = result.status();
  }
  if (!status.ok()) return status;
  return false;
}

absl::Status Connection::StartCopyIn(absl::string_view copy_sql) {
  std::string sql_str(copy_sql);
  return TakeResult(PQexec(conn_, sql_str.c_str()), "").status();
}

absl::Status Connection::PutCopyData(absl::string_view data) {
  // libpq takes an int length; feed larger buffers in pieces.
  constexpr size_t kMaxPiece = 1 << 30;
  while (!data.empty()) {
    size_t piece = std::min(data.size(), kMaxPiece);
    if (PQputCopyData(conn_, data.data(), static_cast<int>(piece)) != 1) {
      return ErrorFromConnection("sending COPY data");
    }
    data.remove_prefix(piece);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Connection::EndCopyIn() {
  if (PQputCopyEnd(conn_, nullptr) != 1) return ErrorFromConnection("ending COPY");
  absl::Status status = absl::OkStatus();
  int64_t rows = 0;
  while (PGresult* raw = PQgetResult(conn_)) {
    auto result = TakeResult(raw, "");
    if (!result.ok()) {
      if (status.ok()) status = result.status();
    } else {
      rows += result->affected_rows();
    }
  }
  if (!status.ok()) return status;
  return rows;
}

absl::Status Connection::AbortCopyIn(absl::string_view reason) {
  std::string reason_str(reason);
  if (PQputCopyEnd(conn_, reason_str.c_str()) != 1) return ErrorFromConnection("aborting COPY");
  // Drain the (expected) error result so the connection is usable again.
  while (PGresult* raw = PQgetResult(conn_)) PQclear(raw);
  return absl::OkStatus();
}

absl::Status Connection::Cancel() {
  if (cancel_ == nullptr) return absl::FailedPreconditionError("connection cannot be cancelled");
  char error[256] = {0};
  if (PQcancel(cancel_, error, sizeof(error)) != 1) {
    return absl::UnavailableError(absl::StrCat("cancel request failed: ", error));
  }
  return absl::OkStatus();
}

absl::Status Connection::DropDatabase(absl::string_view name, bool force) {
  // DROP DATABASE refuses a template ("cannot drop a template database"). pg_dump --clean -C
  // writes an UPDATE of pg_database before its DROP (a superuser's); ALTER DATABASE is
  // enough for the owner.
  PGARK_ASSIGN_OR_RETURN(Result found, QueryParams("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1",
                                                   {std::string(name)}));
  const bool is_template = found.rows() > 0 && found.GetBool(0, 0);
  const std::string quoted = QuoteIdentifier(name);
  if (is_template) PGARK_RETURN_IF_ERROR(Execute(absl::StrCat("ALTER DATABASE ", quoted, " IS_TEMPLATE false")));
  std::string sql = absl::StrCat("DROP DATABASE IF EXISTS ", quoted);
  if (force && server_version() >= 130000) absl::StrAppend(&sql, " WITH (FORCE)");
  absl::Status dropped = Execute(sql);
  // Not dropped (other sessions, say): it stays the template it was.
  if (!dropped.ok() && is_template) Execute(absl::StrCat("ALTER DATABASE ", quoted, " IS_TEMPLATE true")).IgnoreError();
  return dropped;
}

std::string Connection::QuoteIdentifier(absl::string_view name) const {
  // Same rules as PQescapeIdentifier, without its allocation or connection state.
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string Connection::QuoteLiteral(absl::string_view value) const {
  char* escaped = PQescapeLiteral(conn_, value.data(), value.size());
  if (escaped == nullptr) return "NULL";  // only on invalid encoding or out of memory
  std::string result(escaped);
  PQfreemem(escaped);
  return result;
}

}  // namespace pgark::pg
