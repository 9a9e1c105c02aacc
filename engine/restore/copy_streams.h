#pragma once
// Feeding archive streams into one COPY ... FROM STDIN.
//
// A stream holds a table part's COPY data without framing: binary streams hold tuples only
// (the dump strips the 19-byte PGCOPY header and the int16 -1 trailer, engine/dump), text
// streams hold rows (the protocol has no end marker). So any run of streams of one table, in
// order, is fed as one COPY: one header, the streams' tuples, one trailer. pgark uses that to
// load the parts of a split self-referencing table in one statement (its FOREIGN KEY is then
// checked at the end of the statement, when every part is in, as with pg_restore's one COPY;
// docs/restore.md "Data-only restores").
//
// Thread-safety: one call per connection at a time; `feed` must be safe for concurrent Open()
// (both StreamFeed implementations are).

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/pg/connection.h"
#include "engine/restore/stream_feed.h"
#include "engine/restore/type_oid_patcher.h"

namespace pgark::engine::restore {

inline constexpr absl::string_view kCopyBinaryHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
inline constexpr absl::string_view kCopyBinaryTrailer{"\377\377", 2};

struct CopyFeedOptions {
  bool binary = false;  // send the binary header before and the trailer after the streams
  // Per stream, a patcher for embedded type OIDs (type_oid_patcher.h), or null for none.
  std::function<absl::StatusOr<std::unique_ptr<TypeOidPatcher>>()> make_patcher;
  // Called with each chunk's raw size as it is sent (progress).
  std::function<void(int64_t bytes)> on_chunk;
};

struct CopyFeedResult {
  int64_t rows = 0;           // rows the server reports loaded (EndCopyIn)
  uint64_t archive_rows = 0;  // rows the archive's index records for the streams
  int64_t patched_oids = 0;
};

// Runs `copy_sql` (a COPY ... FROM STDIN) on `conn` and sends `streams` into it in order.
// Each stream is opened only when the previous one has been read to its end, so a pipe
// (PipeFeed) holds at most one of them open on this connection: the streams not opened yet
// spill instead of blocking the demultiplexer, and reading them one after the other cannot
// deadlock the bounded queues, whatever order they arrive in.
// Success: the COPY ended (inside the caller's transaction, if one is open) with the counts.
// Failure: the server's or the feed's error (kDataLoss for damage); a COPY that had started
// was aborted, so the statement left nothing behind. Row counts are not compared here.
absl::StatusOr<CopyFeedResult> CopyStreams(pg::Connection& conn, absl::string_view copy_sql, StreamFeed& feed,
                                           const std::vector<uint32_t>& streams, const CopyFeedOptions& options);

}  // namespace pgark::engine::restore
