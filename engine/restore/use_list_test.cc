#include "engine/restore/use_list.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::IsOkAndHolds;
using ::pgark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(UseListTest, ListingLinesSelectCommentsAndBlanksDoNot) {
  EXPECT_THAT(ParseUseList(";\n; Archive: x.pgark\n;\n1; pre-data; SCHEMA - app postgres\n"
                           ";2; pre-data; EXTENSION - dblink -\n  7 ; pre-data; TABLE app t app\r\n\n12\n"),
              IsOkAndHolds(ElementsAre(1, 7, 12)));
  EXPECT_THAT(ParseUseList(""), IsOkAndHolds(ElementsAre()));
}

TEST(UseListTest, MalformedLinesNameTheLine) {
  EXPECT_THAT(ParseUseList("1; ok\nEXTENSION dblink\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: 'EXTENSION dblink' does not start")));
  EXPECT_THAT(ParseUseList("0; pre-data\n"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParseUseList("-3; pre-data\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseUseList("99999999999; x\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UseListTest, ReadsAFileAndNamesItInErrors) {
  const std::string path = ::testing::TempDir() + "/pgark_use_list_test.list";
  {
    std::ofstream out(path);
    out << "3; pre-data; TYPE app t app\n;4; pre-data; CAST - (bytea AS text) -\n";
  }
  EXPECT_THAT(ReadUseList(path), IsOkAndHolds(ElementsAre(3)));
  {
    std::ofstream out(path);
    out << "three\n";
  }
  EXPECT_THAT(ReadUseList(path), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path)));
  std::remove(path.c_str());
  EXPECT_THAT(ReadUseList(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

}  // namespace
}  // namespace pgark::engine::restore
