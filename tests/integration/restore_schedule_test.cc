// The restore's main-pass schedule as `pgark restore -v` reports it: one timeline line per
// task ("restore: job J (pid P): START-END s (DURATION s) WHAT"), and the order the
// critical-path priorities give with one job (docs/restore.md "Where the CPU goes").
#include <unistd.h>

#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::pgark::testing::ScratchDatabase;

struct TimelineEntry {
  int job = 0;
  double start = 0, end = 0;
  std::string what;
};

std::vector<TimelineEntry> Timeline(const std::string& err) {
  static const std::regex kLine(
      R"(restore: job (\d+) \(pid \d+\): +([0-9.]+)- *([0-9.]+) s \( *([0-9.]+) s\) (.*))");
  std::vector<TimelineEntry> entries;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    std::smatch match;
    std::string text(line);
    if (!std::regex_search(text, match, kLine)) continue;
    entries.push_back(
        {std::stoi(match[1].str()), std::stod(match[2].str()), std::stod(match[3].str()), match[5].str()});
  }
  return entries;
}

int Position(const std::vector<TimelineEntry>& entries, const std::string& what) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].what == what) return static_cast<int>(i);
  }
  ADD_FAILURE() << "no timeline entry '" << what << "'";
  return -1;
}

class RestoreScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = source_db_.Connect();
    // wide: the largest table, a GIN index and two btrees. keyed: 80 % of its rows, a
    // PRIMARY KEY and an FK to small, whose validation must wait for keyed's index builds.
    ASSERT_OK(source_->Execute(
        "CREATE TABLE small (id int PRIMARY KEY);"
        "INSERT INTO small SELECT g FROM generate_series(1, 10) g;"
        "CREATE TABLE wide (id int PRIMARY KEY, attrs jsonb, note text);"
        "INSERT INTO wide SELECT g, jsonb_build_object('k', g % 100, 't', 'x' || g % 7), md5(g::text) "
        "FROM generate_series(1, 20000) g;"
        "CREATE INDEX wide_attrs ON wide USING gin (attrs jsonb_path_ops);"
        "CREATE INDEX wide_note ON wide (note);"
        "CREATE TABLE keyed (id int PRIMARY KEY, small_id int REFERENCES small, attrs jsonb, note text);"
        "INSERT INTO keyed SELECT g, 1 + g % 10, jsonb_build_object('k', g % 100, 't', 'x' || g % 7), md5(g::text) "
        "FROM generate_series(1, 16000) g;"
        "ANALYZE"));
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_restore_schedule_", getpid(), ".pgark");
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  ScratchDatabase source_db_{"restore_schedule_src"};
  std::unique_ptr<pg::Connection> source_;
  std::string path_;
};

TEST_F(RestoreScheduleTest, VerboseTimelineListsEveryTaskInPriorityOrder) {
  ScratchDatabase target("restore_schedule_one");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-v", "-j", "1", "-d", target.conninfo(), path_});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  std::vector<TimelineEntry> timeline = Timeline(restore.err);
  // 3 data streams; wide: 1 PK (index build + attach) + 2 indexes; keyed: PK (2) + FK; small: PK (2).
  ASSERT_EQ(timeline.size(), 3u + 4u + 3u + 2u) << restore.err;
  double previous_end = 0;
  for (const TimelineEntry& entry : timeline) {
    EXPECT_EQ(entry.job, 1) << entry.what;
    EXPECT_LE(entry.start, entry.end) << entry.what;
    EXPECT_GE(entry.start + 0.01, previous_end) << entry.what;  // one job: one task at a time
    previous_end = entry.end;
    EXPECT_THAT(entry.what, ::testing::Not(::testing::HasSubstr("FAILED")));
  }
  // Data first, largest table first.
  EXPECT_EQ(timeline[0].what, "data of public.wide");
  EXPECT_EQ(timeline[1].what, "data of public.keyed");
  // Build costs (task_cost.h): a btree on a text key sorts by collation over whole values and
  // costs as much as the GIN build (measured on 3.2 M rows: 6.7 s against 6.2 s), a GIN build
  // costs several btrees on an integer key of the same table.
  const int gin = Position(timeline, "INDEX public.wide_attrs");
  const int wide_pkey = Position(timeline, "CONSTRAINT public.wide wide_pkey (unique index build)");
  EXPECT_LT(Position(timeline, "INDEX public.wide_note"), gin);
  EXPECT_LT(gin, wide_pkey);
  // keyed's PK build is followed by its FK validation (which waits for every build on keyed):
  // that chain outweighs wide's larger single integer-key build.
  const int keyed_pkey = Position(timeline, "CONSTRAINT public.keyed keyed_pkey (unique index build)");
  EXPECT_LT(keyed_pkey, wide_pkey);
  EXPECT_LT(keyed_pkey, Position(timeline, "FK CONSTRAINT public.keyed keyed_small_id_fkey"));

  // Without -v there is no timeline.
  ScratchDatabase quiet("restore_schedule_quiet");
  auto plain = RunCommand({PGARK_BINARY, "restore", "-j", "2", "-d", quiet.conninfo(), path_});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(Timeline(plain.err).empty()) << plain.err;
}

TEST_F(RestoreScheduleTest, TwoJobsReportBothConnections) {
  ScratchDatabase target("restore_schedule_two");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-v", "-j", "2", "-d", target.conninfo(), path_});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  std::vector<TimelineEntry> timeline = Timeline(restore.err);
  ASSERT_EQ(timeline.size(), 12u) << restore.err;
  std::map<int, int> per_job;
  for (const TimelineEntry& entry : timeline) ++per_job[entry.job];
  EXPECT_EQ(per_job.size(), 2u) << restore.err;
  auto target_conn = target.Connect();
  auto indexes = target_conn->Query("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");
  ASSERT_OK(indexes.status());
  EXPECT_EQ(indexes->Get(0, 0), "5");
}

}  // namespace
}  // namespace pgark
