// libFuzzer target: the verify path's COPY tuple parser (engine/verify/copy_tuples.h), which
// walks every stored tuple of an untrusted archive. The input chooses binary or text, the
// column count and the chunk size; the same bytes are also fed in one piece, and both runs
// must agree on the outcome and the row count (chunking must not change what is accepted).
// Seeds: tests/fuzz/corpus/copy_tuples/.
//
// Input: [binary bit0] [fields] [piece size] tuple bytes (no COPY header/trailer)...
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "engine/verify/copy_tuples.h"

namespace {

struct Outcome {
  bool ok;
  int64_t rows;
};

Outcome Run(bool binary, int fields, absl::string_view bytes, size_t piece) {
  pgark::engine::verify::CopyTupleCounter counter(binary, fields, "fuzz stream");
  for (size_t i = 0; i < bytes.size(); i += piece) {
    if (!counter.Feed(bytes.substr(i, piece)).ok()) return {false, -1};
  }
  if (!counter.Finish().ok()) return {false, -1};
  return {true, counter.rows()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const bool binary = data[0] & 1;
  const int fields = data[1] % 32;
  const size_t piece = data[2] == 0 ? 1 : data[2];
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 3, size - 3);
  Outcome pieces = Run(binary, fields, bytes, piece);
  Outcome whole = Run(binary, fields, bytes, bytes.size() == 0 ? 1 : bytes.size());
  if (pieces.ok != whole.ok || pieces.rows != whole.rows) std::abort();
  return 0;
}
