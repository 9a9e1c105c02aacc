// The catalog reader: queries every object kind, builds the dependency graph from
// pg_depend plus pg_dump's synthetic edges, sorts it (dependency_sort.h) and renders DDL.
//
// Structure: Collect*() functions each run one catalog query and add one Obj (graph node +
// what is needed to render it) per object. Rendering happens after the sort, because loop
// repairs change how some objects print (split-out CHECKs and defaults, dummy views,
// shell types).
#include "engine/catalog/catalog_reader.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/catalog/dependency_sort.h"
#include "engine/catalog/sql_text.h"
#include "engine/pg/snapshot.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::catalog {
namespace {

// System catalog OIDs (fixed since the catalogs were introduced; see pg_class.oid).
constexpr uint32_t kPgClass = 1259, kPgType = 1247, kPgProc = 1255, kPgNamespace = 2615,
                   kPgConstraint = 2606, kPgAttrdef = 2604, kPgRewrite = 2618, kPgTrigger = 2620,
                   kPgExtension = 3079, kPgCollation = 3456, kPgOperator = 2617, kPgOpclass = 2616,
                   kPgOpfamily = 2753, kPgCast = 2605, kPgConversion = 2607, kPgTsParser = 3601,
                   kPgTsTemplate = 3764, kPgTsDict = 3600, kPgTsConfig = 3602, kPgLanguage = 2612,
                   kPgTransform = 3576, kPgAm = 2601, kPgFdw = 2328, kPgForeignServer = 1417,
                   kPgPolicy = 3256, kPgStatisticExt = 3381, kPgPublication = 6104,
                   kPgEventTrigger = 3466, kPgLargeObject = 2613, kPgSubscription = 6100,
                   kPgUserMapping = 1418, kPgDefaultAcl = 826, kPgPublicationRel = 6106,
                   kPgPublicationNamespace = 6237;

using Key = std::pair<uint32_t, uint32_t>;  // (classid, objid)

// An OID (or small count) from a text column; 0 for NULL or garbage.
uint32_t Oid(absl::string_view text) {
  uint32_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

// Filters every user-object query: not a system object, not an extension member.
std::string UserObject(uint32_t classid, absl::string_view oid_expr) {
  return absl::StrCat(oid_expr, " >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend xd ",
                      "WHERE xd.classid = ", classid, " AND xd.objid = ", oid_expr,
                      " AND xd.deptype = 'e')");
}
std::string QualifiedNameExpr(absl::string_view schema_col, absl::string_view name_col);
constexpr absl::string_view kUserSchema =
    "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

struct ColumnDef {
  std::string name;
  std::string text;     // "name type COLLATE ... NOT NULL" without the default
  int default_node = -1;  // inline default part, if any
  std::string default_expr;
  bool generated = false;
  // 18+: the column's NOT NULL constraint, " CONSTRAINT name NOT NULL", printed after the
  // default. Column syntax, which every major parses (before 18 the name is ignored).
  std::string not_null;
};

// A column with its text only (no default, not generated).
ColumnDef PlainColumn(std::string name, std::string text) {
  ColumnDef column;
  column.name = std::move(name);
  column.text = std::move(text);
  return column;
}

struct Obj {
  // Rendering inputs.
  std::string create_sql;      // static DDL (most kinds)
  std::string ref;             // "TABLE s.t": target of COMMENT / ALTER ... OWNER / SECURITY LABEL
  std::string acl_ref;         // GRANT target; "" = no ACL
  std::string owner;
  std::string acl, default_acl;
  std::string column_acl_sql;  // column GRANTs (tables)
  std::string drop_sql;
  std::string comment_sql, seclabel_sql;
  std::string tablespace;      // CatalogItem::tablespace
  bool no_owner_sql = false;
  int table_node = -1;         // the table a post-data item belongs to
  std::optional<TableInfo> table;
  std::optional<SequenceInfo> sequence;
  uint32_t large_object_oid = 0;
  RestorePass pass = RestorePass::kMain;
  // Tables.
  bool is_table = false;
  std::string table_head;      // "CREATE TABLE s.t" ... up to the column list
  std::vector<ColumnDef> columns;
  std::vector<int> checks;     // inline CHECK parts
  std::string table_tail;      // INHERITS/PARTITION BY/... ;\n
  std::string table_alters;    // statements after CREATE
  bool typed_table = false;
  // Inline parts (checks, defaults, domain constraints).
  std::string inline_text;     // printed inside the parent
  std::string separate_sql;    // printed when split out
  // Views.
  std::string dummy_sql;       // CREATE VIEW ... AS SELECT NULL::type AS col ...
  std::string view_replace_sql;  // CREATE OR REPLACE VIEW (definition of a dummy view)
  std::string dummy_replace_sql;  // CREATE OR REPLACE VIEW ... AS SELECT NULL::type ... (undoes it)
  // Domains.
  bool is_domain = false;
  std::string domain_head;     // CREATE DOMAIN s.d AS type [COLLATE] [DEFAULT]
  std::vector<int> domain_checks;
  // Types with a shell.
  std::string shell_sql;
};

class Reader {
 public:
  Reader(pg::Connection& conn, const ReadOptions& options)
      : conn_(conn), options_(options), version_(conn.server_version()) {}

  absl::StatusOr<Catalog> Run();

 private:
  // --- graph construction ---
  int AddNode(uint32_t classid, uint32_t oid, ObjectKind kind, Section section,
              const std::string& schema, const std::string& name, const std::string& id_suffix = "");
  void Alias(uint32_t classid, uint32_t oid, int node) { alias_[{classid, oid}] = node; }
  int NodeOf(uint32_t classid, uint32_t oid) const {
    auto it = by_key_.find({classid, oid});
    if (it != by_key_.end()) return it->second;
    auto alias = alias_.find({classid, oid});
    return alias == alias_.end() ? -1 : alias->second;
  }
  void AddDep(int node, int dep) {
    if (node >= 0 && dep >= 0 && node != dep) nodes_[node].deps.push_back(dep);
  }
  std::string Q(absl::string_view ident) const { return quoter_.Ident(ident); }
  std::string QQ(absl::string_view schema, absl::string_view name) const {
    return quoter_.Qualified(schema, name);
  }
  bool SchemaSelected(const std::string& schema) const;
  bool TableSelected(const std::string& schema, const std::string& name) const;
  bool TableMode() const { return !options_.include_tables.empty(); }
  absl::StatusOr<pg::Result> Run(absl::string_view what, const std::string& sql);
  absl::StatusOr<DatabaseInfo> ReadDatabaseInfo();
  void Warn(const std::string& message) {
    PGARK_LOG(kWarning) << message;
    warnings_.push_back(message);
  }

  absl::Status CheckTransaction();
  absl::Status LoadKeywords();
  absl::Status CollectSchemas();
  absl::Status CollectExtensions();
  absl::Status CollectRelationsAndLock();
  absl::Status CollectTypes();
  absl::Status CollectFunctions();
  absl::Status CollectAggregates();
  absl::Status CollectOperators();
  absl::Status CollectOpFamiliesAndClasses();
  absl::Status CollectMiscPreData();   // casts, collations, conversions, languages, transforms, AMs
  absl::Status CollectTextSearch();
  absl::Status CollectForeignData();
  absl::Status CollectColumnsAndTables();
  absl::Status CollectSequences();
  absl::Status CollectViews();
  absl::Status CollectIndexesAndConstraints();
  // An index-backed constraint's kind ('p', 'u', 'x') and what its definition ends with.
  struct IndexConstraint {
    char contype = 'p';
    std::string deferral;  // " DEFERRABLE", " DEFERRABLE INITIALLY DEFERRED" or ""
  };
  void ApplyConstraintIndexStorage(const IndexConstraint& constraint, const std::string& tablespace,
                                   const std::string& quoted_tablespace, const std::string& reloptions, Obj& obj);
  absl::Status CollectTriggersRulesPolicies();
  absl::Status CollectStatistics();
  absl::Status CollectPublicationsAndSubscriptions();
  absl::Status CollectEventTriggersAndDefaultAcls();
  absl::Status CollectLargeObjects();
  absl::Status CollectExtensionConfigData();
  absl::Status CollectExtensionMemberAcls();
  absl::Status CollectDependsOnExtension();
  absl::Status CollectCommentsAndLabels();
  absl::Status CollectDependencies();
  void AddRefreshDependencies();
  std::string Render(int idx) const;
  std::string RenderTable(int idx) const;

  pg::Connection& conn_;
  const ReadOptions& options_;
  int version_;
  Quoter quoter_;
  std::vector<SortNode> nodes_;
  std::deque<Obj> objs_;  // deque: references stay valid while nodes are added
  std::map<Key, int> by_key_;
  std::map<Key, int> alias_;
  std::set<std::string> ids_;
  std::vector<std::string> warnings_;
  // Relations selected by the filters.
  struct Rel {
    uint32_t oid;
    std::string schema, name, owner;
    char relkind, persistence;
    int node = -1;
  };
  std::map<uint32_t, Rel> rels_;
  std::string rel_oids_;  // '{1,2,3}' for = ANY($1)
  std::map<uint32_t, int> refresh_node_;  // matview oid -> its REFRESH node
  // A constraint's index oid -> the constraint's node and "INDEX s.name" (for its comment).
  std::map<uint32_t, std::pair<int, std::string>> constraint_index_;
  // 18+ NOT NULL constraints printed in their column's definition -> (table node,
  // "CONSTRAINT n ON s.t"), for their comments and labels.
  std::map<uint32_t, std::pair<int, std::string>> column_not_null_;
  std::map<uint32_t, int> composite_relation_;  // a composite type's typrelid -> the type's node
  std::map<std::pair<uint32_t, std::string>, std::string> identity_;
  struct PendingAttach {
    int attach;
    uint32_t parent_index;
    int child;
    std::string child_name;
    uint32_t child_index = 0;
  };
  std::vector<PendingAttach> pending_index_attach_;
  // Configuration tables and sequences of dumped extensions (pg_extension_config_dump).
  struct ExtConfig {
    uint32_t oid;
    std::string schema, name;
    char relkind;
    std::string condition;
    uint32_t relfilenode;
    int extension_node;
  };
  std::vector<ExtConfig> ext_config_;  // (table, column) -> 'a'/'d'
};

absl::StatusOr<pg::Result> Reader::Run(absl::string_view what, const std::string& sql) {
  auto result = conn_.Query(sql);
  if (!result.ok()) return base::Annotate(result.status(), absl::StrCat("reading ", what));
  return result;
}

int Reader::AddNode(uint32_t classid, uint32_t oid, ObjectKind kind, Section section,
                    const std::string& schema, const std::string& name,
                    const std::string& id_suffix) {
  SortNode node;
  node.kind = kind;
  node.section = section;
  node.schema = schema;
  node.name = name;
  std::string id = absl::StrCat(ObjectKindName(kind), " ", schema.empty() ? "" : schema + ".",
                                name, id_suffix);
  std::string unique = id;
  for (int n = 2; ids_.count(unique) > 0; ++n) unique = absl::StrCat(id, " #", n);
  ids_.insert(unique);
  node.id = unique;
  nodes_.push_back(std::move(node));
  objs_.emplace_back();
  int idx = static_cast<int>(nodes_.size()) - 1;
  if (classid != 0) by_key_[{classid, oid}] = idx;
  return idx;
}

bool Reader::SchemaSelected(const std::string& schema) const {
  auto matches = [&](const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
      NamePattern parsed = ParseNamePattern(pattern);
      if (MatchesRegex(parsed.name_regex, schema)) return true;
    }
    return false;
  };
  if (!options_.include_schemas.empty() && !matches(options_.include_schemas)) return false;
  return !matches(options_.exclude_schemas);
}

bool Reader::TableSelected(const std::string& schema, const std::string& name) const {
  if (!SchemaSelected(schema)) return false;
  auto matches = [&](const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
      NamePattern parsed = ParseNamePattern(pattern);
      if (!parsed.schema_regex.empty() && !MatchesRegex(parsed.schema_regex, schema)) continue;
      if (MatchesRegex(parsed.name_regex, name)) return true;
    }
    return false;
  };
  if (!options_.include_tables.empty() && !matches(options_.include_tables)) return false;
  return !matches(options_.exclude_tables);
}

absl::Status Reader::CheckTransaction() {
  if (version_ < 120000) {
    return absl::FailedPreconditionError(
        absl::StrCat("server version ", version_, " is not supported (PostgreSQL 12 or later)"));
  }
  PGARK_ASSIGN_OR_RETURN(pg::Result r,
                         Run("the transaction state",
                             "SELECT pg_catalog.current_setting('transaction_isolation'), "
                             "pg_catalog.now() = pg_catalog.statement_timestamp()"));
  std::string isolation(r.Get(0, 0));
  // Outside a transaction block now() and statement_timestamp() are the same instant.
  bool in_block = !r.GetBool(0, 1);
  if (!in_block || (isolation != "repeatable read" && isolation != "serializable")) {
    return absl::FailedPreconditionError(
        "the catalog must be read inside a REPEATABLE READ or SERIALIZABLE transaction "
        "(BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY) so that it is consistent");
  }
  return absl::OkStatus();
}

absl::Status Reader::LoadKeywords() {
  PGARK_ASSIGN_OR_RETURN(pg::Result r, Run("keywords", "SELECT word FROM pg_catalog.pg_get_keywords() "
                                                       "WHERE catcode <> 'U'"));
  std::set<std::string> words;
  for (int row = 0; row < r.rows(); ++row) words.insert(std::string(r.Get(row, 0)));
  quoter_ = Quoter(std::move(words));
  return absl::OkStatus();
}

}  // namespace
namespace {

absl::Status Reader::CollectSchemas() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("schemas",
          absl::StrCat(
              "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl::text, "
              "pg_catalog.acldefault('n'::\"char\", n.nspowner)::text, n.nspowner, "
              "(SELECT ip.initprivs::text FROM pg_catalog.pg_init_privs ip WHERE ip.objoid = n.oid "
              "AND ip.classoid = ", kPgNamespace, " AND ip.objsubid = 0) "
              "FROM pg_catalog.pg_namespace n WHERE (", UserObject(kPgNamespace, "n.oid"),
              " OR n.nspname = 'public') AND ", kUserSchema, " ORDER BY n.nspname")));
  for (int row = 0; row < r.rows(); ++row) {
    std::string name(r.Get(row, 1));
    if (TableMode() || !SchemaSelected(name)) continue;
    int idx = AddNode(kPgNamespace, Oid((r.Get(row, 0))), ObjectKind::kSchema,
                      Section::kPreData, "", name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(r.Get(row, 2));
    obj.ref = absl::StrCat("SCHEMA ", Q(name));
    obj.acl_ref = obj.ref;
    obj.acl = std::string(r.Get(row, 3));
    obj.default_acl = std::string(r.Get(row, 4));
    if (name == "public") {
      // public exists in every new database: emit only the differences from its initial
      // state (owner pg_database_owner on 15+, the bootstrap superuser before; initial ACL
      // from pg_init_privs).
      uint32_t default_owner = version_ >= 150000 ? 6171 : 10;
      if (Oid((r.Get(row, 5))) == default_owner) obj.no_owner_sql = true;
      if (!r.IsNull(row, 6)) obj.default_acl = std::string(r.Get(row, 6));
      if (obj.acl.empty()) obj.acl = obj.default_acl;
    } else {
      obj.create_sql = absl::StrCat("CREATE SCHEMA ", Q(name), ";\n");
      obj.drop_sql = absl::StrCat("DROP SCHEMA IF EXISTS ", Q(name), ";\n");
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectExtensions() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("extensions",
          "SELECT x.oid, x.extname, n.nspname FROM pg_catalog.pg_extension x "
          "JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace WHERE x.oid >= 16384 "
          "ORDER BY x.extname"));
  for (int row = 0; row < r.rows(); ++row) {
    std::string name(r.Get(row, 1)), schema(r.Get(row, 2));
    if (TableMode() || !options_.include_schemas.empty()) continue;
    uint32_t oid = Oid((r.Get(row, 0)));
    int idx = AddNode(kPgExtension, oid, ObjectKind::kExtension, Section::kPreData, "", name);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("EXTENSION ", Q(name));
    obj.no_owner_sql = true;
    // No VERSION: the target installs its default version (pg_dump does the same).
    obj.create_sql =
        absl::StrCat("CREATE EXTENSION IF NOT EXISTS ", Q(name), " WITH SCHEMA ", Q(schema), ";\n");
    obj.drop_sql = absl::StrCat("DROP EXTENSION IF EXISTS ", Q(name), ";\n");
  }
  // Configuration tables (pg_extension_config_dump): their rows are dumped, filtered.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result config,
      Run("extension configuration tables",
          "SELECT x.oid, c.oid, n.nspname, c.relname, c.relkind, u.cond, c.relfilenode "
          "FROM pg_catalog.pg_extension x CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(x.extconfig), "
          "pg_catalog.unnest(x.extcondition)) u(reloid, cond) "
          "JOIN pg_catalog.pg_class c ON c.oid = u.reloid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "ORDER BY n.nspname, c.relname"));
  for (int row = 0; row < config.rows(); ++row) {
    int ext = NodeOf(kPgExtension, Oid(config.Get(row, 0)));
    std::string schema(config.Get(row, 2)), name(config.Get(row, 3));
    if (ext < 0 || !TableSelected(schema, name)) continue;
    ext_config_.push_back(ExtConfig{Oid(config.Get(row, 1)), schema, name, config.Get(row, 4)[0],
                                    std::string(config.Get(row, 5)), Oid(config.Get(row, 6)), ext});
  }
  // Extension members are not dumped; objects that use them depend on the extension.
  PGARK_ASSIGN_OR_RETURN(pg::Result members,
                         Run("extension members",
                             "SELECT classid, objid, refobjid FROM pg_catalog.pg_depend "
                             "WHERE deptype = 'e' AND refclassid = 3079"));
  for (int row = 0; row < members.rows(); ++row) {
    int ext = NodeOf(kPgExtension, Oid((members.Get(row, 2))));
    if (ext >= 0) {
      Alias(Oid((members.Get(row, 0))),
            Oid((members.Get(row, 1))), ext);
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectRelationsAndLock() {
  // Catalog columns only: nothing here may call a pg_get_* deparser before the lock.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("the table list",
          absl::StrCat("SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, "
                       "pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relkind IN ('r','p','v','m','S','f') AND ",
                       UserObject(kPgClass, "c.oid"), " AND ", kUserSchema,
                       " ORDER BY n.nspname, c.relname")));
  std::vector<std::string> lock_list;
  std::vector<std::string> oids;
  for (int row = 0; row < r.rows(); ++row) {
    Rel rel;
    rel.oid = Oid((r.Get(row, 0)));
    rel.schema = std::string(r.Get(row, 1));
    rel.name = std::string(r.Get(row, 2));
    rel.relkind = r.Get(row, 3)[0];
    rel.persistence = r.Get(row, 4)[0];
    rel.owner = std::string(r.Get(row, 5));
    bool selected = TableSelected(rel.schema, rel.name);
    if (!selected) continue;
    if (rel.relkind == 'r' || rel.relkind == 'p') lock_list.push_back(QQ(rel.schema, rel.name));
    oids.push_back(std::to_string(rel.oid));
    rels_[rel.oid] = rel;
  }
  for (const ExtConfig& config : ext_config_) {
    if (config.relkind == 'r' && !options_.schema_only) lock_list.push_back(QQ(config.schema, config.name));
  }
  if (!options_.include_tables.empty() && rels_.empty()) {
    return absl::NotFoundError(absl::StrCat("no matching tables were found for -t ",
                                            absl::StrJoin(options_.include_tables, ", ")));
  }
  rel_oids_ = absl::StrCat("'{", absl::StrJoin(oids, ","), "}'::pg_catalog.oid[]");
  if (!options_.lock_tables || lock_list.empty()) return absl::OkStatus();
  PGARK_RETURN_IF_ERROR(pg::CheckLockCapacity(conn_, lock_list.size()));
  PGARK_RETURN_IF_ERROR(conn_.Execute(absl::StrCat(
      "SET LOCAL lock_timeout = ", options_.lock_wait_timeout_ms)));
  // Batches keep each statement short; one LOCK per table would cost a round trip each.
  for (size_t start = 0; start < lock_list.size(); start += 200) {
    size_t end = std::min(lock_list.size(), start + 200);
    std::vector<std::string> batch(lock_list.begin() + start, lock_list.begin() + end);
    absl::Status locked = conn_.Execute(
        absl::StrCat("LOCK TABLE ", absl::StrJoin(batch, ", "), " IN ACCESS SHARE MODE"));
    if (!locked.ok()) {
      if (pg::SqlStateOf(locked) == "55P03") {
        return absl::FailedPreconditionError(absl::StrCat(
            "could not lock a table for the dump within ", options_.lock_wait_timeout_ms,
            " ms (another session holds a conflicting lock on one of: ",
            absl::StrJoin(batch, ", "), "): ", locked.message()));
      }
      return base::Annotate(locked, "locking tables");
    }
  }
  PGARK_RETURN_IF_ERROR(conn_.Execute("SET LOCAL lock_timeout = 0"));
  // A TRUNCATE or table rewrite that committed between the snapshot and the lock is not
  // MVCC-safe: the table would look empty to the dump. relfilenode as the snapshot sees it
  // against pg_relation_filenode() (the current catalog) tells.
  std::vector<std::string> locked;
  for (const auto& [oid, rel] : rels_) {
    if (rel.relkind == 'r' || rel.relkind == 'p') locked.push_back(std::to_string(oid));
  }
  for (const ExtConfig& config : ext_config_) {
    if (config.relkind == 'r' && !options_.schema_only) locked.push_back(std::to_string(config.oid));
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result changed,
      Run("table storage after locking",
          absl::StrCat("SELECT ", QualifiedNameExpr("n.nspname", "c.relname"), " FROM pg_catalog.pg_class c "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY('{",
                       absl::StrJoin(locked, ","), "}'::pg_catalog.oid[]) AND c.relfilenode <> 0 AND "
                       "c.relfilenode IS DISTINCT FROM pg_catalog.pg_relation_filenode(c.oid) ORDER BY 1")));
  if (changed.rows() > 0) {
    std::vector<std::string> names;
    for (int row = 0; row < changed.rows(); ++row) names.push_back(std::string(changed.Get(row, 0)));
    return absl::AbortedError(absl::StrCat(
        "tables were truncated or rewritten after the dump's snapshot was taken (retry the dump): ",
        absl::StrJoin(names, ", ")));
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectTypes() {
  if (TableMode()) return absl::OkStatus();
  std::string subscript = version_ >= 140000 ? "t.typsubscript::text" : "'-'";
  // A range's multirange type (14+) is named only when CREATE TYPE would not pick that name
  // itself (makeMultirangeTypeName: "range" in the name becomes "multirange", else "_multirange"
  // is appended; same schema). So the CREATE TYPE of a range with the default multirange also
  // runs on a 12/13 target, which knows no multirange_type_name. A name the server would have
  // clipped (over 63 bytes) is always printed: correct on 14+.
  std::string multirange =
      version_ >= 140000
          ? "(SELECT pg_catalog.quote_ident(mn.nspname) || '.' || pg_catalog.quote_ident(mt.typname) "
            "FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace "
            "WHERE mt.oid = rg.rngmultitypid AND NOT (mt.typnamespace = t.typnamespace AND mt.typname::text = "
            "CASE WHEN pg_catalog.strpos(t.typname::text, 'range') > 0 THEN pg_catalog.overlay(t.typname::text, "
            "'multirange', pg_catalog.strpos(t.typname::text, 'range'), 5) "
            "ELSE t.typname::text || '_multirange' END))"
          : "NULL";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("types",
          absl::StrCat(
              "SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner), "
              "t.typtype, t.typacl::text, pg_catalog.acldefault('T'::\"char\", t.typowner)::text, "
              "pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, "
              "pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass), "
              "CASE WHEN t.typcollation <> 0 AND t.typcollation <> "
              "(SELECT bt.typcollation FROM pg_catalog.pg_type bt WHERE bt.oid = t.typbasetype) THEN "
              "(SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) "
              "FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
              "WHERE co.oid = t.typcollation) END, "
              // 10: enum labels
              "(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
              "FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), "
              // 11: range parts
              "pg_catalog.format_type(rg.rngsubtype, NULL), "
              "CASE WHEN rg.rngsubopc IS NOT NULL AND NOT (SELECT opc.opcdefault FROM pg_catalog.pg_opclass opc WHERE opc.oid = rg.rngsubopc) "
              "THEN (SELECT pg_catalog.quote_ident(on2.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) FROM pg_catalog.pg_opclass opc "
              "JOIN pg_catalog.pg_namespace on2 ON on2.oid = opc.opcnamespace WHERE opc.oid = rg.rngsubopc) END, "
              "CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> (SELECT st.typcollation FROM pg_catalog.pg_type st WHERE st.oid = rg.rngsubtype) "
              "THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) "
              "FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
              "WHERE co.oid = rg.rngcollation) END, "
              "NULLIF(rg.rngcanonical, 0)::pg_catalog.regproc::text, NULLIF(rg.rngsubdiff, 0)::pg_catalog.regproc::text, ",
              multirange, ", "
              // 17: base type parts
              "t.typinput::text, t.typoutput::text, NULLIF(t.typreceive, 0)::pg_catalog.regproc::text, "
              "NULLIF(t.typsend, 0)::pg_catalog.regproc::text, NULLIF(t.typmodin, 0)::pg_catalog.regproc::text, "
              "NULLIF(t.typmodout, 0)::pg_catalog.regproc::text, NULLIF(t.typanalyze, 0)::pg_catalog.regproc::text, ",
              subscript, ", t.typlen, t.typbyval, t.typalign, t.typstorage, t.typcategory, t.typispreferred, "
              "t.typdelim, CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END, t.typdefault, "
              "t.typcollation <> 0, "
              // 33: composite attributes
              "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ' ' || "
              "pg_catalog.format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attcollation <> at.typcollation THEN "
              "' COLLATE ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) "
              "FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
              "WHERE co.oid = a.attcollation) ELSE '' END, ',\n    ' ORDER BY a.attnum) "
              "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid "
              "WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), "
              // 37
              "t.typrelid "
              "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
              "LEFT JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid "
              "WHERE ", UserObject(kPgType, "t.oid"), " AND ", kUserSchema,
              " AND (t.typtype IN ('e','r','d','b') OR (t.typtype = 'c' AND "
              "(SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) "
              " AND NOT (t.typtype = 'b' AND t.typelem <> 0 AND t.typlen = -1 AND t.typname LIKE '\\_%') "
              "ORDER BY n.nspname, t.typname")));
  for (int row = 0; row < r.rows(); ++row) {
    std::string schema(r.Get(row, 1)), name(r.Get(row, 2));
    if (!SchemaSelected(schema)) continue;
    char typtype = r.Get(row, 4)[0];
    uint32_t oid = Oid((r.Get(row, 0)));
    bool is_domain = typtype == 'd';
    int idx = AddNode(kPgType, oid, is_domain ? ObjectKind::kDomain : ObjectKind::kType,
                      Section::kPreData, schema, name);
    std::string qname = QQ(schema, name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(r.Get(row, 3));
    obj.ref = absl::StrCat(is_domain ? "DOMAIN " : "TYPE ", qname);
    obj.acl_ref = absl::StrCat("TYPE ", qname);
    obj.acl = std::string(r.Get(row, 5));
    obj.default_acl = std::string(r.Get(row, 6));
    obj.drop_sql = absl::StrCat("DROP ", is_domain ? "DOMAIN" : "TYPE", " IF EXISTS ", qname, ";\n");
    obj.shell_sql = absl::StrCat("CREATE TYPE ", qname, ";\n");
    auto opt = [&](int col) { return r.IsNull(row, col) ? std::string() : std::string(r.Get(row, col)); };
    switch (typtype) {
      case 'e':
        obj.create_sql = absl::StrCat("CREATE TYPE ", qname, " AS ENUM (", opt(11), ");\n");
        break;
      case 'c':
        obj.create_sql = absl::StrCat("CREATE TYPE ", qname, " AS (\n    ", opt(36), "\n);\n");
        composite_relation_[Oid(r.Get(row, 37))] = idx;
        break;
      case 'r': {
        nodes_[idx].shellable = true;
        std::string body = absl::StrCat("subtype = ", opt(12));
        if (!opt(13).empty()) absl::StrAppend(&body, ",\n    subtype_opclass = ", opt(13));
        if (!opt(14).empty()) absl::StrAppend(&body, ",\n    collation = ", opt(14));
        if (!opt(15).empty()) absl::StrAppend(&body, ",\n    canonical = ", opt(15));
        if (!opt(16).empty()) absl::StrAppend(&body, ",\n    subtype_diff = ", opt(16));
        if (!opt(17).empty()) absl::StrAppend(&body, ",\n    multirange_type_name = ", opt(17));
        obj.create_sql = absl::StrCat("CREATE TYPE ", qname, " AS RANGE (\n    ", body, "\n);\n");
        break;
      }
      case 'd': {
        obj.is_domain = true;
        obj.domain_head = absl::StrCat("CREATE DOMAIN ", qname, " AS ", opt(7));
        if (!opt(10).empty()) absl::StrAppend(&obj.domain_head, " COLLATE ", opt(10));
        if (!opt(9).empty()) absl::StrAppend(&obj.domain_head, " DEFAULT ", opt(9));
        // 17+: a domain's NOT NULL is a named pg_constraint row, rendered with the others below.
        if (r.GetBool(row, 8) && version_ < 170000) absl::StrAppend(&obj.domain_head, " NOT NULL");
        break;
      }
      case 'b': {
        nodes_[idx].shellable = true;
        // Its I/O functions depend on it (and it on them): CASCADE drops them with it, as
        // pg_dump --clean does; their own DROP ... IF EXISTS then finds nothing.
        obj.drop_sql = absl::StrCat("DROP TYPE IF EXISTS ", qname, " CASCADE;\n");
        std::string body = absl::StrCat("INTERNALLENGTH = ", opt(26) == "-1" ? "variable" : opt(26),
                                        ",\n    INPUT = ", opt(18), ",\n    OUTPUT = ", opt(19));
        auto add = [&](absl::string_view key, const std::string& value) {
          if (!value.empty()) absl::StrAppend(&body, ",\n    ", key, " = ", value);
        };
        add("RECEIVE", opt(20));
        add("SEND", opt(21));
        add("TYPMOD_IN", opt(22));
        add("TYPMOD_OUT", opt(23));
        add("ANALYZE", opt(24));
        if (opt(25) != "-" && opt(25) != "0") add("SUBSCRIPT", opt(25));
        add("CATEGORY", opt(30) != "U" ? Literal(opt(30)) : "");
        if (r.GetBool(row, 31)) add("PREFERRED", "true");
        add("DEFAULT", r.IsNull(row, 34) ? "" : Literal(opt(34)));
        add("ELEMENT", opt(33));
        std::string align = opt(28);
        add("ALIGNMENT", align == "c" ? "char" : align == "s" ? "int2" : align == "i" ? "int4" : "double");
        std::string storage = opt(29);
        add("STORAGE", storage == "p" ? "plain" : storage == "e" ? "external" : storage == "x" ? "extended" : "main");
        if (opt(32) != ",") add("DELIMITER", Literal(opt(32)));
        if (r.GetBool(row, 27)) absl::StrAppend(&body, ",\n    PASSEDBYVALUE");
        if (r.GetBool(row, 35)) add("COLLATABLE", "true");
        obj.create_sql = absl::StrCat("CREATE TYPE ", qname, " (\n    ", body, "\n);\n");
        break;
      }
    }
  }
  // Domain constraints (CHECK, and on 17+ the named NOT NULL): validated ones print inside
  // CREATE DOMAIN (an inline part that a loop can split out); NOT VALID ones are post-data
  // ALTER DOMAIN ... ADD CONSTRAINT.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("domain constraints",
          absl::StrCat("SELECT co.oid, co.contypid, co.conname, pg_catalog.pg_get_constraintdef(co.oid), co.convalidated "
                       "FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0 AND co.contype IN ('c'",
                       version_ >= 170000 ? ", 'n'" : "", ") AND co.contypid >= 16384 ORDER BY co.contypid, co.conname")));
  for (int row = 0; row < c.rows(); ++row) {
    int domain = NodeOf(kPgType, Oid((c.Get(row, 1))));
    if (domain < 0 || !objs_[domain].is_domain) continue;
    std::string name(c.Get(row, 2)), def(c.Get(row, 3));
    std::string qdomain = QQ(nodes_[domain].schema, nodes_[domain].name);
    int idx = AddNode(kPgConstraint, Oid((c.Get(row, 0))), ObjectKind::kConstraint,
                      Section::kPostData, nodes_[domain].schema, nodes_[domain].name + " " + name);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("CONSTRAINT ", Q(name), " ON DOMAIN ", qdomain);
    obj.no_owner_sql = true;
    obj.inline_text = absl::StrCat("CONSTRAINT ", Q(name), " ", def);
    obj.separate_sql = absl::StrCat("ALTER DOMAIN ", qdomain, " ADD CONSTRAINT ", Q(name), " ", def, ";\n");
    nodes_[idx].inline_parent = domain;
    if (!c.GetBool(row, 4)) {
      nodes_[idx].separated = true;
      AddDep(idx, domain);
    } else {
      objs_[domain].domain_checks.push_back(idx);
      AddDep(domain, idx);
    }
  }
  return absl::OkStatus();
}

}  // namespace
namespace {

absl::Status Reader::CollectFunctions() {
  if (TableMode()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("functions",
          absl::StrCat("SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner), "
                       "pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind, "
                       "p.proacl::text, pg_catalog.acldefault('f'::\"char\", p.proowner)::text, "
                       "pg_catalog.pg_get_functiondef(p.oid) "
                       "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                       "WHERE p.prokind IN ('f','p','w') AND ", UserObject(kPgProc, "p.oid"),
                       // Range and multirange constructors are made by CREATE TYPE.
                       " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 1255 "
                       "AND i.objid = p.oid AND i.deptype = 'i') AND ",
                       kUserSchema, " ORDER BY n.nspname, p.proname, 5")));
  for (int row = 0; row < r.rows(); ++row) {
    std::string schema(r.Get(row, 1)), name(r.Get(row, 2)), args(r.Get(row, 4));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgProc, Oid((r.Get(row, 0))), ObjectKind::kFunction,
                      Section::kPreData, schema, absl::StrCat(name, "(", args, ")"));
    Obj& obj = objs_[idx];
    bool procedure = r.Get(row, 5) == "p";
    std::string signature = absl::StrCat(QQ(schema, name), "(", args, ")");
    obj.owner = std::string(r.Get(row, 3));
    obj.ref = absl::StrCat(procedure ? "PROCEDURE " : "FUNCTION ", signature);
    obj.acl_ref = obj.ref;
    obj.acl = std::string(r.Get(row, 6));
    obj.default_acl = std::string(r.Get(row, 7));
    // pg_get_functiondef covers every attribute (SET, SUPPORT, BEGIN ATOMIC, WINDOW, ...).
    std::string def(r.Get(row, 8));
    while (!def.empty() && (def.back() == '\n' || def.back() == ' ')) def.pop_back();
    obj.create_sql = absl::StrCat(def, ";\n");
    obj.drop_sql = absl::StrCat("DROP ", procedure ? "PROCEDURE" : "FUNCTION", " IF EXISTS ", signature, ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectAggregates() {
  if (TableMode()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("aggregates",
          absl::StrCat(
              "SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner), "
              "pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_function_arguments(p.oid), "
              "p.proacl::text, pg_catalog.acldefault('f'::\"char\", p.proowner)::text, "
              "a.aggtransfn::text, pg_catalog.format_type(a.aggtranstype, NULL), a.aggtransspace, a.agginitval, "
              "NULLIF(a.aggfinalfn, 0)::pg_catalog.regproc::text, a.aggfinalextra, a.aggfinalmodify, "
              "NULLIF(a.aggcombinefn, 0)::pg_catalog.regproc::text, NULLIF(a.aggserialfn, 0)::pg_catalog.regproc::text, "
              "NULLIF(a.aggdeserialfn, 0)::pg_catalog.regproc::text, NULLIF(a.aggmtransfn, 0)::pg_catalog.regproc::text, "
              "NULLIF(a.aggminvtransfn, 0)::pg_catalog.regproc::text, "
              "CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END, a.aggmtransspace, "
              "a.aggminitval, NULLIF(a.aggmfinalfn, 0)::pg_catalog.regproc::text, a.aggmfinalextra, a.aggmfinalmodify, "
              "CASE WHEN a.aggsortop <> 0 THEN 'OPERATOR(' || (SELECT pg_catalog.quote_ident(son.nspname) || '.' || so.oprname "
              "FROM pg_catalog.pg_operator so JOIN pg_catalog.pg_namespace son ON son.oid = so.oprnamespace WHERE so.oid = a.aggsortop) || ')' END, "
              "a.aggkind, p.proparallel "
              "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
              "JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid "
              "WHERE ", UserObject(kPgProc, "p.oid"), " AND ", kUserSchema, " ORDER BY n.nspname, p.proname, 5")));
  for (int row = 0; row < r.rows(); ++row) {
    std::string schema(r.Get(row, 1)), name(r.Get(row, 2)), args(r.Get(row, 4));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgProc, Oid((r.Get(row, 0))), ObjectKind::kAggregate,
                      Section::kPreData, schema, absl::StrCat(name, "(", args, ")"));
    Obj& obj = objs_[idx];
    auto opt = [&](int col) { return r.IsNull(row, col) ? std::string() : std::string(r.Get(row, col)); };
    std::string signature = absl::StrCat(QQ(schema, name), "(", args.empty() ? "*" : args, ")");
    obj.owner = opt(3);
    obj.ref = absl::StrCat("AGGREGATE ", signature);
    obj.acl_ref = absl::StrCat("FUNCTION ", QQ(schema, name), "(", args, ")");
    obj.acl = opt(6);
    obj.default_acl = opt(7);
    std::string kind = opt(27);
    std::string body = absl::StrCat("SFUNC = ", opt(8), ",\n    STYPE = ", opt(9));
    auto add = [&](absl::string_view key, const std::string& value) {
      if (!value.empty()) absl::StrAppend(&body, ",\n    ", key, " = ", value);
    };
    if (opt(10) != "0") add("SSPACE", opt(10));
    add("INITCOND", r.IsNull(row, 11) ? "" : Literal(opt(11)));
    add("FINALFUNC", opt(12));
    if (r.GetBool(row, 13)) absl::StrAppend(&body, ",\n    FINALFUNC_EXTRA");
    auto modify = [](const std::string& m) {
      return m == "r" ? "READ_ONLY" : m == "s" ? "SHAREABLE" : "READ_WRITE";
    };
    std::string default_modify = kind == "n" ? "r" : "w";
    if (!opt(12).empty() && opt(14) != default_modify) add("FINALFUNC_MODIFY", modify(opt(14)));
    add("COMBINEFUNC", opt(15));
    add("SERIALFUNC", opt(16));
    add("DESERIALFUNC", opt(17));
    add("MSFUNC", opt(18));
    add("MINVFUNC", opt(19));
    add("MSTYPE", opt(20));
    if (!opt(21).empty() && opt(21) != "0") add("MSSPACE", opt(21));
    add("MINITCOND", r.IsNull(row, 22) ? "" : Literal(opt(22)));
    add("MFINALFUNC", opt(23));
    if (r.GetBool(row, 24)) absl::StrAppend(&body, ",\n    MFINALFUNC_EXTRA");
    if (!opt(23).empty() && opt(25) != default_modify) add("MFINALFUNC_MODIFY", modify(opt(25)));
    add("SORTOP", opt(26));
    if (kind == "h") absl::StrAppend(&body, ",\n    HYPOTHETICAL");
    std::string parallel = opt(28);
    if (parallel == "s") add("PARALLEL", "safe");
    if (parallel == "r") add("PARALLEL", "restricted");
    obj.create_sql = absl::StrCat("CREATE AGGREGATE ", QQ(schema, name), "(",
                                  opt(5).empty() ? "*" : opt(5), ") (\n    ", body, "\n);\n");
    obj.drop_sql = absl::StrCat("DROP AGGREGATE IF EXISTS ", signature, ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectOperators() {
  if (TableMode()) return absl::OkStatus();
  auto opref = [](absl::string_view col) {
    return absl::StrCat("CASE WHEN ", col, " <> 0 THEN (SELECT 'OPERATOR(' || pg_catalog.quote_ident(x.nspname) || '.' || o2.oprname || ')' "
                        "FROM pg_catalog.pg_operator o2 JOIN pg_catalog.pg_namespace x ON x.oid = o2.oprnamespace WHERE o2.oid = ", col, ") END");
  };
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("operators",
          absl::StrCat("SELECT o.oid, n.nspname, o.oprname, pg_catalog.pg_get_userbyid(o.oprowner), "
                       "CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END, "
                       "CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END, "
                       "o.oprcode::text, ", opref("o.oprcom"), ", ", opref("o.oprnegate"), ", "
                       "NULLIF(o.oprrest, 0)::pg_catalog.regproc::text, NULLIF(o.oprjoin, 0)::pg_catalog.regproc::text, "
                       "o.oprcanmerge, o.oprcanhash "
                       "FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
                       "WHERE ", UserObject(kPgOperator, "o.oid"), " AND ", kUserSchema,
                       " ORDER BY n.nspname, o.oprname, 5, 6")));
  for (int row = 0; row < r.rows(); ++row) {
    std::string schema(r.Get(row, 1)), name(r.Get(row, 2));
    if (!SchemaSelected(schema)) continue;
    auto opt = [&](int col) { return r.IsNull(row, col) ? std::string() : std::string(r.Get(row, col)); };
    std::string types = absl::StrCat("(", opt(4), ", ", opt(5), ")");
    int idx = AddNode(kPgOperator, Oid(opt(0)), ObjectKind::kOperator, Section::kPreData,
                      schema, name + types);
    Obj& obj = objs_[idx];
    std::string qname = absl::StrCat(Q(schema), ".", name);
    obj.owner = opt(3);
    obj.ref = absl::StrCat("OPERATOR ", qname, " ", types);
    std::string body = absl::StrCat("FUNCTION = ", opt(6));
    if (opt(4) != "NONE") absl::StrAppend(&body, ",\n    LEFTARG = ", opt(4));
    if (opt(5) != "NONE") absl::StrAppend(&body, ",\n    RIGHTARG = ", opt(5));
    if (!opt(7).empty()) absl::StrAppend(&body, ",\n    COMMUTATOR = ", opt(7));
    if (!opt(8).empty()) absl::StrAppend(&body, ",\n    NEGATOR = ", opt(8));
    if (!opt(9).empty()) absl::StrAppend(&body, ",\n    RESTRICT = ", opt(9));
    if (!opt(10).empty()) absl::StrAppend(&body, ",\n    JOIN = ", opt(10));
    if (r.GetBool(row, 11)) absl::StrAppend(&body, ",\n    MERGES");
    if (r.GetBool(row, 12)) absl::StrAppend(&body, ",\n    HASHES");
    obj.create_sql = absl::StrCat("CREATE OPERATOR ", qname, " (\n    ", body, "\n);\n");
    obj.drop_sql = absl::StrCat("DROP OPERATOR IF EXISTS ", qname, " ", types, ";\n");
  }
  return absl::OkStatus();
}

// Operator-class/family member lines ("OPERATOR 1 s.< (int, int)", "FUNCTION 1 (int, int) f(int)").
constexpr absl::string_view kAmopLine =
    "'OPERATOR ' || ao.amopstrategy || ' ' || (SELECT pg_catalog.quote_ident(x.nspname) || '.' || o.oprname "
    "FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace x ON x.oid = o.oprnamespace WHERE o.oid = ao.amopopr) || "
    "' (' || pg_catalog.format_type(ao.amoplefttype, NULL) || ', ' || pg_catalog.format_type(ao.amoprighttype, NULL) || ')' || "
    "CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || (SELECT pg_catalog.quote_ident(x.nspname) || '.' || pg_catalog.quote_ident(f.opfname) "
    "FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace x ON x.oid = f.opfnamespace WHERE f.oid = ao.amopsortfamily) ELSE '' END";
constexpr absl::string_view kAmprocLine =
    "'FUNCTION ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', ' || "
    "pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || ap.amproc::pg_catalog.regprocedure::text";

absl::Status Reader::CollectOpFamiliesAndClasses() {
  if (TableMode()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result f,
      Run("operator families",
          absl::StrCat(
              "SELECT f.oid, n.nspname, f.opfname, pg_catalog.pg_get_userbyid(f.opfowner), am.amname, "
              "(SELECT pg_catalog.string_agg(", kAmopLine, ", ',\n    ' ORDER BY ao.amopstrategy, ao.amoplefttype, ao.amoprighttype) "
              " FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON d.classid = 2602 AND d.objid = ao.oid "
              " WHERE d.refclassid = 2753 AND d.refobjid = f.oid AND d.deptype = 'a'), "
              "(SELECT pg_catalog.string_agg(", kAmprocLine, ", ',\n    ' ORDER BY ap.amprocnum, ap.amproclefttype, ap.amprocrighttype) "
              " FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON d.classid = 2603 AND d.objid = ap.oid "
              " WHERE d.refclassid = 2753 AND d.refobjid = f.oid AND d.deptype = 'a') "
              "FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace "
              "JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod WHERE ", UserObject(kPgOpfamily, "f.oid"),
              " AND ", kUserSchema, " ORDER BY n.nspname, f.opfname, am.amname")));
  for (int row = 0; row < f.rows(); ++row) {
    std::string schema(f.Get(row, 1)), name(f.Get(row, 2)), am(f.Get(row, 4));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgOpfamily, Oid((f.Get(row, 0))), ObjectKind::kOperatorFamily,
                      Section::kPreData, schema, absl::StrCat(name, " USING ", am));
    Obj& obj = objs_[idx];
    std::string ref = absl::StrCat(QQ(schema, name), " USING ", Q(am));
    obj.owner = std::string(f.Get(row, 3));
    obj.ref = absl::StrCat("OPERATOR FAMILY ", ref);
    obj.create_sql = absl::StrCat("CREATE OPERATOR FAMILY ", ref, ";\n");
    // Loose members (not owned by an operator class) are added to the family directly.
    std::vector<std::string> loose;
    if (!f.IsNull(row, 5)) loose.push_back(std::string(f.Get(row, 5)));
    if (!f.IsNull(row, 6)) loose.push_back(std::string(f.Get(row, 6)));
    if (!loose.empty()) {
      absl::StrAppend(&obj.create_sql, "ALTER OPERATOR FAMILY ", ref, " ADD\n    ",
                      absl::StrJoin(loose, ",\n    "), ";\n");
    }
    obj.drop_sql = absl::StrCat("DROP OPERATOR FAMILY IF EXISTS ", ref, ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("operator classes",
          absl::StrCat(
              "SELECT c.oid, n.nspname, c.opcname, pg_catalog.pg_get_userbyid(c.opcowner), am.amname, c.opcdefault, "
              "pg_catalog.format_type(c.opcintype, NULL), "
              "CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END, "
              "(SELECT pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.opfname) FROM pg_catalog.pg_opfamily f "
              " JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace WHERE f.oid = c.opcfamily), "
              "(SELECT pg_catalog.string_agg(", kAmopLine, ", ',\n    ' ORDER BY ao.amopstrategy) "
              " FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON d.classid = 2602 AND d.objid = ao.oid "
              " WHERE d.refclassid = 2616 AND d.refobjid = c.oid), "
              "(SELECT pg_catalog.string_agg(", kAmprocLine, ", ',\n    ' ORDER BY ap.amprocnum) "
              " FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON d.classid = 2603 AND d.objid = ap.oid "
              " WHERE d.refclassid = 2616 AND d.refobjid = c.oid), "
              "(SELECT f.opfname = c.opcname AND f.opfnamespace = c.opcnamespace FROM pg_catalog.pg_opfamily f WHERE f.oid = c.opcfamily) "
              "FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace "
              "JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod WHERE ", UserObject(kPgOpclass, "c.oid"),
              " AND ", kUserSchema, " ORDER BY n.nspname, c.opcname, am.amname")));
  for (int row = 0; row < c.rows(); ++row) {
    std::string schema(c.Get(row, 1)), name(c.Get(row, 2)), am(c.Get(row, 4));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgOpclass, Oid((c.Get(row, 0))), ObjectKind::kOperatorClass,
                      Section::kPreData, schema, absl::StrCat(name, " USING ", am));
    Obj& obj = objs_[idx];
    std::string ref = absl::StrCat(QQ(schema, name), " USING ", Q(am));
    obj.owner = std::string(c.Get(row, 3));
    obj.ref = absl::StrCat("OPERATOR CLASS ", ref);
    std::vector<std::string> members;
    if (!c.IsNull(row, 9)) members.push_back(std::string(c.Get(row, 9)));
    if (!c.IsNull(row, 10)) members.push_back(std::string(c.Get(row, 10)));
    if (!c.IsNull(row, 7)) members.push_back(absl::StrCat("STORAGE ", c.Get(row, 7)));
    // The family (even one created implicitly by the class) is its own item, created
    // first; naming it explicitly keeps the restored pairing identical.
    obj.create_sql = absl::StrCat("CREATE OPERATOR CLASS ", QQ(schema, name),
                                  c.GetBool(row, 5) ? " DEFAULT" : "", " FOR TYPE ", c.Get(row, 6),
                                  " USING ", Q(am),
                                  " FAMILY ", c.Get(row, 8),
                                  " AS\n    ", members.empty() ? "STORAGE " + std::string(c.Get(row, 6)) : absl::StrJoin(members, ",\n    "),
                                  ";\n");
    obj.drop_sql = absl::StrCat("DROP OPERATOR CLASS IF EXISTS ", ref, ";\n");
  }
  return absl::OkStatus();
}

}  // namespace
namespace {

absl::Status Reader::CollectColumnsAndTables() {
  std::string stattarget = version_ >= 170000 ? "COALESCE(a.attstattarget, -1)" : "a.attstattarget";
  std::string compression = version_ >= 140000 ? "a.attcompression::text" : "''";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result t,
      Run("tables",
          absl::StrCat(
              "SELECT c.oid, c.relkind, c.relpersistence, c.relacl::text, "
              "pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner)::text, "
              "CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END, c.relispartition, "
              "c.relrowsecurity, c.relforcerowsecurity, c.relreplident, "
              "pg_catalog.array_to_string(c.reloptions, ', '), pg_catalog.array_to_string(tc.reloptions, ', '), "
              "CASE WHEN c.relkind IN ('r','p','m') AND am.amname <> 'heap' THEN am.amname END, ts.spcname, "
              "c.reltuples::bigint, c.relpages, c.relispopulated, "
              "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
              "CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, "
              "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname), ', ' ORDER BY i.inhseqno) "
              " FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent "
              " JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid), "
              "(SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), "
              "(SELECT pg_catalog.quote_ident(s.srvname) FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s "
              " ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid), "
              "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') "
              " FROM pg_catalog.pg_foreign_table ft, pg_catalog.pg_options_to_table(ft.ftoptions) o WHERE ft.ftrelid = c.oid), "
              // 23: hash partitioning over an enum hashes OIDs: load through the root. Any
              // level counts (pg_dump looks at the root only): a sub-partitioned range table
              // whose lower level hashes an enum routes rows by OIDs all the same.
              "EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table pt, pg_catalog.unnest(pt.partclass) pc(opc) "
              " JOIN pg_catalog.pg_opclass o ON o.oid = pc.opc WHERE pt.partrelid IN "
              " (SELECT a.relid FROM pg_catalog.pg_partition_ancestors(c.oid) a(relid)) "
              " AND pt.partstrat = 'h' AND o.opcname = 'enum_ops'), "
              "CASE WHEN c.relispartition THEN (SELECT a.relid::pg_catalog.oid FROM pg_catalog.pg_partition_ancestors(c.oid) WITH ORDINALITY a(relid, n) "
              " ORDER BY n DESC LIMIT 1) END, c.relfilenode "
              "FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid "
              "LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace "
              "WHERE c.oid = ANY(", rel_oids_, ") AND c.relkind IN ('r','p','f','m','v','S') ORDER BY c.oid")));
  std::map<uint32_t, int> row_of;
  for (int row = 0; row < t.rows(); ++row) row_of[Oid((t.Get(row, 0)))] = row;

  // Nodes for every relation first, so that columns and attach items can refer to them.
  for (auto& [oid, rel] : rels_) {
    auto it = row_of.find(oid);
    if (it == row_of.end()) continue;
    int row = it->second;
    ObjectKind kind = rel.relkind == 'v'   ? ObjectKind::kView
                      : rel.relkind == 'm' ? ObjectKind::kMaterializedView
                      : rel.relkind == 'S' ? ObjectKind::kSequence
                                           : ObjectKind::kTable;
    int idx = AddNode(kPgClass, oid, kind, Section::kPreData, rel.schema, rel.name);
    rel.node = idx;
    Obj& obj = objs_[idx];
    std::string qname = QQ(rel.schema, rel.name);
    absl::string_view keyword = rel.relkind == 'v'   ? "VIEW"
                                : rel.relkind == 'm' ? "MATERIALIZED VIEW"
                                : rel.relkind == 'S' ? "SEQUENCE"
                                : rel.relkind == 'f' ? "FOREIGN TABLE"
                                                     : "TABLE";
    obj.owner = rel.owner;
    obj.ref = absl::StrCat(keyword, " ", qname);
    obj.acl_ref = absl::StrCat(rel.relkind == 'S' ? "SEQUENCE " : "TABLE ", qname);
    obj.acl = std::string(t.Get(row, 3));
    obj.default_acl = std::string(t.Get(row, 4));
    obj.drop_sql = absl::StrCat("DROP ", keyword, " IF EXISTS ", qname, ";\n");
    TableInfo info;
    info.oid = oid;
    info.relkind = rel.relkind;
    info.relpersistence = rel.persistence;
    info.is_partition = t.GetBool(row, 6);
    info.is_partitioned = rel.relkind == 'p';
    info.has_row_security = t.GetBool(row, 7);
    info.estimated_rows = std::max<int64_t>(0, t.GetInt64(row, 14).value_or(0));
    info.relpages = t.GetInt64(row, 15).value_or(0);
    info.matview_populated = rel.relkind == 'm' && t.GetBool(row, 16);
    info.load_via_partition_root = t.GetBool(row, 23);
    info.relfilenode = Oid(t.Get(row, 25));
    obj.table = info;
    if (rel.relkind == 'S' || rel.relkind == 'v' || rel.relkind == 'm') continue;
    obj.is_table = true;
    obj.typed_table = !t.IsNull(row, 5);
    std::string options(t.Get(row, 10)), toast_options(t.Get(row, 11));
    std::string head = absl::StrCat("CREATE ", rel.persistence == 'u' ? "UNLOGGED " : "",
                                    rel.relkind == 'f' ? "FOREIGN TABLE " : "TABLE ", qname);
    if (obj.typed_table) absl::StrAppend(&head, " OF ", t.Get(row, 5));
    obj.table_head = head;
    std::string tail;
    if (!t.IsNull(row, 19) && !info.is_partition) absl::StrAppend(&tail, "\nINHERITS (", t.Get(row, 19), ")");
    if (!t.IsNull(row, 17)) absl::StrAppend(&tail, "\nPARTITION BY ", t.Get(row, 17));
    if (!t.IsNull(row, 21)) absl::StrAppend(&tail, "\nSERVER ", t.Get(row, 21));
    if (!t.IsNull(row, 22)) absl::StrAppend(&tail, "\nOPTIONS (\n    ", t.Get(row, 22), "\n)");
    if (!t.IsNull(row, 12)) absl::StrAppend(&tail, "\nUSING ", Q(t.Get(row, 12)));
    std::vector<std::string> with;
    if (!options.empty()) with.push_back(options);
    for (absl::string_view opt : absl::StrSplit(toast_options, ", ", absl::SkipEmpty())) {
      with.push_back(absl::StrCat("toast.", opt));
    }
    if (!with.empty()) absl::StrAppend(&tail, "\nWITH (", absl::StrJoin(with, ", "), ")");
    if (!t.IsNull(row, 13)) obj.tablespace = std::string(t.Get(row, 13));
    obj.table_tail = absl::StrCat(tail, ";\n");
    // Foreign tables report 'n' but cannot take REPLICA IDENTITY.
    char replident = rel.relkind == 'f' ? 'd' : t.Get(row, 9)[0];
    if (replident == 'f') absl::StrAppend(&obj.table_alters, "ALTER TABLE ONLY ", qname, " REPLICA IDENTITY FULL;\n");
    if (replident == 'n') absl::StrAppend(&obj.table_alters, "ALTER TABLE ONLY ", qname, " REPLICA IDENTITY NOTHING;\n");
    if (t.GetBool(row, 8)) absl::StrAppend(&obj.table_alters, "ALTER TABLE ONLY ", qname, " FORCE ROW LEVEL SECURITY;\n");
    if (info.has_row_security) {
      int rls = AddNode(0, 0, ObjectKind::kRowSecurity, Section::kPostData, rel.schema, rel.name);
      objs_[rls].create_sql = absl::StrCat("ALTER TABLE ", qname, " ENABLE ROW LEVEL SECURITY;\n");
      objs_[rls].no_owner_sql = true;
      objs_[rls].table_node = idx;
      AddDep(rls, idx);
    }
    if (info.is_partition && !t.IsNull(row, 20)) {
      uint32_t parent = Oid((t.Get(row, 20)));
      int attach = AddNode(0, 0, ObjectKind::kTableAttach, Section::kPreData, rel.schema, rel.name);
      objs_[attach].no_owner_sql = true;
      objs_[attach].table_node = idx;
      auto prel = rels_.find(parent);
      if (prel == rels_.end()) continue;  // parent filtered out: the partition stands alone
      objs_[attach].create_sql =
          absl::StrCat("ALTER TABLE ONLY ", QQ(prel->second.schema, prel->second.name),
                       " ATTACH PARTITION ", qname, " ", t.Get(row, 18), ";\n");
      nodes_[attach].deps.push_back(idx);
      if (prel->second.node >= 0) nodes_[attach].deps.push_back(prel->second.node);
    }
  }
  // Root of each partition tree, for the data phase.
  for (auto& [oid, rel] : rels_) {
    auto it = row_of.find(oid);
    if (it == row_of.end() || rel.node < 0 || t.IsNull(it->second, 24)) continue;
    auto root = rels_.find(Oid((t.Get(it->second, 24))));
    if (root != rels_.end() && root->second.node >= 0 && root->first != oid) {
      objs_[rel.node].table->partition_root_id = nodes_[root->second.node].id;
    }
  }

  // Columns.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result a,
      Run("columns",
          absl::StrCat(
              "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, "
              "tn.nspname, ty.typname, a.attnotnull, a.attisdropped, a.attislocal, a.attgenerated, a.attidentity, ",
              stattarget, ", a.attstorage, ty.typstorage, "
              "CASE WHEN a.attcollation <> ty.typcollation THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || "
              " pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn "
              " ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, "
              "a.attacl::text, pg_catalog.array_to_string(a.attoptions, ', '), "
              "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') "
              " FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o), ",
              compression, ", ad.oid, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), "
              // 22: NOT NULL inherited from a parent; 23: the parent's default for this column
              "EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent "
              " AND pa.attname = a.attname WHERE i.inhrelid = a.attrelid AND pa.attnotnull), "
              "(SELECT pg_catalog.pg_get_expr(pd.adbin, pd.adrelid) FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa "
              " ON pa.attrelid = i.inhparent AND pa.attname = a.attname JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid "
              " AND pd.adnum = pa.attnum WHERE i.inhrelid = a.attrelid LIMIT 1) "
              "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
              "JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace "
              "LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
              "WHERE a.attrelid = ANY(", rel_oids_, ") AND a.attnum > 0 AND NOT a.attisdropped "
              "ORDER BY a.attrelid, a.attnum")));
  for (int row = 0; row < a.rows(); ++row) {
    uint32_t relid = Oid((a.Get(row, 0)));
    auto rel_it = rels_.find(relid);
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    int table = rel.node;
    Obj& obj = objs_[table];
    auto opt = [&](int col) { return a.IsNull(row, col) ? std::string() : std::string(a.Get(row, col)); };
    std::string name = opt(2), type = opt(3);
    std::string generated = opt(10);
    bool not_null = a.GetBool(row, 7);
    if (generated.empty()) {
      ColumnInfo column{name, type, static_cast<uint32_t>(Oid(opt(4))), opt(5), opt(6),
                        static_cast<int>(Oid(opt(1))), not_null};
      obj.table->columns.push_back(std::move(column));
    }
    if (rel.relkind == 'S') continue;
    std::string qname = QQ(rel.schema, rel.name);
    std::string qcol = Q(name);
    if (rel.relkind == 'v' || rel.relkind == 'm') {
      obj.columns.push_back(PlainColumn(name, absl::StrCat("NULL::", type, " AS ", qcol)));
      // A view column's default (used by INSERTs through the view): its own item after the view.
      const std::string view_default = opt(21);
      if (rel.relkind == 'v' && !view_default.empty()) {
        int part = AddNode(kPgAttrdef, Oid(opt(20)), ObjectKind::kDefault, Section::kPreData, rel.schema,
                           rel.name + " " + name);
        Obj& dobj = objs_[part];
        dobj.no_owner_sql = true;
        dobj.table_node = table;
        dobj.separate_sql = absl::StrCat("ALTER VIEW ", QQ(rel.schema, rel.name), " ALTER COLUMN ", qcol,
                                         " SET DEFAULT ", view_default, ";\n");
        nodes_[part].inline_parent = table;
        nodes_[part].separated = true;
        AddDep(part, table);
      }
      continue;
    }
    bool is_partition = obj.table->is_partition;
    bool printed = is_partition || a.GetBool(row, 9);
    if (obj.typed_table) printed = false;
    std::string alter_only = absl::StrCat("ALTER ", rel.relkind == 'f' ? "FOREIGN TABLE" : "TABLE", " ONLY ", qname);
    ColumnDef def;
    def.name = name;
    def.text = absl::StrCat(qcol, " ", type);
    if (!opt(15).empty()) absl::StrAppend(&def.text, " COLLATE ", opt(15));
    std::string default_expr = opt(21);
    if (!default_expr.empty() && !generated.empty()) {
      // attgenerated: 's' stored, 'v' virtual (18+, the default there).
      absl::StrAppend(&def.text, " GENERATED ALWAYS AS (", default_expr, ")", generated == "v" ? " VIRTUAL" : " STORED");
      def.generated = true;
    }
    bool inherited_not_null = a.GetBool(row, 22);
    // 18+: NOT NULL constraints are pg_constraint rows with names, NOT VALID and NO INHERIT,
    // rendered by the constraint query below like CHECK constraints; the column carries none.
    bool column_not_null = not_null && version_ < 180000;
    if (column_not_null && printed) absl::StrAppend(&def.text, " NOT NULL");
    if (!default_expr.empty() && generated.empty()) {
      bool same_as_parent = !printed && opt(23) == default_expr;
      if (!same_as_parent) {
        int part = AddNode(kPgAttrdef, Oid(opt(20)), ObjectKind::kDefault, Section::kPreData,
                           rel.schema, rel.name + " " + name);
        Obj& dobj = objs_[part];
        dobj.no_owner_sql = true;
        dobj.table_node = table;
        dobj.separate_sql = absl::StrCat(alter_only, " ALTER COLUMN ", qcol, " SET DEFAULT ", default_expr, ";\n");
        nodes_[part].inline_parent = table;
        if (printed) {
          def.default_node = part;
          def.default_expr = default_expr;
          AddDep(table, part);
        } else {
          nodes_[part].separated = true;
          AddDep(part, table);
        }
      }
    } else if (!default_expr.empty() && def.generated) {
      Alias(kPgAttrdef, Oid(opt(20)), table);
    } else if (default_expr.empty() && generated.empty() && !opt(23).empty() && !is_partition) {
      // CREATE TABLE ... INHERITS copies the parent's default into the child; this child had
      // dropped it. (Partitions are created on their own and attached, which copies nothing.)
      absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " DROP DEFAULT;\n");
    }
    if (obj.typed_table) {
      std::string extra;
      if (column_not_null && !inherited_not_null) absl::StrAppend(&extra, " NOT NULL");
      if (def.default_node >= 0) {}
      if (!extra.empty()) obj.columns.push_back(PlainColumn(name, absl::StrCat(qcol, " WITH OPTIONS", extra)));
    } else if (printed) {
      obj.columns.push_back(std::move(def));
    } else if (column_not_null && !inherited_not_null) {
      absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " SET NOT NULL;\n");
    }
    std::string stat = opt(12);
    if (stat != "-1" && !stat.empty()) absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " SET STATISTICS ", stat, ";\n");
    if (opt(13) != opt(14)) {
      std::string s = opt(13);
      absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " SET STORAGE ",
                      s == "p" ? "PLAIN" : s == "e" ? "EXTERNAL" : s == "m" ? "MAIN" : "EXTENDED", ";\n");
    }
    std::string comp = opt(19);
    if (!comp.empty() && comp != "\\0" && comp[0] != '\0') {
      absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " SET COMPRESSION ",
                      comp == "p" ? "pglz" : "lz4", ";\n");
    }
    if (!opt(17).empty()) absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " SET (", opt(17), ");\n");
    if (!opt(18).empty()) absl::StrAppend(&obj.table_alters, alter_only, " ALTER COLUMN ", qcol, " OPTIONS (\n    ", opt(18), "\n);\n");
    if (!opt(16).empty()) {
      absl::StrAppend(&obj.column_acl_sql,
                      AclSql(quoter_, absl::StrCat("TABLE ", qname), rel.owner, opt(16), "{}",
                             absl::StrCat("(", qcol, ")")));
    }
    std::string identity = opt(11);
    if (!identity.empty()) identity_[{relid, name}] = identity;
  }

  // CHECK constraints of tables, and on 18+ NOT NULL ones ("NOT NULL col [NO INHERIT]
  // [NOT VALID]", with their names): local validated ones print inline; NOT VALID ones are
  // separate post-data items; inherited ones on plain children come with INHERITS (on
  // partitions, created on their own and then attached, they print like local ones).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result k,
      Run("check constraints",
          absl::StrCat("SELECT co.oid, co.conrelid, co.conname, pg_catalog.pg_get_constraintdef(co.oid), "
                       "co.convalidated, co.conislocal, "
                       // 6: a parent's same constraint that is NOT VALID
                       "(SELECT pc.oid FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_constraint pc "
                       " ON pc.conrelid = i.inhparent AND pc.conname = co.conname AND pc.contype = co.contype "
                       " WHERE i.inhrelid = co.conrelid AND NOT pc.convalidated ORDER BY i.inhseqno LIMIT 1), "
                       // 7: the column of a NOT NULL constraint (18+)
                       "CASE WHEN co.contype = 'n' THEN (SELECT a.attname FROM pg_catalog.pg_attribute a "
                       " WHERE a.attrelid = co.conrelid AND a.attnum = co.conkey[1]) END "
                       "FROM pg_catalog.pg_constraint co "
                       "WHERE co.contype IN ('c'", version_ >= 180000 ? ", 'n'" : "", ") AND co.conrelid = ANY(",
                       rel_oids_, ") ORDER BY co.conrelid, co.conname")));
  // Inherited copies that are validated under a NOT VALID parent constraint (the child was
  // created after it, or validated on its own): ALTER TABLE ONLY child VALIDATE CONSTRAINT
  // after the parent's constraint, which comes back NOT VALID on the child too.
  std::vector<std::pair<int, uint32_t>> validations;  // node, the parent's constraint oid
  for (int row = 0; row < k.rows(); ++row) {
    auto rel_it = rels_.find(Oid((k.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    int table = rel.node;
    bool is_partition = objs_[table].table && objs_[table].table->is_partition;
    bool local = k.GetBool(row, 5);
    uint32_t oid = Oid((k.Get(row, 0)));
    std::string name(k.Get(row, 2)), def(k.Get(row, 3));
    std::string qname = QQ(rel.schema, rel.name);
    // Inherited on a plain child: comes with INHERITS, unless it is a validated copy of a NOT
    // VALID parent constraint (validations, above).
    const bool validate_only = !local && !is_partition;
    if (validate_only && (!k.GetBool(row, 4) || k.IsNull(row, 6))) {
      Alias(kPgConstraint, oid, table);
      continue;
    }
    // A validated, inheritable NOT NULL constraint (18+) of a column of the CREATE TABLE: in the
    // column's definition, "col type CONSTRAINT name NOT NULL", which 12-17 parse too (ignoring
    // the name) where the table constraint "CONSTRAINT name NOT NULL col" is an 18 syntax error:
    // a table from 18 restores into an older major. NO INHERIT and NOT VALID ones stay 18's
    // (an older server has neither, so they fail at the item there).
    if (!k.IsNull(row, 7) && !validate_only && k.GetBool(row, 4) &&
        def == absl::StrCat("NOT NULL ", Q(k.Get(row, 7)))) {
      std::string column_name(k.Get(row, 7));
      Obj& tobj = objs_[table];
      auto column = std::find_if(tobj.columns.begin(), tobj.columns.end(),
                                 [&](const ColumnDef& c) { return c.name == column_name; });
      if (column == tobj.columns.end() && tobj.typed_table) {
        tobj.columns.push_back(PlainColumn(column_name, absl::StrCat(Q(column_name), " WITH OPTIONS")));
        column = std::prev(tobj.columns.end());
      }
      if (column != tobj.columns.end()) {
        column->not_null = absl::StrCat(" CONSTRAINT ", Q(name), " NOT NULL");
        Alias(kPgConstraint, oid, table);
        column_not_null_[oid] = {table, absl::StrCat("CONSTRAINT ", Q(name), " ON ", qname)};
        continue;
      }
    }
    int idx = AddNode(kPgConstraint, oid, ObjectKind::kConstraint, Section::kPostData, rel.schema,
                      rel.name + " " + name);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = table;
    obj.ref = absl::StrCat("CONSTRAINT ", Q(name), " ON ", qname);
    nodes_[idx].inline_parent = table;
    const std::string alter = absl::StrCat("ALTER ", rel.relkind == 'f' ? "FOREIGN TABLE " : "TABLE ");
    if (validate_only) {
      obj.separate_sql = absl::StrCat(alter, "ONLY ", qname, " VALIDATE CONSTRAINT ", Q(name), ";\n");
      nodes_[idx].separated = true;
      AddDep(idx, table);
      validations.emplace_back(idx, Oid(k.Get(row, 6)));
      continue;
    }
    obj.inline_text = absl::StrCat("CONSTRAINT ", Q(name), " ", def);
    obj.separate_sql = absl::StrCat(alter, qname, " ADD CONSTRAINT ", Q(name), " ", def, ";\n");
    if (!k.GetBool(row, 4)) {
      nodes_[idx].separated = true;
      AddDep(idx, table);
    } else {
      objs_[table].checks.push_back(idx);
      AddDep(table, idx);
    }
  }
  for (const auto& [idx, parent] : validations) {
    int parent_node = NodeOf(kPgConstraint, parent);
    if (parent_node >= 0) AddDep(idx, parent_node);
  }
  return absl::OkStatus();
}

}  // namespace
namespace {

absl::Status Reader::CollectSequences() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("sequences",
          absl::StrCat("SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, "
                       "s.seqmax, s.seqmin, s.seqcache, s.seqcycle, d.refobjid, "
                       "(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid), "
                       "d.deptype FROM pg_catalog.pg_sequence s LEFT JOIN pg_catalog.pg_depend d ON d.classid = 1259 "
                       "AND d.objid = s.seqrelid AND d.refclassid = 1259 AND d.refobjsubid > 0 AND d.deptype IN ('a','i') "
                       "WHERE s.seqrelid = ANY(", rel_oids_, ") ORDER BY s.seqrelid")));
  // Sequence state is not transactional: read it here (the dump re-reads it later), a few
  // hundred sequences per query rather than one round trip each.
  std::map<uint32_t, std::pair<int64_t, bool>> values;
  std::vector<std::string> selects;
  auto flush = [&]() -> absl::Status {
    if (selects.empty()) return absl::OkStatus();
    PGARK_ASSIGN_OR_RETURN(pg::Result v, Run("sequence values", absl::StrJoin(selects, " UNION ALL ")));
    for (int row = 0; row < v.rows(); ++row) {
      values[Oid(v.Get(row, 0))] = {v.GetInt64(row, 1).value_or(0), v.GetBool(row, 2)};
    }
    selects.clear();
    return absl::OkStatus();
  };
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid(r.Get(row, 0)));
    if (rel_it == rels_.end()) continue;
    selects.push_back(absl::StrCat("SELECT ", rel_it->first, "::pg_catalog.oid, last_value, is_called FROM ",
                                   QQ(rel_it->second.schema, rel_it->second.name)));
    if (selects.size() >= 500) PGARK_RETURN_IF_ERROR(flush());
  }
  PGARK_RETURN_IF_ERROR(flush());
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid((r.Get(row, 0))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    int idx = rel.node;
    Obj& obj = objs_[idx];
    std::string qname = QQ(rel.schema, rel.name);
    auto opt = [&](int col) { return r.IsNull(row, col) ? std::string() : std::string(r.Get(row, col)); };
    bool identity_seq = !r.IsNull(row, 10) && opt(10) == "i";
    std::string options = absl::StrCat(opt(1) == "bigint" || identity_seq ? "" : "\n    AS " + opt(1), "\n    START WITH ", opt(2),
                                       "\n    INCREMENT BY ", opt(3), "\n    MINVALUE ", opt(5), "\n    MAXVALUE ",
                                       opt(4), "\n    CACHE ", opt(6), r.GetBool(row, 7) ? "\n    CYCLE" : "");
    SequenceInfo info;
    info.cycles = r.GetBool(row, 7);
    auto value = values.find(rel.oid);
    if (value != values.end()) {
      info.last_value = value->second.first;
      info.is_called = value->second.second;
    }
    auto owner_rel = r.IsNull(row, 8) ? rels_.end() : rels_.find(Oid(opt(8)));
    bool owned = owner_rel != rels_.end() && owner_rel->second.node >= 0;
    if (owned) {
      info.owned_by_table_id = nodes_[owner_rel->second.node].id;
      info.owned_by_column = opt(9);
      info.is_identity = opt(10) == "i";
    }
    if (info.is_identity) {
      // Identity sequences are created by the column's ADD GENERATED clause.
      auto ident = identity_.find({owner_rel->first, info.owned_by_column});
      std::string how = ident != identity_.end() && ident->second == "a" ? "ALWAYS" : "BY DEFAULT";
      obj.create_sql = absl::StrCat("ALTER TABLE ", QQ(owner_rel->second.schema, owner_rel->second.name),
                                    " ALTER COLUMN ", Q(info.owned_by_column), " ADD GENERATED ", how,
                                    " AS IDENTITY (\n    SEQUENCE NAME ", qname, options, "\n);\n");
      if (rel.persistence == 'u') absl::StrAppend(&obj.create_sql, "ALTER SEQUENCE ", qname, " SET UNLOGGED;\n");
      obj.drop_sql.clear();
      obj.no_owner_sql = true;
      AddDep(idx, owner_rel->second.node);
    } else {
      obj.create_sql = absl::StrCat("CREATE ", rel.persistence == 'u' ? "UNLOGGED " : "", "SEQUENCE ", qname,
                                    options, ";\n");
      if (owned) {
        int own = AddNode(0, 0, ObjectKind::kSequenceOwnedBy, Section::kPreData, rel.schema, rel.name);
        objs_[own].no_owner_sql = true;
        objs_[own].table_node = owner_rel->second.node;
        objs_[own].create_sql = absl::StrCat("ALTER SEQUENCE ", qname, " OWNED BY ",
                                             QQ(owner_rel->second.schema, owner_rel->second.name), ".",
                                             Q(info.owned_by_column), ";\n");
        AddDep(own, idx);
        AddDep(own, owner_rel->second.node);
      }
    }
    obj.sequence = info;
    obj.table.reset();
    if (!options_.schema_only) {
      int set = AddNode(0, 0, ObjectKind::kSequenceSet, Section::kData, rel.schema, rel.name);
      objs_[set].no_owner_sql = true;
      objs_[set].sequence = info;
      objs_[set].create_sql = absl::StrCat("SELECT pg_catalog.setval(", Literal(qname), ", ", info.last_value,
                                           ", ", info.is_called ? "true" : "false", ");\n");
      AddDep(set, idx);
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectViews() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("views",
          absl::StrCat("SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid, false), "
                       "pg_catalog.array_to_string(ARRAY(SELECT o FROM pg_catalog.unnest(c.reloptions) o "
                       " WHERE o NOT LIKE 'check_option=%'), ', '), "
                       "(SELECT pg_catalog.substr(o, 14) FROM pg_catalog.unnest(c.reloptions) o WHERE o LIKE 'check_option=%'), "
                       "CASE WHEN c.relkind = 'm' AND am.amname <> 'heap' THEN am.amname END, ts.spcname, "
                       "(SELECT rw.oid FROM pg_catalog.pg_rewrite rw WHERE rw.ev_class = c.oid AND rw.rulename = '_RETURN') "
                       "FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam "
                       "LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace "
                       "WHERE c.oid = ANY(", rel_oids_, ") AND c.relkind IN ('v','m')")));
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid((r.Get(row, 0))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    int idx = rel.node;
    Obj& obj = objs_[idx];
    std::string qname = QQ(rel.schema, rel.name);
    std::string def(r.Get(row, 1));
    while (!def.empty() && (def.back() == ';' || def.back() == ' ' || def.back() == '\n')) def.pop_back();
    std::string with = r.Get(row, 2).empty() ? "" : absl::StrCat(" WITH (", r.Get(row, 2), ")");
    std::string check = r.IsNull(row, 3) ? "" : absl::StrCat("\n  WITH ", absl::AsciiStrToUpper(r.Get(row, 3)), " CHECK OPTION");
    // The view's ON SELECT rule is part of the view: its dependencies are the view's.
    if (!r.IsNull(row, 6)) Alias(kPgRewrite, Oid((r.Get(row, 6))), idx);
    if (rel.relkind == 'v') {
      obj.create_sql = absl::StrCat("CREATE VIEW ", qname, with, " AS\n", def, check, ";\n");
      obj.view_replace_sql = absl::StrCat("CREATE OR REPLACE VIEW ", qname, with, " AS\n", def, check, ";\n");
      std::vector<std::string> cols;
      for (const ColumnDef& c : obj.columns) cols.push_back(c.text);
      obj.dummy_sql = absl::StrCat("CREATE VIEW ", qname, with, " AS\n SELECT ", absl::StrJoin(cols, ",\n    "), ";\n");
      // --clean undoes the split view's definition by turning it back into the dummy, which
      // frees the functions the definition uses before they are dropped (as pg_dump does).
      // Only if the view is there: a clean must tolerate what is already gone.
      obj.dummy_replace_sql = absl::StrCat(
          "DO $pgark$BEGIN IF pg_catalog.to_regclass(", Literal(qname), ") IS NOT NULL THEN EXECUTE ",
          Literal(absl::StrCat("CREATE OR REPLACE VIEW ", qname, with, " AS SELECT ", absl::StrJoin(cols, ", "))),
          "; END IF; END$pgark$;\n");
    } else {
      std::string am = r.IsNull(row, 4) ? "" : absl::StrCat("\nUSING ", Q(r.Get(row, 4)));
      if (!r.IsNull(row, 5)) obj.tablespace = std::string(r.Get(row, 5));
      obj.create_sql = absl::StrCat("CREATE MATERIALIZED VIEW ", qname, am, with, " AS\n", def, "\n  WITH NO DATA;\n");
      if (obj.table->matview_populated && !options_.schema_only) {
        int refresh = AddNode(0, 0, ObjectKind::kMaterializedViewData, Section::kPostData, rel.schema, rel.name);
        objs_[refresh].no_owner_sql = true;
        objs_[refresh].pass = RestorePass::kPostAcl;
        objs_[refresh].table_node = idx;
        objs_[refresh].create_sql = absl::StrCat("REFRESH MATERIALIZED VIEW ", qname, ";\n");
        AddDep(refresh, idx);
        refresh_node_[rel.oid] = refresh;
      }
    }
  }
  // Table data items (after views so the matview flags are known).
  if (!options_.schema_only) {
    for (auto& [oid, rel] : rels_) {
      if (rel.node < 0) continue;
      if (rel.relkind != 'r' && !(rel.relkind == 'f' && options_.include_foreign_data)) continue;
      int data = AddNode(0, 0, ObjectKind::kTableData, Section::kData, rel.schema, rel.name);
      objs_[data].no_owner_sql = true;
      objs_[data].table_node = rel.node;
      objs_[data].table = objs_[rel.node].table;
      AddDep(data, rel.node);
    }
  }
  return absl::OkStatus();
}

// pg_get_constraintdef(oid) leaves out a PRIMARY KEY's or UNIQUE constraint's index
// parameters (WITH options, USING INDEX TABLESPACE: ruleutils prints them only for a "full
// command"); pg_dump adds the WITH options itself and sets default_tablespace. An EXCLUDE
// constraint's definition has its WITH options but not its tablespace (PostgreSQL 15); should
// a server print one, it is moved out, so that every index records its tablespace the same
// way (CatalogItem::tablespace).
void Reader::ApplyConstraintIndexStorage(const IndexConstraint& constraint, const std::string& tablespace,
                                         const std::string& quoted_tablespace, const std::string& reloptions,
                                         Obj& obj) {
  // create_sql is "ALTER TABLE ... ADD CONSTRAINT c <definition>;\n".
  std::string& sql = obj.create_sql;
  const std::string end = absl::StrCat(constraint.deferral, ";\n");
  obj.tablespace = tablespace;
  if (constraint.contype == 'x') {
    if (tablespace.empty()) return;
    const std::string clause = absl::StrCat(" USING INDEX TABLESPACE ", quoted_tablespace);
    const size_t at = sql.find(clause);
    if (at != std::string::npos) sql.erase(at, clause.size());
    return;
  }
  if (reloptions.empty() || !absl::EndsWith(sql, end)) return;
  sql.insert(sql.size() - end.size(), absl::StrCat(" WITH (", reloptions, ")"));
}

absl::Status Reader::CollectIndexesAndConstraints() {
  std::string stat = version_ >= 170000 ? "COALESCE(a.attstattarget, -1)" : "a.attstattarget";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("indexes",
          absl::StrCat(
              "SELECT i.indexrelid, i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), "
              "i.indisclustered, i.indisreplident, "
              "(SELECT co.oid FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid "
              " AND co.contype IN ('p','u','x')), "
              "(SELECT inh.inhparent FROM pg_catalog.pg_inherits inh WHERE inh.inhrelid = i.indexrelid), "
              "(SELECT pg_catalog.string_agg('ALTER COLUMN ' || a.attnum || ' SET STATISTICS ' || ", stat, ", ', ' ORDER BY a.attnum) "
              " FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND ", stat, " >= 0), ts.spcname, "
              "pg_catalog.quote_ident(ts.spcname), pg_catalog.array_to_string(ic.reloptions, ', ') "
              "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
              "LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace "
              "WHERE i.indrelid = ANY(", rel_oids_, ") AND (i.indisvalid OR ic.relkind = 'I') AND i.indisready "
              "ORDER BY i.indexrelid")));
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("constraints",
          absl::StrCat("SELECT co.oid, co.conrelid, co.conname, co.contype, pg_catalog.pg_get_constraintdef(co.oid), "
                       "co.conindid, co.conparentid, co.condeferrable, co.condeferred FROM pg_catalog.pg_constraint co "
                       "WHERE co.conrelid = ANY(", rel_oids_, ") AND co.contype IN ('p','u','x','f') "
                       "ORDER BY co.conrelid, co.conname")));
  std::map<uint32_t, int> constraint_node;
  std::map<uint32_t, IndexConstraint> index_constraint;  // by index oid
  std::vector<std::pair<int, uint32_t>> foreign_keys;    // FK node, the referenced table's index
  for (int row = 0; row < c.rows(); ++row) {
    auto rel_it = rels_.find(Oid((c.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    bool fk = c.Get(row, 3) == "f";
    if (fk && c.Get(row, 6) != "0") continue;  // partition clones of an FK come with the parent's
    std::string name(c.Get(row, 2));
    std::string qname = QQ(rel.schema, rel.name);
    uint32_t oid = Oid((c.Get(row, 0)));
    int idx = AddNode(kPgConstraint, oid, fk ? ObjectKind::kForeignKey : ObjectKind::kConstraint,
                      Section::kPostData, rel.schema, rel.name + " " + name);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = rel.node;
    obj.ref = absl::StrCat("CONSTRAINT ", Q(name), " ON ", qname);
    bool only = !(fk && rel.relkind == 'p');
    obj.create_sql = absl::StrCat("ALTER ", rel.relkind == 'f' ? "FOREIGN TABLE " : "TABLE ", only ? "ONLY " : "",
                                  qname, "\n    ADD CONSTRAINT ", Q(name), " ", c.Get(row, 4), ";\n");
    obj.drop_sql = absl::StrCat("ALTER TABLE ", only ? "ONLY " : "", qname, " DROP CONSTRAINT IF EXISTS ", Q(name), ";\n");
    AddDep(idx, rel.node);
    if (fk && c.Get(row, 5) != "0") foreign_keys.emplace_back(idx, Oid(c.Get(row, 5)));
    if (!fk && c.Get(row, 5) != "0") {
      uint32_t index = Oid((c.Get(row, 5)));
      Alias(kPgClass, index, idx);
      constraint_node[index] = idx;
      // What pg_get_constraintdef appends after the index parameters (ruleutils.c).
      std::string deferral = c.GetBool(row, 7) ? " DEFERRABLE" : "";
      if (c.GetBool(row, 8)) absl::StrAppend(&deferral, " INITIALLY DEFERRED");
      index_constraint[index] = IndexConstraint{c.Get(row, 3)[0], std::move(deferral)};
    }
  }
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid((r.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    uint32_t index_oid = Oid((r.Get(row, 0)));
    std::string name(r.Get(row, 2));
    std::string qname = QQ(rel.schema, rel.name);
    std::string qindex = QQ(rel.schema, name);
    int idx;
    auto con = constraint_node.find(index_oid);
    std::string extra;
    if (r.GetBool(row, 4)) absl::StrAppend(&extra, "ALTER TABLE ", qname, " CLUSTER ON ", Q(name), ";\n");
    if (r.GetBool(row, 5)) absl::StrAppend(&extra, "ALTER TABLE ONLY ", qname, " REPLICA IDENTITY USING INDEX ", Q(name), ";\n");
    if (!r.IsNull(row, 8)) absl::StrAppend(&extra, "ALTER INDEX ", qindex, " ", r.Get(row, 8), ";\n");
    if (con != constraint_node.end()) {
      idx = con->second;
      constraint_index_[index_oid] = {idx, absl::StrCat("INDEX ", qindex)};
      ApplyConstraintIndexStorage(index_constraint.at(index_oid), r.IsNull(row, 9) ? "" : std::string(r.Get(row, 9)),
                                  std::string(r.Get(row, 10)), std::string(r.Get(row, 11)), objs_[idx]);
      absl::StrAppend(&objs_[idx].create_sql, extra);
    } else {
      idx = AddNode(kPgClass, index_oid, ObjectKind::kIndex, Section::kPostData, rel.schema, name);
      Obj& obj = objs_[idx];
      obj.no_owner_sql = true;
      obj.table_node = rel.node;
      obj.ref = absl::StrCat("INDEX ", qindex);
      std::string def(r.Get(row, 3));
      if (!r.IsNull(row, 9)) obj.tablespace = std::string(r.Get(row, 9));
      obj.create_sql = absl::StrCat(def, ";\n", extra);
      obj.drop_sql = absl::StrCat("DROP INDEX IF EXISTS ", qindex, ";\n");
      AddDep(idx, rel.node);
    }
    if (!r.IsNull(row, 7)) {
      // ATTACH after both indexes exist (and, through them, both tables).
      uint32_t parent_index = Oid((r.Get(row, 7)));
      int attach = AddNode(0, 0, ObjectKind::kIndexAttach, Section::kPostData, rel.schema, name);
      objs_[attach].no_owner_sql = true;
      objs_[attach].table_node = rel.node;
      pending_index_attach_.push_back({attach, parent_index, idx, qindex, index_oid});
    }
  }
  // Names of the parent indexes, in one query (a partition tree can have thousands).
  std::vector<std::string> parent_oids;
  for (const auto& pending : pending_index_attach_) parent_oids.push_back(std::to_string(pending.parent_index));
  std::map<uint32_t, std::string> parent_names;
  if (!parent_oids.empty()) {
    PGARK_ASSIGN_OR_RETURN(pg::Result pn,
                           Run("partitioned index names",
                               absl::StrCat("SELECT c.oid, ", QualifiedNameExpr("n.nspname", "c.relname"),
                                            " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                            "WHERE c.oid = ANY('{", absl::StrJoin(parent_oids, ","), "}'::pg_catalog.oid[])")));
    for (int row = 0; row < pn.rows(); ++row) parent_names[Oid(pn.Get(row, 0))] = std::string(pn.Get(row, 1));
  }
  for (const auto& pending : pending_index_attach_) {
    int parent = NodeOf(kPgClass, pending.parent_index);
    auto parent_name = parent_names.find(pending.parent_index);
    if (parent < 0 || parent_name == parent_names.end()) continue;
    objs_[pending.attach].create_sql = absl::StrCat("ALTER INDEX ", parent_name->second, " ATTACH PARTITION ", pending.child_name, ";\n");
    AddDep(pending.attach, parent);
    AddDep(pending.attach, pending.child);
    AddDep(pending.attach, objs_[parent].table_node);
    AddDep(pending.attach, objs_[pending.child].table_node);
  }
  // A partitioned table's unique index is valid, and so usable by a FOREIGN KEY, only once
  // every partition's index is attached: an FK waits for all the ATTACHes under the index it
  // references, at every level (pg_dump's addConstrChildIdxDeps). Without it, a parallel
  // restore could run the FK first: "there is no unique constraint matching given keys".
  std::multimap<uint32_t, const PendingAttach*> attaches_under;
  for (const auto& pending : pending_index_attach_) attaches_under.emplace(pending.parent_index, &pending);
  for (const auto& [fk, referenced_index] : foreign_keys) {
    std::vector<uint32_t> stack{referenced_index};
    while (!stack.empty()) {
      const uint32_t index = stack.back();
      stack.pop_back();
      for (auto [it, end] = attaches_under.equal_range(index); it != end; ++it) {
        AddDep(fk, it->second->attach);
        stack.push_back(it->second->child_index);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace
namespace {

absl::Status Reader::CollectTriggersRulesPolicies() {
  // A row trigger of a partitioned table is cloned onto every partition (pt: the trigger it was
  // cloned from). A clone is created by its parent's CREATE TRIGGER, so only a clone whose
  // enabled state differs from its parent's is an item (ALTER TABLE ... DISABLE TRIGGER), as in
  // pg_dump. 13+ name the parent in tgparentid; 12 only through pg_depend (deptype 'P'). Before
  // 15 clones are tgisinternal like the foreign-key triggers, which are told apart by their
  // constraint (a cloned CONSTRAINT TRIGGER's constraint is contype 't').
  std::string parent_oid = version_ >= 130000
      ? "t.tgparentid"
      : "(SELECT d.refobjid FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass "
        "AND d.objid = t.oid AND d.refclassid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.deptype = 'P' LIMIT 1)";
  std::string filter = version_ >= 150000
      ? "NOT t.tgisinternal AND (pt.oid IS NULL OR t.tgenabled <> pt.tgenabled)"
      : "((NOT t.tgisinternal AND pt.oid IS NULL) OR (pt.oid IS NOT NULL AND t.tgenabled <> pt.tgenabled AND NOT EXISTS "
        "(SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.oid = t.tgconstraint AND c.contype = 'f')))";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("triggers",
          absl::StrCat("SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false), t.tgenabled, "
                       "pt.oid IS NOT NULL FROM pg_catalog.pg_trigger t LEFT JOIN pg_catalog.pg_trigger pt ON pt.oid = ",
                       parent_oid, " WHERE t.tgrelid = ANY(", rel_oids_, ") AND ", filter,
                       " ORDER BY t.tgrelid, t.tgname")));
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid((r.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    std::string name(r.Get(row, 2)), qname = QQ(rel.schema, rel.name);
    int idx = AddNode(kPgTrigger, Oid((r.Get(row, 0))), ObjectKind::kTrigger,
                      Section::kPostData, rel.schema, rel.name + " " + name);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = rel.node;
    obj.ref = absl::StrCat("TRIGGER ", Q(name), " ON ", qname);
    bool clone = r.GetBool(row, 5);
    if (!clone) obj.create_sql = absl::StrCat(r.Get(row, 3), ";\n");
    char enabled = r.Get(row, 4)[0];
    absl::string_view action = enabled == 'D' ? "DISABLE" : enabled == 'R' ? "ENABLE REPLICA" : enabled == 'A' ? "ENABLE ALWAYS" : clone ? "ENABLE" : "";
    if (!action.empty()) absl::StrAppend(&obj.create_sql, "ALTER TABLE ", qname, " ", action, " TRIGGER ", Q(name), ";\n");
    obj.drop_sql = clone ? "" : absl::StrCat("DROP TRIGGER IF EXISTS ", Q(name), " ON ", qname, ";\n");
    AddDep(idx, rel.node);
  }
  // The internal triggers of a FOREIGN KEY cannot be named in the target (their names carry
  // OIDs), so a state set by ALTER TABLE ... DISABLE TRIGGER ALL (or ENABLE REPLICA/ALWAYS
  // TRIGGER ALL) on them is not reproduced: they come back enabled, with a warning. pg_dump
  // loses it too (15+ print an ALTER TABLE naming the source's trigger for a partition, which
  // fails on restore).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result fk,
      Run("foreign-key trigger states",
          absl::StrCat("SELECT DISTINCT t.tgrelid, c.conname FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_constraint c "
                       "ON c.oid = t.tgconstraint WHERE t.tgrelid = ANY(", rel_oids_, ") AND t.tgisinternal "
                       "AND c.contype = 'f' AND t.tgenabled <> 'O' ORDER BY 1, 2")));
  for (int row = 0; row < fk.rows(); ++row) {
    auto rel_it = rels_.find(Oid((fk.Get(row, 0))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    Warn(absl::StrCat("table ", QQ(rel_it->second.schema, rel_it->second.name), ": the triggers of FOREIGN KEY ",
                      Q(fk.Get(row, 1)), " are disabled (or ENABLE REPLICA/ALWAYS) there; they are restored enabled"));
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result u,
      Run("rules",
          absl::StrCat("SELECT w.oid, w.ev_class, w.rulename, pg_catalog.pg_get_ruledef(w.oid, false), w.ev_enabled "
                       "FROM pg_catalog.pg_rewrite w WHERE w.ev_class = ANY(", rel_oids_, ") AND w.rulename <> '_RETURN' "
                       "ORDER BY w.ev_class, w.rulename")));
  for (int row = 0; row < u.rows(); ++row) {
    auto rel_it = rels_.find(Oid((u.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    std::string name(u.Get(row, 2)), qname = QQ(rel.schema, rel.name);
    int idx = AddNode(kPgRewrite, Oid((u.Get(row, 0))), ObjectKind::kRule, Section::kPostData,
                      rel.schema, rel.name + " " + name);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = rel.node;
    obj.ref = absl::StrCat("RULE ", Q(name), " ON ", qname);
    obj.create_sql = absl::StrCat(u.Get(row, 3), "\n");
    char enabled = u.Get(row, 4)[0];
    absl::string_view action = enabled == 'D' ? "DISABLE" : enabled == 'R' ? "ENABLE REPLICA" : enabled == 'A' ? "ENABLE ALWAYS" : "";
    if (!action.empty()) absl::StrAppend(&obj.create_sql, "ALTER TABLE ", qname, " ", action, " RULE ", Q(name), ";\n");
    obj.drop_sql = absl::StrCat("DROP RULE IF EXISTS ", Q(name), " ON ", qname, ";\n");
    AddDep(idx, rel.node);
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result p,
      Run("policies",
          absl::StrCat("SELECT p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive, "
                       "pg_catalog.array_to_string(ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END "
                       " FROM pg_catalog.unnest(p.polroles) r), ', '), pg_catalog.pg_get_expr(p.polqual, p.polrelid), "
                       "pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) FROM pg_catalog.pg_policy p "
                       "WHERE p.polrelid = ANY(", rel_oids_, ") ORDER BY p.polrelid, p.polname")));
  for (int row = 0; row < p.rows(); ++row) {
    auto rel_it = rels_.find(Oid((p.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    const Rel& rel = rel_it->second;
    std::string name(p.Get(row, 2)), qname = QQ(rel.schema, rel.name);
    int idx = AddNode(kPgPolicy, Oid((p.Get(row, 0))), ObjectKind::kPolicy, Section::kPostData,
                      rel.schema, rel.name + " " + name);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = rel.node;
    obj.ref = absl::StrCat("POLICY ", Q(name), " ON ", qname);
    char cmd = p.Get(row, 3)[0];
    absl::string_view command = cmd == 'r' ? "SELECT" : cmd == 'a' ? "INSERT" : cmd == 'w' ? "UPDATE" : cmd == 'd' ? "DELETE" : "ALL";
    obj.create_sql = absl::StrCat("CREATE POLICY ", Q(name), " ON ", qname, p.GetBool(row, 4) ? "" : " AS RESTRICTIVE",
                                  " FOR ", command, " TO ", p.Get(row, 5),
                                  p.IsNull(row, 6) ? "" : absl::StrCat(" USING (", p.Get(row, 6), ")"),
                                  p.IsNull(row, 7) ? "" : absl::StrCat(" WITH CHECK (", p.Get(row, 7), ")"), ";\n");
    obj.drop_sql = absl::StrCat("DROP POLICY IF EXISTS ", Q(name), " ON ", qname, ";\n");
    AddDep(idx, rel.node);
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectStatistics() {
  std::string target = version_ >= 170000 ? "COALESCE(s.stxstattarget, -1)" : version_ >= 130000 ? "s.stxstattarget" : "-1";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("extended statistics",
          absl::StrCat("SELECT s.oid, s.stxrelid, n.nspname, s.stxname, pg_catalog.pg_get_userbyid(s.stxowner), "
                       "pg_catalog.pg_get_statisticsobjdef(s.oid), ", target,
                       " FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace "
                       "WHERE s.stxrelid = ANY(", rel_oids_, ") ORDER BY n.nspname, s.stxname")));
  for (int row = 0; row < r.rows(); ++row) {
    auto rel_it = rels_.find(Oid((r.Get(row, 1))));
    if (rel_it == rels_.end() || rel_it->second.node < 0) continue;
    std::string schema(r.Get(row, 2)), name(r.Get(row, 3)), qname = QQ(schema, name);
    int idx = AddNode(kPgStatisticExt, Oid((r.Get(row, 0))), ObjectKind::kStatistics,
                      Section::kPostData, schema, name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(r.Get(row, 4));
    obj.table_node = rel_it->second.node;
    obj.ref = absl::StrCat("STATISTICS ", qname);
    obj.create_sql = absl::StrCat(r.Get(row, 5), ";\n");
    if (r.Get(row, 6) != "-1") absl::StrAppend(&obj.create_sql, "ALTER STATISTICS ", qname, " SET STATISTICS ", r.Get(row, 6), ";\n");
    obj.drop_sql = absl::StrCat("DROP STATISTICS IF EXISTS ", qname, ";\n");
    AddDep(idx, rel_it->second.node);
  }
  return absl::OkStatus();
}

// What pg_dump -C writes about the database itself (dumpDatabase, dumpDatabaseConfig):
// the CREATE DATABASE options, then settings, comment and privileges.
absl::StatusOr<DatabaseInfo> Reader::ReadDatabaseInfo() {
  // Provider and ICU locale: 15+ (daticulocale renamed datlocale in 17, which adds builtin).
  std::string provider = version_ >= 150000 ? "d.datlocprovider::text" : "'c'";
  std::string locale = version_ >= 170000 ? "d.datlocale" : version_ >= 150000 ? "d.daticulocale" : "NULL::text";
  std::string rules = version_ >= 160000 ? "d.daticurules" : "NULL::text";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("database",
          absl::StrCat("SELECT pg_catalog.pg_get_userbyid(d.datdba), "
                       "CASE WHEN t.spcname = 'pg_default' THEN '' ELSE t.spcname END, d.datcollate, d.datctype, ",
                       provider, ", ", locale, ", ", rules,
                       ", d.datacl::text, pg_catalog.acldefault('d', d.datdba)::text, "
                       "pg_catalog.shobj_description(d.oid, 'pg_database'), d.oid, d.datconnlimit, d.datistemplate "
                       "FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace "
                       "WHERE d.datname = pg_catalog.current_database()")));
  if (r.rows() != 1) return absl::NotFoundError("reading database: the current database is not in pg_database");
  DatabaseInfo info;
  const std::string db = Q(conn_.database());
  info.owner = std::string(r.Get(0, 0));
  info.tablespace = std::string(r.Get(0, 1));
  const absl::string_view kind = r.Get(0, 4);
  if (kind == "i") {
    absl::StrAppend(&info.locale_sql, " LOCALE_PROVIDER = icu ICU_LOCALE = ", Literal(r.Get(0, 5)));
    if (!r.IsNull(0, 6)) absl::StrAppend(&info.locale_sql, " ICU_RULES = ", Literal(r.Get(0, 6)));
  } else if (kind == "b") {
    absl::StrAppend(&info.locale_sql, " LOCALE_PROVIDER = builtin BUILTIN_LOCALE = ", Literal(r.Get(0, 5)));
  } else if (version_ >= 150000) {
    absl::StrAppend(&info.locale_sql, " LOCALE_PROVIDER = libc");
  }
  absl::StrAppend(&info.locale_sql, " LC_COLLATE = ", Literal(r.Get(0, 2)), " LC_CTYPE = ", Literal(r.Get(0, 3)));
  if (!r.IsNull(0, 7)) {
    info.acl_sql = AclSql(quoter_, absl::StrCat("DATABASE ", db), info.owner, r.Get(0, 7), r.Get(0, 8));
  }
  // pg_dump -C writes both as ALTER DATABASE in its DATABASE PROPERTIES entry; a restore
  // applies them last (docs/restore.md "Order"). datallowconn = false cannot be dumped.
  info.connection_limit = static_cast<int>(r.GetInt64(0, 11).value_or(-1));
  info.is_template = r.GetBool(0, 12);
  if (!r.IsNull(0, 9)) info.comment_sql = absl::StrCat("COMMENT ON DATABASE ", db, " IS ", Literal(r.Get(0, 9)), ";\n");
  // Database-wide settings first, then per-role ones (pg_dump's order); a role setting
  // whose role was dropped has no name and cannot be reproduced.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result settings,
      Run("database settings",
          absl::StrCat("SELECT s.setrole = 0, r.rolname, c.setting FROM pg_catalog.pg_db_role_setting s "
                       "LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole "
                       "CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, n) "
                       "WHERE s.setdatabase = ", r.Get(0, 10), " ORDER BY s.setrole <> 0, r.rolname, c.n")));
  for (int row = 0; row < settings.rows(); ++row) {
    if (settings.GetBool(row, 0)) {
      absl::StrAppend(&info.settings_sql, AlterConfigSql(absl::StrCat("DATABASE ", db), settings.Get(row, 2)));
    } else if (!settings.IsNull(row, 1)) {
      info.role_settings_sql.emplace_back(
          settings.Get(row, 1),
          AlterConfigSql(absl::StrCat("ROLE ", Q(settings.Get(row, 1)), " IN DATABASE ", db), settings.Get(row, 2)));
    }
  }
  return info;
}

absl::Status Reader::CollectEventTriggersAndDefaultAcls() {
  if (TableMode() || !options_.include_schemas.empty()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result e,
      Run("event triggers",
          "SELECT e.oid, e.evtname, e.evtevent, pg_catalog.pg_get_userbyid(e.evtowner), e.evtfoid::pg_catalog.regproc::text, "
          "e.evtenabled, pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(x) FROM pg_catalog.unnest(e.evttags) x), ', ') "
          "FROM pg_catalog.pg_event_trigger e WHERE e.oid >= 16384 ORDER BY e.evtname"));
  for (int row = 0; row < e.rows(); ++row) {
    std::string name(e.Get(row, 1));
    int idx = AddNode(kPgEventTrigger, Oid((e.Get(row, 0))), ObjectKind::kEventTrigger,
                      Section::kPostData, "", name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(e.Get(row, 3));
    obj.pass = RestorePass::kPostAcl;
    obj.ref = absl::StrCat("EVENT TRIGGER ", Q(name));
    obj.create_sql = absl::StrCat("CREATE EVENT TRIGGER ", Q(name), " ON ", Q(e.Get(row, 2)),
                                  e.Get(row, 6).empty() ? "" : absl::StrCat("\n  WHEN TAG IN (", e.Get(row, 6), ")"),
                                  "\n  EXECUTE FUNCTION ", e.Get(row, 4), "();\n");
    char enabled = e.Get(row, 5)[0];
    absl::string_view action = enabled == 'D' ? "DISABLE" : enabled == 'R' ? "ENABLE REPLICA" : enabled == 'A' ? "ENABLE ALWAYS" : "";
    if (!action.empty()) absl::StrAppend(&obj.create_sql, "ALTER EVENT TRIGGER ", Q(name), " ", action, ";\n");
    obj.drop_sql = absl::StrCat("DROP EVENT TRIGGER IF EXISTS ", Q(name), ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result d,
      Run("default privileges",
          "SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, d.defaclacl::text, "
          "CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault((CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype::text END)::\"char\", "
          "d.defaclrole)::text ELSE '{}' END FROM pg_catalog.pg_default_acl d "
          "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 2, 3, 4"));
  for (int row = 0; row < d.rows(); ++row) {
    std::string role(d.Get(row, 1)), schema = d.IsNull(row, 2) ? "" : std::string(d.Get(row, 2));
    if (!schema.empty() && !SchemaSelected(schema)) continue;
    char type = d.Get(row, 3)[0];
    absl::string_view keyword = type == 'r' ? "TABLES" : type == 'S' ? "SEQUENCES" : type == 'f' ? "FUNCTIONS" : type == 'T' ? "TYPES" : "SCHEMAS";
    int idx = AddNode(kPgDefaultAcl, Oid((d.Get(row, 0))), ObjectKind::kDefaultAcl,
                      Section::kPostData, schema, absl::StrCat(role, " ", keyword));
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.pass = RestorePass::kAcl;
    obj.create_sql = DefaultAclSql(quoter_, role, schema, keyword, d.Get(row, 4), d.Get(row, 5));
  }
  return absl::OkStatus();
}

// "key 'value', ..." from an options array (FDWs, servers, user mappings), in array order.
std::string OptionsExpr(absl::string_view column) {
  return absl::StrCat(
      "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || "
      "pg_catalog.quote_literal(o.option_value), ', ' ORDER BY o.n) FROM "
      "pg_catalog.pg_options_to_table(", column, ") WITH ORDINALITY o(option_name, option_value, n))");
}

// "schema.name" of a catalog row, quoted server-side.
std::string QualifiedNameExpr(absl::string_view schema_col, absl::string_view name_col) {
  return absl::StrCat("pg_catalog.quote_ident(", schema_col, ") || '.' || pg_catalog.quote_ident(", name_col, ")");
}

absl::Status Reader::CollectMiscPreData() {
  if (TableMode()) return absl::OkStatus();
  const bool globals = options_.include_schemas.empty();  // objects outside schemas, like pg_dump
  // Casts: only user-defined ones (pg_dump's rule: OID above the built-in range).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("casts",
          absl::StrCat("SELECT c.oid, pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL), "
                       "NULLIF(c.castfunc, 0)::pg_catalog.regprocedure::text, c.castcontext, c.castmethod "
                       "FROM pg_catalog.pg_cast c WHERE ", UserObject(kPgCast, "c.oid"),
                       // Casts made implicitly by CREATE TYPE (range -> multirange) come with the type.
                       " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = ", kPgCast,
                       " AND i.objid = c.oid AND i.deptype = 'i') ORDER BY 2, 3")));
  for (int row = 0; globals && row < c.rows(); ++row) {
    std::string signature = absl::StrCat("(", c.Get(row, 1), " AS ", c.Get(row, 2), ")");
    int idx = AddNode(kPgCast, Oid(c.Get(row, 0)), ObjectKind::kCast, Section::kPreData, "", signature);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("CAST ", signature);
    obj.no_owner_sql = true;
    char method = c.Get(row, 5)[0], context = c.Get(row, 4)[0];
    std::string how = method == 'i'   ? "WITH INOUT"
                      : method == 'b' ? "WITHOUT FUNCTION"
                                      : absl::StrCat("WITH FUNCTION ", c.Get(row, 3));
    obj.create_sql = absl::StrCat("CREATE CAST ", signature, " ", how,
                                  context == 'a' ? " AS ASSIGNMENT" : context == 'i' ? " AS IMPLICIT" : "", ";\n");
    obj.drop_sql = absl::StrCat("DROP CAST IF EXISTS ", signature, ";\n");
  }

  // Collations. The ICU locale moved from collcollate (12-14) to colliculocale (15-16)
  // to colllocale (17+, also for the builtin provider); ICU rules are 16+.
  std::string locale = version_ >= 170000 ? "co.colllocale" : version_ >= 150000 ? "co.colliculocale" : "NULL";
  std::string rules = version_ >= 160000 ? "co.collicurules" : "NULL";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result co,
      Run("collations",
          absl::StrCat("SELECT co.oid, n.nspname, co.collname, pg_catalog.pg_get_userbyid(co.collowner), co.collprovider, "
                       "co.collisdeterministic, co.collcollate, co.collctype, ", locale, ", ", rules,
                       " FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace "
                       "WHERE ", UserObject(kPgCollation, "co.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < co.rows(); ++row) {
    std::string schema(co.Get(row, 1)), name(co.Get(row, 2));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgCollation, Oid(co.Get(row, 0)), ObjectKind::kCollation, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    std::string qname = QQ(schema, name);
    obj.owner = std::string(co.Get(row, 3));
    obj.ref = absl::StrCat("COLLATION ", qname);
    char provider = co.Get(row, 4)[0];
    std::string body = absl::StrCat("provider = ", provider == 'i' ? "icu" : provider == 'b' ? "builtin" : "libc");
    if (!co.GetBool(row, 5)) absl::StrAppend(&body, ", deterministic = false");
    std::string collate(co.Get(row, 6)), ctype(co.Get(row, 7));
    if (provider == 'i' || provider == 'b') {
      absl::StrAppend(&body, ", locale = ", Literal(co.IsNull(row, 8) ? collate : std::string(co.Get(row, 8))));
    } else if (collate == ctype) {
      absl::StrAppend(&body, ", locale = ", Literal(collate));
    } else {
      absl::StrAppend(&body, ", lc_collate = ", Literal(collate), ", lc_ctype = ", Literal(ctype));
    }
    if (!co.IsNull(row, 9)) absl::StrAppend(&body, ", rules = ", Literal(co.Get(row, 9)));
    obj.create_sql = absl::StrCat("CREATE COLLATION ", qname, " (", body, ");\n");
    obj.drop_sql = absl::StrCat("DROP COLLATION IF EXISTS ", qname, ";\n");
  }

  // Conversions.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result cv,
      Run("conversions",
          absl::StrCat("SELECT c.oid, n.nspname, c.conname, pg_catalog.pg_get_userbyid(c.conowner), "
                       "pg_catalog.pg_encoding_to_char(c.conforencoding), pg_catalog.pg_encoding_to_char(c.contoencoding), "
                       "c.conproc::text, c.condefault FROM pg_catalog.pg_conversion c "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace WHERE ",
                       UserObject(kPgConversion, "c.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < cv.rows(); ++row) {
    std::string schema(cv.Get(row, 1)), name(cv.Get(row, 2));
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgConversion, Oid(cv.Get(row, 0)), ObjectKind::kConversion, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    std::string qname = QQ(schema, name);
    obj.owner = std::string(cv.Get(row, 3));
    obj.ref = absl::StrCat("CONVERSION ", qname);
    obj.create_sql = absl::StrCat("CREATE ", cv.GetBool(row, 7) ? "DEFAULT " : "", "CONVERSION ", qname, " FOR ",
                                  Literal(cv.Get(row, 4)), " TO ", Literal(cv.Get(row, 5)), " FROM ", cv.Get(row, 6), ";\n");
    obj.drop_sql = absl::StrCat("DROP CONVERSION IF EXISTS ", qname, ";\n");
  }
  if (!globals) return absl::OkStatus();

  // Procedural languages that are not extension members (plpgsql is an extension).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result l,
      Run("procedural languages",
          absl::StrCat("SELECT l.oid, l.lanname, pg_catalog.pg_get_userbyid(l.lanowner), l.lanpltrusted, "
                       "l.lanplcallfoid::pg_catalog.regproc::text, NULLIF(l.laninline, 0)::pg_catalog.regproc::text, "
                       "NULLIF(l.lanvalidator, 0)::pg_catalog.regproc::text, l.lanacl::text, "
                       "pg_catalog.acldefault('l'::\"char\", l.lanowner)::text "
                       "FROM pg_catalog.pg_language l WHERE l.lanispl AND ", UserObject(kPgLanguage, "l.oid"),
                       " ORDER BY 2")));
  for (int row = 0; row < l.rows(); ++row) {
    std::string name(l.Get(row, 1));
    int idx = AddNode(kPgLanguage, Oid(l.Get(row, 0)), ObjectKind::kLanguage, Section::kPreData, "", name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(l.Get(row, 2));
    obj.ref = absl::StrCat("LANGUAGE ", Q(name));
    obj.acl_ref = obj.ref;
    obj.acl = std::string(l.Get(row, 7));
    obj.default_acl = std::string(l.Get(row, 8));
    obj.create_sql = absl::StrCat("CREATE ", l.GetBool(row, 3) ? "TRUSTED " : "", "LANGUAGE ", Q(name), " HANDLER ",
                                  l.Get(row, 4), l.IsNull(row, 5) ? "" : absl::StrCat(" INLINE ", l.Get(row, 5)),
                                  l.IsNull(row, 6) ? "" : absl::StrCat(" VALIDATOR ", l.Get(row, 6)), ";\n");
    obj.drop_sql = absl::StrCat("DROP LANGUAGE IF EXISTS ", Q(name), ";\n");
  }

  // Transforms.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result t,
      Run("transforms",
          absl::StrCat("SELECT t.oid, pg_catalog.format_type(t.trftype, NULL), l.lanname, "
                       "NULLIF(t.trffromsql, 0)::pg_catalog.regprocedure::text, NULLIF(t.trftosql, 0)::pg_catalog.regprocedure::text "
                       "FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang WHERE ",
                       UserObject(kPgTransform, "t.oid"), " ORDER BY 2, 3")));
  for (int row = 0; row < t.rows(); ++row) {
    std::string signature = absl::StrCat("FOR ", t.Get(row, 1), " LANGUAGE ", Q(t.Get(row, 2)));
    int idx = AddNode(kPgTransform, Oid(t.Get(row, 0)), ObjectKind::kTransform, Section::kPreData, "",
                      absl::StrCat(t.Get(row, 1), " ", t.Get(row, 2)));
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("TRANSFORM ", signature);
    obj.no_owner_sql = true;
    std::vector<std::string> parts;
    if (!t.IsNull(row, 3)) parts.push_back(absl::StrCat("FROM SQL WITH FUNCTION ", t.Get(row, 3)));
    if (!t.IsNull(row, 4)) parts.push_back(absl::StrCat("TO SQL WITH FUNCTION ", t.Get(row, 4)));
    obj.create_sql = absl::StrCat("CREATE TRANSFORM ", signature, " (\n    ", absl::StrJoin(parts, ",\n    "), "\n);\n");
    obj.drop_sql = absl::StrCat("DROP TRANSFORM IF EXISTS ", signature, ";\n");
  }

  // Access methods.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result am,
      Run("access methods",
          absl::StrCat("SELECT a.oid, a.amname, a.amtype, a.amhandler::text FROM pg_catalog.pg_am a WHERE ",
                       UserObject(kPgAm, "a.oid"), " ORDER BY 2")));
  for (int row = 0; row < am.rows(); ++row) {
    std::string name(am.Get(row, 1));
    int idx = AddNode(kPgAm, Oid(am.Get(row, 0)), ObjectKind::kAccessMethod, Section::kPreData, "", name);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("ACCESS METHOD ", Q(name));
    obj.no_owner_sql = true;
    obj.create_sql = absl::StrCat("CREATE ACCESS METHOD ", Q(name), " TYPE ", am.Get(row, 2) == "t" ? "TABLE" : "INDEX",
                                  " HANDLER ", am.Get(row, 3), ";\n");
    obj.drop_sql = absl::StrCat("DROP ACCESS METHOD IF EXISTS ", Q(name), ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectTextSearch() {
  if (TableMode()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result p,
      Run("text search parsers",
          absl::StrCat("SELECT p.oid, n.nspname, p.prsname, p.prsstart::text, p.prstoken::text, p.prsend::text, "
                       "p.prslextype::text, NULLIF(p.prsheadline, 0)::pg_catalog.regproc::text "
                       "FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace WHERE ",
                       UserObject(kPgTsParser, "p.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < p.rows(); ++row) {
    std::string schema(p.Get(row, 1)), name(p.Get(row, 2)), qname = QQ(schema, name);
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgTsParser, Oid(p.Get(row, 0)), ObjectKind::kTextSearchParser, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("TEXT SEARCH PARSER ", qname);
    obj.no_owner_sql = true;
    obj.create_sql = absl::StrCat("CREATE TEXT SEARCH PARSER ", qname, " (\n    START = ", p.Get(row, 3),
                                  ",\n    GETTOKEN = ", p.Get(row, 4), ",\n    END = ", p.Get(row, 5),
                                  ",\n    LEXTYPES = ", p.Get(row, 6),
                                  p.IsNull(row, 7) ? "" : absl::StrCat(",\n    HEADLINE = ", p.Get(row, 7)), "\n);\n");
    obj.drop_sql = absl::StrCat("DROP TEXT SEARCH PARSER IF EXISTS ", qname, ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result t,
      Run("text search templates",
          absl::StrCat("SELECT t.oid, n.nspname, t.tmplname, NULLIF(t.tmplinit, 0)::pg_catalog.regproc::text, t.tmpllexize::text "
                       "FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace WHERE ",
                       UserObject(kPgTsTemplate, "t.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < t.rows(); ++row) {
    std::string schema(t.Get(row, 1)), name(t.Get(row, 2)), qname = QQ(schema, name);
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgTsTemplate, Oid(t.Get(row, 0)), ObjectKind::kTextSearchTemplate, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    obj.ref = absl::StrCat("TEXT SEARCH TEMPLATE ", qname);
    obj.no_owner_sql = true;
    obj.create_sql = absl::StrCat("CREATE TEXT SEARCH TEMPLATE ", qname, " (\n    ",
                                  t.IsNull(row, 3) ? "" : absl::StrCat("INIT = ", t.Get(row, 3), ",\n    "),
                                  "LEXIZE = ", t.Get(row, 4), "\n);\n");
    obj.drop_sql = absl::StrCat("DROP TEXT SEARCH TEMPLATE IF EXISTS ", qname, ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result d,
      Run("text search dictionaries",
          absl::StrCat("SELECT d.oid, n.nspname, d.dictname, pg_catalog.pg_get_userbyid(d.dictowner), ",
                       QualifiedNameExpr("tn.nspname", "t.tmplname"), ", d.dictinitoption "
                       "FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace "
                       "JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate "
                       "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace WHERE ",
                       UserObject(kPgTsDict, "d.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < d.rows(); ++row) {
    std::string schema(d.Get(row, 1)), name(d.Get(row, 2)), qname = QQ(schema, name);
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgTsDict, Oid(d.Get(row, 0)), ObjectKind::kTextSearchDictionary, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(d.Get(row, 3));
    obj.ref = absl::StrCat("TEXT SEARCH DICTIONARY ", qname);
    // dictinitoption is already "key = 'value', ..." as CREATE takes it.
    obj.create_sql = absl::StrCat("CREATE TEXT SEARCH DICTIONARY ", qname, " (\n    TEMPLATE = ", d.Get(row, 4),
                                  d.IsNull(row, 5) ? "" : absl::StrCat(",\n    ", d.Get(row, 5)), "\n);\n");
    obj.drop_sql = absl::StrCat("DROP TEXT SEARCH DICTIONARY IF EXISTS ", qname, ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("text search configurations",
          absl::StrCat("SELECT c.oid, n.nspname, c.cfgname, pg_catalog.pg_get_userbyid(c.cfgowner), ",
                       QualifiedNameExpr("pn.nspname", "p.prsname"), ", "
                       // Mappings, one ADD MAPPING line per token type (token names from the parser).
                       "(SELECT pg_catalog.string_agg(m.line, '' ORDER BY m.maptokentype) FROM ("
                       " SELECT cm.maptokentype, 'ADD MAPPING FOR ' || pg_catalog.quote_ident(tt.alias) || ' WITH ' || "
                       " pg_catalog.string_agg(cm.mapdict::pg_catalog.regdictionary::text, ', ' ORDER BY cm.mapseqno) AS line "
                       " FROM pg_catalog.pg_ts_config_map cm, pg_catalog.ts_token_type(c.cfgparser) tt "
                       " WHERE cm.mapcfg = c.oid AND tt.tokid = cm.maptokentype GROUP BY cm.maptokentype, tt.alias) m) "
                       "FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace "
                       "JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser "
                       "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace WHERE ",
                       UserObject(kPgTsConfig, "c.oid"), " AND ", kUserSchema, " ORDER BY 2, 3")));
  for (int row = 0; row < c.rows(); ++row) {
    std::string schema(c.Get(row, 1)), name(c.Get(row, 2)), qname = QQ(schema, name);
    if (!SchemaSelected(schema)) continue;
    int idx = AddNode(kPgTsConfig, Oid(c.Get(row, 0)), ObjectKind::kTextSearchConfiguration, Section::kPreData, schema, name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(c.Get(row, 3));
    obj.ref = absl::StrCat("TEXT SEARCH CONFIGURATION ", qname);
    obj.create_sql = absl::StrCat("CREATE TEXT SEARCH CONFIGURATION ", qname, " (\n    PARSER = ", c.Get(row, 4), "\n);\n");
    // The aggregated lines are concatenated without separators; split them per mapping.
    std::string mappings(c.Get(row, 5));
    for (absl::string_view line : absl::StrSplit(mappings, "ADD MAPPING FOR ", absl::SkipEmpty())) {
      absl::StrAppend(&obj.create_sql, "ALTER TEXT SEARCH CONFIGURATION ", qname, "\n    ADD MAPPING FOR ", line, ";\n");
    }
    obj.drop_sql = absl::StrCat("DROP TEXT SEARCH CONFIGURATION IF EXISTS ", qname, ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectForeignData() {
  if (TableMode() || !options_.include_schemas.empty()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result f,
      Run("foreign data wrappers",
          absl::StrCat("SELECT f.oid, f.fdwname, pg_catalog.pg_get_userbyid(f.fdwowner), "
                       "NULLIF(f.fdwhandler, 0)::pg_catalog.regproc::text, NULLIF(f.fdwvalidator, 0)::pg_catalog.regproc::text, ",
                       OptionsExpr("f.fdwoptions"), ", f.fdwacl::text, pg_catalog.acldefault('F'::\"char\", f.fdwowner)::text "
                       "FROM pg_catalog.pg_foreign_data_wrapper f WHERE ", UserObject(kPgFdw, "f.oid"), " ORDER BY 2")));
  for (int row = 0; row < f.rows(); ++row) {
    std::string name(f.Get(row, 1));
    int idx = AddNode(kPgFdw, Oid(f.Get(row, 0)), ObjectKind::kForeignDataWrapper, Section::kPreData, "", name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(f.Get(row, 2));
    obj.ref = absl::StrCat("FOREIGN DATA WRAPPER ", Q(name));
    obj.acl_ref = obj.ref;
    obj.acl = std::string(f.Get(row, 6));
    obj.default_acl = std::string(f.Get(row, 7));
    obj.create_sql = absl::StrCat("CREATE FOREIGN DATA WRAPPER ", Q(name),
                                  f.IsNull(row, 3) ? "" : absl::StrCat(" HANDLER ", f.Get(row, 3)),
                                  f.IsNull(row, 4) ? "" : absl::StrCat(" VALIDATOR ", f.Get(row, 4)),
                                  f.IsNull(row, 5) ? "" : absl::StrCat(" OPTIONS (\n    ", f.Get(row, 5), "\n)"), ";\n");
    obj.drop_sql = absl::StrCat("DROP FOREIGN DATA WRAPPER IF EXISTS ", Q(name), ";\n");
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result s,
      Run("foreign servers",
          absl::StrCat("SELECT s.oid, s.srvname, pg_catalog.pg_get_userbyid(s.srvowner), w.fdwname, s.srvtype, s.srvversion, ",
                       OptionsExpr("s.srvoptions"), ", s.srvacl::text, pg_catalog.acldefault('S'::\"char\", s.srvowner)::text "
                       "FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE ",
                       UserObject(kPgForeignServer, "s.oid"), " ORDER BY 2")));
  std::map<uint32_t, int> servers;
  for (int row = 0; row < s.rows(); ++row) {
    std::string name(s.Get(row, 1));
    uint32_t oid = Oid(s.Get(row, 0));
    int idx = AddNode(kPgForeignServer, oid, ObjectKind::kForeignServer, Section::kPreData, "", name);
    servers[oid] = idx;
    Obj& obj = objs_[idx];
    obj.owner = std::string(s.Get(row, 2));
    obj.ref = absl::StrCat("SERVER ", Q(name));
    obj.acl_ref = absl::StrCat("FOREIGN SERVER ", Q(name));
    obj.acl = std::string(s.Get(row, 7));
    obj.default_acl = std::string(s.Get(row, 8));
    obj.create_sql = absl::StrCat("CREATE SERVER ", Q(name),
                                  s.IsNull(row, 4) ? "" : absl::StrCat(" TYPE ", Literal(s.Get(row, 4))),
                                  s.IsNull(row, 5) ? "" : absl::StrCat(" VERSION ", Literal(s.Get(row, 5))),
                                  " FOREIGN DATA WRAPPER ", Q(s.Get(row, 3)),
                                  s.IsNull(row, 6) ? "" : absl::StrCat(" OPTIONS (\n    ", s.Get(row, 6), "\n)"), ";\n");
    obj.drop_sql = absl::StrCat("DROP SERVER IF EXISTS ", Q(name), ";\n");
  }
  // User mappings; umoptions (which may hold passwords) is NULL unless this role may see it.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result u,
      Run("user mappings",
          absl::StrCat("SELECT um.umid, um.srvid, um.srvname, CASE WHEN um.umuser = 0 THEN NULL ELSE um.usename END, ",
                       OptionsExpr("um.umoptions"), " FROM pg_catalog.pg_user_mappings um ORDER BY um.srvname, 4 NULLS FIRST")));
  for (int row = 0; row < u.rows(); ++row) {
    auto server = servers.find(Oid(u.Get(row, 1)));
    if (server == servers.end()) continue;
    std::string role = u.IsNull(row, 3) ? "PUBLIC" : Q(u.Get(row, 3));
    std::string tag = absl::StrCat(u.IsNull(row, 3) ? "PUBLIC" : std::string(u.Get(row, 3)), " SERVER ", u.Get(row, 2));
    int idx = AddNode(kPgUserMapping, Oid(u.Get(row, 0)), ObjectKind::kUserMapping, Section::kPreData, "", tag);
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    std::string target = absl::StrCat("FOR ", role, " SERVER ", Q(u.Get(row, 2)));
    obj.create_sql = absl::StrCat("CREATE USER MAPPING ", target,
                                  u.IsNull(row, 4) ? "" : absl::StrCat(" OPTIONS (\n    ", u.Get(row, 4), "\n)"), ";\n");
    obj.drop_sql = absl::StrCat("DROP USER MAPPING IF EXISTS ", target, ";\n");
    AddDep(idx, server->second);
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectPublicationsAndSubscriptions() {
  if (TableMode() || !options_.include_schemas.empty()) return absl::OkStatus();
  std::string via_root = version_ >= 130000 ? "p.pubviaroot" : "false";
  // 18+: publish_generated_columns ('n' none, 's' stored).
  std::string gencols = version_ >= 180000 ? "p.pubgencols::text" : "'n'";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result p,
      Run("publications",
          absl::StrCat("SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner), p.puballtables, p.pubinsert, "
                       "p.pubupdate, p.pubdelete, p.pubtruncate, ", via_root, ", ", gencols,
                       " FROM pg_catalog.pg_publication p ORDER BY 2")));
  std::map<uint32_t, int> pubs;
  for (int row = 0; row < p.rows(); ++row) {
    std::string name(p.Get(row, 1));
    uint32_t oid = Oid(p.Get(row, 0));
    int idx = AddNode(kPgPublication, oid, ObjectKind::kPublication, Section::kPostData, "", name);
    pubs[oid] = idx;
    Obj& obj = objs_[idx];
    obj.owner = std::string(p.Get(row, 2));
    obj.ref = absl::StrCat("PUBLICATION ", Q(name));
    std::vector<std::string> actions;
    const char* kActions[] = {"insert", "update", "delete", "truncate"};
    for (int i = 0; i < 4; ++i) {
      if (p.GetBool(row, 4 + i)) actions.push_back(kActions[i]);
    }
    obj.create_sql = absl::StrCat("CREATE PUBLICATION ", Q(name), p.GetBool(row, 3) ? " FOR ALL TABLES" : "",
                                  " WITH (publish = '", absl::StrJoin(actions, ", "), "'",
                                  p.GetBool(row, 8) ? ", publish_via_partition_root = true" : "",
                                  p.Get(row, 9) == "s" ? ", publish_generated_columns = stored" : "", ");\n");
    obj.drop_sql = absl::StrCat("DROP PUBLICATION IF EXISTS ", Q(name), ";\n");
  }
  // Tables (with a column list and row filter on 15+), then whole schemas (15+).
  std::string qual = version_ >= 150000 ? "pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)" : "NULL";
  std::string cols = version_ >= 150000
      ? "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs::pg_catalog.int2[]))"
      : "NULL";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("publication tables",
          absl::StrCat("SELECT pr.oid, pr.prpubid, pr.prrelid, ", qual, ", ", cols,
                       " FROM pg_catalog.pg_publication_rel pr WHERE pr.prrelid = ANY(", rel_oids_, ") ORDER BY pr.oid")));
  for (int row = 0; row < r.rows(); ++row) {
    auto pub = pubs.find(Oid(r.Get(row, 1)));
    auto rel = rels_.find(Oid(r.Get(row, 2)));
    if (pub == pubs.end() || rel == rels_.end() || rel->second.node < 0) continue;
    const std::string pub_name = nodes_[pub->second].name;  // a copy: AddNode grows nodes_
    int idx = AddNode(kPgPublicationRel, Oid(r.Get(row, 0)), ObjectKind::kPublicationTable, Section::kPostData,
                      rel->second.schema, absl::StrCat(pub_name, " ", rel->second.name));
    Obj& obj = objs_[idx];
    obj.no_owner_sql = true;
    obj.table_node = rel->second.node;
    std::string qtable = QQ(rel->second.schema, rel->second.name);
    obj.create_sql = absl::StrCat("ALTER PUBLICATION ", Q(pub_name), " ADD TABLE ONLY ", qtable,
                                  r.IsNull(row, 4) ? "" : absl::StrCat(" (", r.Get(row, 4), ")"),
                                  r.IsNull(row, 3) ? "" : absl::StrCat(" WHERE (", r.Get(row, 3), ")"), ";\n");
    obj.drop_sql = absl::StrCat("ALTER PUBLICATION ", Q(pub_name), " DROP TABLE ONLY ", qtable, ";\n");
    AddDep(idx, pub->second);
    AddDep(idx, rel->second.node);
  }
  if (version_ >= 150000) {
    PGARK_ASSIGN_OR_RETURN(
        pg::Result n,
        Run("publication schemas",
            "SELECT pn.oid, pn.pnpubid, n.nspname FROM pg_catalog.pg_publication_namespace pn "
            "JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid ORDER BY pn.oid"));
    for (int row = 0; row < n.rows(); ++row) {
      auto pub = pubs.find(Oid(n.Get(row, 1)));
      std::string schema(n.Get(row, 2));
      if (pub == pubs.end() || !SchemaSelected(schema)) continue;
      const std::string pub_name = nodes_[pub->second].name;  // a copy: AddNode grows nodes_
      int idx = AddNode(kPgPublicationNamespace, Oid(n.Get(row, 0)), ObjectKind::kPublicationSchema,
                        Section::kPostData, schema, pub_name);
      Obj& obj = objs_[idx];
      obj.no_owner_sql = true;
      obj.create_sql = absl::StrCat("ALTER PUBLICATION ", Q(pub_name), " ADD TABLES IN SCHEMA ", Q(schema), ";\n");
      obj.drop_sql = absl::StrCat("ALTER PUBLICATION ", Q(pub_name), " DROP TABLES IN SCHEMA ", Q(schema), ";\n");
      AddDep(idx, pub->second);
    }
  }

  // Subscriptions: created with connect = false (no slot is created, the subscription
  // stays disabled), as pg_dump does. subconninfo is readable only with privilege.
  std::string binary = version_ >= 140000 ? "s.subbinary" : "false";
  std::string stream = version_ >= 160000   ? "s.substream::text"
                       : version_ >= 140000 ? "CASE WHEN s.substream THEN 't' ELSE 'f' END"
                                            : "'f'";
  std::string two_phase = version_ >= 150000 ? "s.subtwophasestate::text" : "'d'";
  std::string disable_on_error = version_ >= 150000 ? "s.subdisableonerr" : "false";
  std::string password_required = version_ >= 160000 ? "s.subpasswordrequired" : "true";
  std::string run_as_owner = version_ >= 160000 ? "s.subrunasowner" : "false";
  std::string origin = version_ >= 160000 ? "s.suborigin" : "'any'";
  std::string failover = version_ >= 170000 ? "s.subfailover" : "false";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result priv,
      Run("subscription privilege",
          "SELECT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT')"));
  bool can_read = priv.GetBool(0, 0);
  if (!can_read) {
    // Names only: the columns granted to PUBLIC differ per major (12 grants neither oid nor
    // subsynccommit), and reading one that is not granted fails the whole dump.
    PGARK_ASSIGN_OR_RETURN(
        pg::Result names,
        Run("subscriptions", "SELECT s.subname FROM pg_catalog.pg_subscription s WHERE s.subdbid = "
                             "(SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = "
                             "pg_catalog.current_database()) ORDER BY 1"));
    for (int row = 0; row < names.rows(); ++row) {
      Warn(absl::StrCat("subscription ", names.Get(row, 0),
                        " is not dumped: reading its connection string needs superuser"));
    }
    return absl::OkStatus();
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result s,
      Run("subscriptions",
          absl::StrCat("SELECT s.oid, s.subname, pg_catalog.pg_get_userbyid(s.subowner), ",
                       "s.subconninfo, s.subslotname, s.subsynccommit, "
                       "pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(x) FROM pg_catalog.unnest(s.subpublications) x), ', '), ",
                       binary, ", ", stream, ", ", two_phase, ", ", disable_on_error, ", ", password_required, ", ",
                       run_as_owner, ", ", origin, ", ", failover,
                       " FROM pg_catalog.pg_subscription s WHERE s.subdbid = "
                       "(SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) ORDER BY 2")));
  for (int row = 0; row < s.rows(); ++row) {
    std::string name(s.Get(row, 1));
    int idx = AddNode(kPgSubscription, Oid(s.Get(row, 0)), ObjectKind::kSubscription, Section::kPostData, "", name);
    Obj& obj = objs_[idx];
    obj.owner = std::string(s.Get(row, 2));
    obj.ref = absl::StrCat("SUBSCRIPTION ", Q(name));
    std::string with = absl::StrCat("connect = false, slot_name = ", s.IsNull(row, 4) ? "NONE" : Literal(s.Get(row, 4)));
    if (s.GetBool(row, 7)) absl::StrAppend(&with, ", binary = true");
    if (s.Get(row, 8) == "t") absl::StrAppend(&with, ", streaming = on");
    if (s.Get(row, 8) == "p") absl::StrAppend(&with, ", streaming = parallel");
    if (s.Get(row, 9) != "d") absl::StrAppend(&with, ", two_phase = on");
    if (s.GetBool(row, 10)) absl::StrAppend(&with, ", disable_on_error = true");
    if (!s.GetBool(row, 11)) absl::StrAppend(&with, ", password_required = false");
    if (s.GetBool(row, 12)) absl::StrAppend(&with, ", run_as_owner = true");
    if (absl::AsciiStrToLower(s.Get(row, 13)) != "any") absl::StrAppend(&with, ", origin = ", Literal(s.Get(row, 13)));
    if (s.GetBool(row, 14)) absl::StrAppend(&with, ", failover = true");
    if (s.Get(row, 5) != "off") absl::StrAppend(&with, ", synchronous_commit = ", Literal(s.Get(row, 5)));
    obj.create_sql = absl::StrCat("CREATE SUBSCRIPTION ", Q(name), " CONNECTION ", Literal(s.Get(row, 3)),
                                  " PUBLICATION ", s.Get(row, 6), " WITH (", with, ");\n");
    // PostgreSQL 18 made streaming = parallel the default: a subscription that does not stream
    // ('f', off, the only behaviour of 12 and 13) would stream in parallel once restored into 18+.
    // Said only to an 18+ target: 12 and 13 refuse the option (and with it the subscription).
    if (s.Get(row, 8) == "f") {
      absl::StrAppend(&obj.create_sql,
                      "DO $pgark$BEGIN IF pg_catalog.current_setting('server_version_num')::int >= 180000 THEN "
                      "EXECUTE ",
                      Literal(absl::StrCat("ALTER SUBSCRIPTION ", Q(name), " SET (streaming = off)")),
                      "; END IF; END$pgark$;\n");
    }
    obj.drop_sql = absl::StrCat("DROP SUBSCRIPTION IF EXISTS ", Q(name), ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectLargeObjects() {
  // Metadata only (owner, ACL, comment); the contents are the dump engine's. Like pg_dump,
  // none in a schema-only or filtered dump.
  if (!options_.large_object_metadata || options_.schema_only || TableMode() || !options_.include_schemas.empty()) {
    return absl::OkStatus();
  }
  PGARK_ASSIGN_OR_RETURN(
      pg::Result l,
      Run("large objects",
          "SELECT l.oid, pg_catalog.pg_get_userbyid(l.lomowner), l.lomacl::text, "
          "pg_catalog.acldefault('L'::\"char\", l.lomowner)::text FROM pg_catalog.pg_largeobject_metadata l ORDER BY l.oid"));
  for (int row = 0; row < l.rows(); ++row) {
    uint32_t oid = Oid(l.Get(row, 0));
    int idx = AddNode(kPgLargeObject, oid, ObjectKind::kLargeObject, Section::kData, "", std::string(l.Get(row, 0)));
    Obj& obj = objs_[idx];
    obj.owner = std::string(l.Get(row, 1));
    obj.ref = absl::StrCat("LARGE OBJECT ", oid);
    obj.acl_ref = obj.ref;
    obj.acl = std::string(l.Get(row, 2));
    obj.default_acl = std::string(l.Get(row, 3));
    obj.large_object_oid = oid;
    obj.create_sql = absl::StrCat("SELECT pg_catalog.lo_create('", oid, "');\n");
    obj.drop_sql = absl::StrCat("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '", oid, "';\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectExtensionConfigData() {
  if (options_.schema_only || ext_config_.empty()) return absl::OkStatus();
  std::vector<std::string> oids;
  for (const ExtConfig& config : ext_config_) oids.push_back(std::to_string(config.oid));
  std::string oid_list = absl::StrCat("'{", absl::StrJoin(oids, ","), "}'::pg_catalog.oid[]");
  PGARK_ASSIGN_OR_RETURN(
      pg::Result a,
      Run("extension configuration columns",
          absl::StrCat("SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
                       "a.atttypid, tn.nspname, ty.typname, a.attnotnull FROM pg_catalog.pg_attribute a "
                       "JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace "
                       "WHERE a.attrelid = ANY(", oid_list, ") AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
                       "ORDER BY a.attrelid, a.attnum")));
  std::map<uint32_t, std::vector<ColumnInfo>> columns;
  for (int row = 0; row < a.rows(); ++row) {
    columns[Oid(a.Get(row, 0))].push_back(ColumnInfo{std::string(a.Get(row, 2)), std::string(a.Get(row, 3)),
                                                     Oid(a.Get(row, 4)), std::string(a.Get(row, 5)),
                                                     std::string(a.Get(row, 6)), static_cast<int>(Oid(a.Get(row, 1))),
                                                     a.GetBool(row, 7)});
  }
  std::map<uint32_t, int> data_node;
  for (const ExtConfig& config : ext_config_) {
    std::string qname = QQ(config.schema, config.name);
    if (config.relkind == 'S') {
      PGARK_ASSIGN_OR_RETURN(pg::Result value, Run(absl::StrCat("sequence ", qname),
                                                   absl::StrCat("SELECT last_value, is_called FROM ", qname)));
      SequenceInfo info;
      info.last_value = value.GetInt64(0, 0).value_or(0);
      info.is_called = value.GetBool(0, 1);
      int set = AddNode(0, 0, ObjectKind::kSequenceSet, Section::kData, config.schema, config.name);
      objs_[set].no_owner_sql = true;
      objs_[set].sequence = info;
      objs_[set].create_sql = absl::StrCat("SELECT pg_catalog.setval(", Literal(qname), ", ", info.last_value, ", ",
                                           info.is_called ? "true" : "false", ");\n");
      AddDep(set, config.extension_node);
      continue;
    }
    if (config.relkind != 'r') continue;
    int data = AddNode(0, 0, ObjectKind::kTableData, Section::kData, config.schema, config.name);
    data_node[config.oid] = data;
    Obj& obj = objs_[data];
    obj.no_owner_sql = true;
    TableInfo info;
    info.oid = config.oid;
    info.relkind = 'r';
    info.columns = columns[config.oid];
    info.extension_config = true;
    info.data_filter = config.condition;
    info.relfilenode = config.relfilenode;
    obj.table = info;
    AddDep(data, config.extension_node);
  }
  // Rows of a referenced configuration table load first (pg_dump does the same: the FKs
  // exist already, since the extension created the tables).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result fk,
      Run("extension configuration foreign keys",
          absl::StrCat("SELECT co.conrelid, co.confrelid FROM pg_catalog.pg_constraint co WHERE co.contype = 'f' "
                       "AND co.conrelid = ANY(", oid_list, ") AND co.confrelid = ANY(", oid_list, ")")));
  for (int row = 0; row < fk.rows(); ++row) {
    auto from = data_node.find(Oid(fk.Get(row, 0)));
    auto to = data_node.find(Oid(fk.Get(row, 1)));
    if (from != data_node.end() && to != data_node.end()) AddDep(from->second, to->second);
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectExtensionMemberAcls() {
  // Members keep the privileges their extension script gave them (pg_init_privs); a dump
  // carries only what changed since, as GRANT/REVOKE run after CREATE EXTENSION.
  struct Branch {
    uint32_t classid;
    const char* table;
    const char* oid;
    const char* target;
    const char* owner;
    const char* acl;
    const char* kind;  // acldefault() letter
  };
  const Branch branches[] = {
      {kPgClass, "pg_catalog.pg_class o", "o.oid",
       "CASE WHEN o.relkind = 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || (SELECT pg_catalog.quote_ident(nn.nspname) "
       "FROM pg_catalog.pg_namespace nn WHERE nn.oid = o.relnamespace) || '.' || pg_catalog.quote_ident(o.relname)",
       "o.relowner", "o.relacl", "CASE WHEN o.relkind = 'S' THEN 's' ELSE 'r' END"},
      {kPgProc, "pg_catalog.pg_proc o", "o.oid",
       "CASE WHEN o.prokind = 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END || o.oid::pg_catalog.regprocedure::text",
       "o.proowner", "o.proacl", "'f'"},
      {kPgType, "pg_catalog.pg_type o", "o.oid", "'TYPE ' || pg_catalog.format_type(o.oid, NULL)", "o.typowner",
       "o.typacl", "'T'"},
      {kPgNamespace, "pg_catalog.pg_namespace o", "o.oid", "'SCHEMA ' || pg_catalog.quote_ident(o.nspname)",
       "o.nspowner", "o.nspacl", "'n'"},
      {kPgFdw, "pg_catalog.pg_foreign_data_wrapper o", "o.oid",
       "'FOREIGN DATA WRAPPER ' || pg_catalog.quote_ident(o.fdwname)", "o.fdwowner", "o.fdwacl", "'F'"},
      {kPgForeignServer, "pg_catalog.pg_foreign_server o", "o.oid",
       "'FOREIGN SERVER ' || pg_catalog.quote_ident(o.srvname)", "o.srvowner", "o.srvacl", "'S'"},
      {kPgLanguage, "pg_catalog.pg_language o", "o.oid", "'LANGUAGE ' || pg_catalog.quote_ident(o.lanname)",
       "o.lanowner", "o.lanacl", "'l'"},
  };
  std::vector<std::string> parts;
  for (const Branch& b : branches) {
    std::string initial = absl::StrCat("COALESCE(ip.initprivs, pg_catalog.acldefault((", b.kind, ")::\"char\", ", b.owner, "))");
    parts.push_back(absl::StrCat(
        "SELECT d.refobjid, ", b.target, ", pg_catalog.pg_get_userbyid(", b.owner, "), ", b.acl, "::text, ", initial,
        "::text FROM pg_catalog.pg_depend d JOIN ", b.table, " ON ", b.oid, " = d.objid "
        "LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = ", b.classid, " AND ip.objoid = ", b.oid,
        " AND ip.objsubid = 0 WHERE d.classid = ", b.classid, " AND d.refclassid = ", kPgExtension,
        " AND d.deptype = 'e' AND ", b.acl, " IS NOT NULL AND ", b.acl, " IS DISTINCT FROM ", initial));
  }
  PGARK_ASSIGN_OR_RETURN(pg::Result r, Run("extension member privileges",
                                           absl::StrCat(absl::StrJoin(parts, " UNION ALL "), " ORDER BY 1, 2")));
  for (int row = 0; row < r.rows(); ++row) {
    int ext = NodeOf(kPgExtension, Oid(r.Get(row, 0)));
    if (ext < 0 || nodes_[ext].kind != ObjectKind::kExtension) continue;
    absl::StrAppend(&objs_[ext].column_acl_sql,
                    AclSql(quoter_, r.Get(row, 1), r.Get(row, 2), r.Get(row, 3), r.Get(row, 4)));
  }
  // Column privileges of member tables and views (pg_init_privs rows with objsubid = attnum;
  // a column's default ACL is empty). NULL and '{}' both mean "no privileges".
  PGARK_ASSIGN_OR_RETURN(
      pg::Result c,
      Run("extension member column privileges",
          absl::StrCat(
              "SELECT d.refobjid, 'TABLE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.relname), "
              "pg_catalog.pg_get_userbyid(o.relowner), pg_catalog.quote_ident(a.attname), "
              "COALESCE(a.attacl, '{}'::pg_catalog.aclitem[])::text, COALESCE(ip.initprivs, '{}'::pg_catalog.aclitem[])::text "
              "FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class o ON o.oid = d.objid "
              "JOIN pg_catalog.pg_namespace n ON n.oid = o.relnamespace "
              "JOIN pg_catalog.pg_attribute a ON a.attrelid = o.oid AND a.attnum > 0 AND NOT a.attisdropped "
              "LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = ", kPgClass, " AND ip.objoid = o.oid "
              "AND ip.objsubid = a.attnum WHERE d.classid = ", kPgClass, " AND d.refclassid = ", kPgExtension,
              " AND d.deptype = 'e' AND (a.attacl IS NOT NULL OR ip.initprivs IS NOT NULL) "
              "AND COALESCE(a.attacl, '{}'::pg_catalog.aclitem[]) IS DISTINCT FROM "
              "COALESCE(ip.initprivs, '{}'::pg_catalog.aclitem[]) ORDER BY 1, 2, a.attnum")));
  for (int row = 0; row < c.rows(); ++row) {
    int ext = NodeOf(kPgExtension, Oid(c.Get(row, 0)));
    if (ext < 0 || nodes_[ext].kind != ObjectKind::kExtension) continue;
    absl::StrAppend(&objs_[ext].column_acl_sql,
                    ColumnAclDeltaSql(quoter_, c.Get(row, 1), c.Get(row, 2), c.Get(row, 4), c.Get(row, 5),
                                      absl::StrCat("(", c.Get(row, 3), ")")));
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectDependsOnExtension() {
  // ALTER ... DEPENDS ON EXTENSION (deptype 'x'): printed right after the object.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("extension dependencies",
          absl::StrCat("SELECT d.classid, d.objid, x.extname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension x "
                       "ON x.oid = d.refobjid WHERE d.deptype = 'x' AND d.refclassid = ", kPgExtension,
                       " ORDER BY 1, 2, 3")));
  for (int row = 0; row < r.rows(); ++row) {
    auto it = by_key_.find({Oid(r.Get(row, 0)), Oid(r.Get(row, 1))});
    if (it == by_key_.end()) continue;
    ObjectKind kind = nodes_[it->second].kind;
    Obj& obj = objs_[it->second];
    if ((kind != ObjectKind::kFunction && kind != ObjectKind::kIndex && kind != ObjectKind::kTrigger &&
         kind != ObjectKind::kMaterializedView) || obj.ref.empty()) {
      Warn(absl::StrCat(nodes_[it->second].id, " DEPENDS ON EXTENSION ", r.Get(row, 2), " is not reproduced"));
      continue;
    }
    absl::StrAppend(&obj.create_sql, "ALTER ", obj.ref, " DEPENDS ON EXTENSION ", Q(r.Get(row, 2)), ";\n");
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectCommentsAndLabels() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("comments",
          "SELECT d.classoid, d.objoid, d.objsubid, d.description, "
          "CASE WHEN d.classoid = 1259 AND d.objsubid > 0 THEN (SELECT a.attname FROM pg_catalog.pg_attribute a "
          " WHERE a.attrelid = d.objoid AND a.attnum = d.objsubid) END, NULL, NULL, NULL "
          "FROM pg_catalog.pg_description d WHERE d.objoid >= 16384 OR (d.classoid = 2615 AND d.objoid = 2200) "
          "UNION ALL SELECT s.classoid, s.objoid, s.objsubid, s.label, "
          "CASE WHEN s.classoid = 1259 AND s.objsubid > 0 THEN (SELECT a.attname FROM pg_catalog.pg_attribute a "
          " WHERE a.attrelid = s.objoid AND a.attnum = s.objsubid) END, s.provider, "
          // 6, 7: an extension member's label (pg_dump keeps those; members are not items here)
          "pg_catalog.pg_describe_object(s.classoid, s.objoid, s.objsubid), "
          "(SELECT e.refobjid FROM pg_catalog.pg_depend e WHERE e.classid = s.classoid "
          " AND e.objid = s.objoid AND e.deptype = 'e' AND e.refclassid = 3079 LIMIT 1) "
          "FROM pg_catalog.pg_seclabel s WHERE s.objoid >= 16384 "
          // Subscriptions live in shared catalogs, and so do their comments and labels.
          "UNION ALL SELECT d.classoid, d.objoid, 0, d.description, NULL, NULL, NULL, NULL FROM pg_catalog.pg_shdescription d "
          "WHERE d.classoid = 6100 "
          "UNION ALL SELECT s.classoid, s.objoid, 0, s.label, NULL, s.provider, NULL, NULL FROM pg_catalog.pg_shseclabel s "
          "WHERE s.classoid = 6100 ORDER BY 1, 2, 3"));
  for (int row = 0; row < r.rows(); ++row) {
    uint32_t classid = Oid((r.Get(row, 0)));
    const uint32_t objoid = Oid(r.Get(row, 1));
    int idx = by_key_.count({classid, objoid}) ? by_key_[{classid, objoid}] : -1;
    // Relations that are not items of their own: a constraint's index (its item is the
    // constraint's) and a composite type's pg_class entry (the type's, for its attributes).
    std::string relation_target;
    if (idx < 0 && classid == kPgClass) {
      if (auto index = constraint_index_.find(objoid); index != constraint_index_.end() && r.Get(row, 2) == "0") {
        idx = index->second.first;
        relation_target = index->second.second;
      } else if (auto type = composite_relation_.find(objoid); type != composite_relation_.end()) {
        idx = type->second;
      }
    } else if (idx < 0 && classid == kPgConstraint) {
      if (auto not_null = column_not_null_.find(objoid); not_null != column_not_null_.end()) {
        idx = not_null->second.first;
        relation_target = not_null->second.second;
      }
    }
    if (idx < 0) {
      if (!r.IsNull(row, 7) && NodeOf(kPgExtension, Oid(r.Get(row, 7))) >= 0) {
        Warn(absl::StrCat("security label (", r.Get(row, 5), ") on extension member ", r.Get(row, 6),
                          " is not reproduced"));
      }
      continue;
    }
    Obj& obj = objs_[idx];
    std::string text(r.Get(row, 3));
    if (nodes_[idx].kind == ObjectKind::kSchema && nodes_[idx].name == "public" &&
        text == "standard public schema" && r.IsNull(row, 5)) {
      continue;  // the initial comment of public
    }
    std::string target = relation_target.empty() ? obj.ref : relation_target;
    if (!r.IsNull(row, 4)) {
      // A column: COMMENT ON COLUMN s.t.c
      target = absl::StrCat("COLUMN ", QQ(nodes_[idx].schema, nodes_[idx].name), ".", Q(r.Get(row, 4)));
    } else if (r.Get(row, 2) != "0") {
      continue;
    }
    if (target.empty()) continue;
    if (r.IsNull(row, 5)) {
      absl::StrAppend(&obj.comment_sql, "COMMENT ON ", target, " IS ", Literal(text), ";\n");
    } else {
      absl::StrAppend(&obj.seclabel_sql, "SECURITY LABEL FOR ", Q(r.Get(row, 5)), " ON ", target, " IS ",
                      Literal(text), ";\n");
    }
  }
  // pg_dump -C prints the database's own labels; DatabaseInfo does not carry them.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result db,
      Run("database security labels",
          "SELECT s.provider FROM pg_catalog.pg_shseclabel s JOIN pg_catalog.pg_database d ON d.oid = s.objoid "
          "WHERE s.classoid = 1262 AND d.datname = pg_catalog.current_database() ORDER BY 1"));
  for (int row = 0; row < db.rows(); ++row) {
    Warn(absl::StrCat("security label (", db.Get(row, 0), ") on the database is not reproduced"));
  }
  return absl::OkStatus();
}

absl::Status Reader::CollectDependencies() {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      Run("dependencies",
          "SELECT classid, objid, refclassid, refobjid, deptype FROM pg_catalog.pg_depend "
          "WHERE deptype NOT IN ('p','e') AND objid >= 16384 "
          "UNION ALL SELECT 2753, o.amopfamily, d.refclassid, d.refobjid, d.deptype FROM pg_catalog.pg_depend d "
          "JOIN pg_catalog.pg_amop o ON d.classid = 2602 AND d.objid = o.oid WHERE d.deptype NOT IN ('p','e','i') "
          "AND NOT (d.refclassid = 2753 AND o.amopfamily = d.refobjid) "
          "UNION ALL SELECT 2753, p.amprocfamily, d.refclassid, d.refobjid, d.deptype FROM pg_catalog.pg_depend d "
          "JOIN pg_catalog.pg_amproc p ON d.classid = 2603 AND d.objid = p.oid WHERE d.deptype NOT IN ('p','e','i') "
          "AND NOT (d.refclassid = 2753 AND p.amprocfamily = d.refobjid)"));
  std::map<Key, std::vector<Key>> refs;
  for (int row = 0; row < r.rows(); ++row) {
    Key from{Oid((r.Get(row, 0))), Oid((r.Get(row, 1)))};
    Key to{Oid((r.Get(row, 2))), Oid((r.Get(row, 3)))};
    char deptype = r.Get(row, 4)[0];
    // A sequence's OWNED BY / identity link points at its table; the SEQUENCE OWNED BY item
    // (or the identity clause) carries that order instead.
    if (from.first == kPgClass && to.first == kPgClass && (deptype == 'a' || deptype == 'i')) {
      int node = NodeOf(kPgClass, from.second);
      if (node >= 0 && nodes_[node].kind == ObjectKind::kSequence) continue;
    }
    refs[from].push_back(to);
  }
  // Array types stand for their element type.
  PGARK_ASSIGN_OR_RETURN(pg::Result arrays,
                         Run("array types", "SELECT t.typarray, t.oid, t.typrelid FROM pg_catalog.pg_type t WHERE t.oid >= 16384"));
  for (int row = 0; row < arrays.rows(); ++row) {
    uint32_t array = Oid((arrays.Get(row, 0))), type = Oid((arrays.Get(row, 1)));
    uint32_t relid = Oid((arrays.Get(row, 2)));
    int node = NodeOf(kPgType, type);
    if (node < 0 && relid != 0) node = NodeOf(kPgClass, relid);  // a table's row type
    if (node < 0) continue;
    if (relid != 0 && NodeOf(kPgType, type) < 0) Alias(kPgType, type, node);
    // A composite type's attributes depend on their types through its pg_class entry
    // (pg_depend objid = typrelid): those are the type's own dependencies.
    if (relid != 0 && NodeOf(kPgClass, relid) < 0) Alias(kPgClass, relid, node);
    if (array != 0) Alias(kPgType, array, node);
  }
  int original = static_cast<int>(nodes_.size());
  std::vector<Key> keys(original);
  for (const auto& [key, node] : by_key_) keys[node] = key;
  for (int idx = 0; idx < original; ++idx) {
    if (keys[idx].first == 0) continue;
    // Walk through objects that are not dumped (findDumpableDependencies).
    std::set<Key> visited{keys[idx]};
    std::vector<Key> stack(refs[keys[idx]].begin(), refs[keys[idx]].end());
    while (!stack.empty()) {
      Key key = stack.back();
      stack.pop_back();
      if (!visited.insert(key).second) continue;
      int dep = NodeOf(key.first, key.second);
      if (dep >= 0) {
        AddDep(idx, dep);
        continue;
      }
      auto it = refs.find(key);
      if (it != refs.end()) stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
  }
  // Aliased sub-objects (a view's rule, a table's rowtype): their dependencies are the owner's.
  for (const auto& [key, owner] : alias_) {
    auto it = refs.find(key);
    if (it == refs.end()) continue;
    for (const Key& ref : it->second) {
      int dep = NodeOf(ref.first, ref.second);
      if (dep >= 0 && dep != owner) AddDep(owner, dep);
    }
  }
  return absl::OkStatus();
}

void Reader::AddRefreshDependencies() {
  // A REFRESH waits for the REFRESH of every matview its matview reads, directly or
  // through views.
  for (const auto& [oid, refresh] : refresh_node_) {
    int matview = objs_[refresh].table_node;
    std::vector<int> stack(nodes_[matview].deps.begin(), nodes_[matview].deps.end());
    std::set<int> seen;
    while (!stack.empty()) {
      int dep = stack.back();
      stack.pop_back();
      if (!seen.insert(dep).second) continue;
      if (nodes_[dep].kind == ObjectKind::kMaterializedView) {
        for (const auto& [other_oid, other_refresh] : refresh_node_) {
          if (objs_[other_refresh].table_node == dep) AddDep(refresh, other_refresh);
        }
      } else if (nodes_[dep].kind == ObjectKind::kView) {
        stack.insert(stack.end(), nodes_[dep].deps.begin(), nodes_[dep].deps.end());
      }
    }
  }
}

std::string Reader::RenderTable(int idx) const {
  const Obj& obj = objs_[idx];
  std::vector<std::string> parts;
  for (const ColumnDef& column : obj.columns) {
    std::string text = column.text;
    if (column.default_node >= 0 && !nodes_[column.default_node].separated) {
      // DEFAULT goes before NOT NULL, like pg_dump prints it.
      size_t not_null = text.rfind(" NOT NULL");
      std::string def = absl::StrCat(" DEFAULT ", column.default_expr);
      if (not_null != std::string::npos && not_null + 9 == text.size()) {
        text.insert(not_null, def);
      } else {
        text += def;
      }
    }
    text += column.not_null;
    parts.push_back(text);
  }
  for (int check : obj.checks) {
    if (!nodes_[check].separated) parts.push_back(objs_[check].inline_text);
  }
  std::string sql = obj.table_head;
  if (!parts.empty() || !obj.typed_table) {
    absl::StrAppend(&sql, " (\n    ", absl::StrJoin(parts, ",\n    "), parts.empty() ? "" : "\n", ")");
  }
  absl::StrAppend(&sql, obj.table_tail, obj.table_alters);
  return sql;
}

std::string Reader::Render(int idx) const {
  const SortNode& node = nodes_[idx];
  if (node.shell_of >= 0) return objs_[node.shell_of].shell_sql;
  if (node.definition_of >= 0) return objs_[node.definition_of].view_replace_sql;
  if (node.inline_parent >= 0 && node.separated) return objs_[idx].separate_sql;
  const Obj& obj = objs_[idx];
  if (obj.is_table) return RenderTable(idx);
  if (node.dummy_view) return obj.dummy_sql;
  if (obj.is_domain) {
    std::string sql = obj.domain_head;
    for (int check : obj.domain_checks) {
      if (!nodes_[check].separated) absl::StrAppend(&sql, "\n    ", objs_[check].inline_text);
    }
    return absl::StrCat(sql, ";\n");
  }
  return obj.create_sql;
}

absl::StatusOr<Catalog> Reader::Run() {
  PGARK_RETURN_IF_ERROR(CheckTransaction());
  PGARK_RETURN_IF_ERROR(LoadKeywords());
  PGARK_RETURN_IF_ERROR(CollectSchemas());
  PGARK_RETURN_IF_ERROR(CollectExtensions());
  PGARK_RETURN_IF_ERROR(CollectRelationsAndLock());
  PGARK_RETURN_IF_ERROR(CollectTypes());
  PGARK_RETURN_IF_ERROR(CollectFunctions());
  PGARK_RETURN_IF_ERROR(CollectAggregates());
  PGARK_RETURN_IF_ERROR(CollectOperators());
  PGARK_RETURN_IF_ERROR(CollectOpFamiliesAndClasses());
  PGARK_RETURN_IF_ERROR(CollectMiscPreData());
  PGARK_RETURN_IF_ERROR(CollectTextSearch());
  PGARK_RETURN_IF_ERROR(CollectForeignData());
  PGARK_RETURN_IF_ERROR(CollectColumnsAndTables());
  PGARK_RETURN_IF_ERROR(CollectSequences());
  PGARK_RETURN_IF_ERROR(CollectViews());
  PGARK_RETURN_IF_ERROR(CollectIndexesAndConstraints());
  PGARK_RETURN_IF_ERROR(CollectTriggersRulesPolicies());
  PGARK_RETURN_IF_ERROR(CollectStatistics());
  PGARK_RETURN_IF_ERROR(CollectPublicationsAndSubscriptions());
  PGARK_RETURN_IF_ERROR(CollectEventTriggersAndDefaultAcls());
  PGARK_RETURN_IF_ERROR(CollectLargeObjects());
  PGARK_RETURN_IF_ERROR(CollectExtensionConfigData());
  PGARK_RETURN_IF_ERROR(CollectExtensionMemberAcls());
  PGARK_RETURN_IF_ERROR(CollectCommentsAndLabels());
  PGARK_RETURN_IF_ERROR(CollectDependsOnExtension());
  PGARK_RETURN_IF_ERROR(CollectDependencies());
  AddRefreshDependencies();

  SortResult sorted = SortNodes(nodes_);
  for (const std::string& warning : sorted.warnings) Warn(warning);
  Catalog catalog;
  catalog.server_version = version_;
  catalog.database = conn_.database();
  PGARK_ASSIGN_OR_RETURN(pg::Result enc, Run("encoding", "SELECT pg_catalog.getdatabaseencoding()"));
  catalog.server_encoding = std::string(enc.Get(0, 0));
  PGARK_ASSIGN_OR_RETURN(catalog.database_info, ReadDatabaseInfo());
  std::set<std::string> emitted;
  for (int idx : sorted.order) {
    const SortNode& node = nodes_[idx];
    bool synthetic = node.shell_of >= 0 || node.definition_of >= 0;
    const Obj empty;
    const Obj& obj = synthetic ? empty : objs_[idx];
    CatalogItem item;
    item.id = node.id;
    item.kind = node.kind;
    item.schema = node.schema;
    item.name = node.name;
    item.owner = obj.owner;
    item.section = node.section;
    item.pass = obj.pass;
    item.create_sql = Render(idx);
    if (!obj.no_owner_sql && !obj.owner.empty() && !obj.ref.empty()) {
      item.owner_sql = absl::StrCat("ALTER ", obj.ref, " OWNER TO ", Q(obj.owner), ";\n");
    }
    if (!obj.acl_ref.empty()) {
      item.acl_sql = AclSql(quoter_, obj.acl_ref, obj.owner, obj.acl, obj.default_acl);
    }
    absl::StrAppend(&item.acl_sql, obj.column_acl_sql);
    item.comment_sql = obj.comment_sql;
    item.seclabel_sql = obj.seclabel_sql;
    item.tablespace = obj.tablespace;
    // Comments of CHECK constraints printed inside this table or domain.
    for (int part : obj.checks.empty() ? obj.domain_checks : obj.checks) {
      if (nodes_[part].separated) continue;
      absl::StrAppend(&item.comment_sql, objs_[part].comment_sql);
      absl::StrAppend(&item.seclabel_sql, objs_[part].seclabel_sql);
    }
    item.drop_sql = node.definition_of >= 0 ? objs_[node.definition_of].dummy_replace_sql : obj.drop_sql;
    if (obj.table_node >= 0) item.table_id = nodes_[obj.table_node].id;
    item.table = obj.table;
    item.sequence = obj.sequence;
    item.large_object_oid = obj.large_object_oid;
    std::set<std::string> deps;
    for (int dep : node.deps) {
      int target = dep;
      // An inline part is printed by its parent: depend on the parent instead.
      while (nodes_[target].inline_parent >= 0 && !nodes_[target].separated) target = nodes_[target].inline_parent;
      if (target == idx) continue;
      if (emitted.count(nodes_[target].id)) deps.insert(nodes_[target].id);
    }
    item.dependencies.assign(deps.begin(), deps.end());
    emitted.insert(item.id);
    catalog.items.push_back(std::move(item));
  }
  catalog.warnings = warnings_;
  return catalog;
}

}  // namespace

absl::Status PrepareDumpSession(pg::Connection& conn) {
  PGARK_RETURN_IF_ERROR(conn.Execute(
      "SELECT pg_catalog.set_config('search_path', '', false);"
      "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3;"
      "SET synchronize_seqscans = off; SET statement_timeout = 0; SET lock_timeout = 0;"
      "SET idle_in_transaction_session_timeout = 0; SET row_security = off;"
      // The catalog queries over thousands of tables cross jit_above_cost: compiling their
      // many expressions took ~3 s of server CPU each at 10,000 tables, the queries ran in
      // 70 ms without (docs/catalog.md "Scale").
      "SET jit = off;"));
  if (conn.server_version() >= 170000) PGARK_RETURN_IF_ERROR(conn.Execute("SET transaction_timeout = 0"));
  // The GUC arrived in minor releases (Aug 2024): set it only where it exists.
  return conn.Execute(
      "SELECT pg_catalog.set_config(name, 'view, foreign-table', false) FROM pg_catalog.pg_settings "
      "WHERE name = 'restrict_nonsystem_relation_kind'");
}

absl::StatusOr<Catalog> ReadCatalog(pg::Connection& conn, const ReadOptions& options) {
  Reader reader(conn, options);
  return reader.Run();
}

absl::Status CheckRelfilenodes(pg::Connection& conn, const Catalog& catalog) {
  std::vector<std::string> oids, filenodes;
  std::map<uint32_t, std::string> names;
  for (const CatalogItem& item : catalog.items) {
    if (!item.table || item.table->relfilenode == 0) continue;
    if (item.kind != ObjectKind::kTableData && item.kind != ObjectKind::kTable) continue;
    if (!names.emplace(item.table->oid, absl::StrCat(item.schema, ".", item.name)).second) continue;
    oids.push_back(std::to_string(item.table->oid));
    filenodes.push_back(std::to_string(item.table->relfilenode));
  }
  if (oids.empty()) return absl::OkStatus();
  auto changed = conn.Query(absl::StrCat(
      "SELECT u.reloid FROM ROWS FROM (pg_catalog.unnest('{", absl::StrJoin(oids, ","), "}'::pg_catalog.oid[]), "
      "pg_catalog.unnest('{", absl::StrJoin(filenodes, ","), "}'::pg_catalog.oid[])) u(reloid, filenode) "
      "WHERE pg_catalog.pg_relation_filenode(u.reloid) IS DISTINCT FROM u.filenode ORDER BY 1"));
  if (!changed.ok()) return base::Annotate(changed.status(), "checking table storage");
  if (changed->rows() == 0) return absl::OkStatus();
  std::vector<std::string> list;
  for (int row = 0; row < changed->rows(); ++row) list.push_back(names[Oid(changed->Get(row, 0))]);
  return absl::AbortedError(absl::StrCat(
      "tables were truncated, rewritten or dropped since the catalog was read (retry the dump): ",
      absl::StrJoin(list, ", ")));
}

absl::StatusOr<std::string> ReadSequenceSetSql(pg::Connection& conn, const CatalogItem& item) {
  Quoter quoter;
  std::string qname = absl::StrCat(conn.QuoteIdentifier(item.schema), ".", conn.QuoteIdentifier(item.name));
  PGARK_ASSIGN_OR_RETURN(pg::Result value, conn.Query(absl::StrCat("SELECT last_value, is_called FROM ", qname)));
  return absl::StrCat("SELECT pg_catalog.setval(", Literal(qname), ", ", value.Get(0, 0), ", ",
                      value.GetBool(0, 1) ? "true" : "false", ");\n");
}

}  // namespace pgark::catalog
