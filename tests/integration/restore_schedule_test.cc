// The restore's main-pass schedule as `pgark restore -v` reports it: one timeline line per
// task ("restore: job J (pid P): START-END s (DURATION s) WHAT"), and the order the
// critical-path priorities give with one job (docs/restore.md "Where the CPU goes"); and,
// made observable without timing (RestorePostDataOverlapTest), that two index builds on one
// table run at once while two exclusive ALTER TABLE items on one table never do.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::BackgroundCommand;
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

std::string Scalar(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  if (!result.ok()) return absl::StrCat("error: ", result.status().message());
  return result->rows() == 0 ? "" : std::string(result->Get(0, 0));
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

// Post-data items whose work calls public.gate(key, v), which waits for a shared advisory
// lock on `key` in the target database while the test holds it exclusively: the test sees in
// pg_locks which items are running at that moment, however fast or slow the machine.
//   built:   two indexes on gate(4242001, id): index builds on one table run in parallel, so
//            at -j 2 both wait on the lock at once.
//   guarded: two EXCLUDE constraints on gate(4242002, id) (ALTER TABLE ... ADD CONSTRAINT,
//            exclusive items): serialized per table, so the second never starts while the
//            first waits (a second job stays free for it all along).
constexpr int kBuildKey = 4242001;
constexpr int kExclusiveKey = 4242002;

class RestorePostDataOverlapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = source_db_.Connect();
    ASSERT_OK(source->Execute(absl::StrCat(
        "CREATE FUNCTION public.gate(k int, v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS "
        "$$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock_shared(k); RETURN v; END $$;"
        "CREATE TABLE built (id int);"
        "INSERT INTO built SELECT generate_series(1, 3);"
        "CREATE INDEX built_a ON built (public.gate(", kBuildKey, ", id));"
        "CREATE INDEX built_b ON built ((public.gate(", kBuildKey, ", id) + 1));"
        "CREATE TABLE guarded (id int);"
        "INSERT INTO guarded SELECT generate_series(1, 3);"
        "ALTER TABLE guarded ADD CONSTRAINT guarded_x1 EXCLUDE USING btree (public.gate(", kExclusiveKey,
        ", id) WITH =);"
        "ALTER TABLE guarded ADD CONSTRAINT guarded_x2 EXCLUDE USING btree ((public.gate(", kExclusiveKey,
        ", id) + 1) WITH =);")));
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_postdata_overlap_", getpid(), ".pgark");
    auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // Backends of the target waiting for the advisory lock `key`.
  static int Waiting(pg::Connection& conn, int key) {
    const std::string count = Scalar(conn, absl::StrCat(
        "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ", key,
        " AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"));
    return !count.empty() && absl::ascii_isdigit(count[0]) ? std::stoi(count) : -1;
  }
  // Polls until `want` backends wait for `key` (true) or 60 s pass (false).
  static bool AwaitWaiting(pg::Connection& conn, int key, int want, BackgroundCommand& restore) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !restore.Exited()) {
      if (Waiting(conn, key) >= want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Holds the advisory lock `key` in `target` on a connection of its own, runs `pgark
  // restore -v -j 2` into it in the background, calls `observe` while the lock is held, then
  // releases it and returns the restore's result.
  testing::CommandResult RestoreWhileHolding(const ScratchDatabase& target, int key,
                                             const std::function<void(pg::Connection&, BackgroundCommand&)>& observe) {
    auto lock = target.Connect();
    EXPECT_OK(lock->Execute(absl::StrCat("SELECT pg_catalog.pg_advisory_lock(", key, ")")));
    BackgroundCommand restore({PGARK_BINARY, "restore", "-v", "-j", "2", "-d", target.conninfo(), path_});
    observe(*lock, restore);
    EXPECT_OK(lock->Execute(absl::StrCat("SELECT pg_catalog.pg_advisory_unlock(", key, ")")));
    return restore.Wait();
  }
  static const TimelineEntry* Entry(const std::vector<TimelineEntry>& timeline, const std::string& what) {
    for (const TimelineEntry& entry : timeline) {
      if (entry.what == what) return &entry;
    }
    ADD_FAILURE() << "no timeline entry '" << what << "'";
    return nullptr;
  }

  ScratchDatabase source_db_{"postdata_overlap_src"};
  std::string path_;
};

TEST_F(RestorePostDataOverlapTest, TwoIndexBuildsOnOneTableRunAtOnce) {
  ScratchDatabase target("postdata_overlap_builds");
  bool both = false;
  // Both builds on `built` are waiting at the same moment: they overlap. Serialized, the
  // second would never start while the first waits, and this gives up after 60 s.
  const testing::CommandResult result = RestoreWhileHolding(
      target, kBuildKey, [&](pg::Connection& lock, BackgroundCommand& restore) {
        both = AwaitWaiting(lock, kBuildKey, 2, restore);
      });
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(both) << "the two index builds on public.built never waited at the same time\n" << result.err;
  std::vector<TimelineEntry> timeline = Timeline(result.err);
  const TimelineEntry* a = Entry(timeline, "INDEX public.built_a");
  const TimelineEntry* b = Entry(timeline, "INDEX public.built_b");
  ASSERT_TRUE(a != nullptr && b != nullptr) << result.err;
  EXPECT_NE(a->job, b->job);
  // The timeline prints hundredths: once released, both builds may start and end within the
  // same 10 ms (seen on a quiet machine), so only <= holds; `both` above is the real proof.
  EXPECT_LE(a->start, b->end);
  EXPECT_LE(b->start, a->end);
  EXPECT_EQ(Scalar(*target.Connect(), "SELECT count(*) FROM pg_indexes WHERE tablename = 'built'"), "2");
}

TEST_F(RestorePostDataOverlapTest, ExclusiveItemsOnOneTableNeverOverlap) {
  ScratchDatabase target("postdata_overlap_exclusive");
  bool first = false;
  int waiting = -1;
  std::string blocked;
  // One EXCLUDE constraint of `guarded` waits on the lock (holding the table); the other job
  // finishes everything else and stays free. The second constraint must not start: if it
  // did, it would wait for the table's lock (an ungranted relation lock of a pgark session)
  // and its timeline interval would start inside the first one's.
  const testing::CommandResult result = RestoreWhileHolding(
      target, kExclusiveKey, [&](pg::Connection& lock, BackgroundCommand& restore) {
        first = AwaitWaiting(lock, kExclusiveKey, 1, restore);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        blocked = Scalar(lock,
                         "SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a USING (pid) "
                         "WHERE NOT l.granted AND a.application_name LIKE 'pgark%' AND l.locktype <> 'advisory'");
        waiting = Waiting(lock, kExclusiveKey);
      });
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(first) << "no EXCLUDE constraint of public.guarded ever waited on the lock\n" << result.err;
  EXPECT_EQ(waiting, 1);
  EXPECT_EQ(blocked, "0") << result.err;
  std::vector<TimelineEntry> timeline = Timeline(result.err);
  const TimelineEntry* x1 = Entry(timeline, "CONSTRAINT public.guarded guarded_x1");
  const TimelineEntry* x2 = Entry(timeline, "CONSTRAINT public.guarded guarded_x2");
  ASSERT_TRUE(x1 != nullptr && x2 != nullptr) << result.err;
  const TimelineEntry& earlier = x1->start <= x2->start ? *x1 : *x2;
  const TimelineEntry& later = x1->start <= x2->start ? *x2 : *x1;
  EXPECT_GE(earlier.end - earlier.start, 1.4) << "the first constraint did not wait for the lock\n" << result.err;
  EXPECT_GE(later.start + 0.011, earlier.end) << result.err;  // the timeline prints 10 ms steps
  EXPECT_EQ(Scalar(*target.Connect(), "SELECT count(*) FROM pg_constraint WHERE contype = 'x'"), "2");
}

// A post-data item that fails names its table: "restoring <item> (table <table>)", with the
// server's SQLSTATE.
TEST_F(RestorePostDataOverlapTest, FailingPostDataItemNamesItsTable) {
  ScratchDatabase target("postdata_overlap_fail");
  for (const char* section : {"pre-data", "data"}) {
    auto step = RunCommand({PGARK_BINARY, "restore", "--section", section, "-d", target.conninfo(), path_});
    ASSERT_EQ(step.exit_code, 0) << step.err;
  }
  ASSERT_OK(target.Connect()->Execute("INSERT INTO guarded VALUES (1)"));  // breaks both EXCLUDE constraints
  auto post = RunCommand({PGARK_BINARY, "restore", "--section", "post-data", "-j", "1", "-d", target.conninfo(), path_});
  EXPECT_NE(post.exit_code, 0);
  EXPECT_THAT(post.err, ::testing::ContainsRegex("restoring CONSTRAINT public\\.guarded guarded_x[12] \\(table TABLE public\\.guarded\\)"));
  EXPECT_THAT(post.err, ::testing::HasSubstr("SQLSTATE 23P01"));
}

}  // namespace
}  // namespace pgark
