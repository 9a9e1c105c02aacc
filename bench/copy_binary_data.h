#pragma once
// Deterministic COPY ... (FORMAT binary) streams for the micro-benchmarks: what a dump
// worker hands the archive writer. Two shapes, after tools/bench-compare's dataset:
//
//  - kPgbench: pgbench_accounts rows (aid int4, bid int4, abalance int4, filler char(84)
//    which pgbench leaves blank-padded): very compressible.
//  - kMixed: the bench_mixed table of bench/datasets/mixed.sql (int8, timestamptz,
//    numeric, jsonb, text with NULLs, uuid, bytea from md5-like noise, int4[], bool, date):
//    partly incompressible, closer to a real application table.
//
// Values are a pure function of the row number (a fixed-seed PRNG), so every run measures
// the same bytes. The encoding follows PostgreSQL's send functions (big-endian integers,
// numeric as base-10000 digits, jsonb with its version byte, arrays with their header),
// so codecs see realistic byte patterns. Header-only; used by bench/ only.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pgark::bench {

enum class Dataset : int { kPgbench = 0, kMixed = 1 };

inline const char* DatasetName(Dataset d) { return d == Dataset::kPgbench ? "pgbench" : "mixed"; }

namespace copy_internal {

inline void PutBe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}
inline void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void PutBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void Field(std::string* out, const std::string& bytes) {
  PutBe32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}
inline void Null(std::string* out) { PutBe32(out, 0xFFFFFFFFu); }

inline std::string Be32(uint32_t v) {
  std::string s;
  PutBe32(&s, v);
  return s;
}
inline std::string Be64(uint64_t v) {
  std::string s;
  PutBe64(&s, v);
  return s;
}

inline std::string Noise(std::mt19937_64& rng, size_t n) {
  std::string s;
  while (s.size() < n) {
    uint64_t v = rng();
    s.append(reinterpret_cast<const char*>(&v), 8);
  }
  s.resize(n);
  return s;
}

inline std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// numeric_send: ndigits, weight, sign, dscale, then base-10000 digits. Value cents/100.
inline std::string Numeric(uint64_t cents) {
  std::vector<uint16_t> digits;
  uint64_t whole = cents / 100;
  while (whole > 0) {
    digits.insert(digits.begin(), static_cast<uint16_t>(whole % 10000));
    whole /= 10000;
  }
  int16_t weight = static_cast<int16_t>(digits.size()) - 1;
  uint16_t frac = static_cast<uint16_t>((cents % 100) * 100);
  if (frac != 0) digits.push_back(frac);
  std::string s;
  PutBe16(&s, static_cast<uint16_t>(digits.size()));
  PutBe16(&s, static_cast<uint16_t>(weight));
  PutBe16(&s, 0);  // positive
  PutBe16(&s, 2);  // dscale
  for (uint16_t d : digits) PutBe16(&s, d);
  return s;
}

inline void PgbenchRow(uint64_t row, std::string* out) {
  PutBe16(out, 4);
  Field(out, Be32(static_cast<uint32_t>(row + 1)));           // aid
  Field(out, Be32(static_cast<uint32_t>(row / 100000 + 1)));  // bid
  Field(out, Be32(0));                                        // abalance
  Field(out, std::string(84, ' '));                           // filler char(84)
}

inline void MixedRow(uint64_t i, std::mt19937_64& rng, std::string* out) {
  static const char* kRegions[] = {"eu-west", "eu-central", "us-east", "us-west", "ap-south"};
  PutBe16(out, 10);
  Field(out, Be64(i));                                              // id int8
  Field(out, Be64(631152000000000ull + i * 17000000ull));           // timestamptz (µs since 2000)
  if (i % 50 == 0) Null(out); else Field(out, Numeric((i * 7919) % 10000000));  // amount
  std::string json = "\x01{\"flag\": " + std::string(i % 2 == 0 ? "true" : "false") +
                     ", \"tags\": [\"t" + std::to_string(i % 13) + "\", \"t" +
                     std::to_string(i % 29) + "\"], \"score\": " + std::to_string(i % 1000 / 10) +
                     "." + std::to_string(i % 10) + ", \"region\": \"" + kRegions[i % 5] +
                     "\", \"customer\": " + std::to_string(i % 100000) + "}";
  Field(out, json);                                                 // attrs jsonb
  if (i % 10 == 0) {
    Null(out);
  } else {
    std::string note;
    for (uint64_t k = 0; k < 1 + i % 4; ++k) note += "lorem ipsum dolor sit amet ";
    Field(out, note + Hex(Noise(rng, 16)));                         // note text
  }
  Field(out, Noise(rng, 16));                                       // ref uuid
  if (i % 4 == 0) Null(out); else Field(out, Noise(rng, 48));       // blob bytea
  std::string array;                                                // scores int4[]
  PutBe32(&array, 1);   // ndim
  PutBe32(&array, 0);   // no nulls
  PutBe32(&array, 23);  // int4 oid
  PutBe32(&array, 4);   // dim
  PutBe32(&array, 1);   // lower bound
  for (uint64_t v : {i % 100, i % 1000, i % 7, i}) {
    PutBe32(&array, 4);
    PutBe32(&array, static_cast<uint32_t>(v));
  }
  Field(out, array);
  Field(out, std::string(1, i % 3 == 0 ? '\1' : '\0'));            // active bool
  if (i % 7 == 0) Null(out); else Field(out, Be32(static_cast<uint32_t>(7305 + i % 3650)));  // due
}

}  // namespace copy_internal

// A COPY BINARY stream of about `total_bytes`, cut into chunks of at most `chunk_size`
// bytes that end on tuple boundaries (as the dump workers cut them). The first chunk
// starts with the COPY signature header, the last ends with the -1 trailer.
inline std::vector<std::string> CopyBinaryChunks(Dataset dataset, size_t total_bytes,
                                                 size_t chunk_size) {
  using namespace copy_internal;
  std::vector<std::string> chunks;
  std::string current("PGCOPY\n\xff\r\n\0", 11);
  PutBe32(&current, 0);  // flags
  PutBe32(&current, 0);  // header extension length
  std::mt19937_64 rng(static_cast<uint64_t>(dataset) + 42);
  size_t produced = 0;
  std::string row;
  for (uint64_t i = 0; produced < total_bytes; ++i) {
    row.clear();
    if (dataset == Dataset::kPgbench) PgbenchRow(i, &row); else MixedRow(i, rng, &row);
    if (current.size() + row.size() > chunk_size) {
      produced += current.size();
      chunks.push_back(std::move(current));
      current.clear();
    }
    current += row;
  }
  PutBe16(&current, 0xFFFF);  // trailer
  chunks.push_back(std::move(current));
  return chunks;
}

inline size_t TotalSize(const std::vector<std::string>& chunks) {
  size_t n = 0;
  for (const auto& c : chunks) n += c.size();
  return n;
}

}  // namespace pgark::bench
