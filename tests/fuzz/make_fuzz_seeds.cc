// make_fuzz_seeds: writes the seed corpora of the format fuzz targets
// (tests/fuzz/corpus/<target>/) from the golden archive specs, so the seeds are
// reproducible and cover plain, multi-stream, deflate and encrypted archives:
//
//   ninja -C build pgark_make_fuzz_seeds && build/tests/fuzz/pgark_make_fuzz_seeds tests/fuzz/corpus
//
// archive_reader/: whole archives; archive_scanner/: a read-size byte + an archive;
// header/: each archive's file header; index/: encoded indexes (ParseIndex input).
// Overwrites the seed files it writes (seeds, unlike golden files, may change).
#include <fstream>
#include <iostream>
#include <string>

#include "format/layout.h"
#include "format/wire.h"
#include "tests/golden/golden_spec.h"

namespace {

bool Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) std::cerr << "make_fuzz_seeds: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

pgark::format::Index SampleIndex(int streams, int chunks) {
  using namespace pgark::format;
  Index index;
  uint64_t offset = 200;
  IndexMeta meta;
  meta.name = "catalog.json";
  meta.size = 77;
  meta.frames.push_back({offset, 120, 77, kFlagFinal, 0x1234});
  offset += 168;
  index.metadata.push_back(meta);
  for (int s = 1; s <= streams; ++s) {
    IndexStream st;
    st.stream_id = static_cast<uint32_t>(s * 3);
    for (int c = 0; c < chunks; ++c) {
      st.chunks.push_back({offset, 900, 4000, static_cast<uint8_t>(c % 2 ? kFlagContinues : 0),
                           0xABCDEFull + c});
      offset += 948;
      st.raw_bytes += 4000;
      st.stored_bytes += 948;
    }
    st.end = {offset, 60, 0, kFlagFinal, 0x55};
    offset += 108;
    st.rows = 10 * chunks;
    st.digest = pgark::format::Digest128{0x0102030405060708ull, 0x1112131415161718ull};
    index.streams.push_back(st);
  }
  return index;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pgark_make_fuzz_seeds CORPUS_DIR (with subdirectories per target)\n";
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;
  for (const auto& spec : pgark::golden::AllSpecs()) {
    auto archive = pgark::golden::WriteGoldenArchive(spec);
    if (!archive.ok()) {
      std::cerr << spec.name << ": " << archive.status() << "\n";
      return 1;
    }
    ok &= Write(dir + "/archive_reader/" + spec.name, *archive);
    ok &= Write(dir + "/archive_scanner/" + spec.name, std::string(1, '\x07') + *archive);
    uint32_t header_len = pgark::format::wire::GetU32(archive->data() + 12);
    ok &= Write(dir + "/header/" + spec.name, archive->substr(0, header_len));
  }
  ok &= Write(dir + "/index/empty", pgark::format::EncodeIndex(pgark::format::Index()));
  ok &= Write(dir + "/index/one_stream", pgark::format::EncodeIndex(SampleIndex(1, 3)));
  ok &= Write(dir + "/index/three_streams", pgark::format::EncodeIndex(SampleIndex(3, 2)));
  return ok ? 0 : 1;
}
