#include "engine/restore/row_counts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

LoadedTable Table(const char* name, int64_t archive_rows, const char* load_root = "") {
  return LoadedTable{"public", name, archive_rows, 1, true, load_root};
}

TEST(CompareRestoredRowsTest, PlainTablesMustMatchOneByOne) {
  std::vector<LoadedTable> tables = {Table("a", 10), Table("b", 0)};
  EXPECT_OK(CompareRestoredRows(tables, {10, 0}));
  EXPECT_THAT(CompareRestoredRows(tables, {10, 1}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("table public.b has 1 rows after the restore but the archive records 0")));
}

TEST(CompareRestoredRowsTest, PartitionsLoadedThroughTheirRootMatchAsAGroup) {
  std::vector<LoadedTable> tables = {Table("h_0", 1000, "public.h"), Table("h_1", 600, "public.h"),
                                     Table("plain", 5)};
  // The target's hash put 300 rows of h_0's stream into h_1: still complete.
  EXPECT_OK(CompareRestoredRows(tables, {700, 900, 5}));
  EXPECT_THAT(CompareRestoredRows(tables, {700, 899, 5}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the partitions loaded through public.h (public.h_0, public.h_1) have 1599 rows "
                                 "after the restore but the archive records 1600")));
  // A plain table is never excused by a group.
  EXPECT_THAT(CompareRestoredRows(tables, {700, 900, 6}), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("plain")));
}

TEST(CompareRestoredRowsTest, TablesNotCountedAreLeftOut) {
  std::vector<LoadedTable> tables = {Table("a", 10), Table("b", 3)};
  EXPECT_OK(CompareRestoredRows(tables, {kRowsNotCounted, 3}));
  EXPECT_THAT(CompareRestoredRows(tables, {kRowsNotCounted, 2}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(CompareRestoredRowsTest, CountsMustParallelTheTables) {
  EXPECT_THAT(CompareRestoredRows({Table("a", 1)}, {}), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace pgark::engine
