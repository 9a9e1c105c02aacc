#include "engine/restore/type_oid_patcher.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "format/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace pgark::engine::restore {
namespace {

constexpr uint8_t kDone = 255;
constexpr int32_t kMaxDims = 6;  // PostgreSQL's MAXDIM

uint32_t ReadUint32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}
int32_t ReadInt32(const char* p) { return static_cast<int32_t>(ReadUint32(p)); }
int16_t ReadInt16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((uint16_t{u[0]} << 8) | uint16_t{u[1]});
}
void WriteUint32(uint32_t v, char* p) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

bool CarriesOids(DecodeType::Kind kind) {
  return kind == DecodeType::Kind::kArray || kind == DecodeType::Kind::kComposite;
}

std::string Qualified(const DecodeType& type) {
  return type.schema.empty() ? type.name : absl::StrCat(type.schema, ".", type.type_name);
}

}  // namespace

struct TypeOidPatcher::Node {
  enum class Kind : uint8_t { kOpaque, kArray, kComposite, kRange, kMultirange };
  struct Child {
    int node = 0;              // 0: opaque (passed through unparsed)
    uint32_t source_oid = 0;   // array element / attribute: the OID on the wire
    uint32_t target_oid = 0;   // what it becomes
  };
  Kind kind = Kind::kOpaque;
  std::string name;            // for messages
  std::vector<Child> children;  // array: element; composite: attributes; range: subtype;
                                // multirange: range
};

struct TypeOidPatcher::Frame {
  int node = -1;          // -1: the tuple level
  int64_t remaining = 0;  // bytes of this value not consumed yet (unbounded at tuple level)
  uint8_t step = 0;       // progress within the value, kDone when every part was read
  int32_t ndim = 0, dims_read = 0;
  int64_t items = 0;      // array elements / multirange ranges still to read
  int32_t field = 0;      // composite attribute / tuple column to read next
  bool upper = false;     // range: an upper bound follows
};

bool EmbedsUserTypeOid(const DecodeType& type) {
  for (const DecodeType& child : type.children) {
    if (CarriesOids(type.kind) && child.oid >= kFirstGenbkiObjectId) return true;
    if (EmbedsUserTypeOid(child)) return true;
  }
  return false;
}

void CollectEmbeddedTypes(const DecodeType& type, std::vector<EmbeddedType>* out) {
  for (const DecodeType& child : type.children) {
    if (CarriesOids(type.kind) && child.oid >= kFirstGenbkiObjectId) {
      EmbeddedType embedded;
      embedded.source_oid = child.oid;
      embedded.schema = child.schema;
      embedded.name = child.type_name;
      if (child.kind == DecodeType::Kind::kArray && !child.children.empty()) {
        embedded.is_array = true;
        embedded.element_schema = child.children[0].schema;
        embedded.element_name = child.children[0].type_name;
      }
      out->push_back(std::move(embedded));
    }
    CollectEmbeddedTypes(child, out);
  }
}

absl::StatusOr<TypeOidMap> BuildTypeOidMap(pg::Connection& target, const std::vector<EmbeddedType>& types) {
  TypeOidMap map;
  if (types.empty()) return map;
  nlohmann::json lookups = nlohmann::json::array();
  for (size_t i = 0; i < types.size(); ++i) {
    const EmbeddedType& type = types[i];
    lookups.push_back({{"i", i},
                       {"nsp", type.is_array ? type.element_schema : type.schema},
                       {"typ", type.is_array ? type.element_name : type.name}});
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result found,
      target.QueryParams("SELECT s.i, t.oid, t.typarray FROM pg_catalog.json_to_recordset($1::pg_catalog.json) "
                         "AS s(i int, nsp text, typ text) "
                         "JOIN pg_catalog.pg_namespace n ON n.nspname = s.nsp "
                         "JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typname = s.typ",
                         {lookups.dump()}));
  for (int row = 0; row < found.rows(); ++row) {
    const EmbeddedType& type = types[std::stoul(std::string(found.Get(row, 0)))];
    const auto oid = static_cast<uint32_t>(std::stoul(std::string(found.Get(row, type.is_array ? 2 : 1))));
    if (oid != 0) map[type.source_oid] = oid;
  }
  return map;
}

TypeOidPatcher::TypeOidPatcher() = default;
TypeOidPatcher::~TypeOidPatcher() = default;

absl::StatusOr<std::unique_ptr<TypeOidPatcher>> TypeOidPatcher::Create(
    std::string table, const std::vector<PatchColumn>& columns, const TypeOidMap& map) {
  std::unique_ptr<TypeOidPatcher> patcher(new TypeOidPatcher());
  patcher->table_ = std::move(table);
  patcher->nodes_.emplace_back();  // node 0: opaque
  for (const PatchColumn& column : columns) {
    PGARK_ASSIGN_OR_RETURN(int node, patcher->Compile(column.type, map, column.name, 0));
    patcher->column_names_.push_back(column.name);
    patcher->column_nodes_.push_back(node);
  }
  Frame tuple;
  tuple.remaining = std::numeric_limits<int64_t>::max();
  patcher->stack_.reserve(kMaxTypeDepth + 2);
  patcher->stack_.push_back(tuple);
  return patcher;
}

absl::StatusOr<int> TypeOidPatcher::Compile(const DecodeType& type, const TypeOidMap& map,
                                            const std::string& column, int depth) {
  if (depth > kMaxTypeDepth) {
    return absl::InvalidArgumentError(absl::StrCat("table ", table_, " column \"", column, "\": type ",
                                                   type.name, " is nested more than ", kMaxTypeDepth,
                                                   " levels"));
  }
  if (!EmbedsUserTypeOid(type)) return 0;  // nothing to patch inside: skipped unparsed
  const size_t expected = type.kind == DecodeType::Kind::kComposite ? type.children.size() : 1;
  if (type.children.size() != expected || type.kind == DecodeType::Kind::kBase ||
      type.kind == DecodeType::Kind::kEnum) {
    return absl::InvalidArgumentError(absl::StrCat("table ", table_, " column \"", column,
                                                   "\": malformed type shape for ", type.name));
  }
  if (type.kind == DecodeType::Kind::kDomain) return Compile(type.children[0], map, column, depth + 1);
  Node node;
  node.name = Qualified(type);
  switch (type.kind) {
    case DecodeType::Kind::kArray: node.kind = Node::Kind::kArray; break;
    case DecodeType::Kind::kComposite: node.kind = Node::Kind::kComposite; break;
    case DecodeType::Kind::kRange: node.kind = Node::Kind::kRange; break;
    default: node.kind = Node::Kind::kMultirange; break;
  }
  for (const DecodeType& child_type : type.children) {
    Node::Child child;
    PGARK_ASSIGN_OR_RETURN(child.node, Compile(child_type, map, column, depth + 1));
    child.source_oid = child.target_oid = child_type.oid;
    if (CarriesOids(type.kind) && child_type.oid >= kFirstGenbkiObjectId) {
      auto it = map.find(child_type.oid);
      if (it == map.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "table ", table_, " column \"", column, "\": type ", Qualified(child_type), " (OID ",
            child_type.oid, " in the source) has no counterpart in the target database"));
      }
      child.target_oid = it->second;
    }
    node.children.push_back(child);
  }
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size() - 1);
}

absl::Status TypeOidPatcher::Corrupt(const std::string& problem) const {
  std::string where = absl::StrCat("table ", table_);
  if (current_column_ >= 0) absl::StrAppend(&where, " column \"", column_names_[current_column_], "\"");
  return absl::DataLossError(
      absl::StrCat(where, " row ", rows_, " of the stream: ", problem, " in binary COPY data"));
}

size_t TypeOidPatcher::TokenSize() const {
  const Frame& f = stack_.back();
  if (f.node < 0) return f.step == 0 ? 2 : 4;  // field count / field length
  if (nodes_[f.node].kind == Node::Kind::kRange && f.step == 0) return 1;  // range flags
  return 4;
}

absl::Status TypeOidPatcher::StartValue(int node, int64_t len) {
  Frame& f = stack_.back();
  if (len < 0) return Corrupt(absl::StrCat("negative length ", len));
  if (f.node >= 0) {
    if (len > f.remaining) {
      return Corrupt(absl::StrCat("a ", len, "-byte value inside ", nodes_[f.node].name, " overruns it (",
                                  f.remaining, " bytes left)"));
    }
    f.remaining -= len;
  }
  if (node == 0) {
    skip_ = len;
    return absl::OkStatus();
  }
  Frame child;
  child.node = node;
  child.remaining = len;
  if (stack_.size() > static_cast<size_t>(kMaxTypeDepth) + 1) return Corrupt("values nested too deeply");
  stack_.push_back(child);
  return absl::OkStatus();
}

absl::Status TypeOidPatcher::PopCompleted() {
  while (stack_.size() > 1 && stack_.back().step == kDone) {
    if (stack_.back().remaining != 0) {
      return Corrupt(absl::StrCat(stack_.back().remaining, " unread bytes at the end of a ",
                                  nodes_[stack_.back().node].name, " value"));
    }
    stack_.pop_back();
  }
  return absl::OkStatus();
}

absl::Status TypeOidPatcher::OnToken(char* p) {
  Frame& f = stack_.back();
  if (f.node < 0) {  // tuple level
    if (trailer_seen_) return Corrupt("data after the end-of-data marker");
    if (f.step == 0) {
      const int16_t fields = ReadInt16(p);
      current_column_ = -1;
      if (fields == -1) {
        trailer_seen_ = true;
        return absl::OkStatus();
      }
      ++rows_;
      if (fields != static_cast<int>(column_nodes_.size())) {
        return Corrupt(absl::StrCat("a row of ", fields, " fields where the archive records ",
                                    column_nodes_.size(), " columns"));
      }
      f.field = 0;
      f.step = fields == 0 ? 0 : 1;
      return absl::OkStatus();
    }
    const int32_t len = ReadInt32(p);
    current_column_ = f.field++;
    if (f.field == static_cast<int>(column_nodes_.size())) f.step = 0;
    if (len == -1) return absl::OkStatus();
    return StartValue(column_nodes_[current_column_], len);
  }

  const Node& node = nodes_[f.node];
  const int64_t size = static_cast<int64_t>(TokenSize());
  if (size > f.remaining) return Corrupt(absl::StrCat("a ", node.name, " value ends inside its header"));
  f.remaining -= size;
  // Checks an embedded OID against the recording and rewrites it.
  auto patch_oid = [&](const Node::Child& child, const char* what) -> absl::Status {
    const uint32_t oid = ReadUint32(p);
    if (oid != child.source_oid) {
      return Corrupt(absl::StrCat(what, " type OID ", oid, " in a ", node.name,
                                  " value where the archive records ", child.source_oid));
    }
    if (child.target_oid != oid) {
      WriteUint32(child.target_oid, p);
      ++patched_oids_;
    }
    return absl::OkStatus();
  };
  switch (node.kind) {
    case Node::Kind::kArray:
      switch (f.step) {
        case 0:
          f.ndim = ReadInt32(p);
          if (f.ndim < 0 || f.ndim > kMaxDims) return Corrupt(absl::StrCat("an array of ", f.ndim, " dimensions"));
          f.step = 1;
          return absl::OkStatus();
        case 1: {
          const int32_t flags = ReadInt32(p);
          if (flags != 0 && flags != 1) return Corrupt(absl::StrCat("array flags ", flags));
          f.step = 2;
          return absl::OkStatus();
        }
        case 2:
          PGARK_RETURN_IF_ERROR(patch_oid(node.children[0], "element"));
          f.items = 1;
          f.dims_read = 0;
          f.step = f.ndim == 0 ? kDone : 3;
          return absl::OkStatus();
        case 3: {
          const int32_t dim = ReadInt32(p);
          if (dim < 0) return Corrupt(absl::StrCat("array dimension ", dim));
          f.items *= dim;
          if (f.items > std::numeric_limits<int32_t>::max()) return Corrupt("an array with too many elements");
          f.step = 4;
          return absl::OkStatus();
        }
        case 4:  // lower bound: any value
          if (++f.dims_read < f.ndim) {
            f.step = 3;
          } else if (f.items > f.remaining / 4) {
            return Corrupt(absl::StrCat("an array of ", f.items, " elements in ", f.remaining, " bytes"));
          } else {
            f.step = f.items == 0 ? kDone : 5;
          }
          return absl::OkStatus();
        default: {
          const int32_t len = ReadInt32(p);
          if (--f.items == 0) f.step = kDone;
          if (len == -1) return absl::OkStatus();
          return StartValue(node.children[0].node, len);
        }
      }
    case Node::Kind::kComposite:
      switch (f.step) {
        case 0: {
          const int32_t ncols = ReadInt32(p);
          if (ncols != static_cast<int32_t>(node.children.size())) {
            return Corrupt(absl::StrCat("a ", node.name, " value of ", ncols, " attributes where the archive records ",
                                        node.children.size()));
          }
          f.field = 0;
          f.step = ncols == 0 ? kDone : 1;
          return absl::OkStatus();
        }
        case 1:
          PGARK_RETURN_IF_ERROR(patch_oid(node.children[f.field], "attribute"));
          f.step = 2;
          return absl::OkStatus();
        default: {
          const int32_t len = ReadInt32(p);
          const int child = node.children[f.field].node;
          f.step = ++f.field == static_cast<int32_t>(node.children.size()) ? kDone : 1;
          if (len == -1) return absl::OkStatus();
          return StartValue(child, len);
        }
      }
    case Node::Kind::kRange:
      if (f.step == 0) {
        // As range_recv: the NULL-bound flags are masked out; a bound follows unless the
        // range is empty or that bound is infinite.
        const auto flags = static_cast<uint8_t>(p[0]);
        const bool empty = flags & 0x01;
        const bool lower = !empty && !(flags & 0x08);
        f.upper = !empty && !(flags & 0x10);
        f.step = lower ? 1 : f.upper ? 2 : kDone;
        return absl::OkStatus();
      }
      f.step = f.step == 1 && f.upper ? 2 : kDone;
      return StartValue(node.children[0].node, ReadUint32(p));
    case Node::Kind::kMultirange:
      if (f.step == 0) {
        f.items = ReadUint32(p);
        if (f.items > f.remaining / 4) {
          return Corrupt(absl::StrCat("a multirange of ", f.items, " ranges in ", f.remaining, " bytes"));
        }
        f.step = f.items == 0 ? kDone : 1;
        return absl::OkStatus();
      }
      if (--f.items == 0) f.step = kDone;
      return StartValue(node.children[0].node, ReadUint32(p));
    case Node::Kind::kOpaque:
      break;
  }
  return absl::InternalError("type OID patcher: opaque value parsed");
}

absl::Status TypeOidPatcher::Patch(std::string* chunk) {
  if (!carry_.empty()) {
    chunk->insert(0, carry_);
    carry_.clear();
  }
  char* p = chunk->data();
  const size_t n = chunk->size();
  size_t pos = 0;
  for (;;) {
    if (skip_ > 0) {
      if (pos == n) break;
      const size_t k = static_cast<size_t>(std::min<int64_t>(skip_, static_cast<int64_t>(n - pos)));
      pos += k;
      skip_ -= static_cast<int64_t>(k);
      continue;
    }
    PGARK_RETURN_IF_ERROR(PopCompleted());
    if (pos == n) break;
    const size_t need = TokenSize();
    if (n - pos < need) {
      carry_.assign(p + pos, n - pos);
      chunk->resize(pos);
      break;
    }
    PGARK_RETURN_IF_ERROR(OnToken(p + pos));
    pos += need;
  }
  return absl::OkStatus();
}

absl::Status TypeOidPatcher::Finish() const {
  if (!carry_.empty() || skip_ > 0 || stack_.size() > 1 || stack_[0].step != 0) {
    return Corrupt("the stream ends inside a row");
  }
  return absl::OkStatus();
}

}  // namespace pgark::engine::restore
