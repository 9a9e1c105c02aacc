// How the dump engine fails: a killed worker, a cancel request, the rewrite race, lock
// timeouts. In every case nothing is published (the sink is never closed) and the error
// code is the documented one.
#include <atomic>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "engine/dump/dump_engine.h"
#include "tests/integration/dump_loader.h"
#include "format/base/cancellation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine {
namespace {

using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

// Blocks the first Append() past `threshold` bytes until Release(): the dump is then
// reliably in the middle of a COPY.
class BlockingSink : public format::ByteSink {
 public:
  explicit BlockingSink(size_t threshold) : threshold_(threshold) {}
  absl::Status Append(absl::string_view data) override {
    bytes_ += data.size();
    if (bytes_ > threshold_ && !reached_.HasBeenNotified()) {
      reached_.Notify();
      release_.WaitForNotificationWithTimeout(absl::Seconds(60));  // never hang a failed test
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }
  // False if the dump never got that far (it failed or finished early: `finished`).
  bool WaitUntilBlocked(const std::atomic<bool>& finished) {
    while (!finished.load()) {
      if (reached_.WaitForNotificationWithTimeout(absl::Milliseconds(20))) return true;
    }
    return reached_.HasBeenNotified();
  }
  void Release() { release_.Notify(); }
  bool closed() const { return closed_; }

 private:
  size_t threshold_;
  size_t bytes_ = 0;
  std::atomic<bool> closed_{false};
  absl::Notification reached_, release_;
};

// RunDump() on its own thread.
struct BackgroundDump {
  BackgroundDump(const DumpOptions& options, format::ByteSink* sink)
      : thread([this, options, sink] {
          result = RunDump(options, {}, sink);
          finished = true;
        }) {}
  absl::StatusOr<DumpResult> Join() {
    if (thread.joinable()) thread.join();
    return result;
  }
  ~BackgroundDump() { Join().IgnoreError(); }
  absl::StatusOr<DumpResult> result;
  std::atomic<bool> finished{false};
  std::thread thread;
};

DumpOptions Options(const ScratchDatabase& db) {
  DumpOptions options;
  options.conninfo = db.conninfo();
  options.jobs = 1;
  options.data_only = true;
  options.chunk_size = 64 << 10;
  options.large_object_segment = 16 << 10;
  options.application_name = "pgark failure test";
  return options;
}

void CreateBigTable(pg::Connection& conn) {
  ASSERT_OK(conn.Execute(
      "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v "
      "FROM generate_series(1, 300000) g"));
}

int CountDumpBackends(pg::Connection& conn) {
  auto result = conn.Query(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgark failure test%' "
      "AND datname = current_database()");
  return result.ok() ? static_cast<int>(result->GetInt64(0, 0).value_or(-1)) : -1;
}

TEST(DumpFailureTest, TerminatedWorkerFailsTheDumpAndPublishesNothing) {
  ScratchDatabase db("dumpkill");
  auto admin = db.Connect();
  CreateBigTable(*admin);
  BlockingSink sink(200 << 10);
  BackgroundDump dump(Options(db), &sink);
  if (!sink.WaitUntilBlocked(dump.finished)) FAIL() << "the dump never blocked: " << dump.Join().status();
  ASSERT_OK_AND_ASSIGN(
      pg::Result killed,
      admin->Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                   "WHERE application_name = 'pgark failure test worker 1' AND datname = current_database()"));
  EXPECT_EQ(killed.GetInt64(0, 0).value_or(0), 1);
  sink.Release();
  EXPECT_THAT(dump.Join(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("public.big")));
  EXPECT_FALSE(sink.closed());
  // The leader is gone too (its transaction ended with the failed run).
  for (int i = 0; i < 100 && CountDumpBackends(*admin) > 0; ++i) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(CountDumpBackends(*admin), 0);
}

TEST(DumpFailureTest, TruncateBetweenSnapshotAndLockIsDetected) {
  ScratchDatabase db("dumprace");
  auto admin = db.Connect();
  ASSERT_OK(admin->Execute("CREATE TABLE victim AS SELECT g FROM generate_series(1, 100) g"));
  auto blocker = db.Connect();
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE victim IN ACCESS EXCLUSIVE MODE"));
  format::StringSink sink;
  BackgroundDump dump(Options(db), &sink);
  // Wait until the leader (snapshot taken) queues for its ACCESS SHARE lock.
  bool waiting = ::pgark::testing::WaitForLockWaiter(*admin, "pgark failure test",
                                                     [&] { return dump.finished.load(); });
  EXPECT_OK(blocker->Execute("TRUNCATE victim; COMMIT"));
  absl::StatusOr<DumpResult> result = dump.Join();
  ASSERT_TRUE(waiting) << result.status();
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted, HasSubstr("victim")));
  EXPECT_FALSE(sink.closed());
}

TEST(DumpFailureTest, LockWaitTimeoutIsAFailedPrecondition) {
  ScratchDatabase db("dumplock");
  auto admin = db.Connect();
  ASSERT_OK(admin->Execute("CREATE TABLE held (a int)"));
  auto blocker = db.Connect();
  ASSERT_OK(blocker->Execute("BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE"));
  DumpOptions options = Options(db);
  options.lock_wait_timeout = absl::Milliseconds(200);
  format::StringSink sink;
  EXPECT_THAT(RunDump(options, {}, &sink),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("public.held")));
  EXPECT_FALSE(sink.closed());
}

TEST(DumpFailureTest, LockQueuedAfterTheLeaderMakesTheWorkerFailFast) {
  ScratchDatabase db("dumpnowait");
  auto admin = db.Connect();
  CreateBigTable(*admin);
  ASSERT_OK(admin->Execute("CREATE TABLE small AS SELECT 1 AS a"));
  BlockingSink sink(200 << 10);
  BackgroundDump dump(Options(db), &sink);  // one worker: big first, then small
  if (!sink.WaitUntilBlocked(dump.finished)) FAIL() << "the dump never blocked: " << dump.Join().status();
  // An ALTER-like lock request queues behind the leader's ACCESS SHARE lock on "small".
  auto locker = db.Connect();
  absl::Status locked;
  std::thread alter([&] { locked = locker->Execute("BEGIN; LOCK TABLE small IN ACCESS EXCLUSIVE MODE"); });
  bool queued = ::pgark::testing::WaitForLockWaiter(*admin, "pgark", [] { return false; });
  sink.Release();
  // The worker's LOCK ... NOWAIT on "small" must fail at once rather than wait behind it
  // (which would deadlock against the leader, invisibly to the server).
  EXPECT_THAT(dump.Join(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("public.small")));
  alter.join();  // granted once the dump's transactions ended
  EXPECT_TRUE(queued);
  EXPECT_OK(locked);
  EXPECT_FALSE(sink.closed());
}

// A cancel request is process-wide: the test takes it back when it ends (the tests after it
// in a run of the whole binary by hand would be cancelled too).
TEST(DumpFailureTest, CancelRequestStopsEveryConnection) {
  absl::Cleanup reset_cancel = [] { base::ResetCancelForTesting(); };
  ScratchDatabase db("dumpcancel");
  auto admin = db.Connect();
  CreateBigTable(*admin);
  BlockingSink sink(200 << 10);
  DumpOptions options = Options(db);
  options.jobs = 2;
  BackgroundDump dump(options, &sink);
  if (!sink.WaitUntilBlocked(dump.finished)) FAIL() << "the dump never blocked: " << dump.Join().status();
  base::RequestCancel();  // what the SIGINT handler does
  absl::SleepFor(absl::Milliseconds(200));
  sink.Release();
  EXPECT_THAT(dump.Join(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_FALSE(sink.closed());
}

}  // namespace
}  // namespace pgark::engine
