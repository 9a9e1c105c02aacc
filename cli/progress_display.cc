// Shared by dump and restore: see progress_display.h.
#include "cli/progress_display.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace pgark::cli {

void AddProgressOption(CLI::App& app, std::string* mode) {
  app.add_option("--progress", *mode, "auto | always | never | json (default auto: a live line on a TTY)")
      ->check(CLI::IsMember({"auto", "always", "never", "json"}));
}

ProgressDisplay::ProgressDisplay(const std::string& mode, const engine::TransferProgress* progress)
    : progress_(progress) {
  if (mode == "json") {
    json_ = true;
  } else if (mode == "always" || (mode == "auto" && isatty(STDERR_FILENO))) {
    live_ = true;
  }
  if (json_ || live_) thread_ = std::thread([this] { Loop(); });
}

void ProgressDisplay::Stop() {
  if (!thread_.joinable()) return;
  done_.Notify();
  thread_.join();
  if (live_) std::fputs("\r\033[K", stderr);
}

void ProgressDisplay::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
  if (live_) std::fputs("\r\033[K", stderr);
}

void ProgressDisplay::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

void ProgressDisplay::Loop() {
  const absl::Time start = absl::Now();
  bool last = false;
  while (!last) {
    // JSON consumers also get the final state, however short the run.
    last = done_.WaitForNotificationWithTimeout(absl::Milliseconds(json_ ? 1000 : 250));
    if (last && !json_) break;
    absl::MutexLock lock(&mu_);
    if (paused_) continue;
    engine::TransferProgress::Snapshot s = progress_->Get();
    double seconds = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start));
    double rate = static_cast<double>(s.bytes_done) / seconds;
    double remaining = static_cast<double>(std::max<int64_t>(0, s.total_bytes_estimate - s.bytes_done));
    double eta = rate > 0 ? remaining / rate : -1;
    if (json_) {
      nlohmann::json line = {{"bytes_done", s.bytes_done},   {"bytes_estimate", s.total_bytes_estimate},
                             {"rows_done", s.rows_done},     {"stored_bytes", s.stored_bytes},
                             {"streams_done", s.streams_done}, {"streams_total", s.streams_total},
                             {"bytes_per_second", static_cast<int64_t>(rate)},
                             {"eta_seconds", static_cast<int64_t>(eta)}, {"elapsed_seconds", seconds}};
      if (!s.phase.empty()) {
        line["phase"] = s.phase;
        line["items_done"] = s.items_done;
        line["items_total"] = s.items_total;
      }
      nlohmann::json active = nlohmann::json::array();
      for (const auto& table : s.active) {
        active.push_back({{"table", table.name}, {"rows", table.rows}, {"bytes", table.bytes},
                          {"parts", table.parts}, {"parts_done", table.parts_done}});
      }
      line["active"] = std::move(active);
      std::fprintf(stderr, "%s\n", line.dump().c_str());
    } else {
      double percent = s.total_bytes_estimate > 0
                           ? std::min(99.0, 100.0 * static_cast<double>(s.bytes_done) /
                                                static_cast<double>(s.total_bytes_estimate))
                           : 0;
      std::string current = s.active.empty() ? "" : s.active.front().name;
      std::string eta_text = eta < 0 ? "--:--"
                                     : absl::StrFormat("%d:%02d", static_cast<int>(eta) / 60,
                                                       static_cast<int>(eta) % 60);
      std::string phase;
      if (!s.phase.empty()) {
        phase = s.items_total > 0 ? absl::StrFormat("%s %d/%d  ", s.phase, s.items_done, s.items_total)
                                  : absl::StrCat(s.phase, "  ");
      }
      std::fprintf(stderr, "\r\033[K%s[%3.0f%%] %s / ~%s  %s/s  ETA %s  %lld rows  %d/%d streams  %s",
                   phase.c_str(), percent, HumanBytes(static_cast<double>(s.bytes_done)).c_str(),
                   HumanBytes(static_cast<double>(s.total_bytes_estimate)).c_str(),
                   HumanBytes(rate).c_str(), eta_text.c_str(), static_cast<long long>(s.rows_done),
                   s.streams_done, s.streams_total, current.c_str());
    }
    std::fflush(stderr);
  }
}

}  // namespace pgark::cli
