#pragma once
// The parallel dump: one snapshot, N worker connections, every table streamed with COPY into
// one archive (docs/dump.md).
//
//   leader   REPEATABLE READ READ ONLY, pg_export_snapshot(), select (-n/-N/-t/-T), lock ACCESS
//            SHARE in batches (lock_wait_timeout), relfilenode check (rewrite/truncate race),
//            catalog read, data plan -> metadata "catalog.json" and "dump/plan.json"
//   workers  SET TRANSACTION SNAPSHOT, LOCK ... NOWAIT per table, COPY (SELECT cols FROM ONLY t
//            [WHERE range]) TO STDOUT -> tuple-aligned chunks -> one archive stream per COPY;
//            largest work first; large objects in their own streams
//   leader   (after all data) sequence values -> metadata "dump/sequences.json"; commit
//
// Failure: the first failing worker (or the leader, or a cancel request) stops every other
// worker by cancelling its query; RunDump() then returns that error WITHOUT finishing the
// archive, so the sink is never closed and nothing is published (a storage writer destroyed
// without Close() discards its temporary object). base::RequestCancel() (SIGINT) gives
// kCancelled. A query cancelled by someone else gives kAborted.
//
// Memory: bounded independently of table sizes, about jobs x (3 x chunk_size + 2 x largest
// row) plus libpq's buffer of one row per connection.
//
// Thread-safety: RunDump() runs its own threads; DumpProgress may be read from any thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/dump/data_plan.h"
#include "engine/progress.h"
#include "engine/options.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"

namespace pgark::engine {

// Live counters of a running dump (engine/progress.h, shared with the restore).
using DumpProgress = TransferProgress;

struct DumpResult {
  int tables = 0;               // tables whose data was dumped
  int text_tables = 0;          // of which in text COPY format
  int split_tables = 0;         // of which split into parts
  int streams = 0;
  int sequences = 0;
  int large_objects = 0;
  int64_t rows = 0;
  int64_t raw_bytes = 0;        // COPY bytes before compression
  format::WriteSummary archive; // archive size, id, SHA-256
  double seconds = 0;
  std::string snapshot_id;
};

// Dumps the database of options.conninfo into a new archive written to `sink` (borrowed).
// On success the archive is complete and the sink closed (published). On failure the sink
// is left open (the caller discards it). Errors: kInvalidArgument (options, patterns),
// kNotFound (-n/-t matched nothing), kFailedPrecondition (lock wait timeout, NOWAIT conflict,
// server older than 12), kAborted (a table was rewritten or truncated after the snapshot),
// kCancelled (base::RequestCancel()), kUnavailable (connection lost), server and sink errors.
absl::StatusOr<DumpResult> RunDump(const DumpOptions& options,
                                   const format::WriterOptions& writer_options,
                                   format::ByteSink* sink, DumpProgress* progress = nullptr);

// What RunDump() would copy, without writing anything: runs the leader's steps (snapshot,
// filters, locks, data plan; not the catalog read) and returns the plan. Errors as RunDump().
absl::StatusOr<DataPlan> PlanDump(const DumpOptions& options);

}  // namespace pgark::engine
