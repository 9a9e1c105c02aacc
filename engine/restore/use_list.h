#pragma once
// -L/--use-list FILE: which catalog items a restore runs, as pg_restore -L (docs/restore.md
// "Selection"). The file is `pgark restore -l`'s listing, edited: every line that is not empty
// and does not start with ';' names an item by the number that begins it ("12; pre-data;
// EXTENSION - dblink -"); the rest of the line is not read. Leaving an item out is done by
// commenting its line (";12; ...") or deleting it. Unlike pg_restore, the order of the lines
// does not change the restore's order (dependencies decide it).
// Thread-safety: plain functions.

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::engine::restore {

// The item numbers (1-based, as -l prints them) of `text`. kInvalidArgument naming the line
// for a line that does not start with a number followed by ';' (or the line's end), or a
// number below 1.
absl::StatusOr<std::set<int>> ParseUseList(absl::string_view text);

// ParseUseList of the file at `path`, at most 64 MiB (a listing of ~1M items). kNotFound /
// kPermissionDenied when it cannot be read, kInvalidArgument when it is larger or malformed;
// errors name the file.
absl::StatusOr<std::set<int>> ReadUseList(const std::string& path);

}  // namespace pgark::engine::restore
