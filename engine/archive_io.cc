#include "engine/archive_io.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/storage/storage_uri.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {

absl::StatusOr<OpenedArchive> OpenArchiveForRead(const std::string& location) {
  OpenedArchive opened;
  PGARK_ASSIGN_OR_RETURN(storage::StorageObject object,
                         storage::OpenStorageObject(location, storage::StorageOptions{}));
  opened.storage = std::move(object.storage);
  opened.random_access = opened.storage->features().random_read;
  opened.local = opened.storage->features().local_read;
  opened.display_name = location;
  auto reader = opened.storage->NewReader(object.key);
  if (!reader.ok()) {
    // Storage errors usually name the object already ("opening './x.pgark': ...",
    // "s3://b/x.pgark does not exist"): name it only when one does not, so it is said once.
    if (!object.key.empty() && absl::StrContains(reader.status().message(), object.key)) {
      return reader.status();
    }
    return base::Annotate(reader.status(), absl::StrCat("opening '", location, "'"));
  }
  opened.reader = *std::move(reader);
  opened.source = std::make_unique<ObjectSource>(opened.reader.get());
  return opened;
}

}  // namespace pgark::engine
