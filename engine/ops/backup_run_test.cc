#include "engine/ops/backup_run.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/naming.h"
#include "engine/ops/sidecar.h"
#include "format/base/status_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/fault_injection_storage.h"
#include "tests/testing/memory_storage.h"
#include "tests/testing/status_matchers.h"

namespace pgark::ops {
namespace {

using ::pgark::testing::FaultInjectionStorage;
using ::pgark::testing::MemoryStorage;
using ::pgark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Day(int year, int month, int day) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, 2, 0, 0), absl::UTCTimeZone());
}

BackupConfig TestConfig() {
  BackupConfig config;
  config.database = "shop";
  config.name = "shop";
  config.backup_root = "memory:";
  config.verify = VerifyMode::kChecksum;
  config.retries = 2;
  return config;
}

// A fake dump step: writes `payload` in two appends.
DumpFunction FakeDump(std::string payload, int* calls = nullptr) {
  return [payload, calls](const BackupConfig&, storage::ObjectWriter& out) -> absl::Status {
    if (calls != nullptr) ++*calls;
    size_t half = payload.size() / 2;
    absl::Status status = out.Append(absl::string_view(payload).substr(0, half));
    if (!status.ok()) return status;
    return out.Append(absl::string_view(payload).substr(half));
  };
}

class RecordingNotifier : public notify::Notifier {
 public:
  explicit RecordingNotifier(absl::Status result) : result_(std::move(result)) {}
  std::string channel() const override { return "test"; }
  absl::Status Send(const RunSummary& summary) override {
    sent.push_back(summary);
    return result_;
  }
  std::vector<RunSummary> sent;

 private:
  absl::Status result_;
};

const StepRecord* FindStep(const RunSummary& summary, const std::string& name) {
  for (const StepRecord& step : summary.steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

TEST(BackupRunTest, SuccessfulRunWritesArchiveSidecarAndVerifiedRecord) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("archive bytes");
  BackupConfig config = TestConfig();
  // 2024-03-03 is a Sunday and the first run of March: daily, weekly and monthly.
  RunSummary summary = RunBackup(config, Day(2024, 3, 3), env);
  ASSERT_TRUE(summary.ok()) << summary.status;
  EXPECT_EQ(summary.file_name, "shop_20240303_020000.pgark");
  EXPECT_EQ(summary.size_bytes, 13u);
  EXPECT_TRUE(summary.verified);
  EXPECT_THAT(root.Get("daily/shop_20240303_020000.pgark"), ::pgark::testing::IsOkAndHolds("archive bytes"));
  EXPECT_TRUE(root.Get("weekly/shop_20240303_020000.pgark").ok());
  EXPECT_TRUE(root.Get("monthly/shop_20240303_020000.pgark").ok());
  Sha256 hash;
  hash.Update("archive bytes");
  std::string hex = hash.FinishHex();
  EXPECT_EQ(summary.sha256_hex, hex);
  EXPECT_THAT(root.Get("checksums/shop_20240303_020000.pgark.sha256"),
              ::pgark::testing::IsOkAndHolds(absl::StrCat(hex, "  daily/shop_20240303_020000.pgark\n", hex,
                                      "  weekly/shop_20240303_020000.pgark\n", hex,
                                      "  monthly/shop_20240303_020000.pgark\n")));
  auto record = root.Get("checksums/shop_20240303_020000.pgark.verified");
  ASSERT_TRUE(record.ok());
  EXPECT_THAT(*record, HasSubstr("\"mode\":\"checksum\""));
  std::vector<std::string> steps;
  for (const StepRecord& step : summary.steps) steps.push_back(step.name + ":" + step.status);
  EXPECT_THAT(steps, ElementsAre("lock:skipped", "space:skipped", "dump:ok", "sidecar:ok",
                                 "verify:ok", "tiers:ok", "prune:ok"));
  EXPECT_EQ(FindStep(summary, "dump")->bytes, 13u);
  EXPECT_EQ(root.open_writers(), 0);
}

TEST(BackupRunTest, DumpThatClosesItsWriterItselfIsPublishedOnce) {
  // engine::RunDump closes (publishes) its sink on success; the run must accept that.
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = [](const BackupConfig&, storage::ObjectWriter& out) -> absl::Status {
    absl::Status s = out.Append("engine archive");
    if (!s.ok()) return s;
    return out.Close();
  };
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  ASSERT_TRUE(summary.ok()) << summary.status;
  EXPECT_EQ(*root.Get("daily/shop_20240304_020000.pgark"), "engine archive");
  EXPECT_EQ(summary.size_bytes, 14u);
  EXPECT_TRUE(summary.verified);
}

TEST(BackupRunTest, FailedDumpPublishesNothingAndNamesTheStep) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = [](const BackupConfig&, storage::ObjectWriter& out) -> absl::Status {
    absl::Status s = out.Append("partial");
    if (!s.ok()) return s;
    return absl::UnimplementedError("'pgark dump' is not implemented yet");
  };
  RecordingNotifier* notifier = new RecordingNotifier(absl::OkStatus());
  std::vector<std::unique_ptr<notify::Notifier>> notifiers;
  notifiers.emplace_back(notifier);
  env.notifiers = &notifiers;
  env.exit_code_for = [](const absl::Status& s) { return s.ok() ? 0 : 4; };
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("dump step")));
  EXPECT_EQ(summary.failed_step, "dump");
  EXPECT_EQ(summary.exit_code, 4);
  EXPECT_TRUE(root.keys().empty()) << "a failed dump must leave no object";
  EXPECT_EQ(root.open_writers(), 0);
  ASSERT_EQ(notifier->sent.size(), 1u) << "failures are notified";
  EXPECT_EQ(notifier->sent[0].failed_step, "dump");
}

TEST(BackupRunTest, TransientDumpFailuresAreRetriedWithBackoff) {
  MemoryStorage root;
  int calls = 0;
  RunEnvironment env;
  env.primary = &root;
  DumpFunction good = FakeDump("ok");
  env.dump = [&](const BackupConfig& c, storage::ObjectWriter& out) -> absl::Status {
    if (++calls < 3) return absl::UnavailableError("connection lost");
    return good(c, out);
  };
  std::vector<absl::Duration> sleeps;
  env.sleep = [&](absl::Duration d) { sleeps.push_back(d); };
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  ASSERT_TRUE(summary.ok()) << summary.status;
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(sleeps, ElementsAre(absl::Seconds(5), absl::Seconds(10)));

  // With retries exhausted the run fails and says how often it tried.
  calls = -10;
  sleeps.clear();
  summary = RunBackup(TestConfig(), Day(2024, 3, 5), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("after 3 attempts")));
  EXPECT_EQ(sleeps.size(), 2u);
  EXPECT_FALSE(root.Get("daily/shop_20240305_020000.pgark").ok());
}

TEST(BackupRunTest, ChecksumMismatchIsDataLossAndKeepsBackupOutOfTiers) {
  MemoryStorage base;
  // Every read of the stored archive flips a bit: what was written is not what is stored.
  FaultInjectionStorage root(&base, ::pgark::testing::CorruptByteAt(3));
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("archive bytes");
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 3), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum mismatch")));
  EXPECT_EQ(summary.failed_step, "verify");
  EXPECT_FALSE(summary.verified);
  EXPECT_TRUE(base.Get("daily/shop_20240303_020000.pgark").ok()) << "kept as evidence";
  EXPECT_FALSE(base.Get("weekly/shop_20240303_020000.pgark").ok());
  EXPECT_FALSE(base.Get("checksums/shop_20240303_020000.pgark.verified").ok());
  EXPECT_EQ(FindStep(summary, "tiers")->status, "skipped");
}

TEST(BackupRunTest, FullVerifyWithoutEngineFailsAsNotImplemented) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("x");
  BackupConfig config = TestConfig();
  config.verify = VerifyMode::kFull;
  RunSummary summary = RunBackup(config, Day(2024, 3, 4), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("verify engine")));
  // And with an engine plugged in, it is called with the stored key and hash.
  VerifyRequest seen;
  env.verify = [&](const VerifyRequest& request) {
    seen = request;
    return absl::OkStatus();
  };
  summary = RunBackup(config, Day(2024, 3, 5), env);
  ASSERT_TRUE(summary.ok()) << summary.status;
  EXPECT_EQ(seen.key, "daily/shop_20240305_020000.pgark");
  EXPECT_EQ(seen.mode, VerifyMode::kFull);
  EXPECT_EQ(seen.sha256_hex, summary.sha256_hex);
}

TEST(BackupRunTest, CopyToSecondRootGetsTheSameBytesAndItsOwnTiers) {
  MemoryStorage primary, offsite;
  RunEnvironment env;
  env.primary = &primary;
  env.copy_to = &offsite;
  env.dump = FakeDump("same bytes");
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 3), env);
  ASSERT_TRUE(summary.ok()) << summary.status;
  EXPECT_EQ(*offsite.Get("daily/shop_20240303_020000.pgark"), "same bytes");
  EXPECT_TRUE(offsite.Get("monthly/shop_20240303_020000.pgark").ok());
  EXPECT_EQ(*offsite.Get("checksums/shop_20240303_020000.pgark.sha256"),
            *primary.Get("checksums/shop_20240303_020000.pgark.sha256"));
  EXPECT_THAT(*offsite.Get("checksums/shop_20240303_020000.pgark.verified"),
              HasSubstr("\"via\":\"primary\""));
}

TEST(BackupRunTest, FailedCopyFailsTheRunButKeepsThePrimary) {
  MemoryStorage primary, offsite_base;
  FaultInjectionStorage offsite(&offsite_base, ::pgark::testing::FailNthAppend(2));
  RunEnvironment env;
  env.primary = &primary;
  env.copy_to = &offsite;
  env.dump = FakeDump("same bytes");
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 3), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(summary.failed_step, "copy");
  EXPECT_TRUE(summary.verified);
  EXPECT_EQ(*primary.Get("daily/shop_20240303_020000.pgark"), "same bytes");
  EXPECT_TRUE(primary.Get("monthly/shop_20240303_020000.pgark").ok());
  EXPECT_TRUE(offsite_base.keys().empty()) << "no partial copy under a final name";
  EXPECT_EQ(FindStep(summary, "prune")->status, "ok");
}

TEST(BackupRunTest, NotifierFailureIsRecordedButDoesNotChangeTheResult) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("x");
  std::vector<std::unique_ptr<notify::Notifier>> notifiers;
  notifiers.push_back(std::make_unique<RecordingNotifier>(absl::UnavailableError("posting to hooks.example: HTTP 503")));
  env.notifiers = &notifiers;
  BackupConfig config = TestConfig();
  config.notify_on = NotifyOn::kAlways;
  RunSummary summary = RunBackup(config, Day(2024, 3, 4), env);
  EXPECT_TRUE(summary.ok()) << summary.status;
  ASSERT_EQ(summary.notifications.size(), 1u);
  EXPECT_FALSE(summary.notifications[0].ok);
  EXPECT_THAT(summary.notifications[0].error, HasSubstr("HTTP 503"));
  EXPECT_EQ(FindStep(summary, "notify")->status, "warning");
  // With notify_on=failure a good run sends nothing.
  config.notify_on = NotifyOn::kFailure;
  summary = RunBackup(config, Day(2024, 3, 5), env);
  EXPECT_TRUE(summary.notifications.empty());
}

TEST(BackupRunTest, PruneStepRunsTheExtraHousekeepingAndReportsWhatItLeft) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("archive bytes");
  int calls = 0;
  env.prune_more = [&calls](bool* left) -> absl::StatusOr<std::string> {
    ++calls;
    *left = calls > 1;
    return std::string("dropped 1 pre-restore database(s)");
  };
  RunSummary first = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  ASSERT_TRUE(first.ok()) << first.status;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(FindStep(first, "prune")->status, "ok");
  EXPECT_THAT(FindStep(first, "prune")->detail, HasSubstr("; dropped 1 pre-restore database(s)"));
  // Something left in use: a warning, not a failure.
  RunSummary second = RunBackup(TestConfig(), Day(2024, 3, 5), env);
  ASSERT_TRUE(second.ok()) << second.status;
  EXPECT_EQ(FindStep(second, "prune")->status, "warning");
  // An error fails the step and the run, after the backup itself is done.
  env.prune_more = [](bool*) -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError("pre-restore copies: must be owner of database shop_pre_restore_x");
  };
  RunSummary third = RunBackup(TestConfig(), Day(2024, 3, 6), env);
  EXPECT_THAT(third.status, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("prune step")));
  EXPECT_EQ(third.failed_step, "prune");
  EXPECT_TRUE(root.Get("daily/shop_20240306_020000.pgark").ok());
}

TEST(BackupRunTest, NotEnoughFreeSpaceStopsBeforeTheDump) {
  MemoryStorage root;
  root.Put("daily/shop_20240301_020000.pgark", std::string(1000, 'x'));
  int calls = 0;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("x", &calls);
  env.free_bytes = []() -> absl::StatusOr<uint64_t> { return 1200; };
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  EXPECT_THAT(summary.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                       HasSubstr("estimated at 1.2 KiB")));
  EXPECT_EQ(calls, 0);
  env.free_bytes = []() -> absl::StatusOr<uint64_t> { return 1250; };
  EXPECT_TRUE(RunBackup(TestConfig(), Day(2024, 3, 4), env).ok());
}

TEST(BackupRunTest, ConcurrentRunIsRefusedAtTheLock) {
  char dir[] = "/tmp/pgark_run_lock_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.lock_dir = dir;
  RunSummary inner;
  // The dump of the first run starts a second run: it must be refused.
  env.dump = [&](const BackupConfig& c, storage::ObjectWriter& out) -> absl::Status {
    RunEnvironment second = env;
    second.dump = FakeDump("y");
    inner = RunBackup(c, Day(2024, 3, 4) + absl::Hours(1), second);
    return out.Append("x");
  };
  // Both runs are named after a --now in 2024; the refusal must show when the first run
  // really took the lock (the wall clock), not its backup time.
  absl::Time before = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  RunSummary outer = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  absl::Time after = absl::Now();
  EXPECT_TRUE(outer.ok()) << outer.status;
  EXPECT_THAT(inner.status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("another backup of shop is running since ")));
  EXPECT_THAT(std::string(inner.status.message()), Not(HasSubstr("2024-03-04T02:00:00Z")));
  bool shows_real_start = false;
  for (absl::Time t = before; t <= after; t += absl::Seconds(1)) {
    shows_real_start |= absl::StrContains(
        inner.status.message(), absl::StrCat("running since ", FormatUtc(t), ", pid ", getpid()));
  }
  EXPECT_TRUE(shows_real_start) << inner.status;
  EXPECT_EQ(inner.failed_step, "lock");
}

TEST(BackupRunTest, DumpOptionsCarryTheLockWaitTimeout) {
  BackupConfig config = TestConfig();
  config.jobs = 7;
  config.lock_wait_timeout = absl::Seconds(45);
  engine::DumpOptions options = DumpOptionsFor(config);
  EXPECT_EQ(options.conninfo, "shop");
  EXPECT_EQ(options.jobs, 7);
  EXPECT_EQ(options.lock_wait_timeout, absl::Seconds(45));
  // The dump's timeout message names the key the operator sets (pg::LockTablesShared).
  EXPECT_EQ(options.lock_wait_timeout_setting, "PGARK_LOCK_WAIT_TIMEOUT");
  EXPECT_EQ(DumpOptionsFor(BackupConfig()).lock_wait_timeout, absl::Minutes(10));
}

// The dump names PGARK_LOCK_WAIT_TIMEOUT itself (DumpOptionsFor); the run does not retry it.
TEST(BackupRunTest, LockWaitTimeoutIsNotRetried) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  int calls = 0;
  env.dump = [&calls](const BackupConfig&, storage::ObjectWriter&) -> absl::Status {
    ++calls;
    absl::Status timeout = absl::FailedPreconditionError(
        "timed out after 10m (PGARK_LOCK_WAIT_TIMEOUT) waiting for ACCESS SHARE locks on public.t: another "
        "session holds or awaits a conflicting lock");
    timeout.SetPayload(base::kSqlStatePayload, absl::Cord("55P03"));
    return timeout;
  };
  RunSummary summary = RunBackup(TestConfig(), Day(2024, 3, 4), env);
  EXPECT_THAT(summary.status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("timed out after 10m (PGARK_LOCK_WAIT_TIMEOUT) waiting for ACCESS SHARE "
                                 "locks on public.t")));
  EXPECT_EQ(summary.status.GetPayload(base::kSqlStatePayload), absl::Cord("55P03"));
  EXPECT_EQ(summary.failed_step, "dump");
  EXPECT_EQ(calls, 1);
}

TEST(BackupRunTest, SimulatedDaysLeaveTierCountsAndValidSidecars) {
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  BackupConfig config = TestConfig();
  for (int day = 0; day < 120; ++day) {
    absl::Time t = Day(2024, 1, 1) + absl::Hours(24 * day);
    env.dump = FakeDump(absl::StrCat("archive of day ", day));
    RunSummary summary = RunBackup(config, t, env);
    ASSERT_TRUE(summary.ok()) << day << ": " << summary.status;
  }
  auto listing = ListRoot(root, "shop");
  ASSERT_TRUE(listing.ok());
  std::map<Tier, int> count;
  for (const BackupCopy& copy : listing->copies) count[copy.tier]++;
  EXPECT_EQ(count[Tier::kDaily], 7);
  EXPECT_EQ(count[Tier::kWeekly], 4);
  EXPECT_EQ(count[Tier::kMonthly], 4);
  // Every remaining backup has a sidecar listing exactly its remaining copies, and no
  // sidecar or record is left without an archive.
  std::set<std::string> names;
  for (const ListedBackup& backup : listing->backups) {
    names.insert(backup.file_name);
    auto text = root.Get(SidecarKey(backup.file_name));
    ASSERT_TRUE(text.ok()) << backup.file_name;
    auto sidecar = ParseSidecar(*text);
    ASSERT_TRUE(sidecar.ok());
    EXPECT_EQ(sidecar->keys.size(), backup.tiers.size()) << *text;
    for (const std::string& key : sidecar->keys) EXPECT_TRUE(root.Get(key).ok()) << key;
  }
  for (const std::string& key : root.keys()) {
    if (!absl::StartsWith(key, "checksums/")) continue;
    std::string file = key.substr(10, key.rfind('.') - 10);
    EXPECT_TRUE(names.count(file)) << "orphan " << key;
  }
}

TEST(BackupRunTest, WritesSummaryJsonAndMetricsThatSurviveAFailure) {
  char dir[] = "/tmp/pgark_run_records_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  MemoryStorage root;
  RunEnvironment env;
  env.primary = &root;
  env.dump = FakeDump("12345");
  BackupConfig config = TestConfig();
  config.summary_file = absl::StrCat(dir, "/run.summary.json");
  config.metrics_file = absl::StrCat(dir, "/pgark.prom");
  RunSummary good = RunBackup(config, Day(2024, 3, 4), env);
  ASSERT_TRUE(good.ok());
  std::ifstream in(config.summary_file);
  nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_EQ(json["result"], "ok");
  EXPECT_EQ(json["file"], "shop_20240304_020000.pgark");
  EXPECT_EQ(json["size_bytes"], 5);
  EXPECT_EQ(json["steps"][2]["name"], "dump");
  EXPECT_EQ(json["steps"][2]["bytes"], 5);
  EXPECT_TRUE(json["steps"][2]["seconds"].is_number());

  env.dump = [](const BackupConfig&, storage::ObjectWriter&) { return absl::InternalError("boom"); };
  RunSummary bad = RunBackup(config, Day(2024, 3, 5), env);
  ASSERT_FALSE(bad.ok());
  std::ifstream metrics_in(config.metrics_file);
  std::stringstream metrics;
  metrics << metrics_in.rdbuf();
  std::string expected_success = absl::StrFormat(
      "pgark_backup_last_success_timestamp_seconds{name=\"shop\"} %.3f\n",
      absl::ToDoubleSeconds(good.finished - absl::UnixEpoch()));
  EXPECT_THAT(metrics.str(), HasSubstr(expected_success));
  EXPECT_THAT(metrics.str(), HasSubstr("pgark_backup_last_success{name=\"shop\"} 0.000\n"));
  EXPECT_THAT(metrics.str(), HasSubstr("# TYPE pgark_backup_last_size_bytes gauge\n"));
  std::ifstream in2(config.summary_file);
  json = nlohmann::json::parse(in2);
  EXPECT_EQ(json["result"], "failed");
  EXPECT_EQ(json["failed_step"], "dump");
  EXPECT_THAT(json["error"].get<std::string>(), HasSubstr("boom"));
}

}  // namespace
}  // namespace pgark::ops
