// Micro-benchmarks of the whole archive pipeline: ArchiveWriter with N producer threads
// (compress, round-trip check, encrypt, frame, ordered sink with the running SHA-256), and
// the read paths (random-access ArchiveReader reading every stream; the pipe scanner),
// which perform everything `pgark verify` does below the COPY parser.
//
// Throughput counters are of raw COPY bytes. Every benchmark here times the CPU time of the
// whole process (all threads, MeasureProcessCPUTime), so bytes_per_second is throughput per
// CPU-second, i.e. per core, and stays meaningful on a loaded machine: the figures the format
// issue asks for (writer throughput per core at the default level; verify throughput).
// "wall_MiB_s" is raw MiB per wall second (depends on free cores; informative only).
// Run: bench/run-micro --benchmark_filter='Writer|Verify' (docs/testing.md has the figures).
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/copy_binary_data.h"
#include "benchmark/benchmark.h"
#include "format/archive_reader.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "format/codec/compressor.h"

namespace pgark::bench {
namespace {

constexpr size_t kStreamBytes = 16u << 20;  // per producer thread

// Discards bytes (the writer itself computes the SHA-256 of the stream).
class NullSink : public format::ByteSink {
 public:
  absl::Status Append(absl::string_view data) override {
    bytes_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

const std::vector<std::string>& MixedChunks() {
  static const std::vector<std::string> chunks =
      CopyBinaryChunks(Dataset::kMixed, kStreamBytes, format::kDefaultChunkSize);
  return chunks;
}
const std::vector<std::string>& PgbenchChunks() {
  static const std::vector<std::string> chunks =
      CopyBinaryChunks(Dataset::kPgbench, kStreamBytes, format::kDefaultChunkSize);
  return chunks;
}

format::WriterOptions Options(int codec, int level, bool encrypted) {
  format::WriterOptions options;
  options.compression = static_cast<format::CompressionType>(codec);
  options.level = level;
  if (encrypted) options.encryption.key_files.push_back(format::SecretKey::Random());
  return options;
}

// Writes one archive: `threads` streams, each with the whole sample, one producer each.
absl::Status WriteArchive(format::ByteSink* sink, const format::WriterOptions& options,
                          int threads, const std::vector<std::string>& chunks) {
  auto writer = format::ArchiveWriter::Create(sink, options);
  if (!writer.ok()) return writer.status();
  std::vector<absl::Status> results(threads);
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      auto stream = (*writer)->OpenStream(static_cast<uint32_t>(t + 1));
      if (!stream.ok()) {
        results[t] = stream.status();
        return;
      }
      for (const std::string& chunk : chunks) {
        results[t] = (*stream)->Append(chunk);
        if (!results[t].ok()) return;
      }
      results[t] = (*stream)->Finish(chunks.size());
    });
  }
  for (auto& p : producers) p.join();
  for (const auto& s : results) {
    if (!s.ok()) return s;
  }
  return (*writer)->Finish().status();
}

// Args: codec, level, encrypted, producer threads, dataset.
void BM_WriterPipeline(benchmark::State& state) {
  const int codec = static_cast<int>(state.range(0));
  const int level = static_cast<int>(state.range(1));
  const bool encrypted = state.range(2) != 0;
  const int threads = static_cast<int>(state.range(3));
  const auto& chunks = state.range(4) == 0 ? PgbenchChunks() : MixedChunks();
  const format::WriterOptions options = Options(codec, level, encrypted);
  uint64_t raw = 0, stored = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    NullSink sink;
    absl::Status s = WriteArchive(&sink, options, threads, chunks);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    raw += TotalSize(chunks) * threads;
    stored += sink.bytes();
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  // Timed by process CPU time: bytes_per_second is already per core (per CPU-second).
  state.SetBytesProcessed(static_cast<int64_t>(raw));
  state.counters["wall_MiB_s"] = wall > 0 ? static_cast<double>(raw) / wall / (1 << 20) : 0;
  state.counters["ratio"] = stored ? static_cast<double>(raw) / stored : 0;
  state.SetLabel(absl::StrCat(state.range(4) == 0 ? "pgbench " : "mixed ",
                              format::CompressionName(options.compression), ":", level,
                              encrypted ? " encrypted" : "", " x", threads));
}
BENCHMARK(BM_WriterPipeline)
    ->ArgNames({"codec", "level", "enc", "threads", "data"})
    ->Args({1, format::kDefaultZstdLevel, 0, 1, 1})
    ->Args({1, format::kDefaultZstdLevel, 1, 1, 1})
    ->Args({1, format::kDefaultZstdLevel, 1, 2, 1})
    ->Args({1, format::kDefaultZstdLevel, 1, 1, 0})
    ->Args({1, 3, 1, 1, 1})
    ->Args({1, -1, 1, 1, 1})
    ->Args({2, format::kDefaultGzipLevel, 1, 1, 1})
    ->Args({0, 0, 1, 1, 1})
    ->Args({0, 0, 0, 1, 1})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

struct PreparedArchive {
  std::string bytes;
  format::KeyRing keys;
  uint64_t raw = 0;
};

// Args: codec, encrypted. Two streams of the mixed sample.
const PreparedArchive& Prepared(int codec, bool encrypted) {
  static PreparedArchive cache[3][2];
  PreparedArchive& p = cache[codec][encrypted ? 1 : 0];
  if (p.bytes.empty()) {
    format::WriterOptions options = Options(codec, -1000, false);
    if (encrypted) {
      format::SecretKey key = format::SecretKey::Random();
      options.encryption.key_files.push_back(key);
      p.keys.key_files.push_back(key);
    }
    format::StringSink sink;
    if (WriteArchive(&sink, options, 2, MixedChunks()).ok()) p.bytes = sink.data();
    p.raw = 2 * TotalSize(MixedChunks());
  }
  return p;
}

// The random-access verify path: open (trailer, header, key, index), then read and check
// every stream with its digest. Args: codec, encrypted.
void BM_VerifyRandomAccess(benchmark::State& state) {
  const PreparedArchive& p = Prepared(static_cast<int>(state.range(0)), state.range(1) != 0);
  if (p.bytes.empty()) {
    state.SkipWithError("writing the archive failed");
    return;
  }
  for (auto _ : state) {
    format::StringSource source(p.bytes);
    format::ReaderOptions options;
    options.keys = p.keys;
    auto reader = format::ArchiveReader::Open(&source, options);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      return;
    }
    for (const format::StreamInfo& info : (*reader)->info().streams) {
      auto chunks = (*reader)->OpenStream(info.stream_id);
      format::Chunk chunk;
      while (chunks.ok()) {
        auto more = (*chunks)->Next(&chunk);
        if (!more.ok()) {
          state.SkipWithError(std::string(more.status().message()).c_str());
          return;
        }
        if (!*more) break;
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.raw));
}
BENCHMARK(BM_VerifyRandomAccess)
    ->ArgNames({"codec", "enc"})->Args({1, 0})->Args({1, 1})->Args({2, 1})->Args({0, 1})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

// The pipe path: ArchiveScanner over a sequential source. Args: codec, encrypted.
void BM_VerifyPipeScan(benchmark::State& state) {
  const PreparedArchive& p = Prepared(static_cast<int>(state.range(0)), state.range(1) != 0);
  if (p.bytes.empty()) {
    state.SkipWithError("writing the archive failed");
    return;
  }
  for (auto _ : state) {
    format::StringSource source(p.bytes);
    format::ReaderOptions options;
    options.keys = p.keys;
    auto scanner = format::ArchiveScanner::Open(&source, options);
    if (!scanner.ok()) {
      state.SkipWithError(std::string(scanner.status().message()).c_str());
      return;
    }
    format::ScanItem item;
    while (true) {
      auto more = (*scanner)->Next(&item);
      if (!more.ok()) {
        state.SkipWithError(std::string(more.status().message()).c_str());
        return;
      }
      if (!*more) break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.raw));
}
BENCHMARK(BM_VerifyPipeScan)
    ->ArgNames({"codec", "enc"})->Args({1, 0})->Args({1, 1})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pgark::bench
