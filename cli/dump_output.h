#pragma once
// Runs the dump engine into a storage location (file, '-', s3://...) with a progress display:
// shared by `pgark dump` and `pgark dev save`.

#include <string>

#include "absl/status/statusor.h"
#include "engine/dump/dump_engine.h"
#include "engine/options.h"
#include "format/archive_writer.h"

namespace pgark::cli {

// Nothing appears under `location` until the archive is complete (temp file + rename, or a
// completed multipart upload); on failure nothing is left. An existing object is replaced
// only with `overwrite` (else kAlreadyExists mentioning --force). `progress_mode` as
// --progress.
absl::StatusOr<engine::DumpResult> DumpToLocation(const engine::DumpOptions& options,
                                                  const format::WriterOptions& writer_options,
                                                  const std::string& location, bool overwrite,
                                                  const std::string& progress_mode);

}  // namespace pgark::cli
