#pragma once
// A small leveled logger: human-readable lines on stderr.
//
// Debian 12's Abseil has no absl/log, hence this. Thread-safe: each line is
// written with one write(2) call, so lines from several threads never interleave.
// Never pass secrets (passphrases, keys, passwords, full conninfo strings): use
// pg::RedactConninfo() and friends before logging anything that may hold one.
//
//   PGARK_LOG(kInfo) << "dumped " << rows << " rows of '" << table << "'";
//   PGARK_LOG(kDebug) << "...";   // printed with -v

#include <sstream>
#include <string>
#include "absl/strings/string_view.h"

namespace pgark::base {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kQuiet = 4 };

// Messages below `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// Writes "pgark: <level prefix><message>\n" to stderr if `level` is enabled.
void LogLine(LogLevel level, absl::string_view message);

// Collects one line and emits it on destruction.
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace pgark::base

#define PGARK_LOG(level)                                                      \
  if (!::pgark::base::LogEnabled(::pgark::base::LogLevel::level)) {           \
  } else                                                                      \
    ::pgark::base::LogMessage(::pgark::base::LogLevel::level).stream()
