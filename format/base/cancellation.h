#pragma once
// Process-wide cancellation: the CLI's SIGINT/SIGTERM handler requests it, long-running
// loops poll it and stop with kCancelled (exit 130). Async-signal-safe to request.

#include <atomic>
#include <functional>
#include <thread>

#include "absl/status/status.h"

namespace pgark::base {

// Marks the process as cancelled. Safe to call from a signal handler.
void RequestCancel();
// True once RequestCancel() was called.
bool CancelRequested();
// kCancelled("interrupted") if cancellation was requested, else OK.
absl::Status CheckCancelled();
// Installs SIGINT and SIGTERM handlers that call RequestCancel(); a second signal
// ends the process at once with exit code 130. Also ignores SIGPIPE and SIGXFSZ, so a
// closed pipe or a file-size limit is an ordinary write error.
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

}  // namespace pgark::base
