#include "tests/testing/temp_files.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pgark::testing {

std::string MakeTempDir(const std::string& label) {
  std::string pattern = absl::StrCat("/tmp/pgark_", label, "_XXXXXX");
  EXPECT_NE(mkdtemp(pattern.data()), nullptr) << pattern;
  return pattern;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace pgark::testing
