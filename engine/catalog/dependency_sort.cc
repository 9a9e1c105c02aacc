#include "engine/catalog/dependency_sort.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace pgark::catalog {
namespace {

// Why: pg_dump sorts objects of these kinds in this order before the topological sort,
// so that only the rearrangements the dependencies demand happen.
int PriorityOf(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kRole: return 0;
    case ObjectKind::kTablespace: return 0;
    case ObjectKind::kDatabaseProperties: return 1;
    case ObjectKind::kSchema: return 2;
    case ObjectKind::kLanguage: return 3;
    case ObjectKind::kCollation: return 4;
    case ObjectKind::kTransform: return 5;
    case ObjectKind::kExtension: return 6;
    case ObjectKind::kShellType: return 7;
    case ObjectKind::kType: return 7;
    case ObjectKind::kDomain: return 7;
    case ObjectKind::kCast: return 8;
    case ObjectKind::kFunction: return 9;
    case ObjectKind::kAggregate: return 10;
    case ObjectKind::kAccessMethod: return 11;
    case ObjectKind::kOperator: return 12;
    case ObjectKind::kOperatorFamily: return 13;
    case ObjectKind::kOperatorClass: return 13;
    case ObjectKind::kConversion: return 14;
    case ObjectKind::kTextSearchParser: return 15;
    case ObjectKind::kTextSearchTemplate: return 16;
    case ObjectKind::kTextSearchDictionary: return 17;
    case ObjectKind::kTextSearchConfiguration: return 18;
    case ObjectKind::kForeignDataWrapper: return 19;
    case ObjectKind::kForeignServer: return 20;
    case ObjectKind::kUserMapping: return 21;
    case ObjectKind::kTable: return 22;
    case ObjectKind::kSequence: return 22;
    case ObjectKind::kView: return 22;
    case ObjectKind::kMaterializedView: return 22;
    case ObjectKind::kTableAttach: return 23;
    case ObjectKind::kDefault: return 24;
    case ObjectKind::kSequenceOwnedBy: return 25;
    case ObjectKind::kTableData: return 30;
    case ObjectKind::kSequenceSet: return 31;
    case ObjectKind::kLargeObject: return 32;
    case ObjectKind::kConstraint: return 40;
    case ObjectKind::kIndex: return 41;
    case ObjectKind::kIndexAttach: return 42;
    case ObjectKind::kStatistics: return 43;
    case ObjectKind::kRule: return 44;
    case ObjectKind::kTrigger: return 45;
    case ObjectKind::kForeignKey: return 46;
    case ObjectKind::kPolicy: return 47;
    case ObjectKind::kRowSecurity: return 47;
    case ObjectKind::kPublication: return 48;
    case ObjectKind::kPublicationTable: return 49;
    case ObjectKind::kPublicationSchema: return 49;
    case ObjectKind::kSubscription: return 50;
    case ObjectKind::kDefaultAcl: return 51;
    case ObjectKind::kEventTrigger: return 52;
    case ObjectKind::kMaterializedViewData: return 53;
  }
  return 60;
}

bool IsSeparableConstraint(const SortNode& node) {
  return node.inline_parent >= 0 && !node.separated;
}

// The section a node sorts in, taking inline parts into account.
Section EffectiveSection(const std::vector<SortNode>& nodes, int idx) {
  const SortNode& node = nodes[idx];
  if (node.inline_parent >= 0 && !node.separated) return nodes[node.inline_parent].section;
  return node.section;
}

struct Graph {
  int pre_boundary;
  int post_boundary;
  std::vector<std::vector<int>> deps;  // per node, including the two boundaries
};

Graph BuildGraph(const std::vector<SortNode>& nodes) {
  int count = static_cast<int>(nodes.size());
  Graph graph{count, count + 1, std::vector<std::vector<int>>(count + 2)};
  for (int idx = 0; idx < count; ++idx) {
    const SortNode& node = nodes[idx];
    for (int dep : node.deps) {
      if (dep == idx || dep < 0 || dep >= count) continue;
      // An inline part never waits for its parent: the parent prints it.
      if (IsSeparableConstraint(node) && dep == node.inline_parent) continue;
      graph.deps[idx].push_back(dep);
    }
    switch (EffectiveSection(nodes, idx)) {
      case Section::kPreData:
      case Section::kNone:
        graph.deps[graph.pre_boundary].push_back(idx);
        break;
      case Section::kData:
        graph.deps[idx].push_back(graph.pre_boundary);
        graph.deps[graph.post_boundary].push_back(idx);
        break;
      case Section::kPostData:
        graph.deps[idx].push_back(graph.post_boundary);
        break;
    }
  }
  graph.deps[graph.post_boundary].push_back(graph.pre_boundary);
  for (auto& list : graph.deps) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return graph;
}

std::vector<int> PreSortRanks(const std::vector<SortNode>& nodes) {
  int count = static_cast<int>(nodes.size());
  std::vector<int> order(count + 2);
  for (int idx = 0; idx < count + 2; ++idx) order[idx] = idx;
  auto key = [&](int idx) {
    if (idx == count) return std::make_tuple(29, std::string(), std::string(), std::string());
    if (idx == count + 1) return std::make_tuple(39, std::string(), std::string(), std::string());
    const SortNode& node = nodes[idx];
    return std::make_tuple(PriorityOf(node.kind), node.schema, node.name, node.id);
  };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
  std::vector<int> rank(count + 2);
  for (int pos = 0; pos < count + 2; ++pos) rank[order[pos]] = pos;
  return rank;
}

// Kahn's algorithm taking the ready node with the smallest pre-sort rank. Returns the
// nodes in order; `remaining` gets the nodes that are in or behind a cycle.
std::vector<int> TopoSort(const Graph& graph, const std::vector<int>& rank,
                          std::vector<bool>* remaining) {
  int total = static_cast<int>(graph.deps.size());
  std::vector<int> pending(total, 0);
  std::vector<std::vector<int>> dependants(total);
  for (int idx = 0; idx < total; ++idx) {
    pending[idx] = static_cast<int>(graph.deps[idx].size());
    for (int dep : graph.deps[idx]) dependants[dep].push_back(idx);
  }
  auto later = [&](int a, int b) { return rank[a] > rank[b]; };
  std::priority_queue<int, std::vector<int>, decltype(later)> ready(later);
  for (int idx = 0; idx < total; ++idx) {
    if (pending[idx] == 0) ready.push(idx);
  }
  std::vector<int> out;
  remaining->assign(total, true);
  while (!ready.empty()) {
    int idx = ready.top();
    ready.pop();
    out.push_back(idx);
    (*remaining)[idx] = false;
    for (int next : dependants[idx]) {
      if (--pending[next] == 0) ready.push(next);
    }
  }
  return out;
}

// Finds one cycle among the remaining nodes: cycle[k] depends on cycle[k+1].
std::vector<int> FindCycle(const Graph& graph, const std::vector<bool>& remaining) {
  int total = static_cast<int>(graph.deps.size());
  int start = -1;
  for (int idx = 0; idx < total && start < 0; ++idx) {
    if (remaining[idx]) start = idx;
  }
  std::vector<int> position(total, -1);
  std::vector<int> path;
  int current = start;
  // Every remaining node has a remaining dependency, so the walk must revisit a node.
  while (position[current] < 0) {
    position[current] = static_cast<int>(path.size());
    path.push_back(current);
    int next = -1;
    for (int dep : graph.deps[current]) {
      if (remaining[dep]) {
        next = dep;
        break;
      }
    }
    if (next < 0) return {};
    current = next;
  }
  return std::vector<int>(path.begin() + position[current], path.end());
}

void RemoveDep(SortNode& node, int dep) {
  node.deps.erase(std::remove(node.deps.begin(), node.deps.end(), dep), node.deps.end());
}

bool IsRealNode(const std::vector<SortNode>& nodes, int idx) {
  return idx < static_cast<int>(nodes.size());
}

// Applies one repair to break `cycle`. Returns false only if nothing could be changed.
bool RepairLoop(std::vector<SortNode>& nodes, const Graph& graph, const std::vector<int>& cycle,
                std::vector<std::string>* warnings) {
  bool has_boundary = false;
  for (int idx : cycle) has_boundary |= !IsRealNode(nodes, idx);

  // A CHECK constraint, default or domain constraint printed inline: split it out.
  for (int idx : cycle) {
    if (IsRealNode(nodes, idx) && IsSeparableConstraint(nodes[idx])) {
      SortNode& part = nodes[idx];
      part.separated = true;
      RemoveDep(nodes[part.inline_parent], idx);
      part.deps.push_back(part.inline_parent);
      // A separate default stays pre-data (the column must have it before data loads);
      // separate CHECK and domain constraints go to post-data.
      part.section = part.kind == ObjectKind::kDefault ? Section::kPreData : Section::kPostData;
      return true;
    }
  }

  // A base or range type and one of its functions: the function uses a shell type.
  for (int type_idx : cycle) {
    if (!IsRealNode(nodes, type_idx) || !nodes[type_idx].shellable) continue;
    bool changed = false;
    for (int func_idx : cycle) {
      if (!IsRealNode(nodes, func_idx) || nodes[func_idx].kind != ObjectKind::kFunction) continue;
      auto& deps = nodes[func_idx].deps;
      if (std::find(deps.begin(), deps.end(), type_idx) == deps.end()) continue;
      if (nodes[type_idx].shell_type < 0) {
        SortNode shell;
        shell.kind = ObjectKind::kShellType;
        shell.section = Section::kPreData;
        shell.schema = nodes[type_idx].schema;
        shell.name = nodes[type_idx].name;
        shell.id = absl::StrCat("SHELL TYPE ", shell.schema, ".", shell.name);
        for (int dep : nodes[type_idx].deps) {
          if (nodes[dep].kind == ObjectKind::kSchema) shell.deps.push_back(dep);
        }
        shell.shell_of = type_idx;
        nodes.push_back(std::move(shell));
        nodes[type_idx].shell_type = static_cast<int>(nodes.size()) - 1;
        nodes[type_idx].deps.push_back(nodes[type_idx].shell_type);
      }
      RemoveDep(nodes[func_idx], type_idx);
      nodes[func_idx].deps.push_back(nodes[type_idx].shell_type);
      changed = true;
    }
    if (changed) return true;
  }

  // A pre-data function or matview that needs a post-data object: postpone it.
  if (has_boundary) {
    for (int idx : cycle) {
      if (!IsRealNode(nodes, idx)) continue;
      SortNode& node = nodes[idx];
      if ((node.kind == ObjectKind::kFunction || node.kind == ObjectKind::kMaterializedView) &&
          node.section == Section::kPreData) {
        node.section = Section::kPostData;
        node.postponed = true;
        return true;
      }
    }
  }

  // A view in a loop: create it as a dummy first, define it for real in post-data.
  for (int idx : cycle) {
    if (!IsRealNode(nodes, idx) || nodes[idx].kind != ObjectKind::kView || nodes[idx].dummy_view) {
      continue;
    }
    SortNode definition;
    definition.kind = ObjectKind::kRule;
    definition.section = Section::kPostData;
    definition.schema = nodes[idx].schema;
    definition.name = nodes[idx].name;
    definition.id = absl::StrCat("RULE ", nodes[idx].schema, ".", nodes[idx].name, " _RETURN");
    definition.deps = nodes[idx].deps;
    definition.deps.push_back(idx);
    definition.definition_of = idx;
    std::vector<int> kept;
    for (int dep : nodes[idx].deps) {
      ObjectKind kind = nodes[dep].kind;
      if (kind == ObjectKind::kSchema || kind == ObjectKind::kType || kind == ObjectKind::kDomain ||
          kind == ObjectKind::kShellType || kind == ObjectKind::kCollation ||
          kind == ObjectKind::kExtension) {
        kept.push_back(dep);
      }
    }
    nodes.push_back(std::move(definition));
    nodes[idx].deps = std::move(kept);
    nodes[idx].dummy_view = true;
    nodes[idx].view_definition = static_cast<int>(nodes.size()) - 1;
    return true;
  }

  // Anything else: break the first real edge, loudly.
  for (size_t pos = 0; pos < cycle.size(); ++pos) {
    int from = cycle[pos];
    int to = cycle[(pos + 1) % cycle.size()];
    if (!IsRealNode(nodes, from) || !IsRealNode(nodes, to)) continue;
    auto& deps = nodes[from].deps;
    if (std::find(deps.begin(), deps.end(), to) == deps.end()) continue;
    std::string names;
    for (int idx : cycle) {
      absl::StrAppend(&names, names.empty() ? "" : " -> ",
                      IsRealNode(nodes, idx) ? nodes[idx].id : std::string("(section boundary)"));
    }
    warnings->push_back(absl::StrCat("could not resolve dependency loop: ", names,
                                     "; dropped the dependency of ", nodes[from].id, " on ",
                                     nodes[to].id));
    RemoveDep(nodes[from], to);
    return true;
  }
  return false;
}

}  // namespace

int KindPriority(ObjectKind kind) { return PriorityOf(kind); }

SortResult SortNodes(std::vector<SortNode>& nodes) {
  SortResult result;
  // Each repair removes a loop or changes a node for good; bound the attempts anyway.
  for (int attempt = 0; attempt < 10000; ++attempt) {
    Graph graph = BuildGraph(nodes);
    std::vector<int> rank = PreSortRanks(nodes);
    std::vector<bool> remaining;
    std::vector<int> sorted = TopoSort(graph, rank, &remaining);
    if (sorted.size() == graph.deps.size()) {
      for (int idx : sorted) {
        if (!IsRealNode(nodes, idx) || IsSeparableConstraint(nodes[idx])) continue;
        result.order.push_back(idx);
      }
      return result;
    }
    std::vector<int> cycle = FindCycle(graph, remaining);
    if (cycle.empty() || !RepairLoop(nodes, graph, cycle, &result.warnings)) break;
  }
  // Unreachable in practice; fall back to the pre-sort so callers still get every node.
  result.warnings.push_back("dependency sort gave up; objects are in pre-sort order");
  std::vector<int> rank = PreSortRanks(nodes);
  std::vector<int> order;
  for (int idx = 0; idx < static_cast<int>(nodes.size()); ++idx) {
    if (!IsSeparableConstraint(nodes[idx])) order.push_back(idx);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
  result.order = order;
  return result;
}

}  // namespace pgark::catalog
