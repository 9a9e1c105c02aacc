// libFuzzer target: the random-access archive reader on untrusted bytes. Opens the input
// as an archive without a key and with the fuzz key ring, then reads every metadata
// record and every stream, and verifies all frames. Any crash, hang, leak or sanitizer
// report is a bug; error statuses are the expected outcome for almost every input.
// Seeds: tests/fuzz/corpus/archive_reader/ (small valid archives, plain and encrypted).
#include <cstddef>
#include <cstdint>
#include <string>

#include "format/archive_reader.h"
#include "format/byte_io.h"
#include "tests/fuzz/fuzz_keys.h"

namespace {

void ReadEverything(absl::string_view bytes, pgark::format::KeyRing ring) {
  pgark::format::StringSource source(bytes);
  pgark::format::ReaderOptions options;
  options.keys = std::move(ring);
  options.coalesce_bytes = 1 << 16;
  auto reader = pgark::format::ArchiveReader::Open(&source, options);
  if (!reader.ok()) return;
  const pgark::format::ArchiveInfo& info = (*reader)->info();
  for (const auto& m : info.metadata) (*reader)->ReadMetadata(m.name).status().IgnoreError();
  for (const auto& s : info.streams) {
    (*reader)->Chunks(s.stream_id).status().IgnoreError();
    auto chunks = (*reader)->OpenStream(s.stream_id);
    if (!chunks.ok()) continue;
    pgark::format::Chunk chunk;
    while (true) {
      auto more = (*chunks)->Next(&chunk);
      if (!more.ok() || !*more) break;
    }
    // A run in the middle of the stream (the parallel restore's access pattern).
    if (s.chunks > 1) {
      auto run = (*reader)->OpenStream(s.stream_id, 1, 1);
      if (run.ok()) (*run)->Next(&chunk).status().IgnoreError();
    }
  }
  (*reader)->VerifyAll().IgnoreError();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  pgark::format::StringSource source(bytes);
  pgark::format::ReadHeaderInfo(&source).status().IgnoreError();
  ReadEverything(bytes, pgark::format::KeyRing());
  ReadEverything(bytes, pgark::fuzz::FuzzKeyRing());
  return 0;
}
