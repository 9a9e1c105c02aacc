// libFuzzer target: the restore's type OID patcher (engine/restore/type_oid_patcher.h), which
// rewrites untrusted binary COPY tuples of an archive in place. A fixed table (a composite with
// arrays of an enum and of a domain and a range of a composite; a multirange of that range; a
// domain over an enum array). The input's first byte chooses the chunk size; the same bytes are
// also patched in one piece, and both runs must agree on the outcome and the output, and the
// output must be as long as the input (lengths never change).
// Seeds: tests/fuzz/corpus/type_oid_patcher/ (written by make_extra_seeds.py).
//
// Input: [piece size] tuple bytes (no COPY header)...
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/restore/type_oid_patcher.h"

namespace {

using pgark::engine::DecodeType;
using pgark::engine::restore::PatchColumn;
using pgark::engine::restore::TypeOidMap;
using pgark::engine::restore::TypeOidPatcher;

DecodeType Type(DecodeType::Kind kind, uint32_t oid, const char* name, std::vector<DecodeType> children = {}) {
  DecodeType type;
  type.kind = kind;
  type.oid = oid;
  type.name = type.type_name = name;
  type.schema = "public";
  type.children = std::move(children);
  return type;
}

std::vector<PatchColumn> Columns() {
  using K = DecodeType::Kind;
  DecodeType int4 = Type(K::kBase, 23, "int4");
  DecodeType mood = Type(K::kEnum, 16400, "mood");
  DecodeType moods = Type(K::kArray, 16399, "_mood", {mood});
  DecodeType posints = Type(K::kArray, 16419, "_posint", {Type(K::kDomain, 16420, "posint", {int4})});
  DecodeType pair = Type(K::kComposite, 16410, "pair", {mood, int4});
  DecodeType range = Type(K::kRange, 16440, "pairrange", {pair});
  return {{"w", Type(K::kComposite, 16460, "wrapper", {moods, posints, range})},
          {"mr", Type(K::kMultirange, 16450, "pairmultirange", {range})},
          {"d", Type(K::kDomain, 16430, "moods", {moods})}};
}

struct Outcome {
  bool ok;
  std::string out;
};

Outcome Run(const std::string& bytes, size_t piece) {
  static const std::vector<PatchColumn> columns = Columns();
  TypeOidMap map;
  for (uint32_t oid : {16399u, 16400u, 16410u, 16419u, 16420u, 16430u, 16440u, 16450u, 16460u}) map[oid] = oid + 1000;
  auto patcher = TypeOidPatcher::Create("fuzz", columns, map);
  if (!patcher.ok()) std::abort();
  Outcome outcome{true, ""};
  for (size_t i = 0; i < bytes.size(); i += piece) {
    std::string chunk = bytes.substr(i, piece);
    if (!(*patcher)->Patch(&chunk).ok()) return {false, ""};
    outcome.out += chunk;
  }
  if (!(*patcher)->Finish().ok()) return {false, ""};
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t piece = data[0] == 0 ? 1 : data[0];
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome pieces = Run(bytes, piece);
  Outcome whole = Run(bytes, bytes.empty() ? 1 : bytes.size());
  if (pieces.ok != whole.ok || pieces.out != whole.out) std::abort();
  if (whole.ok && whole.out.size() != bytes.size()) std::abort();
  return 0;
}
