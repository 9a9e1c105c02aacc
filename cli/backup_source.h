#pragma once
// `pgark restore --config F NAME`: backup names resolved through a backup configuration's
// roots (engine/ops/backup_name.h), so an operator never types paths in a crisis.

#include <string>

#include "absl/status/status.h"
#include "cli/cli_common.h"

namespace pgark::cli {

// With `config_file` empty: does nothing, except that a `*source` of "latest" that is not a
// file is refused with a hint to give --config. Otherwise loads the configuration (problems:
// exit 2 as for `pgark backup`), resolves `*source` (latest, a file name with or without the
// extension, a stamp, TIER/NAME) among the pgark archives of PGARK_BACKUP_ROOT, falling back
// to PGARK_COPY_TO when the primary cannot be listed or lacks the backup, and replaces
// `*source` with the archive's path or s3:// URI. Key flags left empty are filled from
// PGARK_ENCRYPT_KEY_FILE / PGARK_ENCRYPT_PASSPHRASE_FILE. Logs the backup chosen and warns
// when it is not verified. Errors: ResolveBackupName's (not found: exit 3, ambiguous: 2,
// a sql.gz backup: 4), storage errors of the last root tried.
absl::Status ResolveBackupSource(const std::string& config_file, std::string* source,
                                 KeySourceFlags* keys);

}  // namespace pgark::cli
