#pragma once
// Process-wide cancellation: the CLI's SIGINT/SIGTERM handler requests it, long-running
// loops poll it and stop with kCancelled (exit 130). Async-signal-safe to request.

#include "absl/status/status.h"

namespace pgark::base {

// Marks the process as cancelled. Safe to call from a signal handler.
void RequestCancel();
// True once RequestCancel() was called.
bool CancelRequested();
// kCancelled("interrupted") if cancellation was requested, else OK.
absl::Status CheckCancelled();
// Installs SIGINT and SIGTERM handlers that call RequestCancel(); a second signal
// ends the process at once with exit code 130. Also ignores SIGPIPE and SIGXFSZ, so a
// closed pipe or a file-size limit is an ordinary write error.
void InstallCancelSignalHandlers();

}  // namespace pgark::base
