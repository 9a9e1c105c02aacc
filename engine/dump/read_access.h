#pragma once
// Before a dump locks or reads anything: can the dumping role read every row it is asked to
// dump? A role that is not a superuser (the database owner on managed PostgreSQL) may lack
// SELECT on a table, be subject to row-level security (FORCE ROW LEVEL SECURITY on its own
// table, or policies on another role's), or lack SELECT on another role's large object.
// pg_dump fails on each of these at the first one it reaches, some of them mid-way through
// the data; this check fails first, with a one-line error naming the objects and the fix.
// A table is never skipped: a dump that silently left rows out would restore as data loss.
// (docs/dump.md "As a non-superuser")

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "engine/pg/connection.h"

namespace pgark::engine {

// `relations`: the oids of the tables, partitions and sequences whose contents the dump
// reads or locks. `large_objects`: the dump includes large objects. Uses the session's
// snapshot; changes nothing. Errors: kPermissionDenied (exit 7) naming up to 5 objects.
absl::Status CheckReadAccess(pg::Connection& conn, const std::vector<uint32_t>& relations, bool large_objects);

}  // namespace pgark::engine
