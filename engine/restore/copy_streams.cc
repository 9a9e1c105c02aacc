#include "engine/restore/copy_streams.h"

#include <utility>

#include "format/base/status_macros.h"

namespace pgark::engine::restore {
namespace {

// Sends one stream's chunks; `result` counts its patched OIDs.
absl::Status SendStream(pg::Connection& conn, StreamFeed& feed, uint32_t stream, const CopyFeedOptions& options,
                        format::Chunk& chunk, CopyFeedResult& result) {
  PGARK_ASSIGN_OR_RETURN(std::unique_ptr<format::ChunkReader> reader, feed.Open(stream));
  std::unique_ptr<TypeOidPatcher> patcher;
  if (options.make_patcher) {
    PGARK_ASSIGN_OR_RETURN(patcher, options.make_patcher());
  }
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
    if (!more) break;
    const int64_t bytes = static_cast<int64_t>(chunk.data.size());
    if (patcher != nullptr) PGARK_RETURN_IF_ERROR(patcher->Patch(&chunk.data));
    PGARK_RETURN_IF_ERROR(conn.PutCopyData(chunk.data));
    if (options.on_chunk) options.on_chunk(bytes);
  }
  if (patcher != nullptr) {
    // Each stream ends on a tuple boundary: the next one starts a fresh patcher.
    PGARK_RETURN_IF_ERROR(patcher->Finish());
    result.patched_oids += patcher->patched_oids();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CopyFeedResult> CopyStreams(pg::Connection& conn, absl::string_view copy_sql, StreamFeed& feed,
                                           const std::vector<uint32_t>& streams, const CopyFeedOptions& options) {
  PGARK_RETURN_IF_ERROR(conn.StartCopyIn(copy_sql));
  CopyFeedResult result;
  absl::Status status;
  if (options.binary) status = conn.PutCopyData(kCopyBinaryHeader);
  format::Chunk chunk;  // one buffer, recycled by the feed from chunk to chunk
  for (size_t i = 0; status.ok() && i < streams.size(); ++i) {
    status = SendStream(conn, feed, streams[i], options, chunk, result);
  }
  if (status.ok() && options.binary) status = conn.PutCopyData(kCopyBinaryTrailer);
  if (!status.ok()) {
    // The server rolls the COPY back: nothing of these streams stays in the table.
    conn.AbortCopyIn(status.message()).IgnoreError();
    return status;
  }
  PGARK_ASSIGN_OR_RETURN(result.rows, conn.EndCopyIn());
  for (uint32_t stream : streams) {
    PGARK_ASSIGN_OR_RETURN(format::StreamInfo totals, feed.Totals(stream));
    result.archive_rows += totals.rows;
  }
  return result;
}

}  // namespace pgark::engine::restore
