#pragma once
// engine/pg: the only part of pgark that talks to libpq.
//
// Connection owns one libpq connection (closed on destruction); Result owns one
// PGresult. No libpq type appears in this header, so nothing else includes libpq-fe.h.
//
// Errors: every server error becomes an absl::Status whose code follows the
// SQLSTATE class (see SqlStateToCode) and which carries the SQLSTATE in the
// base::kSqlStatePayload payload. Messages never contain the password.
//
// Thread-safety: a Connection is used by one thread at a time, except Cancel(),
// which any thread may call while another thread waits on the connection.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "format/base/cancellation.h"

struct pg_conn;
struct pg_result;
struct pg_cancel;

namespace pgark::pg {

// Maps a five-character SQLSTATE to a status code: class 08 and 57P01-57P03 (connection
// lost, server shutting down) -> kUnavailable; 28xxx -> kUnauthenticated; 42501 ->
// kPermissionDenied; 3D000, 42P01, 42704, 42883 -> kNotFound; 42P04, 42P06, 42P07, 42710,
// 42723 -> kAlreadyExists; 55P03, 55006, 0A000, 2Bxxx -> kFailedPrecondition; 53xxx ->
// kResourceExhausted; 57014 -> kCancelled; 40001, 40P01 -> kAborted; 22xxx, 23xxx, 42xxx ->
// kInvalidArgument; anything else kUnknown.
absl::StatusCode SqlStateToCode(absl::string_view sqlstate);

// The SQLSTATE carried by `status`, or "" if it did not come from the server.
std::string SqlStateOf(const absl::Status& status);

// A query result. Movable, not copyable. Row and column indexes are 0-based;
// REQUIRES: 0 <= row < rows(), 0 <= column < columns().
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  int columns() const;
  absl::string_view column_name(int column) const;
  // Index of the column named `name`, or -1.
  int column_index(absl::string_view name) const;
  bool IsNull(int row, int column) const;
  // The value as text ("" for NULL).
  absl::string_view Get(int row, int column) const;
  // The value parsed as a 64-bit integer; kInvalidArgument if NULL or not an integer.
  absl::StatusOr<int64_t> GetInt64(int row, int column) const;
  // PostgreSQL's boolean text form: true for "t".
  bool GetBool(int row, int column) const;
  // The number of rows a command affected (for INSERT/UPDATE/DELETE/COPY), or 0.
  int64_t affected_rows() const;

 private:
  pg_result* result_ = nullptr;
};

// Options applied when connecting.
struct ConnectOptions {
  // Reported as application_name unless the conninfo sets one. Default: "pgark".
  std::string application_name = "pgark";
  // Overrides the database named by the conninfo (or PGDATABASE) when not empty.
  std::string dbname;
  // Seconds to wait for the connection. Default: 30.
  int connect_timeout_seconds = 30;
};

class Connection {
 public:
  // Connects using a libpq conninfo string, URI or bare database name ("" uses the PG*
  // environment variables). Sets client_encoding UTF8, DateStyle ISO and
  // extra_float_digits 3 so text values are portable.
  // Errors: kUnauthenticated (login rejected), kNotFound (database missing),
  // kUnavailable (server unreachable), kInvalidArgument (malformed conninfo).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(absl::string_view conninfo,
                                                          const ConnectOptions& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Server version as an integer: 150004 for 15.4, 120017 for 12.17.
  int server_version() const { return server_version_; }
  // Name of the connected database, user and server as libpq reports them.
  std::string database() const;
  std::string user() const;
  // "host:port" or "socket-dir:port", without credentials.
  std::string endpoint() const;
  int backend_pid() const;
  // The connection's effective libpq parameters (PQconninfo): keyword -> value, unset ones
  // omitted. Holds the password when one was used: never log the result.
  std::map<std::string, std::string> Parameters() const;

  // Runs one or more SQL commands with no parameters; returns the last result.
  absl::StatusOr<Result> Query(absl::string_view sql);
  // Runs a command and discards its result.
  absl::Status Execute(absl::string_view sql);
  // Runs one command with $1..$n text parameters (std::nullopt = NULL).
  absl::StatusOr<Result> QueryParams(absl::string_view sql,
                                     const std::vector<std::optional<std::string>>& params);

  // COPY ... TO STDOUT. After StartCopyOut() succeeds, call ReadCopyRow() until it returns
  // false. Each call replaces *row with one CopyData message (one row; in binary format
  // the first also carries the file header and the last the trailer).
  absl::Status StartCopyOut(absl::string_view copy_sql);
  absl::StatusOr<bool> ReadCopyRow(std::string* row);
  // The same, without copying the row: *row points into libpq's buffer and stays valid
  // until the next ReadCopyRow call on this connection or its destruction (saves one copy
  // of every COPY byte on the dump and export paths).
  absl::StatusOr<bool> ReadCopyRow(absl::string_view* row);

  // COPY ... FROM STDIN. After StartCopyIn() succeeds, call PutCopyData() any number of
  // times, then EndCopyIn() (returns the rows loaded) or AbortCopyIn() (the server
  // rolls the COPY back and reports `reason`).
  absl::Status StartCopyIn(absl::string_view copy_sql);
  absl::Status PutCopyData(absl::string_view data);
  absl::StatusOr<int64_t> EndCopyIn();
  absl::Status AbortCopyIn(absl::string_view reason);

  // Asks the server to cancel the command in progress. Safe from any thread.
  absl::Status Cancel();

  // DROP DATABASE IF EXISTS `name`; with `force`, WITH (FORCE) on PostgreSQL 13+ (ends the
  // database's other sessions; before 13 they make the drop fail). A template database is
  // made an ordinary one first (ALTER DATABASE ... IS_TEMPLATE false: its owner or a
  // superuser), and a template again if the drop fails.
  absl::Status DropDatabase(absl::string_view name, bool force);

  // Quotes an identifier / a literal for safe inclusion in SQL text.
  std::string QuoteIdentifier(absl::string_view name) const;
  std::string QuoteLiteral(absl::string_view value) const;

  // True while the connection is usable.
  bool ok() const;

 private:
  explicit Connection(pg_conn* conn);
  // Turns a failed result or connection into a Status with SQLSTATE payload.
  absl::Status ErrorFromResult(pg_result* result, absl::string_view what) const;
  absl::Status ErrorFromConnection(absl::string_view what) const;
  // Takes ownership of `raw` and returns it, or its error as a Status.
  absl::StatusOr<Result> TakeResult(pg_result* raw, absl::string_view what);

  pg_conn* conn_;
  pg_cancel* cancel_ = nullptr;
  // Lets the signal handler cancel this session's statement before it ends the process
  // (format/base/cancellation.h). Declared after cancel_: destroyed, and unregistered, first.
  std::unique_ptr<base::SignalCancelTarget> signal_cancel_;
  int server_version_ = 0;
  char* copy_row_ = nullptr;  // libpq's buffer behind the last ReadCopyRow view; we free it
};

}  // namespace pgark::pg
