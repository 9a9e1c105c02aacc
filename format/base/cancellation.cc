#include "format/base/cancellation.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <utility>

namespace pgark::base {
namespace {

std::atomic<bool> g_cancelled{false};
static_assert(std::atomic<bool>::is_always_lock_free, "needed in a signal handler");
std::atomic<int> g_signals{0};
// Set by the handler before it cancels the targets and ends the process.
std::atomic<bool> g_exiting{false};

// A slot is free (0), being filled or emptied (1), or live (2). The handler reads only live
// slots; ~SignalCancelTarget marks its slot 1 and then checks g_exiting, the handler sets
// g_exiting and then reads the slots (both sequentially consistent): either the handler sees
// the slot no longer live, or the destructor sees the handler running and never frees `arg`.
struct TargetSlot {
  std::atomic<int> state{0};
  void (*cancel)(void*) = nullptr;
  void* arg = nullptr;
};
constexpr int kTargetSlots = 64;
TargetSlot g_targets[kTargetSlots];

constexpr size_t kGuardText = 400;
struct GuardSlot {
  std::atomic<int> state{0};
  std::atomic<uint64_t> order{0};
  char doing[kGuardText] = {};
  char left[kGuardText] = {};
};
constexpr int kGuardSlots = 8;
GuardSlot g_guards[kGuardSlots];
std::atomic<uint64_t> g_guard_order{0};

void WriteText(const char* text) {
  size_t left = strlen(text);
  while (left > 0) {
    ssize_t n = write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

const GuardSlot* InnermostGuard() {
  const GuardSlot* innermost = nullptr;
  for (const GuardSlot& guard : g_guards) {
    if (guard.state.load() != 2) continue;
    if (innermost == nullptr || guard.order.load() > innermost->order.load()) innermost = &guard;
  }
  return innermost;
}

void HandleSignal(int) {
  const int count = g_signals.fetch_add(1) + 1;
  g_cancelled.store(true);
  if (count == 1) {
    WriteText("pgark: interrupted, cleaning up (signal again to quit now)\n");
    return;
  }
  const GuardSlot* guard = InnermostGuard();
  if (guard != nullptr && count == 2) {
    WriteText("pgark: ");
    WriteText(guard->doing);
    WriteText(" first (signal again to quit now and leave ");
    WriteText(guard->left);
    WriteText(")\n");
    return;
  }
  if (guard != nullptr) {
    WriteText("pgark: quit: left ");
    WriteText(guard->left);
    WriteText("\n");
  }
  // The user insists: cancel what our sessions run in the server (a COPY, an index build
  // would otherwise run on after we are gone), then end at once.
  g_exiting.store(true);
  for (TargetSlot& target : g_targets) {
    if (target.state.load() == 2) target.cancel(target.arg);
  }
  _exit(130);
}

// Takes a free slot of `slots`, fills it while no handler reads it, and publishes it; -1 when
// all are taken.
template <typename Slot, size_t N, typename Fill>
int ClaimSlot(Slot (&slots)[N], Fill fill) {
  for (size_t i = 0; i < N; ++i) {
    int expected = 0;
    if (!slots[i].state.compare_exchange_strong(expected, 1)) continue;
    fill(slots[i]);
    slots[i].state.store(2);
    return static_cast<int>(i);
  }
  return -1;
}

// Unpublishes slot `index`; never returns while the handler is ending the process (it may
// be reading the slot).
template <typename Slot, size_t N>
void ReleaseSlot(Slot (&slots)[N], int index) {
  if (index < 0) return;
  slots[index].state.store(1);
  while (g_exiting.load()) pause();
  slots[index].state.store(0);
}

void CopyText(char* out, absl::string_view text) {
  const size_t n = std::min(text.size(), kGuardText - 1);
  memcpy(out, text.data(), n);
  out[n] = '\0';
}

}  // namespace

void RequestCancel() { g_cancelled.store(true); }
bool CancelRequested() { return g_cancelled.load(std::memory_order_relaxed); }
void ResetCancelForTesting() {
  g_cancelled.store(false);
  g_signals.store(0);
}

bool StoppedByCancel(const absl::Status& status) {
  return status.code() == absl::StatusCode::kCancelled && CancelRequested();
}

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

SignalCancelTarget::SignalCancelTarget(void (*cancel)(void*), void* arg) {
  slot_ = ClaimSlot(g_targets, [&](TargetSlot& target) {
    target.cancel = cancel;
    target.arg = arg;
  });
}

// The handler may be using `arg` right now; it ends the process when done.
SignalCancelTarget::~SignalCancelTarget() { ReleaseSlot(g_targets, slot_); }

CleanupGuard::CleanupGuard(absl::string_view doing, absl::string_view left) {
  slot_ = ClaimSlot(g_guards, [&](GuardSlot& guard) {
    CopyText(guard.doing, doing);
    CopyText(guard.left, left);
    guard.order.store(g_guard_order.fetch_add(1) + 1);
  });
}

// A handler reading the texts right now ends the process; the slot is reused only after.
CleanupGuard::~CleanupGuard() { ReleaseSlot(g_guards, slot_); }

}  // namespace pgark::base
