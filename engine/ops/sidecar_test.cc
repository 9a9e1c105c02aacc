#include "engine/ops/sidecar.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::StatusIs;

constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256Test, MatchesKnownVectorAcrossUpdates) {
  Sha256 hash;
  hash.Update("a");
  hash.Update("");
  hash.Update("bc");
  EXPECT_EQ(hash.FinishHex(), kAbcSha256);
}

TEST(SidecarTest, FormatsSha256sumTextModeAndParsesBack) {
  std::string text = FormatSidecar(kAbcSha256, {"daily/db_20240301_020000.pgark",
                                               "weekly/db_20240301_020000.pgark"});
  EXPECT_EQ(text, absl::StrCat(kAbcSha256, "  daily/db_20240301_020000.pgark\n", kAbcSha256,
                                "  weekly/db_20240301_020000.pgark\n"));
  auto parsed = ParseSidecar(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sha256_hex, kAbcSha256);
  EXPECT_THAT(parsed->keys, ::testing::ElementsAre("daily/db_20240301_020000.pgark",
                                                   "weekly/db_20240301_020000.pgark"));
}

TEST(SidecarTest, RejectsMalformedOrInconsistentSidecars) {
  EXPECT_THAT(ParseSidecar("").status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseSidecar("abc  daily/x\n").status(), StatusIs(absl::StatusCode::kDataLoss));
  std::string other(64, '0');
  EXPECT_THAT(ParseSidecar(absl::StrCat(kAbcSha256, "  a\n", other, "  b\n")).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace pgark::ops
