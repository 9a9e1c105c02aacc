#include "engine/restore/stream_feed.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine::restore {

absl::StatusOr<format::StreamInfo> RandomAccessFeed::Totals(uint32_t stream_id) {
  for (const format::StreamInfo& info : reader_->info().streams) {
    if (info.stream_id == stream_id) return info;
  }
  return absl::NotFoundError(absl::StrCat("stream ", stream_id, " is not in the archive index"));
}

namespace {

// Chunk bytes parked on disk: where they are and the chunk's header fields.
struct SpilledChunk {
  format::Chunk meta;  // data empty
  uint64_t offset = 0;
  size_t size = 0;
};

struct StreamQueue {
  std::deque<format::Chunk> memory;
  std::deque<SpilledChunk> spilled;
  bool opened = false;
  bool ended = false;
  format::StreamInfo totals;
};

}  // namespace

struct PipeFeed::State {
  format::ArchiveScanner* scanner = nullptr;
  size_t memory_chunks = 8;
  std::set<uint32_t> wanted;

  absl::Mutex mu;
  std::map<uint32_t, StreamQueue> queues ABSL_GUARDED_BY(mu);
  std::map<std::string, std::string> late_metadata ABSL_GUARDED_BY(mu);
  absl::Status error ABSL_GUARDED_BY(mu);
  bool done ABSL_GUARDED_BY(mu) = false;  // scanner finished (error or trailer)
  bool stop ABSL_GUARDED_BY(mu) = false;
  FILE* spill ABSL_GUARDED_BY(mu) = nullptr;
  uint64_t spill_end ABSL_GUARDED_BY(mu) = 0;
  // Chunk buffers the readers are done with (and those of spilled chunks), handed back to
  // the scanner to decode the next DATA frame into: a chunk-sized buffer is then neither
  // allocated nor zero-filled per chunk. At most memory_chunks are kept.
  std::vector<std::string> spare ABSL_GUARDED_BY(mu);
  std::function<void()> abandon_input;  // set before the thread starts
  std::thread thread;

  // After `stop` was set: a read of the source waiting for a writer gives up.
  void AbandonInput() {
    bool running;
    {
      absl::MutexLock lock(&mu);
      running = !done;
    }
    if (running && abandon_input) abandon_input();
  }

  ~State() {
    if (spill != nullptr) fclose(spill);
  }

  void RecycleLocked(std::string buffer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (buffer.capacity() > 0 && spare.size() < memory_chunks) spare.push_back(std::move(buffer));
  }

  absl::Status SpillLocked(StreamQueue& queue, format::Chunk& chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (spill == nullptr) {
      spill = tmpfile();  // unlinked at creation: nothing is left behind on a crash
      if (spill == nullptr) return base::ErrnoToStatus(errno, "creating the pipe spill file");
    }
    const char* data = chunk.data.data();
    size_t left = chunk.data.size();
    uint64_t at = spill_end;
    while (left > 0) {
      ssize_t n = pwrite(fileno(spill), data, left, static_cast<off_t>(at));
      if (n < 0) {
        if (errno == EINTR) continue;
        return base::ErrnoToStatus(errno, "writing the pipe spill file");
      }
      data += n;
      left -= static_cast<size_t>(n);
      at += static_cast<uint64_t>(n);
    }
    SpilledChunk spilled;
    spilled.offset = spill_end;
    spilled.size = chunk.data.size();
    spill_end = at;
    // Move the buffer out, not clear() it: a cleared string keeps its capacity, and every
    // spilled chunk would keep its chunk-sized allocation in memory.
    RecycleLocked(std::move(chunk.data));
    chunk.data = std::string();
    spilled.meta = std::move(chunk);
    queue.spilled.push_back(std::move(spilled));
    return absl::OkStatus();
  }

  absl::Status Route(format::ScanItem& item) {
    absl::MutexLock lock(&mu);
    if (item.kind == format::ScanItem::Kind::kMetadata) {
      late_metadata[item.name] = std::move(item.body);
      return absl::OkStatus();
    }
    const uint32_t id = item.kind == format::ScanItem::Kind::kChunk ? item.chunk.stream_id
                                                                     : item.stream.stream_id;
    if (!wanted.count(id)) return absl::OkStatus();
    StreamQueue& queue = queues[id];
    if (item.kind == format::ScanItem::Kind::kStreamEnd) {
      queue.ended = true;
      queue.totals = item.stream;
      return absl::OkStatus();
    }
    // Backpressure for a stream being read; spill for one nobody reads yet.
    auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return stop || !queue.opened || queue.memory.size() + queue.spilled.size() < memory_chunks;
    };
    mu.Await(absl::Condition(&room));
    if (stop) return absl::OkStatus();
    if (!queue.spilled.empty() || queue.memory.size() >= memory_chunks) {
      return SpillLocked(queue, item.chunk);
    }
    queue.memory.push_back(std::move(item.chunk));
    return absl::OkStatus();
  }

  void Run(std::unique_ptr<format::ScanItem> pending) {
    absl::Status status;
    if (pending != nullptr) status = Route(*pending);
    format::ScanItem item;
    while (status.ok()) {
      {
        absl::MutexLock lock(&mu);
        if (stop) break;
        // The last chunk went to a queue: decode the next one over a spent buffer.
        if (item.chunk.data.empty() && !spare.empty()) {
          item.chunk.data = std::move(spare.back());
          spare.pop_back();
        }
      }
      absl::StatusOr<bool> more = scanner->Next(&item);
      if (!more.ok()) {
        status = more.status();
        break;
      }
      if (!*more) break;
      status = Route(item);
    }
    absl::MutexLock lock(&mu);
    if (error.ok()) error = status;
    done = true;
  }

  // Next chunk of `id` for its reader; false at its end.
  absl::StatusOr<bool> Pop(uint32_t id, format::Chunk* chunk) {
    absl::MutexLock lock(&mu);
    StreamQueue& queue = queues[id];
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return !error.ok() || !queue.memory.empty() || !queue.spilled.empty() || queue.ended || done;
    };
    mu.Await(absl::Condition(&ready));
    if (!error.ok()) return error;
    if (!queue.memory.empty()) {
      std::string spent = std::move(chunk->data);
      *chunk = std::move(queue.memory.front());
      queue.memory.pop_front();
      RecycleLocked(std::move(spent));
      return true;
    }
    if (!queue.spilled.empty()) {
      SpilledChunk spilled = std::move(queue.spilled.front());
      queue.spilled.pop_front();
      std::string buffer = std::move(chunk->data);  // read back over the reader's last chunk
      *chunk = std::move(spilled.meta);
      chunk->data = std::move(buffer);
      chunk->data.resize(spilled.size);
      size_t got = 0;
      while (got < spilled.size) {
        ssize_t n = pread(fileno(spill), chunk->data.data() + got, spilled.size - got,
                          static_cast<off_t>(spilled.offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return base::ErrnoToStatus(n < 0 ? errno : EIO, "reading the pipe spill file");
        got += static_cast<size_t>(n);
      }
      return true;
    }
    if (queue.ended) return false;
    return absl::DataLossError(absl::StrCat(
        "stream ", id, " is incomplete: the archive ended before its last chunk"));
  }
};

namespace {

class PipeChunkReader : public format::ChunkReader {
 public:
  PipeChunkReader(std::shared_ptr<PipeFeed::State> state, uint32_t id)
      : state_(std::move(state)), id_(id) {}
  absl::StatusOr<bool> Next(format::Chunk* chunk) override { return state_->Pop(id_, chunk); }

 private:
  std::shared_ptr<PipeFeed::State> state_;
  uint32_t id_;
};

}  // namespace

PipeFeed::PipeFeed(format::ArchiveScanner* scanner, std::unique_ptr<format::ScanItem> pending,
                   std::set<uint32_t> wanted, size_t memory_chunks,
                   std::function<void()> abandon_input)
    : state_(std::make_shared<State>()) {
  state_->scanner = scanner;
  state_->abandon_input = std::move(abandon_input);
  state_->memory_chunks = memory_chunks == 0 ? 1 : memory_chunks;
  state_->wanted = std::move(wanted);
  State* state = state_.get();
  state_->thread = std::thread([state, item = std::move(pending)]() mutable {
    state->Run(std::move(item));
  });
}

PipeFeed::~PipeFeed() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stop = true;
  }
  state_->AbandonInput();
  if (state_->thread.joinable()) state_->thread.join();
}

absl::StatusOr<std::unique_ptr<format::ChunkReader>> PipeFeed::Open(uint32_t stream_id) {
  absl::MutexLock lock(&state_->mu);
  if (!state_->wanted.count(stream_id)) {
    return absl::NotFoundError(absl::StrCat("stream ", stream_id, " was not requested"));
  }
  StreamQueue& queue = state_->queues[stream_id];
  if (queue.opened) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", stream_id, " of a piped archive can be read only once"));
  }
  queue.opened = true;
  return std::unique_ptr<format::ChunkReader>(new PipeChunkReader(state_, stream_id));
}

absl::StatusOr<format::StreamInfo> PipeFeed::Totals(uint32_t stream_id) {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->queues.find(stream_id);
  if (it == state_->queues.end() || !it->second.ended) {
    return absl::NotFoundError(absl::StrCat("stream ", stream_id, " has not ended yet"));
  }
  return it->second.totals;
}

absl::Status PipeFeed::Finish() {
  absl::MutexLock lock(&state_->mu);
  state_->mu.Await(absl::Condition(&state_->done));
  return state_->error;
}

std::map<std::string, std::string> PipeFeed::TakeLateMetadata() {
  absl::MutexLock lock(&state_->mu);
  return std::move(state_->late_metadata);
}

size_t PipeFeed::QueuedBufferBytesForTesting() {
  // A string's capacity counts heap bytes only beyond its inline (small-string) buffer.
  const size_t inline_capacity = std::string().capacity();
  auto heap = [&](const std::string& s) { return s.capacity() > inline_capacity ? s.capacity() : 0; };
  absl::MutexLock lock(&state_->mu);
  size_t bytes = 0;
  for (const auto& [id, queue] : state_->queues) {
    for (const format::Chunk& chunk : queue.memory) bytes += heap(chunk.data);
    for (const SpilledChunk& spilled : queue.spilled) bytes += heap(spilled.meta.data);
  }
  return bytes;
}

void PipeFeed::Abort(const absl::Status& status) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->error.ok()) state_->error = status;
    state_->stop = true;
  }
  state_->AbandonInput();
}

}  // namespace pgark::engine::restore
