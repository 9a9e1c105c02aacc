#pragma once
// Foreign-key order of the data loads into tables that already exist on the target (a
// data-only restore, `--section data`, into a schema created beforehand).
//
// With FOREIGN KEYs in place, a child table's rows are checked against its parent's as they
// are loaded (at the end of each COPY, or at commit for DEFERRABLE INITIALLY DEFERRED), so the
// parent's data must be loaded (committed) first. pg_dump orders the TABLE DATA items of a
// data-only dump that way; pgark orders the loads at restore time from the target's own
// constraints (pg_constraint), which is what the COPYs are checked against, whatever the
// archive holds. Tables not related by FOREIGN KEYs stay parallel.
//
// Circular references (a -> b -> a, and longer cycles) cannot be ordered: the edges inside a
// cycle are dropped (those tables wait only for their other parents). When every constraint of
// a cycle is DEFERRABLE, its tables load as one unit (DeferredCycleGroups): one transaction on
// one connection under SET CONSTRAINTS ALL DEFERRED, checked at COMMIT when all of them are
// in. Other cycles are reported like pg_dump does ("there are circular foreign-key
// constraints ..."), so the operator can use --disable-triggers or a full restore. A
// self-reference is no ordering problem for one COPY (checks run at the end of the statement):
// the engine feeds the parts of a split self-referencing table into one COPY (copy_streams.h).
//
// Thread-safety: plain functions and values.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

// A FOREIGN KEY between two of the tables to load, as indexes into the caller's table list.
struct ForeignKeyEdge {
  int child = 0;   // the referencing table
  int parent = 0;  // the referenced table (for a partitioned table: each loaded partition)
  bool deferrable = false;
  std::string name;  // "schema.table.constraint", for messages
};

// A table by schema and name, unquoted.
struct TableName {
  std::string schema;
  std::string name;
};

// Looking up many tables in one query. `kTablesByName` selects (idx int4: the position in
// the list, from 0; rel: the table's oid) for each table of the list that exists on the
// server, the list being $1 = TablesByNameParam(tables). Matched on schema and name, so any
// character survives and no name is parsed (to_regclass would need each name quoted).
// Meant for a WITH clause.
inline constexpr absl::string_view kTablesByName =
    "SELECT (t.ord - 1)::pg_catalog.int4 AS idx, c.oid AS rel"
    " FROM pg_catalog.json_array_elements($1::pg_catalog.json) WITH ORDINALITY AS t(v, ord)"
    " JOIN pg_catalog.pg_namespace n ON n.nspname = t.v OPERATOR(pg_catalog.->>) 0"
    " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.v OPERATOR(pg_catalog.->>) 1";
std::string TablesByNameParam(const std::vector<TableName>& tables);

// The target's FOREIGN KEYs among `tables` (a table missing on the target is skipped). Both
// ends are matched through partition ancestors: an FK on or onto a partitioned table ties
// every loaded partition of it. One query. Self-references are returned too (child == parent).
// NOT ENFORCED ones (18+) are left out: they check no row.
absl::StatusOr<std::vector<ForeignKeyEdge>> QueryForeignKeys(pg::Connection& conn,
                                                             const std::vector<TableName>& tables);

// Whether emptying `tables` together (one TRUNCATE ONLY) must say CASCADE on this server.
// PostgreSQL 18's TRUNCATE refuses a list that holds a table referenced by a NOT ENFORCED
// FOREIGN KEY together with the referencing table when the referenced table has triggers
// (heap_truncate_check_FKs only looks at listed tables that have triggers, and a NOT ENFORCED
// FK gives its table none: "cannot truncate a table referenced in a foreign key constraint",
// 0A000; seen on 18.4). True only on 18+ when some FK onto the list is NOT ENFORCED and every
// FK onto the list comes from a listed table: CASCADE then adds no table and skips that check.
// Otherwise false (the plain TRUNCATE refuses a table outside the list, as before). One query.
absl::StatusOr<bool> TruncateMustCascade(pg::Connection& conn, const std::vector<TableName>& tables);

struct LoadOrder {
  // Per table: the tables whose data must be complete before its load starts (sorted, no
  // duplicates, never itself, never a table of its own cycle).
  std::vector<std::vector<int>> wait_for;
  // Per table: its bytes plus the heaviest chain of loads waiting for it (the critical path
  // through the FK order); schedule larger first.
  std::vector<int64_t> chain_bytes;
  // Groups of two or more tables referencing each other, each sorted by index, in the
  // order of their first table.
  struct Cycle {
    std::vector<int> tables;
    std::vector<std::string> constraints;  // the FOREIGN KEYs inside the cycle
    bool deferrable = false;               // every one of them is DEFERRABLE
  };
  std::vector<Cycle> cycles;
  // Per table: it references itself.
  std::vector<bool> self_referencing;
};

// Plans the order for `bytes.size()` tables. Edges with indexes outside the range are
// ignored. Deterministic.
LoadOrder PlanLoadOrder(const std::vector<int64_t>& bytes, const std::vector<ForeignKeyEdge>& edges);

// The tables of a cycle whose FOREIGN KEYs are all DEFERRABLE, loaded as one unit: in one
// transaction with SET CONSTRAINTS ALL DEFERRED, so the cycle's constraints are checked at
// COMMIT, when every one of its tables is loaded. A failure rolls all of them back.
struct DeferredGroup {
  std::vector<int> tables;                // the cycle's tables, sorted
  std::vector<std::string> constraints;  // its FOREIGN KEYs, for messages
  // Tables outside the group whose data must be complete before the group starts: the union
  // of its tables' wait_for (sorted, no duplicates, never a member).
  std::vector<int> wait_for;
  // The group's bytes plus the heaviest chain of loads waiting for it; schedule larger first.
  int64_t chain_bytes = 0;
};

// One group per deferrable cycle of `order` (planned over `bytes`), in the order of
// order.cycles. Only for a caller that does not already load everything in one deferred
// transaction (-1) and checks the constraints (no --disable-triggers).
std::vector<DeferredGroup> DeferredCycleGroups(const LoadOrder& order, const std::vector<int64_t>& bytes);

// pg_dump-style warnings for the cycles that cannot be loaded as they are (`names` per table,
// for messages), one per cycle. Cycles of DEFERRABLE constraints load (DeferredCycleGroups,
// or -1 checks them at commit) and are not reported.
std::vector<std::string> CycleWarnings(const LoadOrder& order, const std::vector<std::string>& names);

}  // namespace pgark::engine::restore
