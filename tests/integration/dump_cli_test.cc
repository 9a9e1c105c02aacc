// `pgark dump` as a black box: output to a file and to stdout, nothing under the final name
// after a failure (lock wait timeout, SIGINT), exit codes, the summary line.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/dump_loader.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr char kSchema[] =
    "CREATE TABLE t (id int PRIMARY KEY, v text, r regclass);"
    "CREATE SEQUENCE s;";
constexpr char kData[] =
    "INSERT INTO t SELECT g, md5(g::text), 't' FROM generate_series(1, 5000) g;"
    "SELECT nextval('s') FROM generate_series(1, 5);";

// A fresh empty directory under the build's temp area.
fs::path TempDir(const std::string& name) { return ::pgark::testing::MakeTempDir(absl::StrCat("dumpcli_", name)); }

std::string ReadFile(const fs::path& path) { return ::pgark::testing::ReadWholeFile(path.string()); }

int CountEntries(const fs::path& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++count;
  }
  return count;
}

// True once a `pgark dump` of the connection's database waits for a lock; false if `finished`
// is set first or after 2 minutes. On a loaded machine the dump may take longer than one
// WaitForLockWaiter round (~10 s) to start, connect and read the catalog.
bool WaitForBlockedDump(pg::Connection& admin, const std::atomic<bool>& finished) {
  bool waiting = false;
  const absl::Time deadline = absl::Now() + absl::Minutes(2);
  while (!waiting && !finished && absl::Now() < deadline) {
    waiting = ::pgark::testing::WaitForLockWaiter(admin, "pgark dump", [&] { return finished.load(); });
  }
  return waiting;
}

TEST(DumpCliTest, DumpsToAFileThatLoadsBack) {
  ScratchDatabase source("clisrc");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  ScratchDatabase target("clidst");
  auto target_conn = target.Connect();
  ASSERT_OK(target_conn->Execute(kSchema));
  fs::path dir = TempDir("file");
  fs::path out = dir / "db.pgark";
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", out.string(), "-j", "2",
                            "-a", "--split-larger-than", "64kB", "--chunk-size", "64kB", "--progress", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("dumped 1 tables (1 split, 1 text), 5000 rows"));
  EXPECT_THAT(result.out, ::testing::IsEmpty());
  EXPECT_EQ(CountEntries(dir), 1);  // no temp file left behind
  ASSERT_OK_AND_ASSIGN(auto stats, ::pgark::testing::LoadDumpArchive(ReadFile(out), *target_conn));
  EXPECT_EQ(stats.rows, 5000);
  EXPECT_GE(stats.copies, 2);
  auto source_conn = source.Connect();
  EXPECT_EQ(::pgark::testing::TableDigest(*target_conn, "public.t"),
            ::pgark::testing::TableDigest(*source_conn, "public.t"));
  EXPECT_EQ(::pgark::testing::QueryText(*target_conn, "SELECT last_value, is_called FROM s"), "5,t\n");
  // --chunk-size is recorded in the header (readers refuse any larger chunk).
  auto inspect = RunCommand({PGARK_BINARY, "inspect", "--json", out.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["chunk_size"], 64 << 10) << inspect.out;

  // The output exists now: a second dump refuses to replace it without --force.
  auto again = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", out.string(), "-a"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_THAT(again.err, HasSubstr("--force"));
  auto forced = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", out.string(), "-a",
                            "--force", "-Z", "none"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  fs::remove_all(dir);
}

TEST(DumpCliTest, DumpsToStdout) {
  ScratchDatabase source("clistdout");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  ScratchDatabase target("clistdoutdst");
  auto target_conn = target.Connect();
  ASSERT_OK(target_conn->Execute(kSchema));
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", "-", "-a"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_OK_AND_ASSIGN(auto stats, ::pgark::testing::LoadDumpArchive(result.out, *target_conn));
  EXPECT_EQ(stats.rows, 5000);
}

TEST(DumpCliTest, EncryptedDumpNeedsItsKey) {
  ScratchDatabase source("clienc");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  ScratchDatabase target("clienc_dst");
  auto target_conn = target.Connect();
  ASSERT_OK(target_conn->Execute(kSchema));
  fs::path dir = TempDir("enc");
  fs::path key_path = dir / "key";
  auto keygen = RunCommand({PGARK_BINARY, "keygen", "-o", key_path.string()});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  fs::path out = dir / "db.pgark";
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", out.string(), "-a",
                            "--encrypt-key-file", key_path.string(), "-Z", "gzip"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string archive = ReadFile(out);
  EXPECT_THAT(::pgark::testing::LoadDumpArchive(archive, *target_conn),
              ::pgark::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(format::SecretKey key, format::ParseKeyFile(ReadFile(key_path)));
  format::KeyRing keys;
  keys.key_files.push_back(key);
  ASSERT_OK_AND_ASSIGN(auto stats, ::pgark::testing::LoadDumpArchive(archive, *target_conn, keys));
  EXPECT_EQ(stats.rows, 5000);
  fs::remove_all(dir);
}

TEST(DumpCliTest, SchemaOnlyHasTheCatalogAndNoData) {
  ScratchDatabase source("clischema");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", "-", "-s"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  format::StringSource archive(result.out);
  ASSERT_OK_AND_ASSIGN(auto reader, format::ArchiveReader::Open(&archive, {}));
  EXPECT_TRUE(reader->info().streams.empty());
  ASSERT_OK_AND_ASSIGN(std::string catalog, reader->ReadMetadata("catalog.json"));
  EXPECT_THAT(catalog, HasSubstr("CREATE TABLE public.t"));
  ASSERT_OK_AND_ASSIGN(std::string plan, reader->ReadMetadata("dump/plan.json"));
  EXPECT_THAT(plan, HasSubstr("\"tables\":[]"));
}

TEST(DumpCliTest, LockWaitTimeoutLeavesNoFile) {
  ScratchDatabase source("clilock");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  auto blocker = source.Connect();
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
  fs::path dir = TempDir("lock");
  fs::path out = dir / "db.pgark";
  auto result = RunCommand({PGARK_BINARY, "dump", "-d", source.conninfo(), "-f", out.string(), "-a",
                            "--lock-wait-timeout", "300ms"});
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_THAT(result.err, HasSubstr("public.t"));
  EXPECT_THAT(result.err, HasSubstr("--lock-wait-timeout"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(CountEntries(dir), 0);  // the temp file is gone too
  fs::remove_all(dir);
}

TEST(DumpCliTest, InterruptExits130AndLeavesNoFile) {
  ScratchDatabase source("cliint");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  auto blocker = source.Connect();
  // The dump will wait for this lock (no timeout): a deterministic point to interrupt it.
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
  fs::path dir = TempDir("sigint");
  fs::path out = dir / "db.pgark";
  fs::path pid_file = fs::temp_directory_path() / absl::StrCat("pgark-dumpcli-", getpid(), ".pid");
  ::pgark::testing::CommandResult result;
  std::atomic<bool> finished{false};
  std::thread dump([&] {
    result = RunShell(absl::StrCat("echo $$ > '", pid_file.string(), "'; exec '", PGARK_BINARY,
                                   "' dump -a -d '", source.conninfo(), "' -f '", out.string(), "'"));
    finished = true;
  });
  auto admin = source.Connect();
  bool waiting = WaitForBlockedDump(*admin, finished);
  // The pid file was written before exec, so before the dump could wait for anything.
  pid_t pid = 0;
  std::string pid_text = ReadFile(pid_file);
  bool have_pid = absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &pid) && pid > 0;
  // Signal only a dump that is blocked on our lock (its handlers are installed by then);
  // otherwise release the lock so that the dump ends and the test fails instead of hanging.
  if (waiting && have_pid) {
    kill(pid, SIGINT);
  } else {
    blocker->Execute("ROLLBACK").IgnoreError();
  }
  dump.join();
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(have_pid);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_THAT(result.err, HasSubstr("interrupted"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(CountEntries(dir), 0);
  fs::remove(pid_file);
  fs::remove_all(dir);
}

// Issue 5's progress rules: a live line on a TTY (a pseudo-terminal from script(1)), nothing on a
// non-TTY unless --progress always, JSON lines for machines, and the one-line summary at the end
// in every mode. The dump waits for a lock for a moment so that the display ticks at least once
// whatever the machine's speed.
TEST(DumpCliTest, ProgressIsSilentWithoutATtyUnlessAskedFor) {
  ScratchDatabase source("cliprog");
  ASSERT_OK(source.Connect()->Execute(absl::StrCat(kSchema, kData)));
  fs::path dir = TempDir("progress");
  // --progress auto (the default) with stderr on a pipe: the summary line and nothing else.
  auto quiet = RunCommand({PGARK_BINARY, "dump", "-a", "-d", source.conninfo(), "-f", (dir / "auto.pgark").string()});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(std::count(quiet.err.begin(), quiet.err.end(), '\n'), 1) << quiet.err;
  EXPECT_THAT(quiet.err, HasSubstr("dumped 1 tables"));
  EXPECT_THAT(quiet.err, ::testing::Not(HasSubstr("ETA")));
  EXPECT_THAT(quiet.err, ::testing::Not(HasSubstr("\r")));

  // "tty": the default mode with stderr on a terminal, a pseudo-terminal from util-linux's
  // script(1), which copies everything written to the terminal to its own stdout.
  for (const std::string mode : {"always", "json", "tty"}) {
    auto blocker = source.Connect();
    ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
    ::pgark::testing::CommandResult result;
    std::atomic<bool> finished{false};
    std::thread dump([&] {
      std::vector<std::string> argv = {PGARK_BINARY, "dump", "-a", "-d", source.conninfo(), "-f",
                                       (dir / (mode + ".pgark")).string(), "--progress",
                                       mode == "tty" ? "auto" : mode};
      if (mode == "tty") {
        argv = {"script", "-qefc", absl::StrCat("'", absl::StrJoin(argv, "' '"), "'"), "/dev/null"};
      }
      result = RunCommand(argv);
      finished = true;
    });
    auto admin = source.Connect();
    bool waiting = WaitForBlockedDump(*admin, finished);
    if (waiting) absl::SleepFor(absl::Milliseconds(1500));  // the display ticks meanwhile
    EXPECT_OK(blocker->Execute("ROLLBACK"));
    dump.join();
    EXPECT_TRUE(waiting) << mode;
    ASSERT_EQ(result.exit_code, 0) << mode << ": " << result.err;
    // Under script(1) stdout and stderr are the one terminal, copied to script's stdout.
    const std::string& terminal = mode == "tty" ? result.out : result.err;
    EXPECT_THAT(terminal, HasSubstr("dumped 1 tables")) << mode;
    if (mode != "tty") {
      EXPECT_THAT(result.out, ::testing::IsEmpty());
    }
    if (mode != "json") {
      // The live line, redrawn in place (with "always" even though stderr is not a terminal).
      EXPECT_THAT(terminal, HasSubstr("\r\033[K")) << mode << ": " << terminal;
      EXPECT_THAT(terminal, HasSubstr("ETA")) << mode << ": " << terminal;
      EXPECT_THAT(terminal, HasSubstr("streams")) << mode << ": " << terminal;
      continue;
    }
    // One JSON object per line and second, the last one with the final state.
    std::vector<nlohmann::json> lines;
    for (absl::string_view line : absl::StrSplit(result.err, '\n')) {
      if (absl::StartsWith(line, "{")) lines.push_back(nlohmann::json::parse(std::string(line)));
    }
    ASSERT_GE(lines.size(), 2u) << result.err;
    const nlohmann::json& last = lines.back();
    EXPECT_EQ(last["rows_done"], 5000) << last.dump();
    EXPECT_GT(last["bytes_done"].get<int64_t>(), 0) << last.dump();
    EXPECT_GT(last["bytes_estimate"].get<int64_t>(), 0) << last.dump();
    EXPECT_GT(last["stored_bytes"].get<int64_t>(), 0) << last.dump();
    EXPECT_EQ(last["streams_done"], last["streams_total"]) << last.dump();
    EXPECT_TRUE(last.contains("bytes_per_second")) << last.dump();
    EXPECT_TRUE(last.contains("eta_seconds")) << last.dump();
    EXPECT_TRUE(last["active"].is_array()) << last.dump();
  }
  fs::remove_all(dir);
}

TEST(DumpCliTest, BadFlagsAreUsageErrors) {
  auto both = RunCommand({PGARK_BINARY, "dump", "-s", "-a", "-f", "/tmp/x.pgark"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("cannot be used together"));
  auto size = RunCommand({PGARK_BINARY, "dump", "-f", "/tmp/x.pgark", "--split-larger-than", "lots"});
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_THAT(size.err, HasSubstr("invalid size 'lots'"));
  auto chunk = RunCommand({PGARK_BINARY, "dump", "-f", "/tmp/x.pgark", "--chunk-size", "1kB"});
  EXPECT_EQ(chunk.exit_code, 2);
  EXPECT_THAT(chunk.err, HasSubstr("--chunk-size must be between 64kB and 64MB"));
  auto codec = RunCommand({PGARK_BINARY, "dump", "-f", "/tmp/x.pgark", "-Z", "lz4"});
  EXPECT_EQ(codec.exit_code, 2);
  auto no_output = RunCommand({PGARK_BINARY, "dump"});
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_THAT(no_output.err, HasSubstr("-f"));
}

}  // namespace
}  // namespace pgark
