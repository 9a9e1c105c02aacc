#pragma once
// The confirmation question before a restore replaces or drops a database's contents
// (docs/restore.md "Confirmation").

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "engine/restore/database_description.h"

namespace pgark::cli {

using ConfirmCallback = std::function<absl::Status(const engine::restore::DatabaseDescription&)>;

// The callback for RestoreOptions::confirm. Empty (no question) when `yes` is set or stdin
// is not a terminal: then the restore never waits and its own safety rules decide.
// Otherwise the callback prints the description and `action` on stderr and reads one line
// from stdin; "y" or "yes" (any case) continues, anything else (or end of input) returns
// kCancelled "... declined at the confirmation prompt; nothing was changed".
ConfirmCallback TerminalConfirmation(bool yes, const std::string& action);

}  // namespace pgark::cli
