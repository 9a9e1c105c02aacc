#include "format/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace pgark::base {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

absl::string_view Prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "pgark: debug: ";
    case LogLevel::kWarning:
      return "pgark: warning: ";
    case LogLevel::kError:
      return "pgark: error: ";
    default:
      return "pgark: ";
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void LogLine(LogLevel level, absl::string_view message) {
  if (!LogEnabled(level)) return;
  std::string line(Prefix(level));
  line.append(message.data(), message.size());
  line.push_back('\n');
  // One write per line keeps lines from concurrent threads whole.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stderr is gone; nothing sensible left to do
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace pgark::base
