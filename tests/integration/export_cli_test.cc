// `pgark export` as a black box: no compressed bytes onto a terminal, no waiting on one, and
// archive paths that are not regular files.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/terminal.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::RunOnTerminal;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kPlainArchive = std::string(PGARK_SOURCE_DIR) + "/tests/golden/v1/plain_none.pgark";

// gzip's rule: `-f -` with a terminal on stdout is refused before anything is read or written.
TEST(ExportCliTest, CompressedOutputToATerminalIsRefused) {
  ScratchDatabase source("exportcli_tty");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1);"));
  auto result = RunOnTerminal({PGARK_BINARY, "export", "-d", source.conninfo(), "-f", "-"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("stdout is a terminal"));
  EXPECT_THAT(result.output, HasSubstr("-f FILE"));
  EXPECT_THAT(result.output, Not(HasSubstr("\x1f\x8b")));  // no gzip member reached the terminal
  EXPECT_THAT(result.output, Not(HasSubstr("exported")));
}

// export needs a seekable archive, so "-" is refused at once: it never waits on a terminal.
TEST(ExportCliTest, StdinArchiveIsRefusedWithoutWaitingOnATerminal) {
  fs::path out = fs::temp_directory_path() / absl::StrCat("pgark-exportcli-", getpid(), ".sql.gz");
  auto result = RunOnTerminal({PGARK_BINARY, "export", "-", "-f", out.string()});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("export needs a seekable archive"));
  EXPECT_FALSE(fs::exists(out));
}

// A directory or a pipe given as a path (<(cat x.pgark)) is a usage error (exit 2), as in
// restore, and no output file is created.
TEST(ExportCliTest, ArchivePathThatIsNotARegularFileIsAUsageError) {
  fs::path dir = fs::temp_directory_path() / absl::StrCat("pgark-exportcli-", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir / "archive.d");
  const std::string out = (dir / "out.sql.gz").string();
  auto directory = RunCommand({PGARK_BINARY, "export", (dir / "archive.d").string(), "-f", out});
  EXPECT_EQ(directory.exit_code, 2) << directory.err;
  EXPECT_THAT(directory.err, HasSubstr("is not a regular file"));
  auto pipe = RunCommand({"/bin/bash", "-c",
                          absl::StrCat("exec '", PGARK_BINARY, "' export <(cat '", kPlainArchive, "') -f '", out, "'")});
  EXPECT_EQ(pipe.exit_code, 2) << pipe.err;
  EXPECT_THAT(pipe.err, HasSubstr("is not a regular file"));
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pgark
