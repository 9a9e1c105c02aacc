#include "engine/restore/type_oid_patcher.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "format/base/status_macros.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;
using Kind = DecodeType::Kind;
using Value = std::optional<std::string>;  // nullopt = NULL

// --- recorded shapes -------------------------------------------------------------------

DecodeType Type(Kind kind, uint32_t oid, std::string schema, std::string name,
                std::vector<DecodeType> children = {}) {
  DecodeType type;
  type.kind = kind;
  type.oid = oid;
  type.name = schema == "pg_catalog" ? name : schema + "." + name;
  type.schema = std::move(schema);
  type.type_name = std::move(name);
  type.children = std::move(children);
  return type;
}

DecodeType Int4() { return Type(Kind::kBase, 23, "pg_catalog", "int4"); }
DecodeType Int4Array() { return Type(Kind::kArray, 1007, "pg_catalog", "_int4", {Int4()}); }
DecodeType Mood() { return Type(Kind::kEnum, 16400, "public", "mood"); }
DecodeType MoodArray() { return Type(Kind::kArray, 16399, "public", "_mood", {Mood()}); }
DecodeType PosInt() { return Type(Kind::kDomain, 16420, "public", "posint", {Int4()}); }
DecodeType PosIntArray() { return Type(Kind::kArray, 16419, "public", "_posint", {PosInt()}); }
// pair(a mood, b int4)
DecodeType Pair() { return Type(Kind::kComposite, 16410, "public", "pair", {Mood(), Int4()}); }
DecodeType PairArray() { return Type(Kind::kArray, 16409, "public", "_pair", {Pair()}); }
DecodeType PairRange() { return Type(Kind::kRange, 16440, "public", "pairrange", {Pair()}); }
DecodeType PairMultirange() {
  return Type(Kind::kMultirange, 16450, "public", "pairmultirange", {PairRange()});
}
DecodeType PairRangeArray() { return Type(Kind::kArray, 16439, "public", "_pairrange", {PairRange()}); }
// Domain over an array: the array's element OID is on the wire.
DecodeType Moods() { return Type(Kind::kDomain, 16430, "public", "moods", {MoodArray()}); }
// wrapper(tags mood[], nums posint[], r pairrange)
DecodeType Wrapper() {
  return Type(Kind::kComposite, 16460, "public", "wrapper", {MoodArray(), PosIntArray(), PairRange()});
}

TypeOidMap Map() {
  TypeOidMap map;
  for (uint32_t oid : {16399u, 16400u, 16409u, 16410u, 16419u, 16420u, 16430u, 16439u, 16440u,
                       16450u, 16460u}) {
    map[oid] = oid + 1000;
  }
  map[23] = 99;  // must never be used: built-in OIDs are left alone
  return map;
}

// --- wire format -----------------------------------------------------------------------

std::string I32(int64_t v) {
  const auto u = static_cast<uint32_t>(v);
  return std::string{static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                     static_cast<char>(u)};
}
std::string I16(int v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v)}; }
std::string Len(const Value& v) { return v ? I32(static_cast<int64_t>(v->size())) + *v : I32(-1); }

std::string Array(uint32_t elem_oid, const std::vector<int>& dims, const std::vector<Value>& elems) {
  bool nulls = false;
  for (const Value& e : elems) nulls |= !e.has_value();
  std::string out = I32(static_cast<int64_t>(dims.size())) + I32(nulls ? 1 : 0) + I32(elem_oid);
  for (int d : dims) out += I32(d) + I32(1);
  for (const Value& e : elems) out += Len(e);
  return out;
}
std::string Composite(const std::vector<std::pair<uint32_t, Value>>& fields) {
  std::string out = I32(static_cast<int64_t>(fields.size()));
  for (const auto& [oid, value] : fields) out += I32(oid) + Len(value);
  return out;
}
std::string Range(uint8_t flags, const Value& lower, const Value& upper) {
  std::string out(1, static_cast<char>(flags));
  if (lower) out += Len(lower);
  if (upper) out += Len(upper);
  return out;
}
std::string Tuple(const std::vector<Value>& fields) {
  std::string out = I16(static_cast<int>(fields.size()));
  for (const Value& f : fields) out += Len(f);
  return out;
}
std::string PairValue(uint32_t mood_oid, const std::string& label, int b) {
  return Composite({{mood_oid, label}, {23, I32(b)}});
}

// Runs the patcher over `input` fed whole, split in two at every offset, and byte by byte;
// every way must give the same bytes. Returns them, with the count of patched OIDs.
struct Patched {
  std::string bytes;
  int64_t oids = 0;
  int64_t rows = 0;
};

absl::StatusOr<Patched> Feed(const std::vector<PatchColumn>& columns, const std::vector<std::string>& chunks) {
  PGARK_ASSIGN_OR_RETURN(auto patcher, TypeOidPatcher::Create("public.t", columns, Map()));
  Patched out;
  for (std::string chunk : chunks) {
    PGARK_RETURN_IF_ERROR(patcher->Patch(&chunk));
    out.bytes += chunk;
  }
  PGARK_RETURN_IF_ERROR(patcher->Finish());
  out.oids = patcher->patched_oids();
  out.rows = patcher->rows();
  return out;
}

Patched PatchEveryWay(const std::vector<PatchColumn>& columns, const std::string& input) {
  absl::StatusOr<Patched> whole = Feed(columns, {input});
  EXPECT_OK(whole.status());
  if (!whole.ok()) return {};
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    absl::StatusOr<Patched> split = Feed(columns, {input.substr(0, cut), input.substr(cut)});
    EXPECT_OK(split.status()) << "cut at " << cut;
    if (split.ok()) {
      EXPECT_EQ(split->bytes, whole->bytes) << "cut at " << cut;
      EXPECT_EQ(split->oids, whole->oids) << "cut at " << cut;
    }
  }
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  absl::StatusOr<Patched> one = Feed(columns, bytes);
  EXPECT_OK(one.status());
  if (one.ok()) {
    EXPECT_EQ(one->bytes, whole->bytes);
  }
  return *whole;
}

TEST(TypeOidPatcherTest, OneDimensionalArrayOfEnum) {
  std::vector<PatchColumn> columns = {{"id", Int4()}, {"moods", MoodArray()}};
  std::string in = Tuple({I32(1), Array(16400, {3}, {"ok", "sad", "happy"})}) + Tuple({I32(2), std::nullopt});
  std::string want = Tuple({I32(1), Array(17400, {3}, {"ok", "sad", "happy"})}) + Tuple({I32(2), std::nullopt});
  Patched out = PatchEveryWay(columns, in);
  EXPECT_EQ(out.bytes, want);
  EXPECT_EQ(out.oids, 1);
  EXPECT_EQ(out.rows, 2);
}

TEST(TypeOidPatcherTest, MultiDimensionalEmptyAndNullElements) {
  std::vector<PatchColumn> columns = {{"m", MoodArray()}};
  auto rows = [](uint32_t oid) {
    return Tuple({Array(oid, {2, 3}, {"a", std::nullopt, "b", "c", std::nullopt, "d"})}) +
           Tuple({Array(oid, {}, {})}) +                       // '{}': ndim 0
           Tuple({Array(oid, {0}, {})}) +                      // a zero-length dimension
           Tuple({Array(oid, {1, 1, 1, 1, 1, 1}, {""})});      // six dimensions, empty label
  };
  Patched out = PatchEveryWay(columns, rows(16400));
  EXPECT_EQ(out.bytes, rows(17400));
  EXPECT_EQ(out.oids, 4);
}

TEST(TypeOidPatcherTest, ArrayOfCompositesPatchesElementAndAttributeOids) {
  std::vector<PatchColumn> columns = {{"pairs", PairArray()}};
  auto row = [](uint32_t pair, uint32_t mood) {
    return Tuple({Array(pair, {2}, {PairValue(mood, "ok", 7), std::nullopt})});
  };
  Patched out = PatchEveryWay(columns, row(16410, 16400));
  EXPECT_EQ(out.bytes, row(17410, 17400));
  EXPECT_EQ(out.oids, 2);  // int4's OID 23 stays although the map holds an entry for it
}

TEST(TypeOidPatcherTest, CompositeWithNestedArraysOfEnumsDomainsAndRange) {
  std::vector<PatchColumn> columns = {{"w", Wrapper()}};
  auto row = [](uint32_t shift) {
    return Tuple({Composite({
        {16399 + shift, Array(16400 + shift, {2}, {"ok", "sad"})},
        {16419 + shift, Array(16420 + shift, {1}, {I32(5)})},
        {16440 + shift, Range(0x02, PairValue(16400 + shift, "a", 1), PairValue(16400 + shift, "b", 2))},
    })});
  };
  Patched out = PatchEveryWay(columns, row(0));
  EXPECT_EQ(out.bytes, row(1000));
  EXPECT_EQ(out.oids, 7);
}

TEST(TypeOidPatcherTest, RangesAndMultirangesOfUserTypes) {
  std::vector<PatchColumn> columns = {{"r", PairRange()}, {"mr", PairMultirange()}, {"ra", PairRangeArray()}};
  auto row = [](uint32_t mood, uint32_t range) {
    std::string lower_only = Range(0x02 | 0x10, PairValue(mood, "x", 1), std::nullopt);  // [x,)
    std::string empty = Range(0x01, std::nullopt, std::nullopt);
    std::string both = Range(0x06, PairValue(mood, "x", 1), PairValue(mood, "y", 2));
    std::string multirange = I32(2) + Len(both) + Len(lower_only);
    return Tuple({both, multirange, Array(range, {3}, {empty, lower_only, std::nullopt})}) +
           Tuple({empty, I32(0), std::nullopt});
  };
  Patched out = PatchEveryWay(columns, row(16400, 16440));
  EXPECT_EQ(out.bytes, row(17400, 17440));
  EXPECT_EQ(out.oids, 2 + (2 + 1) + (1 + 1));
}

TEST(TypeOidPatcherTest, DomainOverArrayAndBuiltinsLeftAlone) {
  std::vector<PatchColumn> columns = {{"d", Moods()}, {"ints", Int4Array()}, {"n", Int4()}};
  auto row = [](uint32_t mood) {
    return Tuple({Array(mood, {1}, {"ok"}), Array(23, {2}, {I32(1), I32(2)}), I32(3)});
  };
  Patched out = PatchEveryWay(columns, row(16400));
  EXPECT_EQ(out.bytes, row(17400));
  EXPECT_EQ(out.oids, 1);
}

TEST(TypeOidPatcherTest, SameOidsCountNothing) {
  TypeOidMap identity = {{16400, 16400}};
  ASSERT_OK_AND_ASSIGN(auto patcher, TypeOidPatcher::Create("t", {{"m", MoodArray()}}, identity));
  std::string in = Tuple({Array(16400, {1}, {"ok"})});
  std::string chunk = in;
  ASSERT_OK(patcher->Patch(&chunk));
  ASSERT_OK(patcher->Finish());
  EXPECT_EQ(chunk, in);
  EXPECT_EQ(patcher->patched_oids(), 0);
}

TEST(TypeOidPatcherTest, UnmappedUserOidIsAnError) {
  TypeOidMap partial = {{16410, 17410}};  // pair mapped, mood not
  EXPECT_THAT(TypeOidPatcher::Create("public.t", {{"pairs", PairArray()}}, partial).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("table public.t column \"pairs\": type public.mood (OID 16400")));
}

TEST(TypeOidPatcherTest, EmbedsAndCollect) {
  EXPECT_FALSE(EmbedsUserTypeOid(Int4Array()));
  EXPECT_FALSE(EmbedsUserTypeOid(Mood()));
  EXPECT_FALSE(EmbedsUserTypeOid(PosInt()));
  EXPECT_TRUE(EmbedsUserTypeOid(MoodArray()));
  EXPECT_TRUE(EmbedsUserTypeOid(Moods()));
  EXPECT_TRUE(EmbedsUserTypeOid(PairRange()));  // via the composite's mood attribute
  std::vector<EmbeddedType> found;
  CollectEmbeddedTypes(Wrapper(), &found);
  std::vector<uint32_t> oids;
  for (const EmbeddedType& e : found) oids.push_back(e.source_oid);
  EXPECT_THAT(oids, ::testing::UnorderedElementsAre(16399, 16400, 16419, 16420, 16440, 16400));
  ASSERT_TRUE(found[0].is_array);
  EXPECT_EQ(found[0].element_schema, "public");
  EXPECT_EQ(found[0].element_name, "mood");
}

// --- malformed input -------------------------------------------------------------------

absl::Status FeedOnce(const std::vector<PatchColumn>& columns, std::string in) {
  PGARK_ASSIGN_OR_RETURN(auto patcher, TypeOidPatcher::Create("public.t", columns, Map()));
  PGARK_RETURN_IF_ERROR(patcher->Patch(&in));
  return patcher->Finish();
}

TEST(TypeOidPatcherTest, MalformedInputIsDataLossNamingTheColumn) {
  std::vector<PatchColumn> moods = {{"id", Int4()}, {"m", MoodArray()}};
  auto bad = [&](std::string in, const std::string& message) {
    SCOPED_TRACE(message);
    EXPECT_THAT(FeedOnce(moods, std::move(in)), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(message)));
  };
  const std::string good_array = Array(16400, {1}, {"ok"});
  std::string good = Tuple({I32(1), good_array});
  bad(good.substr(0, good.size() - 1), "ends inside a row");
  bad(Tuple({I32(1)}), "a row of 1 fields where the archive records 2 columns");
  bad(Tuple({I32(1), Array(16401, {1}, {"ok"})}), "column \"m\" row 1 of the stream: element type OID 16401");
  bad(Tuple({I32(1), Array(16400, {7, 1, 1, 1, 1, 1, 1}, {})}), "an array of 7 dimensions");
  bad(Tuple({I32(1), Array(16400, {-1}, {})}), "array dimension -1");
  bad(Tuple({I32(1), Array(16400, {3}, {"ok"})}), "an array of 3 elements in");
  bad(Tuple({I32(1), good_array + "x"}), "1 unread bytes at the end of a public._mood value");
  bad(Tuple({I32(1), good_array.substr(0, 10)}) + good, "ends inside its header");
  bad(Tuple({I32(1), good_array.substr(0, good_array.size() - 1)}), "overruns it");
  std::string flags = good_array;
  flags[7] = 2;
  bad(Tuple({I32(1), flags}), "array flags 2");
  bad(I16(2) + I32(4) + I32(1) + I32(-2), "negative length -2");
  bad(good + I16(-1) + good, "data after the end-of-data marker");
  // A short value claiming a huge element count is refused without allocating.
  bad(Tuple({I32(1), Array(16400, {65536, 65536}, {})}), "too many elements");
  EXPECT_OK(FeedOnce(moods, good + I16(-1)));  // the trailer may end the stream

  std::vector<PatchColumn> pairs = {{"p", PairArray()}};
  EXPECT_THAT(FeedOnce(pairs, Tuple({Array(16410, {1}, {Composite({{16400, "ok"}})})})),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("value of 1 attributes where the archive records 2")));
  EXPECT_THAT(FeedOnce(pairs, Tuple({Array(16410, {1}, {Composite({{16400, "ok"}, {20, I32(1)}})})})),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("attribute type OID 20")));
  std::vector<PatchColumn> ranges = {{"r", PairMultirange()}};
  EXPECT_THAT(FeedOnce(ranges, Tuple({I32(1000) + I32(0)})),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("a multirange of 1000 ranges in 4 bytes")));
}

// Every truncation and every single-byte corruption of a valid stream either patches or fails
// with kDataLoss; nothing else (and nothing undefined: the sanitizer build runs this too).
TEST(TypeOidPatcherTest, DamagedStreamsNeverMisbehave) {
  std::vector<PatchColumn> columns = {{"w", Wrapper()}, {"mr", PairMultirange()}};
  std::string both = Range(0x06, PairValue(16400, "x", 1), PairValue(16400, "y", 2));
  std::string in = Tuple({Composite({{16399, Array(16400, {2}, {"ok", std::nullopt})},
                                     {16419, Array(16420, {1}, {I32(5)})},
                                     {16440, both}}),
                          I32(1) + Len(both)});
  ASSERT_OK(FeedOnce(columns, in));
  for (size_t i = 0; i < in.size(); ++i) {
    absl::Status truncated = FeedOnce(columns, in.substr(0, i));
    if (i > 0) {
      EXPECT_THAT(truncated, StatusIs(absl::StatusCode::kDataLoss)) << i;
    }
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = in;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      absl::Status status = FeedOnce(columns, damaged);
      if (!status.ok()) {
        EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << i << " " << status;
      }
    }
  }
}

}  // namespace
}  // namespace pgark::engine::restore
