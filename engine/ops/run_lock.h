#pragma once
// engine/ops: the per-database lock that keeps two backup runs from overlapping.
//
// The lock is a file "<dir>/pgark-<name>.lock" held with flock(2): the kernel releases it
// when the holder exits, even on a crash, so a lock can never stay held by a dead process
// on a local filesystem. The file's content (pid, host, and when the holder took the lock by
// the wall clock, never a `--now` backup time) only serves messages:
// a second run is refused with
//   "another backup of <name> is running since <time>, pid <n>"   (kFailedPrecondition, exit 4)
// and a run that finds the content of a holder that died without cleaning up takes the
// lock over and reports it through `takeover_note` (the caller logs it as a warning).
//
// Thread-compatible: one RunLock per run.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pgark::ops {

class RunLock {
 public:
  // Takes the lock for backups of `name` in `dir` (which must exist), recording the wall
  // clock (absl::Now()) and the current pid. Errors: kFailedPrecondition (held by a running
  // process), kPermissionDenied / kNotFound (cannot create the file).
  static absl::StatusOr<std::unique_ptr<RunLock>> Acquire(const std::string& dir,
                                                          const std::string& name);
  // As above, recording `locked_at` as the time the lock was taken. It is what a refused run
  // prints ("running since ..."), so pass the real clock, not the time a backup is named
  // after (`pgark backup --now`); tests pass a fixed time.
  static absl::StatusOr<std::unique_ptr<RunLock>> Acquire(const std::string& dir,
                                                          const std::string& name,
                                                          absl::Time locked_at);
  // Releases the lock and empties the file (the file stays; see run_lock.cc).
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& path() const { return path_; }
  // Non-empty when a previous holder died without releasing: describes it.
  const std::string& takeover_note() const { return takeover_note_; }

 private:
  RunLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
  std::string takeover_note_;
};

}  // namespace pgark::ops
