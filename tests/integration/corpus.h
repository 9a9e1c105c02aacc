#pragma once
// The catalog conformance corpus (tests/corpus): core.sql for every supported major, then
// pgNN_plus.sql for each newer major the server runs. Loaded by the catalog round trip and,
// with data added, by the restore tests (restore_test_archive.h, SeedCorpusWithData).

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/pg/connection.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::testing {

// A file of tests/corpus, whole ("" if it cannot be read).
inline std::string ReadCorpus(const std::string& name) {
  // Not __FILE__: ccache's base_dir makes it relative to the build directory.
  std::ifstream in(std::string(PGARK_SOURCE_DIR) + "/tests/corpus/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs core.sql and the files of the majors 13-18 that the server's major reaches. Use under
// ASSERT_NO_FATAL_FAILURE.
inline void LoadCorpus(pg::Connection& conn) {
  ASSERT_OK(conn.Execute(ReadCorpus("core.sql")));
  for (int major = 13; major <= 18; ++major) {
    if (conn.server_version() < major * 10000) break;
    ASSERT_OK(conn.Execute(ReadCorpus(absl::StrCat("pg", major, "_plus.sql"))));
  }
}

}  // namespace pgark::testing
