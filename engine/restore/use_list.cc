#include "engine/restore/use_list.h"

#include <cerrno>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "format/base/status_util.h"

namespace pgark::engine::restore {

absl::StatusOr<std::set<int>> ParseUseList(absl::string_view text) {
  std::set<int> listed;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == ';') continue;
    const size_t semicolon = line.find(';');
    const absl::string_view head = absl::StripAsciiWhitespace(line.substr(0, semicolon));
    int item = 0;
    if (!absl::SimpleAtoi(head, &item) || item < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", number, ": '", line.substr(0, 60), "' does not start with an item number (as 'pgark restore -l' "
          "prints them; comment a line out with ';')"));
    }
    listed.insert(item);
  }
  return listed;
}

absl::StatusOr<std::set<int>> ReadUseList(const std::string& path) {
  constexpr std::streamsize kMaxBytes = std::streamsize{64} << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::ErrnoToStatus(errno, absl::StrCat("-L: cannot open list file '", path, "'"));
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<std::streamsize>(text.size()) > kMaxBytes) {
      return absl::InvalidArgumentError(absl::StrCat("-L: list file '", path, "' is larger than 64 MiB"));
    }
  }
  if (in.bad()) return base::ErrnoToStatus(errno, absl::StrCat("-L: cannot read list file '", path, "'"));
  absl::StatusOr<std::set<int>> listed = ParseUseList(text);
  if (!listed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("-L: list file '", path, "' ", listed.status().message()));
  }
  return listed;
}

}  // namespace pgark::engine::restore
