#include "engine/catalog/catalog_objects.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "format/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace pgark::catalog {
namespace {

using Json = nlohmann::json;

constexpr std::pair<ObjectKind, absl::string_view> kKindNames[] = {
    {ObjectKind::kSchema, "SCHEMA"},
    {ObjectKind::kExtension, "EXTENSION"},
    {ObjectKind::kType, "TYPE"},
    {ObjectKind::kShellType, "SHELL TYPE"},
    {ObjectKind::kDomain, "DOMAIN"},
    {ObjectKind::kFunction, "FUNCTION"},
    {ObjectKind::kAggregate, "AGGREGATE"},
    {ObjectKind::kOperator, "OPERATOR"},
    {ObjectKind::kOperatorClass, "OPERATOR CLASS"},
    {ObjectKind::kOperatorFamily, "OPERATOR FAMILY"},
    {ObjectKind::kCast, "CAST"},
    {ObjectKind::kCollation, "COLLATION"},
    {ObjectKind::kConversion, "CONVERSION"},
    {ObjectKind::kTextSearchParser, "TEXT SEARCH PARSER"},
    {ObjectKind::kTextSearchTemplate, "TEXT SEARCH TEMPLATE"},
    {ObjectKind::kTextSearchDictionary, "TEXT SEARCH DICTIONARY"},
    {ObjectKind::kTextSearchConfiguration, "TEXT SEARCH CONFIGURATION"},
    {ObjectKind::kLanguage, "PROCEDURAL LANGUAGE"},
    {ObjectKind::kTransform, "TRANSFORM"},
    {ObjectKind::kAccessMethod, "ACCESS METHOD"},
    {ObjectKind::kForeignDataWrapper, "FOREIGN DATA WRAPPER"},
    {ObjectKind::kForeignServer, "SERVER"},
    {ObjectKind::kUserMapping, "USER MAPPING"},
    {ObjectKind::kTable, "TABLE"},
    {ObjectKind::kView, "VIEW"},
    {ObjectKind::kMaterializedView, "MATERIALIZED VIEW"},
    {ObjectKind::kSequence, "SEQUENCE"},
    {ObjectKind::kSequenceOwnedBy, "SEQUENCE OWNED BY"},
    {ObjectKind::kTableAttach, "TABLE ATTACH"},
    {ObjectKind::kDefault, "DEFAULT"},
    {ObjectKind::kIndex, "INDEX"},
    {ObjectKind::kIndexAttach, "INDEX ATTACH"},
    {ObjectKind::kConstraint, "CONSTRAINT"},
    {ObjectKind::kForeignKey, "FK CONSTRAINT"},
    {ObjectKind::kTrigger, "TRIGGER"},
    {ObjectKind::kRule, "RULE"},
    {ObjectKind::kPolicy, "POLICY"},
    {ObjectKind::kRowSecurity, "ROW SECURITY"},
    {ObjectKind::kStatistics, "STATISTICS"},
    {ObjectKind::kPublication, "PUBLICATION"},
    {ObjectKind::kPublicationTable, "PUBLICATION TABLE"},
    {ObjectKind::kPublicationSchema, "PUBLICATION TABLES IN SCHEMA"},
    {ObjectKind::kSubscription, "SUBSCRIPTION"},
    {ObjectKind::kEventTrigger, "EVENT TRIGGER"},
    {ObjectKind::kDefaultAcl, "DEFAULT ACL"},
    {ObjectKind::kTableData, "TABLE DATA"},
    {ObjectKind::kSequenceSet, "SEQUENCE SET"},
    {ObjectKind::kLargeObject, "BLOB"},
    {ObjectKind::kMaterializedViewData, "MATERIALIZED VIEW DATA"},
    {ObjectKind::kDatabaseProperties, "DATABASE PROPERTIES"},
    {ObjectKind::kRole, "ROLE"},
    {ObjectKind::kTablespace, "TABLESPACE"},
};

constexpr absl::string_view kSectionNames[] = {"none", "pre-data", "data", "post-data"};
constexpr absl::string_view kPassNames[] = {"main", "acl", "post-acl"};

Json ColumnToJson(const ColumnInfo& c) {
  return Json{{"name", c.name},           {"type", c.type},     {"type_oid", c.type_oid},
              {"type_schema", c.type_schema}, {"type_name", c.type_name}, {"attnum", c.attnum},
              {"not_null", c.not_null}};
}

Json TableToJson(const TableInfo& t) {
  Json cols = Json::array();
  for (const ColumnInfo& c : t.columns) cols.push_back(ColumnToJson(c));
  return Json{{"oid", t.oid},
              {"relkind", std::string(1, t.relkind)},
              {"relpersistence", std::string(1, t.relpersistence)},
              {"columns", std::move(cols)},
              {"is_partition", t.is_partition},
              {"is_partitioned", t.is_partitioned},
              {"partition_root_id", t.partition_root_id},
              {"load_via_partition_root", t.load_via_partition_root},
              {"matview_populated", t.matview_populated},
              {"has_row_security", t.has_row_security},
              {"estimated_rows", t.estimated_rows},
              {"relpages", t.relpages},
              {"extension_config", t.extension_config},
              {"data_filter", t.data_filter},
              {"relfilenode", t.relfilenode}};
}

Json SequenceToJson(const SequenceInfo& s) {
  return Json{{"owned_by_table_id", s.owned_by_table_id}, {"owned_by_column", s.owned_by_column},
              {"is_identity", s.is_identity},             {"last_value", s.last_value},
              {"is_called", s.is_called},                 {"cycles", s.cycles}};
}

char FirstChar(const std::string& s, char fallback) { return s.empty() ? fallback : s[0]; }

ColumnInfo ColumnFromJson(const Json& j) {
  ColumnInfo c;
  c.name = j.at("name").get<std::string>();
  c.type = j.at("type").get<std::string>();
  c.type_oid = j.at("type_oid").get<uint32_t>();
  c.type_schema = j.at("type_schema").get<std::string>();
  c.type_name = j.at("type_name").get<std::string>();
  c.attnum = j.at("attnum").get<int>();
  c.not_null = j.at("not_null").get<bool>();
  return c;
}

TableInfo TableFromJson(const Json& j) {
  TableInfo t;
  t.oid = j.at("oid").get<uint32_t>();
  t.relkind = FirstChar(j.at("relkind").get<std::string>(), 'r');
  t.relpersistence = FirstChar(j.at("relpersistence").get<std::string>(), 'p');
  for (const Json& c : j.at("columns")) t.columns.push_back(ColumnFromJson(c));
  t.is_partition = j.at("is_partition").get<bool>();
  t.is_partitioned = j.at("is_partitioned").get<bool>();
  t.partition_root_id = j.at("partition_root_id").get<std::string>();
  t.load_via_partition_root = j.at("load_via_partition_root").get<bool>();
  t.matview_populated = j.at("matview_populated").get<bool>();
  t.has_row_security = j.at("has_row_security").get<bool>();
  t.estimated_rows = j.at("estimated_rows").get<int64_t>();
  t.relpages = j.at("relpages").get<int64_t>();
  // Added later: optional, so catalogs written before them still load.
  t.extension_config = j.value("extension_config", false);
  t.data_filter = j.value("data_filter", std::string());
  t.relfilenode = j.value("relfilenode", uint32_t{0});
  return t;
}

SequenceInfo SequenceFromJson(const Json& j) {
  SequenceInfo s;
  s.owned_by_table_id = j.at("owned_by_table_id").get<std::string>();
  s.owned_by_column = j.at("owned_by_column").get<std::string>();
  s.is_identity = j.at("is_identity").get<bool>();
  s.last_value = j.at("last_value").get<int64_t>();
  s.is_called = j.at("is_called").get<bool>();
  s.cycles = j.at("cycles").get<bool>();
  return s;
}

}  // namespace

absl::string_view ObjectKindName(ObjectKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "UNKNOWN";
}

absl::StatusOr<ObjectKind> ObjectKindFromName(absl::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown catalog object kind '", name, "'"));
}

absl::string_view SectionName(Section section) {
  auto idx = static_cast<size_t>(section);
  return idx < 4 ? kSectionNames[idx] : "unknown";
}

int Catalog::Find(absl::string_view id) const {
  for (size_t item_idx = 0; item_idx < items.size(); ++item_idx) {
    if (items[item_idx].id == id) return static_cast<int>(item_idx);
  }
  return -1;
}

namespace {

Json ItemToJson(const CatalogItem& item) {
  Json j{{"id", item.id},
         {"kind", std::string(ObjectKindName(item.kind))},
         {"schema", item.schema},
         {"name", item.name},
         {"owner", item.owner},
         {"section", std::string(SectionName(item.section))},
         {"pass", std::string(kPassNames[static_cast<size_t>(item.pass)])},
         {"create_sql", item.create_sql},
         {"owner_sql", item.owner_sql},
         {"acl_sql", item.acl_sql},
         {"comment_sql", item.comment_sql},
         {"seclabel_sql", item.seclabel_sql},
         {"drop_sql", item.drop_sql},
         {"dependencies", item.dependencies},
         {"table_id", item.table_id}};
  if (item.table) j["table"] = TableToJson(*item.table);
  if (item.sequence) j["sequence"] = SequenceToJson(*item.sequence);
  if (item.large_object_oid != 0) j["large_object_oid"] = item.large_object_oid;
  if (!item.tablespace.empty()) j["tablespace"] = item.tablespace;
  return j;
}

}  // namespace

std::string CatalogToJson(const Catalog& catalog) {
  Json root{{"format", "pgark-catalog"},
            {"version", 1},
            {"server_version", catalog.server_version},
            {"server_encoding", catalog.server_encoding},
            {"database", catalog.database},
            {"warnings", catalog.warnings},
            {"item_tablespaces", catalog.item_tablespaces},
            {"items", Json::array()}};
  if (catalog.database_info) {
    const DatabaseInfo& d = *catalog.database_info;
    root["database_info"] = Json{{"owner", d.owner},           {"tablespace", d.tablespace},
                                 {"locale_sql", d.locale_sql}, {"settings_sql", d.settings_sql},
                                 {"role_settings_sql", d.role_settings_sql},
                                 {"comment_sql", d.comment_sql}, {"acl_sql", d.acl_sql}};
    if (d.connection_limit) root["database_info"]["connection_limit"] = *d.connection_limit;
    root["database_info"]["is_template"] = d.is_template;
  }
  // Replace invalid UTF-8 rather than throw: names come from the database's encoding.
  auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  // The items are written one by one into the empty array's place, instead of building a
  // JSON tree of the whole catalog first (~60 MB more at 20,000 items). Same bytes: keys are
  // sorted, and `"items":[]` with bare quotes can only be the top-level key (quotes inside
  // strings are escaped).
  const std::string head = dump(root);
  const std::string empty_items = "\"items\":[]";
  const size_t array_end = head.find(empty_items) + empty_items.size() - 1;  // at the ']'
  std::string out(head, 0, array_end);
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    if (i > 0) out += ',';
    out += dump(ItemToJson(catalog.items[i]));
  }
  out.append(head, array_end);
  return out;
}

namespace {

// The position of `name` in `names`, or -1.
template <size_t N>
int IndexOfName(const absl::string_view (&names)[N], absl::string_view name) {
  for (size_t idx = 0; idx < N; ++idx) {
    if (names[idx] == name) return static_cast<int>(idx);
  }
  return -1;
}

// One element of "items", moved out of its parsed tree (which is dropped right after).
// `seen` holds the ids of the items before it: dependencies must point backwards.
absl::StatusOr<CatalogItem> ItemFromJson(Json& j, const std::set<std::string>& seen) {
  auto take = [&j](const char* key) { return std::move(j.at(key).get_ref<std::string&>()); };
  CatalogItem item;
  item.id = take("id");
  PGARK_ASSIGN_OR_RETURN(item.kind, ObjectKindFromName(j.at("kind").get_ref<const std::string&>()));
  item.schema = take("schema");
  item.name = take("name");
  item.owner = take("owner");
  const int section = IndexOfName(kSectionNames, j.at("section").get_ref<const std::string&>());
  const int pass = IndexOfName(kPassNames, j.at("pass").get_ref<const std::string&>());
  if (section < 0 || pass < 0) {
    return absl::InvalidArgumentError(absl::StrCat("catalog item '", item.id, "' has unknown section or pass"));
  }
  item.section = static_cast<Section>(section);
  item.pass = static_cast<RestorePass>(pass);
  item.create_sql = take("create_sql");
  item.owner_sql = take("owner_sql");
  item.acl_sql = take("acl_sql");
  item.comment_sql = take("comment_sql");
  item.seclabel_sql = take("seclabel_sql");
  item.drop_sql = take("drop_sql");
  item.dependencies = j.at("dependencies").get<std::vector<std::string>>();
  item.table_id = take("table_id");
  if (j.contains("table")) item.table = TableFromJson(j.at("table"));
  if (j.contains("sequence")) item.sequence = SequenceFromJson(j.at("sequence"));
  if (j.contains("large_object_oid")) item.large_object_oid = j.at("large_object_oid").get<uint32_t>();
  if (j.contains("tablespace")) item.tablespace = take("tablespace");
  for (const std::string& dep : item.dependencies) {
    if (seen.count(dep) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("catalog item '", item.id, "' depends on '", dep, "', which does not precede it"));
    }
  }
  if (seen.count(item.id) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate catalog item id '", item.id, "'"));
  }
  return item;
}

}  // namespace

absl::StatusOr<Catalog> CatalogFromJson(absl::string_view text) {
  Catalog catalog;
  std::set<std::string> seen;
  absl::Status item_error;  // the first item that did not convert
  std::string root_key;     // the top-level key being parsed
  // Each element of "items" becomes a CatalogItem as soon as it is parsed and is then dropped
  // from the tree (the callback returns false): the whole catalog is never held twice, as a
  // JSON tree and as items (2,000 tables, 8,000 items, `restore -l`: heap peak 55 -> 30 MB).
  auto convert_items = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key) {
      root_key = parsed.get<std::string>();
    } else if (depth == 2 && event == Json::parse_event_t::object_end && root_key == "items") {
      if (!item_error.ok()) return false;
      absl::StatusOr<CatalogItem> item = ItemFromJson(parsed, seen);
      if (!item.ok()) {
        item_error = item.status();
        return false;
      }
      seen.insert(item->id);
      catalog.items.push_back(*std::move(item));
      return false;
    }
    return true;
  };
  // Reserved up front, so that the growing vector never holds the items twice: every item has
  // one "create_sql" key (inside a string value its quotes would be escaped). A valid item takes
  // at least ~210 bytes of text (its 15 required keys with empty values), so hostile text
  // cannot reserve more items than a valid catalog of its size would hold.
  {
    size_t keys = 0;
    for (size_t at = text.find("\"create_sql\":"); at != absl::string_view::npos;
         at = text.find("\"create_sql\":", at + 1)) {
      ++keys;
    }
    catalog.items.reserve(std::min(keys, text.size() / 200));
  }
  try {
    Json root = Json::parse(text.begin(), text.end(), convert_items, /*allow_exceptions=*/false);
    if (root.is_discarded() || !root.is_object()) {
      return absl::DataLossError("catalog metadata is not valid JSON");
    }
    if (root.at("format").get<std::string>() != "pgark-catalog") {
      return absl::DataLossError("catalog metadata has an unknown format tag");
    }
    if (root.at("version").get<int>() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("catalog metadata version ",
                                                     root.at("version").get<int>(),
                                                     " is not supported (this pgark reads 1)"));
    }
    PGARK_RETURN_IF_ERROR(item_error);
    // Every object of the list became an item; anything left in it is not an item.
    const Json& rest = root.at("items");
    if (!rest.is_array() || !rest.empty()) return absl::DataLossError("catalog metadata has a malformed item list");
    catalog.server_version = root.at("server_version").get<int>();
    catalog.server_encoding = root.at("server_encoding").get<std::string>();
    catalog.database = root.at("database").get<std::string>();
    catalog.warnings = root.at("warnings").get<std::vector<std::string>>();
    // Absent before 2026-11-25: those archives keep TABLESPACE clauses in create_sql.
    catalog.item_tablespaces = root.value("item_tablespaces", false);
    if (root.contains("database_info")) {
      const Json& j = root.at("database_info");
      DatabaseInfo d;
      d.owner = j.at("owner").get<std::string>();
      d.tablespace = j.at("tablespace").get<std::string>();
      d.locale_sql = j.at("locale_sql").get<std::string>();
      d.settings_sql = j.at("settings_sql").get<std::string>();
      d.role_settings_sql = j.at("role_settings_sql").get<std::vector<std::pair<std::string, std::string>>>();
      d.comment_sql = j.at("comment_sql").get<std::string>();
      d.acl_sql = j.at("acl_sql").get<std::string>();
      // Absent before 2026-11-26 (docs/catalog.md "Globals": not recorded, not a template).
      if (j.contains("connection_limit")) d.connection_limit = j.at("connection_limit").get<int>();
      d.is_template = j.value("is_template", false);
      catalog.database_info = std::move(d);
    }
  } catch (const Json::exception& e) {
    return absl::DataLossError(absl::StrCat("catalog metadata is malformed: ", e.what()));
  }
  return catalog;
}

bool operator==(const ColumnInfo& a, const ColumnInfo& b) {
  return a.name == b.name && a.type == b.type && a.type_oid == b.type_oid &&
         a.type_schema == b.type_schema && a.type_name == b.type_name && a.attnum == b.attnum &&
         a.not_null == b.not_null;
}
bool operator==(const TableInfo& a, const TableInfo& b) {
  return a.oid == b.oid && a.relkind == b.relkind && a.relpersistence == b.relpersistence &&
         a.columns == b.columns && a.is_partition == b.is_partition &&
         a.is_partitioned == b.is_partitioned && a.partition_root_id == b.partition_root_id &&
         a.load_via_partition_root == b.load_via_partition_root &&
         a.matview_populated == b.matview_populated && a.has_row_security == b.has_row_security &&
         a.estimated_rows == b.estimated_rows && a.relpages == b.relpages &&
         a.extension_config == b.extension_config && a.data_filter == b.data_filter &&
         a.relfilenode == b.relfilenode;
}
bool operator==(const SequenceInfo& a, const SequenceInfo& b) {
  return a.owned_by_table_id == b.owned_by_table_id && a.owned_by_column == b.owned_by_column &&
         a.is_identity == b.is_identity && a.last_value == b.last_value &&
         a.is_called == b.is_called && a.cycles == b.cycles;
}
bool operator==(const CatalogItem& a, const CatalogItem& b) {
  return a.id == b.id && a.kind == b.kind && a.schema == b.schema && a.name == b.name &&
         a.owner == b.owner && a.section == b.section && a.pass == b.pass &&
         a.create_sql == b.create_sql && a.owner_sql == b.owner_sql && a.acl_sql == b.acl_sql &&
         a.comment_sql == b.comment_sql && a.seclabel_sql == b.seclabel_sql &&
         a.drop_sql == b.drop_sql && a.dependencies == b.dependencies &&
         a.table_id == b.table_id && a.table == b.table && a.sequence == b.sequence &&
         a.large_object_oid == b.large_object_oid && a.tablespace == b.tablespace;
}

}  // namespace pgark::catalog
