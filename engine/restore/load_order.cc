#include "engine/restore/load_order.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace pgark::engine::restore {

std::string TablesByNameParam(const std::vector<TableName>& tables) {
  nlohmann::json names = nlohmann::json::array();
  for (const TableName& table : tables) names.push_back({table.schema, table.name});
  return names.dump();
}

absl::StatusOr<std::vector<ForeignKeyEdge>> QueryForeignKeys(pg::Connection& conn,
                                                             const std::vector<TableName>& tables) {
  std::vector<ForeignKeyEdge> edges;
  if (tables.empty()) return edges;
  // Each loaded table (kTablesByName) stands for itself and its partition ancestors. Only top-level constraints
  // (conparentid = 0): their clones on partitions are covered by the ancestor match.
  // pg_partition_ancestors returns nothing for a table that is not in a partition tree.
  const std::string sql = absl::StrCat(
      "WITH loaded AS (", kTablesByName, "),"
      " expanded AS ("
      "  SELECT idx, rel AS relid FROM loaded"
      "  UNION SELECT l.idx, a.relid FROM loaded l, LATERAL pg_catalog.pg_partition_ancestors(l.rel) a(relid))"
      " SELECT DISTINCT c.idx, p.idx, k.condeferrable,"
      "  pg_catalog.format('%s.%s.%s', n.nspname, r.relname, k.conname) AS name"
      " FROM pg_catalog.pg_constraint k"
      " JOIN expanded c ON c.relid = k.conrelid JOIN expanded p ON p.relid = k.confrelid"
      " JOIN pg_catalog.pg_class r ON r.oid = k.conrelid"
      " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
      " WHERE k.contype = 'f' AND k.conparentid = 0",
      // 18+: a NOT ENFORCED FOREIGN KEY checks no row, so it orders no load (nor makes a cycle).
      conn.server_version() >= 180000 ? " AND k.conenforced" : "",
      " ORDER BY 1, 2, 4");
  PGARK_ASSIGN_OR_RETURN(pg::Result result, conn.QueryParams(sql, {TablesByNameParam(tables)}));
  for (int row = 0; row < result.rows(); ++row) {
    ForeignKeyEdge edge;
    PGARK_ASSIGN_OR_RETURN(int64_t child, result.GetInt64(row, 0));
    PGARK_ASSIGN_OR_RETURN(int64_t parent, result.GetInt64(row, 1));
    edge.child = static_cast<int>(child);
    edge.parent = static_cast<int>(parent);
    edge.deferrable = result.GetBool(row, 2);
    edge.name = std::string(result.Get(row, 3));
    edges.push_back(std::move(edge));
  }
  return edges;
}

absl::StatusOr<bool> TruncateMustCascade(pg::Connection& conn, const std::vector<TableName>& tables) {
  if (tables.empty() || conn.server_version() < 180000) return false;  // conenforced is 18+
  const std::string sql = absl::StrCat(
      "WITH listed AS (", kTablesByName, ")"
      " SELECT coalesce(bool_or(NOT k.conenforced) AND bool_and(k.conrelid IN (SELECT rel FROM listed)), false)"
      " FROM pg_catalog.pg_constraint k"
      " WHERE k.contype = 'f' AND k.confrelid IN (SELECT rel FROM listed)");
  PGARK_ASSIGN_OR_RETURN(pg::Result result, conn.QueryParams(sql, {TablesByNameParam(tables)}));
  return result.GetBool(0, 0);
}

namespace {

// Strongly connected components (Tarjan), iterative so that long FK chains cannot exhaust
// the stack. `successors[v]`: the tables that must wait for v. Returns the component of
// each vertex.
std::vector<int> Components(const std::vector<std::vector<int>>& successors) {
  const int n = static_cast<int>(successors.size());
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  int next_index = 0, next_component = 0;
  struct Frame {
    int vertex;
    size_t edge;
  };
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    std::vector<Frame> frames{{root, 0}};
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!frames.empty()) {
      Frame& frame = frames.back();
      const int v = frame.vertex;
      if (frame.edge < successors[v].size()) {
        const int w = successors[v][frame.edge++];
        if (index[w] < 0) {
          index[w] = low[w] = next_index++;
          stack.push_back(w);
          on_stack[w] = true;
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        while (true) {
          const int w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = next_component;
          if (w == v) break;
        }
        ++next_component;
      }
      frames.pop_back();
      if (!frames.empty()) low[frames.back().vertex] = std::min(low[frames.back().vertex], low[v]);
    }
  }
  return component;
}

}  // namespace

LoadOrder PlanLoadOrder(const std::vector<int64_t>& bytes, const std::vector<ForeignKeyEdge>& edges) {
  const int n = static_cast<int>(bytes.size());
  LoadOrder order;
  order.wait_for.assign(n, {});
  order.self_referencing.assign(n, false);
  std::vector<std::vector<int>> successors(n);
  std::vector<const ForeignKeyEdge*> valid;
  for (const ForeignKeyEdge& edge : edges) {
    if (edge.child < 0 || edge.child >= n || edge.parent < 0 || edge.parent >= n) continue;
    if (edge.child == edge.parent) {
      order.self_referencing[edge.child] = true;
      continue;
    }
    valid.push_back(&edge);
    successors[edge.parent].push_back(edge.child);
  }
  const std::vector<int> component = Components(successors);
  int components = 0;
  for (int c : component) components = std::max(components, c + 1);
  // Cycles: components of two or more tables, with the constraints inside them.
  std::vector<std::vector<int>> members(components);
  for (int t = 0; t < n; ++t) members[component[t]].push_back(t);
  std::vector<int> cycle_of(components, -1);
  for (int c = 0; c < components; ++c) {
    if (members[c].size() < 2) continue;
    cycle_of[c] = static_cast<int>(order.cycles.size());
    LoadOrder::Cycle cycle;
    cycle.tables = members[c];
    cycle.deferrable = true;
    order.cycles.push_back(std::move(cycle));
  }
  std::vector<std::set<int>> waits(n);
  for (const ForeignKeyEdge* edge : valid) {
    const int c = component[edge->child];
    if (c == component[edge->parent]) {
      LoadOrder::Cycle& cycle = order.cycles[cycle_of[c]];
      cycle.constraints.push_back(edge->name);
      if (!edge->deferrable) cycle.deferrable = false;
      continue;  // cannot be ordered: dropped, reported
    }
    waits[edge->child].insert(edge->parent);
  }
  for (int t = 0; t < n; ++t) order.wait_for[t].assign(waits[t].begin(), waits[t].end());
  std::sort(order.cycles.begin(), order.cycles.end(),
            [](const LoadOrder::Cycle& a, const LoadOrder::Cycle& b) { return a.tables.front() < b.tables.front(); });
  for (LoadOrder::Cycle& cycle : order.cycles) {
    std::sort(cycle.constraints.begin(), cycle.constraints.end());
    cycle.constraints.erase(std::unique(cycle.constraints.begin(), cycle.constraints.end()), cycle.constraints.end());
  }
  // Critical path: Tarjan numbers components in reverse topological order of the
  // parent -> child graph (a component is numbered after every component it reaches), so
  // walking components in increasing number sees every child before its parents.
  order.chain_bytes.assign(n, 0);
  for (int c = 0; c < components; ++c) {
    int64_t below = 0;
    for (int t : members[c]) {
      for (int child : successors[t]) {
        if (component[child] != c) below = std::max(below, order.chain_bytes[child]);
      }
    }
    for (int t : members[c]) order.chain_bytes[t] = bytes[t] + below;
  }
  return order;
}

std::vector<DeferredGroup> DeferredCycleGroups(const LoadOrder& order, const std::vector<int64_t>& bytes) {
  std::vector<DeferredGroup> groups;
  const int n = static_cast<int>(bytes.size());
  for (const LoadOrder::Cycle& cycle : order.cycles) {
    if (!cycle.deferrable) continue;
    DeferredGroup group;
    group.tables = cycle.tables;
    group.constraints = cycle.constraints;
    std::set<int> waits;
    int64_t below = 0;  // the same for every member: the heaviest chain outside the cycle
    for (int t : cycle.tables) {
      if (t < 0 || t >= n) continue;
      waits.insert(order.wait_for[t].begin(), order.wait_for[t].end());
      group.chain_bytes += bytes[t];
      below = std::max(below, order.chain_bytes[t] - bytes[t]);
    }
    group.chain_bytes += below;
    group.wait_for.assign(waits.begin(), waits.end());
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<std::string> CycleWarnings(const LoadOrder& order, const std::vector<std::string>& names) {
  std::vector<std::string> warnings;
  for (const LoadOrder::Cycle& cycle : order.cycles) {
    if (cycle.deferrable) continue;
    std::vector<std::string> tables;
    for (int t : cycle.tables) tables.push_back(t < static_cast<int>(names.size()) ? names[t] : "?");
    warnings.push_back(absl::StrCat(
        "there are circular foreign-key constraints among tables ", absl::StrJoin(tables, ", "), " (",
        absl::StrJoin(cycle.constraints, ", "),
        "): their data cannot be loaded in an order that satisfies them and may fail to load; restore with "
        "--disable-triggers, or drop the constraints while loading, or restore the whole archive (schema and "
        "data) instead of --section data (a cycle whose constraints are all DEFERRABLE loads in one transaction)"));
  }
  return warnings;
}

}  // namespace pgark::engine::restore
