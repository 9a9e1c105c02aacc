#pragma once
// Where the loader's chunks come from, hiding whether the archive is random access or a pipe.
//
//  - RandomAccessFeed: an ArchiveReader (file, S3 ranged reads). Any stream may be opened
//    at any time, on any thread; the reader verifies every frame and, at the end of the
//    stream, its digest and counts.
//  - PipeFeed: an ArchiveScanner over a sequential source (stdin). One demultiplexer thread
//    reads frames in file order and routes each chunk to its stream's queue. A queue holds at
//    most `memory_chunks` chunks in memory; beyond that, chunks of a stream are spilled in
//    order to an unnamed temporary file, so a stream nobody reads yet never blocks the pipe
//    (no deadlock whatever order the workers pick streams in) and memory stays bounded at
//    about streams-in-flight x memory_chunks x chunk size. Metadata records that arrive
//    after the data (dump/sequences.json) are kept for TakeLateMetadata().
//
// Errors from the scanner (damage, wrong key, truncation) are delivered to every reader
// waiting on a stream and returned by Finish().
//
// Chunk buffers circulate: a reader's Next() hands its previous chunk's buffer back to the
// demultiplexer, which decodes a later frame over it (pass the same Chunk to every Next()).
//
// Thread-safety: Open() and TakeLateMetadata() are thread-safe; each returned ChunkReader is
// used by one thread at a time.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "format/archive_reader.h"

namespace pgark::engine::restore {

class StreamFeed {
 public:
  virtual ~StreamFeed() = default;
  // The chunks of one whole stream, in order, verified. Each stream may be opened once
  // (PipeFeed) or any number of times (RandomAccessFeed).
  virtual absl::StatusOr<std::unique_ptr<format::ChunkReader>> Open(uint32_t stream_id) = 0;
  // Totals the index recorded for a stream (rows, raw bytes, digest). For a pipe these are
  // known only once the stream ended. kNotFound if the stream is unknown (yet).
  virtual absl::StatusOr<format::StreamInfo> Totals(uint32_t stream_id) = 0;
};

class RandomAccessFeed : public StreamFeed {
 public:
  explicit RandomAccessFeed(format::ArchiveReader* reader) : reader_(reader) {}
  absl::StatusOr<std::unique_ptr<format::ChunkReader>> Open(uint32_t stream_id) override {
    return reader_->OpenStream(stream_id);
  }
  absl::StatusOr<format::StreamInfo> Totals(uint32_t stream_id) override;

 private:
  format::ArchiveReader* reader_;
};

class PipeFeed : public StreamFeed {
 public:
  // Starts the demultiplexer on `scanner` (borrowed, positioned after the records the
  // caller already consumed). `pending` is an item the caller read but did not consume
  // (the first chunk), or null. Chunks of streams not in `wanted` are verified and dropped.
  // A stream being read blocks the pipe once it has `memory_chunks` chunks queued
  // (backpressure); a stream nobody reads yet spills to a temporary file instead.
  // `abandon_input` (may be null) makes the scanner's pending read of the source give up
  // (storage::ObjectReader::Abandon): Abort() and the destructor call it while the
  // demultiplexer runs, so a writer that stalls does not hold up a restore that stopped.
  PipeFeed(format::ArchiveScanner* scanner, std::unique_ptr<format::ScanItem> pending,
           std::set<uint32_t> wanted, size_t memory_chunks = 8,
           std::function<void()> abandon_input = nullptr);
  // Stops the demultiplexer if still running (waits for it) and drops queued chunks.
  ~PipeFeed() override;

  absl::StatusOr<std::unique_ptr<format::ChunkReader>> Open(uint32_t stream_id) override;
  absl::StatusOr<format::StreamInfo> Totals(uint32_t stream_id) override;

  // Waits until the scanner reached the trailer (every check passed) or failed, and returns
  // that outcome.
  absl::Status Finish();
  // Metadata records seen after the first chunk (name -> body), once Finish() returned OK.
  std::map<std::string, std::string> TakeLateMetadata();
  // Makes every waiting and future reader fail with `status` and stops the demultiplexer
  // at its next frame (used when a restore fails elsewhere).
  void Abort(const absl::Status& status);
  // Heap bytes held by the chunks waiting in queues (in memory and spilled): tests check
  // that a spilled chunk holds none.
  size_t QueuedBufferBytesForTesting();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace pgark::engine::restore
