#include "engine/ops/sql_gz_check.h"

#include <cstdlib>

#include "engine/export/gzip_members.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::MemoryStorage;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

std::string Gzip(absl::string_view text) {
  auto compressor = engine::GzipCompressor::Create(6);
  std::string out;
  (*compressor)->CompressMember(text, &out);
  return out;
}

constexpr char kScript[] =
    "SET client_encoding = 'UTF8';\n"
    "CREATE TABLE \"public\".\"t\" (\"a\" integer);\n"
    "COPY \"public\".\"t\" (\"a\") FROM stdin;\n1\n2\n3\n\\.\n"
    "-- COPY in a comment FROM stdin; is not a block\n"
    "COPY \"public\".\"u\" FROM stdin;\n\\.\n"
    "COPY \"public\".\"v\" (\"a\") FROM stdin;\nx\n\\.\n";

TEST(SqlGzCheckTest, MultiMemberStreamInflatesToTheScript) {
  MemoryStorage storage;
  std::string script = kScript;
  storage.Put("daily/a.sql.gz", Gzip(script.substr(0, 40)) + Gzip(script.substr(40)));
  std::string text;
  auto result = GunzipObject(storage, "daily/a.sql.gz", [&](absl::string_view piece) {
    text.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(text, script);
  EXPECT_EQ(result->members, 2);
  EXPECT_EQ(result->text_bytes, script.size());
}

TEST(SqlGzCheckTest, DamageTruncationAndTrailingBytesAreDataLoss) {
  MemoryStorage storage;
  std::string good = Gzip(kScript);
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x40;  // inside the CRC-32 trailer
  storage.Put("crc", flipped);
  storage.Put("short", good.substr(0, good.size() - 3));
  storage.Put("trailing", good + "garbage!");
  storage.Put("empty", "");
  EXPECT_THAT(GunzipObject(storage, "crc"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("memory:/crc")));
  EXPECT_THAT(GunzipObject(storage, "short"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(GunzipObject(storage, "trailing"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("member 2")));
  EXPECT_THAT(GunzipObject(storage, "empty"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty")));
  EXPECT_THAT(GunzipObject(storage, "missing"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SqlGzCheckTest, CopyRowCounterCountsRowsInPiecesOfAnySize) {
  for (size_t step : {1, 2, 7, 1000}) {
    CopyRowCounter counter;
    absl::string_view script = kScript;
    for (size_t i = 0; i < script.size(); i += step) counter.Feed(script.substr(i, step));
    EXPECT_EQ(counter.blocks(), 3) << step;
    EXPECT_EQ(counter.rows(), 4) << step;
  }
  // A COPY statement with a column list longer than the kept head and tail.
  CopyRowCounter counter;
  counter.Feed("COPY \"s\".\"wide\" (" + std::string(500, 'c') + ") FROM stdin;\nrow\n\\.\n");
  EXPECT_EQ(counter.rows(), 1);
}

TEST(SqlGzCheckTest, FindPsqlHonoursBindirAndFailsClearly) {
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  setenv("PGARK_PG_BINDIR", "/nonexistent-bindir", 1);
  setenv("PATH", "/nonexistent-path", 1);
  auto found = FindPsql();
  unsetenv("PGARK_PG_BINDIR");
  setenv("PATH", saved.c_str(), 1);
  if (found.ok()) {
    // The machine has /usr/lib/postgresql/<major>/bin/psql: the last place searched.
    EXPECT_THAT(*found, HasSubstr("/usr/lib/postgresql/"));
  } else {
    EXPECT_THAT(found, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("/nonexistent-bindir/psql")));
  }
}

}  // namespace
}  // namespace pgark::ops
