#pragma once
// Process-wide cancellation: the CLI's SIGINT/SIGTERM handler requests it, long-running
// loops poll it and stop with kCancelled (exit 130). Async-signal-safe to request.
//
// Signals: the first one requests cancellation (the command stops and cleans up); a second
// one ends the process at once with exit 130, after cancelling every registered server
// statement (SignalCancelTarget), unless a CleanupGuard is alive: then the second one only
// says what is still being cleaned up, and a third one ends the process, naming what it
// leaves behind.

#include <atomic>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pgark::base {

// Marks the process as cancelled. Safe to call from a signal handler.
void RequestCancel();
// True once RequestCancel() was called.
bool CancelRequested();
// Tests that request cancellation in-process call this when done, so that the tests after
// them in the same process (a whole binary run by hand) are not cancelled too. Not for
// production code: a real interrupt is never taken back.
void ResetCancelForTesting();
// kCancelled("interrupted") if cancellation was requested, else OK.
absl::Status CheckCancelled();
// True when `status` is kCancelled and cancellation was requested: work the interrupt cut
// short (a cancelled statement, a read cut by its progress callback), whose own message is a
// consequence of the interrupt, not its cause.
bool StoppedByCancel(const absl::Status& status);
// Installs SIGINT and SIGTERM handlers that call RequestCancel() (see above for a second
// signal). Also ignores SIGPIPE and SIGXFSZ, so a closed pipe or a file-size limit is an
// ordinary write error.
void InstallCancelSignalHandlers();

// For work blocked in the server (a long COPY or CREATE INDEX) that no loop polls: calls
// `on_cancel` once, from its own thread, when cancellation is requested while the watcher
// lives (checked every 50 ms), typically to cancel the running queries. The destructor
// stops and joins the thread without calling it.
class CancelWatcher {
 public:
  explicit CancelWatcher(std::function<void()> on_cancel);
  ~CancelWatcher();
  CancelWatcher(const CancelWatcher&) = delete;
  CancelWatcher& operator=(const CancelWatcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// A server session the signal handler cancels before it ends the process, so that no
// statement of ours (a COPY, an index build) runs on in the server after pgark is gone.
// `cancel(arg)` must be async-signal-safe (libpq's PQcancel is). At most 64 are registered
// at once; beyond that a target is silently not registered. Thread-safe.
class SignalCancelTarget {
 public:
  SignalCancelTarget(void (*cancel)(void*), void* arg);
  // After it returns the handler no longer uses `arg` (while the handler is ending the
  // process, it does not return).
  ~SignalCancelTarget();
  SignalCancelTarget(const SignalCancelTarget&) = delete;
  SignalCancelTarget& operator=(const SignalCancelTarget&) = delete;

 private:
  int slot_ = -1;
};

// Cleanup that must not be cut short by a second signal (dropping a scratch database,
// putting triggers back): while one is alive, a second signal prints "pgark: <doing> first
// (signal again to quit now and leave <left>)" and the cleanup goes on; a third signal ends
// the process and prints "pgark: quit: left <left>". The texts are copied (up to 400 bytes
// each). Guards nest (the innermost one's texts are printed); at most 8 at once.
class CleanupGuard {
 public:
  CleanupGuard(absl::string_view doing, absl::string_view left);
  ~CleanupGuard();
  CleanupGuard(const CleanupGuard&) = delete;
  CleanupGuard& operator=(const CleanupGuard&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace pgark::base
