// `pgark verify` (and `inspect`, which reads the same archives with the same keys) as a
// black box: the verdict for a wrong key, the key's source named when an unencrypted archive
// is refused, secret files others can read, stdin on a terminal, a file that is not an
// archive, archive paths that are not regular files.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/terminal.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::RunOnTerminal;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kGolden = std::string(PGARK_SOURCE_DIR) + "/tests/golden/v1/";

fs::path TempDir(const std::string& name) { return ::pgark::testing::MakeTempDir(absl::StrCat("verifycli_", name)); }

std::string ReadFile(const fs::path& path) { return ::pgark::testing::ReadWholeFile(path.string()); }

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// An intact encrypted archive read with another key or none: the archive is not damaged, so
// the verdict is NOT VERIFIED (exit 7), never DAMAGED, in text, JSON, from a file and a pipe.
TEST(VerifyCliTest, WrongOrMissingKeyIsNotVerifiedRatherThanDamaged) {
  fs::path dir = TempDir("wrongkey");
  const std::string archive = kGolden + "encrypted_multistream.pgark";
  const std::string other = (dir / "other.key").string();
  ASSERT_EQ(RunCommand({PGARK_BINARY, "keygen", "-o", other}).exit_code, 0);

  auto text = RunCommand({PGARK_BINARY, "verify", archive, "--key-file", other});
  EXPECT_EQ(text.exit_code, 7) << text.err;
  EXPECT_THAT(text.out, HasSubstr("(id 6465666768696a6b"));
  EXPECT_THAT(text.out, HasSubstr(", encrypted)\n"));
  EXPECT_THAT(text.out, HasSubstr("\nNOT VERIFIED: wrong key: the archive needs"));
  EXPECT_THAT(text.out, Not(HasSubstr("DAMAGED")));
  EXPECT_THAT(text.out, Not(HasSubstr("0 streams")));  // no counts of what was never read

  auto json = RunCommand({PGARK_BINARY, "verify", "--json", archive, "--key-file", other});
  EXPECT_EQ(json.exit_code, 7) << json.err;
  nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["verdict"], "not_verified");
  EXPECT_EQ(report["damaged"], false);
  EXPECT_EQ(report["encrypted"], true);
  EXPECT_THAT(report["error"].get<std::string>(), HasSubstr("wrong key"));

  auto missing = RunCommand({PGARK_BINARY, "verify", archive});
  EXPECT_EQ(missing.exit_code, 7) << missing.err;
  EXPECT_THAT(missing.out, HasSubstr("\nNOT VERIFIED: the archive is encrypted; it needs"));
  auto piped = RunCommand({PGARK_BINARY, "verify", "-", "--key-file", other}, {}, ReadFile(archive));
  EXPECT_EQ(piped.exit_code, 7) << piped.err;
  EXPECT_THAT(piped.out, HasSubstr("\nNOT VERIFIED: wrong key"));
  EXPECT_THAT(piped.out, Not(HasSubstr("DAMAGED")));
  fs::remove_all(dir);
}

// PGARK_PASSPHRASE left in the environment makes every reader refuse an unencrypted archive
// (a substituted plain archive must not pass for the encrypted one): the refusal stays, and
// says where the key came from.
TEST(VerifyCliTest, PassphraseFromTheEnvironmentIsNamedWhenAnUnencryptedArchiveIsRefused) {
  const std::string archive = kGolden + "plain_none.pgark";
  const std::map<std::string, std::string> env = {{"PGARK_PASSPHRASE", "set long ago"}};
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{PGARK_BINARY, "inspect", archive},
        std::vector<std::string>{PGARK_BINARY, "verify", archive},
        std::vector<std::string>{PGARK_BINARY, "restore", "-l", archive}}) {
    auto refused = RunCommand(command, env);
    EXPECT_EQ(refused.exit_code, 5) << command[1] << ": " << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("an unencrypted archive may have been substituted"));
    EXPECT_THAT(refused.err, HasSubstr("PGARK_PASSPHRASE is set in the environment; unset it"))
        << command[1];
    EXPECT_THAT(refused.err, Not(HasSubstr("set long ago")));
  }
  // Without it the same archive reads.
  auto inspect = RunCommand({PGARK_BINARY, "inspect", archive});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  // A passphrase named on the command line is the user's own doing: no note about the environment.
  fs::path dir = TempDir("passfile");
  std::ofstream(dir / "pass") << "a passphrase\n";
  fs::permissions(dir / "pass", fs::perms::owner_read | fs::perms::owner_write);
  auto given = RunCommand({PGARK_BINARY, "inspect", archive, "--passphrase-file", (dir / "pass").string()});
  EXPECT_EQ(given.exit_code, 5) << given.err;
  EXPECT_THAT(given.err, Not(HasSubstr("PGARK_PASSPHRASE")));
  fs::remove_all(dir);
}

// A key file its group or others can read is used (Kubernetes mounts secrets 0644), with a
// warning naming the file, its mode and `chmod 600`, when dumping and when verifying.
TEST(VerifyCliTest, KeyFileOthersCanReadIsUsedWithAWarning) {
  ScratchDatabase source("verifycli_mode");
  ASSERT_OK(source.Connect()->Execute("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);"));
  fs::path dir = TempDir("mode");
  const std::string key = (dir / "k.key").string();
  ASSERT_EQ(RunCommand({PGARK_BINARY, "keygen", "-o", key}).exit_code, 0);
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  const std::string key_text = ReadFile(key);
  const std::string key_hex = key_text.substr(key_text.find(':') + 1, 64);
  const std::string archive = (dir / "db.pgark").string();
  const std::string warning = absl::StrCat("'", key, "' holds a secret but has mode 0644");

  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", archive, "--encrypt-key-file", key});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_THAT(dump.err, HasSubstr(warning));
  EXPECT_THAT(dump.err, HasSubstr(absl::StrCat("chmod 600 '", key, "'")));
  EXPECT_THAT(dump.err, Not(HasSubstr(key_hex)));

  auto verify = RunCommand({PGARK_BINARY, "verify", archive, "--key-file", key});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("\nOK: the archive is intact\n"));
  EXPECT_THAT(verify.err, HasSubstr(warning));
  EXPECT_THAT(verify.err, Not(HasSubstr(key_hex)));

  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  verify = RunCommand({PGARK_BINARY, "verify", archive, "--key-file", key});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.err, Not(HasSubstr("warning")));
  fs::remove_all(dir);
}

// `pgark verify -` with a terminal on stdin would wait for typed input without a word.
TEST(VerifyCliTest, StdinTerminalIsRefused) {
  auto result = RunOnTerminal({PGARK_BINARY, "verify", "-"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("stdin is a terminal: pipe an archive into 'pgark verify -'"));
}

// A file that is not a pgark archive has no id or encryption to report: the report says what it is.
TEST(VerifyCliTest, FileThatIsNotAnArchiveIsReportedAsSuch) {
  fs::path dir = TempDir("garbage");
  const std::string path = (dir / "notes.txt").string();
  std::ofstream(path) << std::string(2000, 'z');
  auto text = RunCommand({PGARK_BINARY, "verify", path});
  EXPECT_EQ(text.exit_code, 5) << text.err;
  EXPECT_EQ(text.out, absl::StrCat("archive ", path, "\nDAMAGED: framing: not a pgark archive (bad magic)\n"));
  auto json = RunCommand({PGARK_BINARY, "verify", "--json", path});
  EXPECT_EQ(json.exit_code, 5) << json.err;
  nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_FALSE(report.contains("archive_id"));
  EXPECT_FALSE(report.contains("encrypted"));
  fs::remove_all(dir);
}

// A directory, or a pipe given as a path (<(cat x.pgark)), is a usage error (exit 2) as in
// restore, with the way out (verify reads a stream from '-', inspect needs a file); a missing
// archive is named once.
TEST(VerifyCliTest, ArchivePathThatIsNotARegularFileIsAUsageError) {
  fs::path dir = TempDir("notfile");
  for (const char* command : {"verify", "inspect"}) {
    auto directory = RunCommand({PGARK_BINARY, command, dir.string()});
    EXPECT_EQ(directory.exit_code, 2) << command << ": " << directory.err;
    EXPECT_THAT(directory.err, HasSubstr("is not a regular file"));
    EXPECT_THAT(directory.err, HasSubstr(std::string(command) == "verify" ? "give '-'" : "save a stream to a file"));
    auto pipe = RunCommand({"/bin/bash", "-c",
                            absl::StrCat("exec '", PGARK_BINARY, "' ", command, " <(cat '", kGolden,
                                         "plain_none.pgark')")});
    EXPECT_EQ(pipe.exit_code, 2) << command << ": " << pipe.err;
    EXPECT_THAT(pipe.err, HasSubstr("is not a regular file"));
    const std::string missing = (dir / "missing.pgark").string();
    auto absent = RunCommand({PGARK_BINARY, command, missing});
    EXPECT_EQ(absent.exit_code, 3) << command << ": " << absent.err;
    EXPECT_EQ(Count(absent.err, "missing.pgark"), 1) << absent.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pgark
