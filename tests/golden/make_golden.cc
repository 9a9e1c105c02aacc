// make_golden: writes the golden archives of tests/golden/golden_spec.h into a directory,
// each with <name>.expected.json (and, for encrypted ones, the key files that open them).
// Run once per new archive, by hand, then commit the files:
//
//   ninja -C build pgark_make_golden && build/tests/pgark_make_golden tests/golden/v1
//
// Existing files are never overwritten (golden archives are written once; a changed
// archive would hide exactly the drift they exist to catch): only missing archives are
// written. The expected values come from the spec (what was written), not from a reader.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "format/codec/checksum.h"
#include "format/codec/compressor.h"
#include "format/keys.h"
#include "nlohmann/json.hpp"
#include "tests/golden/golden_spec.h"

namespace pgark::golden {
namespace {

std::string Sha256Hex(absl::string_view bytes) {
  format::Sha256Stream sha;
  sha.Update(bytes);
  return sha.FinalHex();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool WriteFile(const std::string& path, absl::string_view bytes) {
  if (Exists(path)) {
    std::cerr << "make_golden: " << path << " exists; golden files are never overwritten\n";
    return false;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::cerr << "make_golden: cannot write " << path << "\n";
    return false;
  }
  return true;
}

nlohmann::json Expected(const ArchiveSpec& spec, const std::string& archive) {
  nlohmann::json j;
  j["file"] = spec.name + ".pgark";
  j["archive_size"] = archive.size();
  j["archive_sha256"] = Sha256Hex(archive);
  j["format_major"] = format::kFormatMajor;
  j["format_minor"] = format::kFormatMinor;
  j["archive_id_hex"] = format::HexEncode(ArchiveId(spec.id_salt));
  j["encrypted"] = spec.encrypted;
  j["compression"] = format::CompressionName(spec.compression);
  j["chunk_size"] = spec.chunk_size;
  j["created_unix_us"] = kCreatedUnixUs;
  j["writer_version"] = kWriterVersion;
  j["byte_reproducible"] = spec.byte_reproducible;
  nlohmann::json slots = nlohmann::json::array();
  if (spec.encrypted) {
    auto pair = format::ParseX25519Secret(format::EncodeX25519Secret(X25519Secret()));
    // The writer stores passphrase slots first, then key files, then recipients.
    slots.push_back({{"type", "passphrase"}, {"argon_ops", 1}, {"argon_mem", 8u << 10}});
    slots.push_back({{"type", "key_file"}, {"key_id", format::KeyFileId(KeyFileKey())}});
    slots.push_back({{"type", "x25519"}, {"key_id", format::RecipientId(pair->public_key)}});
    j["key_file"] = spec.name + ".key";
    j["identity_file"] = spec.name + ".x25519";
    j["passphrase_file"] = spec.name + ".passphrase";
  }
  j["key_slots"] = slots;
  nlohmann::json metadata = nlohmann::json::array();
  for (const MetadataSpec& m : spec.metadata) {
    metadata.push_back({{"name", m.name}, {"size", m.body.size()}, {"sha256", Sha256Hex(m.body)}});
  }
  j["metadata"] = metadata;
  nlohmann::json streams = nlohmann::json::array();
  // The index lists streams sorted by id.
  std::vector<StreamSpec> sorted = spec.streams;
  std::sort(sorted.begin(), sorted.end(),
            [](const StreamSpec& a, const StreamSpec& b) { return a.stream_id < b.stream_id; });
  for (const StreamSpec& st : sorted) {
    std::string raw;
    nlohmann::json chunks = nlohmann::json::array();
    for (size_t i = 0; i < st.chunks.size(); ++i) {
      chunks.push_back({{"raw_offset", raw.size()},
                        {"raw_len", st.chunks[i].size()},
                        {"ends_mid_row", static_cast<bool>(st.ends_mid_row[i])}});
      raw += st.chunks[i];
    }
    streams.push_back({{"stream_id", st.stream_id},
                       {"rows", st.rows},
                       {"raw_bytes", raw.size()},
                       {"digest_hex", format::Xxh3_128(raw).Hex()},
                       {"sha256", Sha256Hex(raw)},
                       {"chunks", chunks}});
  }
  j["streams"] = streams;
  return j;
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pgark_make_golden DIR   (writes the golden archives missing in DIR)\n";
    return 2;
  }
  const std::string dir = argv[1];
  int written = 0;
  for (const ArchiveSpec& spec : AllSpecs()) {
    const std::string stem = dir + "/" + spec.name;
    if (Exists(stem + ".pgark")) {
      std::cout << "kept    " << stem << ".pgark\n";
      continue;
    }
    auto archive = WriteGoldenArchive(spec);
    if (!archive.ok()) {
      std::cerr << "make_golden: " << spec.name << ": " << archive.status() << "\n";
      return 1;
    }
    if (spec.encrypted) {
      auto pair = format::ParseX25519Secret(format::EncodeX25519Secret(X25519Secret()));
      if (!WriteFile(stem + ".key", format::EncodeKeyFile(KeyFileKey())) ||
          !WriteFile(stem + ".x25519", format::EncodeX25519Secret(pair->secret_key)) ||
          !WriteFile(stem + ".passphrase", std::string(kPassphrase) + "\n")) {
        return 1;
      }
    }
    if (!WriteFile(stem + ".pgark", *archive) ||
        !WriteFile(stem + ".expected.json", Expected(spec, *archive).dump(2) + "\n")) {
      return 1;
    }
    std::cout << "wrote   " << stem << ".pgark (" << archive->size() << " bytes)\n";
    ++written;
  }
  std::cout << written << " archive(s) written\n";
  return 0;
}

}  // namespace
}  // namespace pgark::golden

int main(int argc, char** argv) { return pgark::golden::Main(argc, argv); }
