#pragma once
// What each golden archive under tests/golden/v1/ contains, as a pure function of its
// name: shared by the generator (make_golden.cc, run once by hand) and the test
// (golden_test.cc, every run), so the test checks the archive's contents against the
// source of truth rather than against what a reader once reported.
//
// Never change an existing spec: the archives are committed and must stay readable by
// every future version. Add new archives (a new name) instead. Header-only, test-only.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "format/archive_constants.h"
#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "format/keys.h"

namespace pgark::golden {

// One stream: its chunks in order; chunk i ends mid-row when ends_mid_row[i].
struct StreamSpec {
  uint32_t stream_id = 0;
  std::vector<std::string> chunks;
  std::vector<bool> ends_mid_row;
  uint64_t rows = 0;
};

struct MetadataSpec {
  std::string name;
  std::string body;
};

struct ArchiveSpec {
  std::string name;  // file stem: tests/golden/v1/<name>.pgark
  uint8_t id_salt = 0;  // archive id = ArchiveId(id_salt)
  format::CompressionType compression = format::CompressionType::kZstd;
  int level = -1000;
  uint32_t chunk_size = format::kMinChunkSize;
  bool encrypted = false;  // key file + X25519 recipient + passphrase slots
  // The writer interleaves streams round-robin (chunk 0 of each, chunk 1 of each, ...).
  std::vector<MetadataSpec> metadata;
  std::vector<StreamSpec> streams;
  // Whether the writer reproduces the archive byte for byte (no nonces, no random key;
  // codec none so no library's compressed bitstream is involved).
  bool byte_reproducible = false;
};

inline constexpr uint64_t kCreatedUnixUs = 1795000000000000ull;  // 2026-11-18T11:06:40Z
inline constexpr char kWriterVersion[] = "pgark-golden 1";
inline constexpr char kPassphrase[] = "golden passphrase, not a secret";

// Fixed archive id: 32 bytes 0x60 + i (golden files must not depend on randomness).
inline std::string ArchiveId(uint8_t salt) {
  std::string id(format::kArchiveIdSize, '\0');
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<char>(0x60 + salt + i);
  return id;
}

// Test keys (published in the repository on purpose: they protect nothing).
inline format::SecretKey KeyFileKey() {
  uint8_t bytes[32];
  for (int i = 0; i < 32; ++i) bytes[i] = static_cast<uint8_t>(0xA0 + i);
  return format::SecretKey(bytes);
}
inline format::SecretKey X25519Secret() {
  uint8_t bytes[32];
  for (int i = 0; i < 32; ++i) bytes[i] = static_cast<uint8_t>(0x11 * (i % 15) + 1);
  return format::SecretKey(bytes);
}

// Tab-separated text rows, the shape of COPY text data: compressible but varied.
inline std::string Rows(uint32_t first, uint32_t count) {
  std::string out;
  uint64_t x = 0x9E3779B97F4A7C15ull * (first + 1);
  for (uint32_t r = first; r < first + count; ++r) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    absl::StrAppend(&out, r, "\tcustomer-", x % 5000, "\t2024-0", 1 + x % 9, "-1", x % 10,
                    "\t", x % 100000 / 100.0, "\tstatus_", x % 4, "\n");
  }
  return out;
}

// Binary noise (incompressible bytes: exercises codecs' stored/raw blocks).
inline std::string Noise(uint32_t seed, size_t n) {
  std::string out;
  uint64_t x = 0x2545F4914F6CDD1Dull ^ seed;
  while (out.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out.push_back(static_cast<char>(x >> 24));
  }
  return out;
}

inline std::vector<ArchiveSpec> AllSpecs() {
  std::vector<ArchiveSpec> specs;
  {
    ArchiveSpec s;
    s.name = "plain_none";
    s.id_salt = 1;
    s.compression = format::CompressionType::kNone;
    s.level = 0;
    s.byte_reproducible = true;
    s.metadata = {{"catalog.json", R"({"tables":["public.accounts"]})"}};
    s.streams = {{1, {Rows(0, 60), Rows(60, 40)}, {false, false}, 100}};
    specs.push_back(s);
  }
  {
    ArchiveSpec s;
    s.name = "zstd_multistream";
    s.id_salt = 2;
    s.compression = format::CompressionType::kZstd;
    s.metadata = {{"catalog.json", R"({"tables":["public.a","public.b","public.empty"]})"},
                  {"ddl/pre-data", Rows(1000, 200)}};  // > chunk_size: several META frames
    s.streams = {
        {3, {Rows(0, 70), Rows(70, 70), Rows(140, 5)}, {false, false, false}, 145},
        {5, {}, {}, 0},  // an empty table
        // One row larger than a chunk, continued across two frames, then one more row.
        {9, {Noise(9, 4096), Noise(10, 1000), Rows(0, 1)}, {true, false, false}, 2},
    };
    specs.push_back(s);
  }
  {
    ArchiveSpec s;
    s.name = "gzip_fast";
    s.id_salt = 3;
    s.compression = format::CompressionType::kGzip;
    s.level = 1;
    s.metadata = {{"catalog.json", R"({"tables":["public.t"]})"}};
    s.streams = {{2, {Rows(500, 60), Noise(2, 3000)}, {false, false}, 61}};
    specs.push_back(s);
  }
  {
    ArchiveSpec s;
    s.name = "encrypted_multistream";
    s.id_salt = 4;
    s.compression = format::CompressionType::kZstd;
    s.level = -3;
    s.encrypted = true;
    s.metadata = {{"catalog.json", R"({"tables":["secret.x","secret.y"]})"},
                  {"ddl/post-data", "CREATE INDEX x_idx ON secret.x (id);"}};
    s.streams = {{1, {Rows(0, 50), Rows(50, 50)}, {false, false}, 100},
                 {2, {Rows(7000, 30)}, {false}, 30}};
    specs.push_back(s);
  }
  return specs;
}

// Writes `spec` with the deterministic writer options and returns the archive bytes.
// Errors: whatever the writer returns (a spec that breaks a writer rule).
inline absl::StatusOr<std::string> WriteGoldenArchive(const ArchiveSpec& spec) {
  format::WriterOptions options;
  options.compression = spec.compression;
  options.level = spec.level;
  options.chunk_size = spec.chunk_size;
  options.writer_version = kWriterVersion;
  options.archive_id_for_testing = ArchiveId(spec.id_salt);
  options.created_unix_us_for_testing = kCreatedUnixUs;
  if (spec.encrypted) {
    options.encryption.key_files.push_back(KeyFileKey());
    auto pair = format::ParseX25519Secret(format::EncodeX25519Secret(X25519Secret()));
    if (!pair.ok()) return pair.status();
    options.encryption.recipients.push_back(pair->public_key);
    // Cheapest Argon2id parameters the reader accepts: the test opens this slot each run.
    options.encryption.passphrases.push_back(
        {format::SecretString(kPassphrase), format::ArgonParams{1, 8u << 10}});
  }
  format::StringSink sink;
  auto writer = format::ArchiveWriter::Create(&sink, options);
  if (!writer.ok()) return writer.status();
  for (const MetadataSpec& m : spec.metadata) {
    absl::Status s = (*writer)->AddMetadata(m.name, m.body);
    if (!s.ok()) return s;
  }
  std::vector<std::unique_ptr<format::StreamWriter>> streams;
  size_t rounds = 1;
  for (const StreamSpec& st : spec.streams) {
    auto stream = (*writer)->OpenStream(st.stream_id);
    if (!stream.ok()) return stream.status();
    streams.push_back(std::move(*stream));
    rounds = std::max(rounds, st.chunks.size());
  }
  // Round-robin: chunk r of every stream, so frames of different streams interleave.
  for (size_t round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < spec.streams.size(); ++i) {
      const StreamSpec& st = spec.streams[i];
      if (round < st.chunks.size()) {
        absl::Status s = streams[i]->Append(st.chunks[round], st.ends_mid_row[round]);
        if (!s.ok()) return s;
      }
      if (round + 1 == std::max<size_t>(st.chunks.size(), 1)) {
        absl::Status s = streams[i]->Finish(st.rows);
        if (!s.ok()) return s;
      }
    }
  }
  streams.clear();
  auto summary = (*writer)->Finish();
  if (!summary.ok()) return summary.status();
  return sink.data();
}

}  // namespace pgark::golden
