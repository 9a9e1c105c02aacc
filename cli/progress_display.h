#pragma once
// The progress display of `pgark dump` and `pgark restore` (--progress auto|always|never|json):
// renders engine::TransferProgress on stderr, a live line on a TTY ("auto"/"always"), one
// JSON object per second ("json"), or nothing ("never", or "auto" without a TTY).
// Owns one thread between construction and Stop() (or destruction).

#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "engine/progress.h"

namespace CLI {
class App;
}

namespace pgark::cli {

using engine::HumanBytes;

// --progress MODE (auto | always | never | json), default "auto".
void AddProgressOption(CLI::App& app, std::string* mode);

class ProgressDisplay {
 public:
  // `progress` is borrowed and must outlive this display.
  ProgressDisplay(const std::string& mode, const engine::TransferProgress* progress);
  ~ProgressDisplay() { Stop(); }
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  // Stops the thread and clears the live line. Idempotent.
  void Stop();
  // While paused nothing is printed (a question is being asked on the terminal); Pause
  // clears the live line and returns after any line being printed is complete.
  void Pause();
  void Resume();

 private:
  void Loop();

  const engine::TransferProgress* progress_;
  bool json_ = false;
  bool live_ = false;
  absl::Notification done_;
  absl::Mutex mu_;  // held while printing
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace pgark::cli
