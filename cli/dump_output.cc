#include "cli/dump_output.h"

#include "absl/strings/str_cat.h"
#include "cli/progress_display.h"
#include "engine/archive_io.h"
#include "engine/storage/file/file_storage.h"
#include "engine/storage/storage_uri.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::cli {

absl::StatusOr<engine::DumpResult> DumpToLocation(const engine::DumpOptions& options,
                                                  const format::WriterOptions& writer_options,
                                                  const std::string& location, bool overwrite,
                                                  const std::string& progress_mode) {
  PGARK_ASSIGN_OR_RETURN(storage::StorageObject target,
                         storage::OpenStorageObject(location, storage::StorageOptions()));
  // A killed earlier dump of the same file leaves its temp file; say so (backup runs remove
  // them, see FileStorage::RemoveStaleTemps). Looking is best effort.
  if (auto* files = dynamic_cast<storage::FileStorage*>(target.storage.get())) {
    auto sweep = files->FindStaleTemps(target.key);
    if (sweep.ok()) {
      for (const std::string& path : sweep->stale) {
        PGARK_LOG(kWarning) << "stale temp file '" << path
                            << "' left by an earlier pgark that was killed (its process is gone): remove it";
      }
    }
  }
  storage::WriteOptions write;
  write.overwrite = overwrite;
  // A failed dump destroys the writer, which discards what it wrote.
  auto writer = target.storage->NewWriter(target.key, write);
  if (!writer.ok()) {
    // The --force hint only when the output exists (not on a 403 or a missing bucket).
    const bool exists = absl::IsAlreadyExists(writer.status());
    return base::Annotate(writer.status(), absl::StrCat("cannot create '", location, "'",
                                                        exists ? " (use --force to replace it)" : ""));
  }
  engine::ObjectSink sink(writer->get());
  engine::DumpProgress progress;
  ProgressDisplay display(progress_mode, &progress);
  absl::StatusOr<engine::DumpResult> result = engine::RunDump(options, writer_options, &sink, &progress);
  display.Stop();
  return result;
}

}  // namespace pgark::cli
