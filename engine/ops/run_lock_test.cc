#include "engine/ops/run_lock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDir() {
  char dir[] = "/tmp/pgark_lock_test_XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return dir;
}

TEST(RunLockTest, SecondAcquireIsRefusedWithHolderDetails) {
  std::string dir = TempDir();
  absl::Time t = absl::FromUnixSeconds(1709258400);  // 2024-03-01T02:00:00Z
  auto first = RunLock::Acquire(dir, "shop", t);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE((*first)->takeover_note().empty());
  // flock locks belong to the open file description, so a second open in this process
  // conflicts just like another process would.
  auto second = RunLock::Acquire(dir, "shop", t + absl::Minutes(5));
  EXPECT_THAT(second.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("another backup of shop is running since 2024-03-01T02:00:00Z, pid " +
                        std::to_string(getpid())));
  // Another database is independent.
  EXPECT_TRUE(RunLock::Acquire(dir, "orders", t).ok());
  first->reset();
  auto third = RunLock::Acquire(dir, "shop", t);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)->takeover_note().empty()) << "a clean release leaves no stale record";
}

TEST(RunLockTest, StaleLockOfADeadProcessIsTakenOverWithANote) {
  std::string dir = TempDir();
  // A child that exits at once gives a pid that is certainly dead afterwards.
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  {
    std::ofstream out(dir + "/pgark-shop.lock");
    out << "pid=" << child << "\nsince=2024-02-29T02:00:00Z\nhost=" << host << "\n";
  }
  auto lock = RunLock::Acquire(dir, "shop", absl::Now());
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_THAT((*lock)->takeover_note(), HasSubstr("pid " + std::to_string(child)));
  EXPECT_THAT((*lock)->takeover_note(), HasSubstr("no longer running"));
}

TEST(RunLockTest, RecordsTheWallClockWhenNoTimeIsGiven) {
  // `pgark backup --now 2024-03-01T02:00:00Z` names the backup after that time; the lock must
  // still say when the run really started.
  std::string dir = TempDir();
  absl::Time before = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  auto first = RunLock::Acquire(dir, "shop");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::Time after = absl::Now();
  auto second = RunLock::Acquire(dir, "shop");
  ASSERT_THAT(second.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::string message(second.status().message());
  size_t since = message.find("running since ");
  ASSERT_NE(since, std::string::npos) << message;
  std::string stamp = message.substr(since + 14, message.find(',', since) - since - 14);
  absl::Time recorded;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, stamp, &recorded, &error)) << stamp << ": " << error;
  EXPECT_GE(recorded, before) << message;
  EXPECT_LE(recorded, after) << message;
}

TEST(RunLockTest, MissingDirectoryIsNotFound) {
  EXPECT_THAT(RunLock::Acquire("/no/such/dir", "shop", absl::Now()).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pgark::ops
