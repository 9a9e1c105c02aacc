#include "engine/ops/backup_run.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/naming.h"
#include "engine/ops/run_lock.h"
#include "engine/ops/sidecar.h"
#include "engine/storage/file/file_storage.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::ops {
namespace {

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kAborted ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

// 5 s, 10 s, 20 s, ... capped at 2 minutes.
absl::Duration Backoff(int attempt) {
  return std::min(absl::Seconds(5) * (1 << std::min(attempt, 10)), absl::Minutes(2));
}

// Streams one dump to the primary (hashed) and, when configured, to the second root. A
// failure of the second root stops writing there and is reported afterwards; it never
// fails the primary.
class TeeWriter : public storage::ObjectWriter {
 public:
  TeeWriter(std::unique_ptr<HashingWriter> primary, std::unique_ptr<storage::ObjectWriter> copy)
      : primary_(std::move(primary)), copy_(std::move(copy)) {}

  absl::Status Append(absl::string_view data) override {
    PGARK_RETURN_IF_ERROR(primary_->Append(data));
    if (copy_ != nullptr) {
      copy_status_ = copy_->Append(data);
      if (!copy_status_.ok()) copy_.reset();  // aborts the copy's upload / temp file
    }
    return absl::OkStatus();
  }
  // Idempotent: a dump engine that publishes its sink itself (engine::RunDump closes it on
  // success) and the run closing it afterwards must not close the storage writer twice.
  absl::Status Close() override {
    if (closed_) return close_status_;
    closed_ = true;
    close_status_ = primary_->Close();
    if (!close_status_.ok()) return close_status_;
    if (copy_ != nullptr) {
      copy_status_ = copy_->Close();
      copy_.reset();
    }
    return absl::OkStatus();
  }
  uint64_t bytes_written() const override { return primary_->bytes_written(); }

  const std::string& sha256_hex() const { return primary_->sha256_hex(); }
  const absl::Status& copy_status() const { return copy_status_; }

 private:
  std::unique_ptr<HashingWriter> primary_;
  std::unique_ptr<storage::ObjectWriter> copy_;
  absl::Status copy_status_;
  bool closed_ = false;
  absl::Status close_status_;
};

class Run {
 public:
  Run(const BackupConfig& config, absl::Time backup_time, RunEnvironment& env)
      : config_(config), env_(env) {
    summary_.name = config.name;
    summary_.root = env.primary->DisplayName();
    if (env.copy_to != nullptr) summary_.copy_to = env.copy_to->DisplayName();
    summary_.started = absl::Now();
    summary_.backup_time = backup_time;
    summary_.verify_mode = std::string(VerifyModeName(config.verify));
    file_name_ = BackupFileName(config.name, backup_time, config.format);
    daily_key_ = TierKey(Tier::kDaily, file_name_);
  }

  RunSummary Execute() {
    std::unique_ptr<RunLock> lock;
    bool locked = Step("lock", [&](StepRecord& step) -> absl::Status {
      if (env_.lock_dir.empty()) {
        step.status = "skipped";
        return absl::OkStatus();
      }
      // The wall clock, not backup_time: a refused run tells when this one really started.
      PGARK_ASSIGN_OR_RETURN(lock, RunLock::Acquire(env_.lock_dir, config_.name));
      if (!lock->takeover_note().empty()) {
        step.status = "warning";
        step.detail = lock->takeover_note();
        PGARK_LOG(kWarning) << lock->takeover_note();
      }
      return absl::OkStatus();
    });
    if (locked) {
      bool ready = Step("space", [&](StepRecord& step) { return CheckSpace(step); });
      bool dumped = ready && Step("dump", [&](StepRecord& step) { return Dump(step); });
      if (dumped) {
        summary_.file_name = file_name_;
        bool sidecar = Step("sidecar", [&](StepRecord& step) {
          step.bytes = summary_.size_bytes;
          return WriteSidecar(*env_.primary, file_name_, summary_.sha256_hex, {daily_key_});
        });
        bool verified = sidecar && Step("verify", [&](StepRecord& step) { return Verify(step); });
        summary_.verified = verified;
        if (verified) {
          Step("tiers", [&](StepRecord& step) { return Tiers(*env_.primary, step); });
        } else {
          Skip("tiers", "the backup is not verified: it stays in daily/ only");
        }
        if (env_.copy_to != nullptr) {
          copy_ok_ = Step("copy", [&](StepRecord& step) { return CopyRoot(step); });
        }
        Step("prune", [&](StepRecord& step) { return Prune(step); });
      }
    }
    lock.reset();
    summary_.finished = absl::Now();
    summary_.exit_code = env_.exit_code_for ? env_.exit_code_for(summary_.status)
                                            : (summary_.status.ok() ? 0 : 1);
    Notify();
    summary_.finished = absl::Now();
    absl::Status records = WriteRunRecords(config_, summary_);
    if (!records.ok()) {
      PGARK_LOG(kWarning) << "writing the run records: " << records.message();
    }
    return summary_;
  }

 private:
  // Runs one step: times it, logs one line, records it. The first failure becomes the
  // run's status. Returns true if the step succeeded.
  template <typename Fn>
  bool Step(const std::string& name, Fn fn) {
    StepRecord step;
    step.name = name;
    step.status = "ok";
    absl::Time start = absl::Now();
    absl::Status status = fn(step);
    step.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!status.ok()) {
      step.status = "failed";
      step.detail = std::string(status.message());
      if (summary_.status.ok()) {
        summary_.status = base::Annotate(status, absl::StrCat(name, " step"));
        summary_.failed_step = name;
      }
    }
    Log(step);
    summary_.steps.push_back(step);
    return status.ok();
  }

  void Skip(const std::string& name, const std::string& why) {
    StepRecord step{name, "skipped", 0, 0, why};
    Log(step);
    summary_.steps.push_back(step);
  }

  void Log(const StepRecord& step) {
    std::string line = absl::StrFormat("backup %s: step %s %s in %.1f s", config_.name, step.name,
                                       step.status, step.seconds);
    if (step.bytes > 0) absl::StrAppend(&line, ", ", HumanBytes(step.bytes));
    if (!step.detail.empty()) absl::StrAppend(&line, ": ", step.detail);
    if (step.status == "failed") {
      PGARK_LOG(kError) << line;
    } else if (step.status == "warning") {
      PGARK_LOG(kWarning) << line;
    } else {
      PGARK_LOG(kInfo) << line;
    }
    if (env_.log_line) env_.log_line(absl::StrCat(FormatUtc(absl::Now()), " ", line));
  }

  // Temp files of killed writers (kill -9, power cut) hold space until someone removes them:
  // the provably stale ones of a local root go now (FileStorage::RemoveStaleTemps says what
  // "provably" means; a live writer's file is never touched). Never fails the run.
  void SweepStaleTemps(storage::Storage& root, StepRecord& step) {
    auto* files = dynamic_cast<storage::FileStorage*>(&root);
    if (files == nullptr) return;
    absl::StatusOr<storage::FileStorage::TempSweep> sweep = files->RemoveStaleTemps();
    if (!sweep.ok()) {
      PGARK_LOG(kWarning) << "backup " << config_.name << ": cleaning stale temp files: " << sweep.status().message();
      return;
    }
    for (const std::string& path : sweep->stale) {
      PGARK_LOG(kWarning) << "backup " << config_.name << ": removed stale temp file '" << path
                          << "' (left by a writer that died on this host)";
    }
    for (const std::string& path : sweep->unproven) {
      PGARK_LOG(kWarning) << "backup " << config_.name << ": left temp file '" << path
                          << "' alone (written on another host or by pgark before 2026-11-24): remove it if no "
                             "pgark is writing it";
    }
    if (!sweep->stale.empty()) {
      absl::StrAppend(&step.detail, step.detail.empty() ? "" : "; ", "removed ", sweep->stale.size(),
                      " stale temp file(s) on ", root.DisplayName());
    }
  }

  absl::Status CheckSpace(StepRecord& step) {
    SweepStaleTemps(*env_.primary, step);
    if (env_.copy_to != nullptr) SweepStaleTemps(*env_.copy_to, step);
    PGARK_ASSIGN_OR_RETURN(listing_, ListRoot(*env_.primary, config_.name));
    if (!env_.free_bytes) {
      step.status = "skipped";
      return absl::OkStatus();
    }
    std::optional<uint64_t> previous;
    for (const ListedBackup& backup : listing_.backups) {
      if (backup.format == config_.format) {
        previous = backup.size;
        break;
      }
    }
    std::optional<uint64_t> database;
    if (!previous.has_value() && env_.database_bytes) {
      auto size = env_.database_bytes();
      if (size.ok()) database = *size;
    }
    uint64_t estimate = EstimateArchiveSize(previous, database, config_.compress);
    PGARK_ASSIGN_OR_RETURN(uint64_t free_bytes, env_.free_bytes());
    step.bytes = estimate;
    step.detail = absl::StrCat("estimated ", HumanBytes(estimate), ", free ", HumanBytes(free_bytes));
    if (free_bytes < estimate) {
      return absl::ResourceExhaustedError(
          absl::StrCat("not enough free space on ", env_.primary->DisplayName(), ": the archive is "
                       "estimated at ", HumanBytes(estimate), " and only ", HumanBytes(free_bytes),
                       " are free (set PGARK_CHECK_FREE_SPACE=false to skip this check)"));
    }
    return absl::OkStatus();
  }

  absl::Status Dump(StepRecord& step) {
    storage::WriteOptions options;
    if (!listing_.backups.empty()) options.expected_size = listing_.backups.front().size;
    for (int attempt = 0;; ++attempt) {
      PGARK_ASSIGN_OR_RETURN(auto primary, env_.primary->NewWriter(daily_key_, options));
      std::unique_ptr<storage::ObjectWriter> copy;
      absl::Status copy_open;
      if (env_.copy_to != nullptr) {
        auto opened = env_.copy_to->NewWriter(daily_key_, options);
        if (opened.ok()) {
          copy = std::move(*opened);
        } else {
          copy_open = opened.status();
        }
      }
      TeeWriter tee(std::make_unique<HashingWriter>(std::move(primary)), std::move(copy));
      absl::Status status = env_.dump(config_, tee);
      if (status.ok()) status = tee.Close();  // no-op if the dump closed it already
      if (status.ok()) {
        summary_.size_bytes = tee.bytes_written();
        summary_.sha256_hex = tee.sha256_hex();
        step.bytes = summary_.size_bytes;
        copy_stream_status_ = copy_open.ok() ? tee.copy_status() : copy_open;
        return absl::OkStatus();
      }
      // `tee` goes out of scope unclosed: the storage discards the partial object.
      if (!IsTransient(status) || attempt >= config_.retries) {
        if (attempt > 0) status = base::Annotate(status, absl::StrCat("after ", attempt + 1, " attempts"));
        return status;
      }
      absl::Duration wait = Backoff(attempt);
      PGARK_LOG(kWarning) << "dump attempt " << attempt + 1 << " failed (" << status.message()
                          << "); retrying in " << absl::FormatDuration(wait);
      if (env_.sleep) {
        env_.sleep(wait);
      } else {
        absl::SleepFor(wait);
      }
    }
  }

  absl::Status Verify(StepRecord& step) {
    step.bytes = summary_.size_bytes;
    if (config_.verify == VerifyMode::kChecksum) {
      PGARK_ASSIGN_OR_RETURN(ObjectDigest digest, HashObject(*env_.primary, daily_key_));
      if (digest.sha256_hex != summary_.sha256_hex || digest.size != summary_.size_bytes) {
        return absl::DataLossError(absl::StrCat(
            "checksum mismatch: ", daily_key_, " reads back as ", digest.size, " bytes with SHA-256 ",
            digest.sha256_hex, ", but ", summary_.size_bytes, " bytes with SHA-256 ",
            summary_.sha256_hex, " were written"));
      }
    } else {
      if (!env_.verify) {
        return absl::UnimplementedError(absl::StrCat(
            "PGARK_VERIFY=", VerifyModeName(config_.verify),
            " needs the verify engine, which is not built yet (PGARK_VERIFY=checksum works)"));
      }
      VerifyRequest request{&config_, env_.primary, daily_key_, summary_.sha256_hex, config_.verify};
      PGARK_RETURN_IF_ERROR(env_.verify(request));
    }
    record_ = VerifiedRecord{std::string(VerifyModeName(config_.verify)),
                             FormatUtc(absl::Now()), summary_.sha256_hex, ""};
    return WriteSmallObject(*env_.primary, VerifiedKey(file_name_), FormatVerifiedRecord(record_));
  }

  // Adds the weekly/monthly copies on `root` and rewrites its sidecar to list them.
  absl::Status Tiers(storage::Storage& root, StepRecord& step) {
    PGARK_ASSIGN_OR_RETURN(RootListing listing, ListRoot(root, config_.name));
    std::vector<BackupCopy> others;
    for (const BackupCopy& copy : listing.copies) {
      if (copy.file_name != file_name_) others.push_back(copy);
    }
    TierDecision decision = DecideTiers(summary_.backup_time, config_.weekly_day,
                                        config_.retain_weekly, config_.retain_monthly, others);
    PGARK_ASSIGN_OR_RETURN(std::vector<std::string> keys, AddTierCopies(root, file_name_, decision));
    step.detail = absl::StrCat("in ", absl::StrJoin(keys, ", ",
                                                    [](std::string* out, const std::string& key) {
                                                      out->append(key.substr(0, key.find('/')));
                                                    }));
    return WriteSidecar(root, file_name_, summary_.sha256_hex, keys);
  }

  absl::Status CopyRoot(StepRecord& step) {
    step.bytes = summary_.size_bytes;
    if (!copy_stream_status_.ok()) {
      return base::Annotate(copy_stream_status_,
                            absl::StrCat("streaming to ", env_.copy_to->DisplayName()));
    }
    PGARK_RETURN_IF_ERROR(
        WriteSidecar(*env_.copy_to, file_name_, summary_.sha256_hex, {daily_key_}));
    if (!summary_.verified) return absl::OkStatus();
    // The copy holds the very bytes that were verified on the primary (same SHA-256).
    VerifiedRecord record = record_;
    record.via = "primary";
    PGARK_RETURN_IF_ERROR(
        WriteSmallObject(*env_.copy_to, VerifiedKey(file_name_), FormatVerifiedRecord(record)));
    StepRecord unused;
    return Tiers(*env_.copy_to, unused);
  }

  absl::Status Prune(StepRecord& step) {
    PGARK_ASSIGN_OR_RETURN(PruneOutcome primary, PruneRoot(*env_.primary, config_, false));
    step.bytes = primary.removed_bytes;
    step.detail = absl::StrCat("removed ", primary.plan.remove.size(), " copies");
    if (primary.plan.protected_backup.has_value()) {
      absl::StrAppend(&step.detail, "; kept ", *primary.plan.protected_backup,
                      " (newest verified backup)");
    }
    size_t left_alone = primary.plan.left_alone.size();
    if (env_.copy_to != nullptr && copy_ok_) {
      PGARK_ASSIGN_OR_RETURN(PruneOutcome copy, PruneRoot(*env_.copy_to, config_, false));
      absl::StrAppend(&step.detail, "; ", copy.plan.remove.size(), " on the copy root");
      left_alone += copy.plan.left_alone.size();
    }
    // Files retention does not manage (no sidecar lists them, or dated in the future) are
    // named in the warnings PruneRoot logged; the step says so, so the run record, the log
    // file and a notification with PGARK_NOTIFY_ON=always carry it too.
    if (left_alone > 0) {
      absl::StrAppend(&step.detail, "; left ", left_alone,
                      " file(s) named like backups alone (no sidecar lists them, or dated in the future: see the warnings)");
      step.status = "warning";
    }
    if (env_.prune_more) {
      bool left = false;
      PGARK_ASSIGN_OR_RETURN(std::string note, env_.prune_more(&left));
      absl::StrAppend(&step.detail, "; ", note);
      if (left) step.status = "warning";
    }
    return absl::OkStatus();
  }

  void Notify() {
    if (env_.notifiers == nullptr || env_.notifiers->empty()) return;
    absl::Time start = absl::Now();
    summary_.notifications = notify::NotifyAll(*env_.notifiers, summary_, config_.notify_on);
    StepRecord step{"notify", "ok", absl::ToDoubleSeconds(absl::Now() - start), 0, ""};
    if (summary_.notifications.empty()) {
      step.status = "skipped";
      step.detail = "PGARK_NOTIFY_ON=failure and the run succeeded";
    }
    for (const NotificationRecord& record : summary_.notifications) {
      if (!record.ok) {
        // Recorded, logged, but never the run's result.
        step.status = "warning";
        absl::StrAppend(&step.detail, step.detail.empty() ? "" : "; ", record.channel, ": ",
                        record.error);
      }
    }
    Log(step);
    summary_.steps.push_back(step);
  }

  const BackupConfig& config_;
  RunEnvironment& env_;
  RunSummary summary_;
  std::string file_name_;
  std::string daily_key_;
  RootListing listing_;
  absl::Status copy_stream_status_;
  bool copy_ok_ = false;
  VerifiedRecord record_;
};

}  // namespace

engine::DumpOptions DumpOptionsFor(const BackupConfig& config) {
  engine::DumpOptions options;
  options.conninfo = config.database;
  options.jobs = config.jobs;
  options.lock_wait_timeout = config.lock_wait_timeout;
  options.lock_wait_timeout_setting = "PGARK_LOCK_WAIT_TIMEOUT";
  return options;
}

uint64_t EstimateArchiveSize(std::optional<uint64_t> previous_size,
                             std::optional<uint64_t> database_bytes, absl::string_view compress) {
  if (previous_size.has_value()) return *previous_size + *previous_size / 4;
  if (database_bytes.has_value()) {
    return compress == "none" ? *database_bytes : *database_bytes / 2;
  }
  return 0;
}

RunSummary RunBackup(const BackupConfig& config, absl::Time backup_time, RunEnvironment& env) {
  return Run(config, backup_time, env).Execute();
}

absl::Status WriteRunRecords(const BackupConfig& config, const RunSummary& summary) {
  absl::Status first;
  if (!config.summary_file.empty()) {
    first.Update(WriteFileAtomically(config.summary_file, SummaryToJson(summary)));
  }
  if (!config.metrics_file.empty()) {
    std::string previous;
    std::ifstream in(config.metrics_file);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      previous = text.str();
    }
    first.Update(WriteFileAtomically(config.metrics_file, MetricsText(summary, previous)));
  }
  return first;
}

}  // namespace pgark::ops
