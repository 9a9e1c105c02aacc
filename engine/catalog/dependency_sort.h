#pragma once
// The dependency sort of the catalog reader (pg_dump_sort.c's approach): a pre-sort by
// object kind priority, schema and name, a topological sort that always takes the
// earliest ready object in that pre-sort (deterministic output), and loop repairs that
// rewrite the graph when it has a cycle. Internal to engine/catalog; exposed for tests.
//
// Thread-compatible: SortNodes mutates the graph it is given.

#include <string>
#include <vector>

#include "engine/catalog/catalog_objects.h"

namespace pgark::catalog {

struct SortNode {
  std::string id;
  ObjectKind kind = ObjectKind::kTable;
  Section section = Section::kPreData;
  std::string schema;
  std::string name;
  std::vector<int> deps;  // indexes of nodes this node needs first
  // For kType: a base or range type, whose I/O/canonical functions may loop with it.
  bool shellable = false;

  // Set by the repairs (read them when rendering):
  // An inline part of `inline_parent` (a CHECK constraint, column default or domain
  // constraint printed inside its parent's CREATE). When a loop needs it, `separated`
  // becomes true: it must then be emitted as its own ALTER statement.
  int inline_parent = -1;
  bool separated = false;
  // A function or materialized view moved to post-data because it needs a post-data
  // object (a primary key for GROUP BY, an index).
  bool postponed = false;
  // A view that must be created as a dummy (same columns, NULL values) because it is in
  // a loop; the real definition is the node named by `view_definition`.
  bool dummy_view = false;
  int view_definition = -1;  // on the dummy view: index of its definition node
  int definition_of = -1;    // on a definition node: index of the view
  int shell_type = -1;       // on a type: index of its added kShellType node
  int shell_of = -1;         // on a kShellType node: index of the type
};

// The pre-sort rank of a kind (smaller sorts first), pg_dump's dbObjectTypePriority.
int KindPriority(ObjectKind kind);

struct SortResult {
  std::vector<int> order;             // every node index except inline parts that stay inline
  std::vector<std::string> warnings;  // loops that were broken arbitrarily
};

// Sorts `nodes` topologically, repairing loops. May append nodes (shell types, view
// definitions) and change sections, deps and flags. Self-dependencies are ignored.
SortResult SortNodes(std::vector<SortNode>& nodes);

}  // namespace pgark::catalog
