// libFuzzer target: the binary-to-text decoders (engine/export/binary_to_text.h) on untrusted
// bytes. The first byte picks a type from kTypes and the rest is one binary value; the whole
// input is also fed, in pieces of a size taken from the second byte, to a row decoder of
// (text, integer[], numeric, a composite of (int4range[], tsquery)) as a binary COPY stream.
// Seeds: tests/fuzz/corpus/binary_to_text/.
// Registration (once tests/fuzz/CMakeLists.txt is on main): pgark_fuzzer(binary_to_text pgark_engine)
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/export/binary_to_text.h"

namespace {

using pgark::engine::BinaryCopyToText;
using pgark::engine::BuiltinDecodeType;
using pgark::engine::DecodeColumn;
using pgark::engine::DecodeType;

constexpr uint32_t kTypes[] = {16,   17,   18,   20,   21,   23,   25,   26,   27,   114,  142,
                               600,  601,  602,  603,  604,  628,  650,  700,  701,  718,  774,
                               790,  829,  869,  1042, 1082, 1083, 1114, 1184, 1186, 1266, 1560,
                               1562, 1700, 2950, 2970, 3220, 3614, 3615, 3802, 4072, 1007, 1009,
                               1020, 1231, 3904, 3906, 3910, 4451, 4535, 6150};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t oid = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
  absl::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string out;
  auto decoder = pgark::engine::MakeValueDecoder(*BuiltinDecodeType(oid));
  if (decoder.ok()) (void)(*decoder)->Decode(value, &out);

  DecodeType composite{DecodeType::Kind::kComposite, 0, "fuzz.pair",
                       {*BuiltinDecodeType(3905), *BuiltinDecodeType(3615)}};
  auto rows = BinaryCopyToText::Create(
      "fuzz.t", {{"a", *BuiltinDecodeType(25)}, {"b", *BuiltinDecodeType(1007)},
                 {"c", *BuiltinDecodeType(1700)}, {"d", composite}});
  if (!rows.ok()) return 0;
  size_t piece = data[1] == 0 ? size : data[1];
  absl::string_view all(reinterpret_cast<const char*>(data), size);
  for (size_t i = 0; i < all.size(); i += piece) {
    out.clear();
    if (!(*rows)->Feed(all.substr(i, piece), &out).ok()) return 0;
  }
  (void)(*rows)->Finish();
  return 0;
}
