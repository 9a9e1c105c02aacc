// libFuzzer target: the sequential (pipe) archive scanner on untrusted bytes, with short
// reads of a size taken from the input's first byte, without a key and with the fuzz key
// ring. Seeds: tests/fuzz/corpus/archive_scanner/ (a granularity byte + a valid archive).
#include <cstddef>
#include <cstdint>
#include <string>

#include "format/archive_reader.h"
#include "format/byte_io.h"
#include "tests/fuzz/fuzz_keys.h"

namespace {

void ScanEverything(absl::string_view bytes, size_t granularity, pgark::format::KeyRing ring) {
  pgark::format::StringSource source(bytes, granularity);
  pgark::format::ReaderOptions options;
  options.keys = std::move(ring);
  auto scanner = pgark::format::ArchiveScanner::Open(&source, options);
  if (!scanner.ok()) return;
  pgark::format::ScanItem item;
  while (true) {
    auto more = (*scanner)->Next(&item);
    if (!more.ok() || !*more) break;
  }
  (void)(*scanner)->info();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // 1..256 bytes per Read(), or large reads when the byte is 0.
  size_t granularity = data[0] == 0 ? (1u << 20) : data[0];
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  ScanEverything(bytes, granularity, pgark::format::KeyRing());
  ScanEverything(bytes, granularity, pgark::fuzz::FuzzKeyRing());
  return 0;
}
