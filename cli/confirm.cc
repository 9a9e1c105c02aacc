#include "cli/confirm.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pgark::cli {

ConfirmCallback TerminalConfirmation(bool yes, const std::string& action) {
  if (yes || !isatty(STDIN_FILENO)) return nullptr;
  return [action](const engine::restore::DatabaseDescription& description) -> absl::Status {
    std::fprintf(stderr, "%s%s. Continue? [y/N] ", description.ToText().c_str(), action.c_str());
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) answer.clear();
    answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
    if (answer == "y" || answer == "yes") return absl::OkStatus();
    return absl::CancelledError(absl::StrCat("'", description.name,
                                             "': declined at the confirmation prompt; nothing was changed"));
  };
}

}  // namespace pgark::cli
