#pragma once
// pgark verify: proves an archive is intact and loadable.
//
// Offline (RunVerify): reads every metadata record and every stream (random access: the
// streams in parallel; a pipe: one pass in file order). The format reader checks each
// frame's framing (header CRC32C), payload checksum, authentication (AEAD, with the key),
// decompression, raw checksum, sequence continuity, the stream digest and counts against
// the authenticated index, and completeness (trailer). On top of that each COPY stream is
// parsed tuple by tuple (verify/copy_tuples.h) and its row count compared with the index.
// Nothing is written anywhere.
//
// Restore test (RunRestoreTest): restores into a scratch database created on the server of
// `conninfo`, compares every table's row count with the archive's, and drops the scratch
// database, also when the restore fails.
//
// Both return a report; the Status is OK only when everything held. The first damage found
// is returned as kDataLoss (wrong key: kUnauthenticated), with the report filled as far as
// it got. The report's verdict tells damage (DAMAGED, exit 5) from an archive that could
// not be checked for want of the right key (NOT VERIFIED, exit 7) and from other failures
// (FAILED). Thread-safety: call from one thread; RunVerify uses its own threads.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/archive_io.h"
#include "engine/restore/restore_options.h"

namespace pgark::engine {

struct VerifiedTable {
  std::string name;         // schema.name, or "large objects"
  int streams = 0;
  int64_t rows = 0;         // parsed tuples (== index rows when verified)
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;
  bool binary = true;
  int64_t restored_rows = -1;  // restore test: rows found after the restore (-1: not run)
  std::string load_root;       // restore test: "schema.name" of the partition root it loads through
};

// How a verify ended: the report's last line and "verdict" in --json.
enum class VerifyVerdict {
  kIntact,       // "OK": every check held
  kDamaged,      // "DAMAGED": kDataLoss; the archive is damaged (or not a pgark archive)
  kNotVerified,  // "NOT VERIFIED": kUnauthenticated / kPermissionDenied not from the server:
                 // a wrong or missing key (or an unreadable file); nothing says the archive
                 // is damaged (the server's refusals, with a SQLSTATE, are FAILED)
  kFailed,       // "FAILED": anything else (the server's reasons in a restore test, I/O,
                 // an interrupt, an unsupported format version)
};
VerifyVerdict VerdictFor(const absl::Status& status);

struct VerifyReport {
  std::string archive;
  // The file header was read: archive_id and encrypted mean something. False for a file
  // that is not a pgark archive (its report says only that) and for a pipe refused at the
  // header (wrong key).
  bool header_read = false;
  std::string archive_id;
  bool encrypted = false;
  // The archive was opened (the key, if any, unlocked it): the counts below mean something.
  bool opened = false;
  uint64_t archive_bytes = 0;
  uint64_t raw_bytes = 0;
  uint64_t frames = 0;
  int metadata_records = 0;
  int streams = 0;
  std::vector<VerifiedTable> tables;
  double seconds = 0;
  double restore_seconds = 0;  // restore test only
  bool restore_test = false;
  std::string scratch_database;  // restore test: set once it was created
  bool scratch_dropped = false;  // restore test: dropped again
  bool ok = false;
  std::string error;           // the first failure, "" when ok
  // kDamaged only for damage to the archive (kDataLoss). A wrong key is not (NOT VERIFIED),
  // nor is a restore test's failure for the server's reasons (a role without CREATEDB, a
  // missing extension: FAILED). --json's "damaged" is verdict == kDamaged.
  VerifyVerdict verdict = VerifyVerdict::kFailed;

  std::string ToText() const;
  std::string ToJson() const;
};

// Offline check of `archive`. `jobs` streams are read concurrently (random access only).
absl::Status RunVerify(const VerifyOptions& options, OpenedArchive& archive, int jobs, VerifyReport* report);

// Restore test on the server of `conninfo` (see above). The restore reads and verifies
// every frame it loads, so a pipe works too.
absl::Status RunRestoreTest(const VerifyOptions& options, OpenedArchive& archive,
                            const std::string& conninfo, int jobs, VerifyReport* report);

}  // namespace pgark::engine
