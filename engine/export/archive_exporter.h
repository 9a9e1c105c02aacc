#pragma once
// `pgark export FILE.pgark`: the same SQL script as the live export (sql_exporter.h), built
// from an archive with no database. Binary table streams are turned into text COPY rows by
// the decoders of binary_to_text.h; tables the dump wrote in text format pass through.
//
// Reads the metadata records the dump writes (docs/dump.md): "catalog.json" (the DDL),
// "dump/plan.json" (per table: columns with their type shapes, COPY format, stream ids;
// large-object streams) and "dump/sequences.json" (values read after the data).
//
// Every table's decoders are built before any output is written, so a column whose type has
// no decoder fails the export up front, naming the table and the column (kUnimplemented,
// exit 4). Corrupt or tampered archives fail with kDataLoss from the reader or the decoders.
// On failure the writer is not closed: nothing is published.
//
// Thread-safety: ExportArchive runs `jobs` threads over one ArchiveReader (thread-safe).

#include <string>

#include "absl/status/statusor.h"
#include "engine/export/binary_to_text.h"
#include "engine/export/sql_exporter.h"
#include "engine/storage/storage.h"
#include "format/keys.h"
#include "nlohmann/json.hpp"

namespace pgark::engine {

struct ArchiveExportOptions {
  std::string archive;       // path or URI of a seekable archive
  format::KeyRing keys;      // empty for unencrypted archives
  int jobs = 4;              // decoding/compressing threads (1-64)
  int level = 1;             // gzip level 1-12 (libdeflate; docs/export.md "Where the CPU goes")
  bool no_owner = false;
  bool no_acl = false;
  std::string spill_dir;     // "" = $TMPDIR or /tmp
};

absl::StatusOr<ExportResult> ExportArchive(const ArchiveExportOptions& options,
                                           storage::ObjectWriter* writer);

// The dump's JSON type shape ({"kind": "array", "oid": 1007, "schema": ..., "name": ...,
// "children": [...]}) as a DecodeType. kInvalidArgument for an unknown kind; "pseudo" types
// become kUnimplemented when the decoder is built.
absl::StatusOr<DecodeType> DecodeTypeFromShapeJson(const nlohmann::json& shape, int depth = 0);

}  // namespace pgark::engine
