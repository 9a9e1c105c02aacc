// Micro-benchmarks of the archive format's per-chunk hot paths: each codec and level on
// realistic COPY BINARY chunks (bench/copy_binary_data.h), AEAD seal/open, XXH3, CRC32C and
// the SHA-256 of the archive stream. Throughput is of raw (uncompressed) bytes; the
// "ratio" counter is raw/compressed. Run: bench/run-micro (docs/benchmarks.md).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/copy_binary_data.h"
#include "benchmark/benchmark.h"
#include "format/archive_constants.h"
#include "format/codec/checksum.h"
#include "format/codec/chunk_cipher.h"
#include "format/codec/compressor.h"
#include "format/keys.h"

namespace pgark::bench {
namespace {

constexpr size_t kSampleBytes = 16u << 20;  // per dataset: four default-size chunks

const std::vector<std::string>& Chunks(Dataset dataset) {
  static const std::vector<std::string> pgbench =
      CopyBinaryChunks(Dataset::kPgbench, kSampleBytes, format::kDefaultChunkSize);
  static const std::vector<std::string> mixed =
      CopyBinaryChunks(Dataset::kMixed, kSampleBytes, format::kDefaultChunkSize);
  return dataset == Dataset::kPgbench ? pgbench : mixed;
}

// Args: dataset, codec, level.
void BM_Compress(benchmark::State& state) {
  auto dataset = static_cast<Dataset>(state.range(0));
  auto codec = static_cast<format::CompressionType>(state.range(1));
  int level = static_cast<int>(state.range(2));
  const auto& chunks = Chunks(dataset);
  auto compressor = format::NewCompressor(codec, level);
  if (!compressor.ok()) {
    state.SkipWithError(std::string(compressor.status().message()).c_str());
    return;
  }
  std::string out;
  size_t raw = 0, stored = 0;
  for (auto _ : state) {
    for (const std::string& chunk : chunks) {
      out.clear();
      if (!(*compressor)->Compress(chunk, &out).ok()) {
        state.SkipWithError("compress failed");
        return;
      }
      raw += chunk.size();
      stored += out.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(raw));
  state.counters["ratio"] = stored ? static_cast<double>(raw) / stored : 0;
  state.SetLabel(absl::StrCat(DatasetName(dataset), " ", format::CompressionName(codec), ":",
                              level));
}

void CompressArgs(benchmark::internal::Benchmark* b) {
  for (int dataset : {0, 1}) {
    for (int level : {-7, -5, -3, -1, 1, 2, 3, 4, 5, 6, 9}) b->Args({dataset, 1, level});
    for (int level : {1, 3, 6, 9}) b->Args({dataset, 2, level});
    b->Args({dataset, 0, 0});
  }
}
BENCHMARK(BM_Compress)->Apply(CompressArgs)->ArgNames({"data", "codec", "level"})
    ->Unit(benchmark::kMillisecond);

// Args: dataset, codec, level (of the compressed input).
void BM_Decompress(benchmark::State& state) {
  auto dataset = static_cast<Dataset>(state.range(0));
  auto codec = static_cast<format::CompressionType>(state.range(1));
  const auto& chunks = Chunks(dataset);
  auto compressor = format::NewCompressor(codec, static_cast<int>(state.range(2)));
  auto decompressor = format::NewDecompressor(codec);
  if (!compressor.ok() || !decompressor.ok()) {
    state.SkipWithError("codec setup failed");
    return;
  }
  std::vector<std::string> compressed(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!(*compressor)->Compress(chunks[i], &compressed[i]).ok()) {
      state.SkipWithError("compress failed");
      return;
    }
  }
  std::string out;
  size_t raw = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      out.clear();
      if (!(*decompressor)->Decompress(compressed[i], chunks[i].size(), &out).ok()) {
        state.SkipWithError("decompress failed");
        return;
      }
      raw += out.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(raw));
}
BENCHMARK(BM_Decompress)
    ->Args({0, 1, 3})->Args({1, 1, 3})->Args({1, 1, -1})->Args({1, 1, 1})->Args({1, 2, 6})
    ->ArgNames({"data", "codec", "level"})->Unit(benchmark::kMillisecond);

std::string Payload(size_t size) {
  std::string out;
  for (const std::string& chunk : Chunks(Dataset::kMixed)) {
    out += chunk;
    if (out.size() >= size) break;
  }
  out.resize(size);
  return out;
}

// XChaCha20-Poly1305 per chunk. Arg: chunk size.
void BM_AeadSeal(benchmark::State& state) {
  (void)format::EnsureSodium();
  const std::string plain = Payload(static_cast<size_t>(state.range(0)));
  format::ChunkCipher cipher(format::SecretKey::Random());
  const std::string aad(64, 'a');
  std::string sealed;
  for (auto _ : state) {
    sealed.clear();
    cipher.Seal(aad, plain, &sealed);
    benchmark::DoNotOptimize(sealed.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * plain.size()));
}
BENCHMARK(BM_AeadSeal)->Arg(64 << 10)->Arg(4 << 20);

void BM_AeadOpen(benchmark::State& state) {
  (void)format::EnsureSodium();
  const std::string plain = Payload(static_cast<size_t>(state.range(0)));
  format::ChunkCipher cipher(format::SecretKey::Random());
  const std::string aad(64, 'a');
  std::string sealed, opened;
  cipher.Seal(aad, plain, &sealed);
  for (auto _ : state) {
    opened.clear();
    if (!cipher.Open(aad, sealed, &opened).ok()) {
      state.SkipWithError("open failed");
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * plain.size()));
}
BENCHMARK(BM_AeadOpen)->Arg(64 << 10)->Arg(4 << 20);

// Arg: 0 = XXH3-64 (per frame), 1 = XXH3-128 streaming (per stream digest).
void BM_Xxh3(benchmark::State& state) {
  const std::string data = Payload(4u << 20);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      benchmark::DoNotOptimize(format::Xxh3_64(data));
    } else {
      format::Xxh3_128Stream stream;
      stream.Update(data);
      benchmark::DoNotOptimize(stream.Final());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(state.range(0) == 0 ? "xxh3-64" : "xxh3-128 stream");
}
BENCHMARK(BM_Xxh3)->Arg(0)->Arg(1);

// Args: size, implementation (0 dispatch, 1 table, 2 sse4.2). 48 B = one frame header.
void BM_Crc32c(benchmark::State& state) {
  const std::string data = Payload(static_cast<size_t>(state.range(0)));
  const int impl = static_cast<int>(state.range(1));
  if (impl == 2 && !format::internal::Crc32cHaveSse42()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  for (auto _ : state) {
    uint32_t crc = impl == 0   ? format::Crc32c(data)
                   : impl == 1 ? format::internal::Crc32cTable(data)
                               : format::internal::Crc32cSse42(data);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(impl == 0 ? "dispatch" : impl == 1 ? "table" : "sse4.2");
}
BENCHMARK(BM_Crc32c)->ArgsProduct({{48, 4 << 20}, {0, 1, 2}})->ArgNames({"size", "impl"});

// SHA-256 of the archive stream, fed in frame-sized appends as the sink sees them.
void BM_Sha256ArchiveStream(benchmark::State& state) {
  (void)format::EnsureSodium();
  const std::string data = Payload(4u << 20);
  const size_t piece = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    format::Sha256Stream sha;
    for (size_t off = 0; off < data.size(); off += piece) {
      sha.Update(absl::string_view(data).substr(off, piece));
    }
    benchmark::DoNotOptimize(sha.FinalHex());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Sha256ArchiveStream)->Arg(48)->Arg(1 << 20);

}  // namespace
}  // namespace pgark::bench
