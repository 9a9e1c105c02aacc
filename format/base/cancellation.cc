#include "format/base/cancellation.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <utility>

namespace pgark::base {
namespace {

std::atomic<bool> g_cancelled{false};
static_assert(std::atomic<bool>::is_always_lock_free, "needed in a signal handler");

void HandleSignal(int) {
  if (g_cancelled.exchange(true)) _exit(130);  // second signal: the user insists
  static const char kMessage[] = "pgark: interrupted, cleaning up (signal again to quit now)\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
}

}  // namespace

void RequestCancel() { g_cancelled.store(true); }
bool CancelRequested() { return g_cancelled.load(std::memory_order_relaxed); }

absl::Status CheckCancelled() {
  return CancelRequested() ? absl::CancelledError("interrupted") : absl::OkStatus();
}

void InstallCancelSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = HandleSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed pipe (pgark dump -f - | head) must surface as EPIPE, not kill us silently.
  signal(SIGPIPE, SIG_IGN);
  // Likewise a file-size limit (ulimit -f) must surface as EFBIG (exit 6, temp file
  // removed) rather than kill us with a core dump and leave the temp file behind.
  signal(SIGXFSZ, SIG_IGN);
}

CancelWatcher::CancelWatcher(std::function<void()> on_cancel)
    : thread_([this, on_cancel = std::move(on_cancel)] {
        while (!done_.load()) {
          if (CancelRequested()) {
            on_cancel();
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }) {}

CancelWatcher::~CancelWatcher() {
  done_.store(true);
  thread_.join();
}

}  // namespace pgark::base
