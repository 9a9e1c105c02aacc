#pragma once
// engine/ops: verification of PGARK_FORMAT=sql.gz backups (the gzip-compatible export,
// engine/export/sql_exporter.h).
//
//   full          GunzipObject: every gzip member is inflated and its CRC-32 and length
//                 checked (what `gzip -t` checks), without keeping the text.
//   restore-test  RunSqlGzRestoreTest: creates a scratch database, replays the script with
//                 `psql -X -v ON_ERROR_STOP=1` (found by FindPsql), checks that psql loaded
//                 as many rows as the script's COPY blocks hold, and drops the scratch
//                 database, also after a failure.
//
// Thread-safety: the functions hold no shared state; call each from one thread. FindPsql and
// RunSqlGzRestoreTest read the process environment; RunSqlGzRestoreTest forks psql.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/storage/storage.h"

namespace pgark::ops {

struct GunzipResult {
  uint64_t compressed_bytes = 0;
  uint64_t text_bytes = 0;
  int members = 0;
};

// Inflates `key` member by member, passing the text to `sink` (may be null) as it goes.
// Errors: the storage's, kDataLoss naming the object and the byte offset for a corrupt
// member, a CRC or length mismatch, a truncated member, trailing non-gzip bytes or an empty
// object; the sink's own error stops the read and is returned as is.
absl::StatusOr<GunzipResult> GunzipObject(
    storage::Storage& storage, absl::string_view key,
    const std::function<absl::Status(absl::string_view text)>& sink = nullptr);

// Counts the data rows of the `COPY ... FROM stdin;` blocks of a SQL script fed in pieces
// of any size (text COPY: one row per line, the block ends with a line "\."). Used by one
// thread at a time.
class CopyRowCounter {
 public:
  void Feed(absl::string_view text);
  int64_t rows() const { return rows_; }
  int blocks() const { return blocks_; }

 private:
  void EndLine();

  static constexpr size_t kKeep = 32;  // bytes kept from the start and end of a line
  std::string head_, tail_;
  bool in_copy_ = false;
  int64_t rows_ = 0;
  int blocks_ = 0;
};

// The psql to replay scripts with: $PGARK_PG_BINDIR/psql if PGARK_PG_BINDIR is set, else
// psql on $PATH, else the newest /usr/lib/postgresql/<major>/bin/psql (tools/pg-sandbox looks
// for the server binaries the same way). kFailedPrecondition (exit 4) naming the places
// searched when there is none.
absl::StatusOr<std::string> FindPsql();

struct SqlGzRestoreReport {
  std::string scratch_database;
  int copy_blocks = 0;
  int64_t script_rows = 0;  // rows in the script's COPY blocks
  int64_t loaded_rows = 0;  // rows psql's COPY command tags report
  GunzipResult gunzip;
};

// Replays `key` (a .sql.gz export) into a new scratch database on the server of `conninfo`
// and drops it afterwards. The password of the connection reaches psql through PGPASSWORD in
// its environment, never its command line. Errors: FindPsql's; connection errors; kDataLoss
// for a damaged gzip stream, a script psql stops on (its last stderr lines quoted), or fewer
// rows loaded than the script holds.
absl::Status RunSqlGzRestoreTest(storage::Storage& storage, absl::string_view key,
                                 const std::string& conninfo, SqlGzRestoreReport* report);

}  // namespace pgark::ops
