// libFuzzer target: the index parser (format/layout.h ParseIndex) on untrusted,
// already-decompressed index bytes: every count and length is attacker-controlled and
// must be checked against what remains before allocating. Seeds: tests/fuzz/corpus/index/.
#include <cstddef>
#include <cstdint>

#include "format/layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pgark::format::ParseIndex(absl::string_view(reinterpret_cast<const char*>(data), size))
      .status()
      .IgnoreError();
  return 0;
}
