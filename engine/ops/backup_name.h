#pragma once
// engine/ops: the backup a name given by an operator means (`pgark restore --config F NAME`).
//
// Accepted names, for the database whose files are called <name>_YYYYMMDD_HHMMSS.<ext>:
//   latest                              the newest backup with a verified record
//                                       (checksums/<file>.verified); if none is verified, the
//                                       newest backup (ResolvedBackup::verified says which)
//   shop_20240303_023000.pgark          a file name as `pgark list` prints it
//   shop_20240303_023000                the same without the extension
//   20240303_023000                     the time stamp alone
//   weekly/shop_20240303_023000[.pgark] a copy in a given tier
// Without a tier the daily copy is used, else weekly, else monthly (the same bytes). A name
// that matches more than one backup (the same stamp as .pgark and .sql.gz) is refused with
// the candidates listed. Names are matched exactly: no globbing, no prefixes.
//
// Pure functions over a RootListing (backup_set.h); thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/ops/backup_set.h"
#include "engine/ops/config.h"

namespace pgark::ops {

struct ResolvedBackup {
  std::string file_name;  // "shop_20240303_023000.pgark"
  std::string key;        // "daily/shop_20240303_023000.pgark", relative to the root
  BackupFormat format = BackupFormat::kPgark;
  bool verified = false;  // the backup has a verified record
};

// Resolves `spec` among `listing`'s backups of database `name`. With `only_format`, `latest`
// considers only that format and an explicit name in another format is refused
// (kFailedPrecondition, saying how to use it). Errors: kNotFound (no such backup, or no
// backup at all, naming `where`), kInvalidArgument (ambiguous or malformed name).
absl::StatusOr<ResolvedBackup> ResolveBackupName(const RootListing& listing, absl::string_view spec,
                                                 absl::string_view name, absl::string_view where,
                                                 const BackupFormat* only_format = nullptr);

}  // namespace pgark::ops
