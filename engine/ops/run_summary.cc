#include "engine/ops/run_summary.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <optional>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/ops/naming.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::ops {
namespace {

std::string EscapeLabel(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// The value of `metric{...}` in a previous metrics file, if present.
std::optional<double> PreviousValue(const std::string& text, absl::string_view metric) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, metric) || line.empty() || (line[0] != '{' && line[0] != ' ')) {
      continue;
    }
    size_t space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", value, units[unit]);
}

std::string SummaryToJson(const RunSummary& summary) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepRecord& step : summary.steps) {
    nlohmann::json s = {{"name", step.name},
                        {"status", step.status},
                        {"seconds", std::round(step.seconds * 1000) / 1000},
                        {"bytes", step.bytes}};
    if (!step.detail.empty()) s["detail"] = step.detail;
    steps.push_back(std::move(s));
  }
  nlohmann::json notifications = nlohmann::json::array();
  for (const NotificationRecord& n : summary.notifications) {
    nlohmann::json record = {{"channel", n.channel}, {"ok", n.ok}};
    if (!n.error.empty()) record["error"] = n.error;
    notifications.push_back(std::move(record));
  }
  nlohmann::json json = {
      {"name", summary.name},
      {"result", summary.ok() ? "ok" : "failed"},
      {"exit_code", summary.exit_code},
      {"file", summary.file_name},
      {"root", summary.root},
      {"backup_time", FormatUtc(summary.backup_time)},
      {"started_at", FormatUtc(summary.started)},
      {"finished_at", FormatUtc(summary.finished)},
      {"duration_seconds", std::round(summary.duration_seconds() * 1000) / 1000},
      {"size_bytes", summary.size_bytes},
      {"sha256", summary.sha256_hex},
      {"verify_mode", summary.verify_mode},
      {"verified", summary.verified},
      {"steps", steps},
      {"notifications", notifications},
  };
  if (!summary.copy_to.empty()) json["copy_to"] = summary.copy_to;
  if (!summary.ok()) {
    json["failed_step"] = summary.failed_step;
    json["error"] = std::string(summary.status.message());
  }
  return json.dump(2) + "\n";
}

std::string NotificationSubject(const RunSummary& summary) {
  if (summary.ok()) {
    return absl::StrCat("pgark backup of ", summary.name, " ok (", HumanBytes(summary.size_bytes),
                        ")");
  }
  return absl::StrCat("pgark backup of ", summary.name, " FAILED at ", summary.failed_step, ": ",
                      summary.status.message());
}

std::string NotificationText(const RunSummary& summary) {
  std::string text = absl::StrCat(
      "database: ", summary.name, "\nresult: ", summary.ok() ? "ok" : "FAILED",
      "\nbackup: ", summary.file_name.empty() ? "(none)" : summary.file_name,
      "\nroot: ", summary.root, "\nsize: ", HumanBytes(summary.size_bytes),
      absl::StrFormat("\nduration: %.1f s", summary.duration_seconds()),
      "\nverified: ", summary.verified ? absl::StrCat("yes (", summary.verify_mode, ")") : "no");
  if (!summary.copy_to.empty()) absl::StrAppend(&text, "\ncopy to: ", summary.copy_to);
  if (!summary.ok()) {
    absl::StrAppend(&text, "\nfailed step: ", summary.failed_step,
                    "\nerror: ", summary.status.message());
  }
  absl::StrAppend(&text, "\nsteps:");
  for (const StepRecord& step : summary.steps) {
    absl::StrAppend(&text, absl::StrFormat("\n  %-8s %-7s %7.1f s", step.name, step.status,
                                           step.seconds));
    if (step.bytes > 0) absl::StrAppend(&text, "  ", HumanBytes(step.bytes));
    if (!step.detail.empty()) absl::StrAppend(&text, "  ", step.detail);
  }
  return text + "\n";
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string temp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return base::ErrnoToStatus(errno, absl::StrCat("creating '", temp, "'"));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t wrote = write(fd, text.data() + done, text.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      close(fd);
      unlink(temp.c_str());
      return base::ErrnoToStatus(error, absl::StrCat("writing '", temp, "'"));
    }
    done += static_cast<size_t>(wrote);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    int error = errno;
    unlink(temp.c_str());
    return base::ErrnoToStatus(error, absl::StrCat("flushing '", temp, "'"));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    unlink(temp.c_str());
    return base::ErrnoToStatus(error, absl::StrCat("renaming '", temp, "' to '", path, "'"));
  }
  return absl::OkStatus();
}

std::string MetricsText(const RunSummary& summary, const std::string& previous_text) {
  std::string labels = absl::StrCat("{name=\"", EscapeLabel(summary.name), "\"}");
  double last_success = 0;
  if (summary.ok()) {
    last_success = absl::ToDoubleSeconds(summary.finished - absl::UnixEpoch());
  } else {
    last_success = PreviousValue(previous_text, "pgark_backup_last_success_timestamp_seconds")
                       .value_or(0);
  }
  std::string out;
  auto metric = [&](absl::string_view name, absl::string_view type, absl::string_view help,
                    double value) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name,
                    labels, " ", absl::StrFormat("%.3f", value), "\n");
  };
  metric("pgark_backup_last_success_timestamp_seconds", "gauge",
         "Unix time the last successful backup run finished (0 = never).", last_success);
  metric("pgark_backup_last_run_timestamp_seconds", "gauge",
         "Unix time the last backup run finished.",
         absl::ToDoubleSeconds(summary.finished - absl::UnixEpoch()));
  metric("pgark_backup_last_success", "gauge", "1 if the last backup run succeeded, else 0.",
         summary.ok() ? 1 : 0);
  metric("pgark_backup_last_duration_seconds", "gauge", "Duration of the last backup run.",
         summary.duration_seconds());
  metric("pgark_backup_last_size_bytes", "gauge", "Size of the last backup archive.",
         static_cast<double>(summary.size_bytes));
  metric("pgark_backup_last_verified", "gauge", "1 if the last backup passed verification.",
         summary.verified ? 1 : 0);
  return out;
}

}  // namespace pgark::ops
