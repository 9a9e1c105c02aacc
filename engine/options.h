#pragma once
// Options of the engine's long-running operations. Plain data, copied freely; every field
// states its default. The CLI fills these from flags; nothing here reads the environment.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace pgark::engine {

// How a table larger than DumpOptions::split_larger_than is cut into parts.
enum class SplitMethod {
  kAuto,  // ctid block ranges on PostgreSQL 14+ (heap tables), a unique integer key on 12/13
  kCtid,  // ctid block ranges only (tables without the heap access method stay whole)
  kKey,   // a unique single-column int2/int4/int8 key only (tables without one stay whole)
  kNone,  // never split
};

struct DumpOptions {
  // libpq conninfo string, URI or database name of the source. Default "": the PG* environment.
  std::string conninfo;

  // Number of worker connections copying data in parallel (the leader is one more
  // connection). Default 4. REQUIRES: 1 <= jobs <= 256.
  int jobs = 4;

  // pg_dump-style name patterns (`*`, `?`, `"quoted"`, `schema.table`).
  // -n: only objects in matching schemas. Default: empty (every schema).
  std::vector<std::string> include_schemas;
  // -N: no objects in matching schemas. Default: empty.
  std::vector<std::string> exclude_schemas;
  // -t: only matching tables, views, sequences (then -n/-N are ignored, as in pg_dump).
  // Default: empty (every table).
  std::vector<std::string> include_tables;
  // -T: no matching tables. Default: empty.
  std::vector<std::string> exclude_tables;

  // -s: catalog (DDL) only, no table data, sequence values or large objects. Default false.
  bool schema_only = false;
  // -a: table data, sequence values and large objects only, no DDL. Default false.
  // REQUIRES: not both schema_only and data_only.
  bool data_only = false;
  // --globals: also read roles (attributes, memberships, per-role settings) and
  // tablespaces, like pg_dumpall -g, into the "globals.json" record. Default false.
  bool globals = false;
  // --role-passwords: with `globals`, include the roles' password hashes (needs
  // superuser). Default false: roles are restored without a password.
  bool role_passwords = false;

  // Tables whose pg_table_size (heap + TOAST) exceeds this many bytes are cut into parts
  // that workers copy concurrently. 0 disables splitting. Default 1 GiB.
  int64_t split_larger_than = int64_t{1} << 30;
  // How to split (see SplitMethod). Default kAuto.
  SplitMethod split_method = SplitMethod::kAuto;
  // Upper bound on the parts of one table. Default 64.
  int max_parts_per_table = 64;

  // How long the leader waits for each batch of ACCESS SHARE table locks before failing
  // with kFailedPrecondition (PostgreSQL lock_timeout). Zero waits forever. Default: zero.
  absl::Duration lock_wait_timeout = absl::ZeroDuration();
  // The setting the user gives lock_wait_timeout with, named in the timeout's message.
  std::string lock_wait_timeout_setting = "--lock-wait-timeout";

  // Raw bytes per data chunk: COPY output is cut at the first tuple boundary at or past this
  // size (a single tuple larger than this becomes one chunk on its own). Default 4 MiB.
  // REQUIRES: 64 KiB <= chunk_size <= 64 MiB.
  size_t chunk_size = size_t{4} << 20;

  // Bytes per large-object segment: each LO is read in pieces of at most this size, one
  // COPY tuple (oid, offset, bytea) per piece. Default 1 MiB.
  int32_t large_object_segment = 1 << 20;
  // Large objects per stream (work item). Default 1000.
  int large_objects_per_stream = 1000;

  // Extensions whose base types are dumped with COPY BINARY (their send/recv are stable and
  // hold no OIDs). A column of any other extension's type makes its table use text COPY.
  // Default: citext, hstore, ltree.
  std::vector<std::string> binary_safe_extensions = {"citext", "hstore", "ltree"};

  // application_name of the dump's connections (workers append "/worker N"). Default "pgark dump".
  std::string application_name = "pgark dump";
};

}  // namespace pgark::engine
