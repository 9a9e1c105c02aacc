#include "engine/restore/restore_engine.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog/sql_text.h"
#include "engine/pg/connection.h"
#include "engine/restore/conflict_check.h"
#include "engine/restore/copy_streams.h"
#include "engine/restore/load_order.h"
#include "engine/restore/name_filter.h"
#include "engine/restore/restoring_role.h"
#include "engine/restore/role_settings_check.h"
#include "engine/restore/statement_batch.h"
#include "engine/restore/stream_feed.h"
#include "engine/restore/task_cost.h"
#include "engine/restore/trigger_switch.h"
#include "engine/restore/type_oid_patcher.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {
namespace {

using catalog::CatalogItem;
using catalog::ObjectKind;
using catalog::Section;
using restore::ArchiveContents;
using restore::TableStreams;

std::string Quote(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}
std::string Literal(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}
std::string Qualified(absl::string_view schema, absl::string_view name) {
  return absl::StrCat(Quote(schema), ".", Quote(name));
}

// "<what>: <server message> (SQLSTATE xxxxx)".
absl::Status Failed(const absl::Status& status, absl::string_view what) { return restore::FailedItem(status, what); }

// The restore sessions commit asynchronously (SetupSession). One synchronous commit made
// after the last of their commits flushes the WAL up to itself, and so every commit before it:
// once this returns, the whole restore is on disk (and on synchronous standbys).
absl::Status MakeCommitsDurable(pg::Connection& conn) {
  return Failed(conn.Execute("SET synchronous_commit = on; SELECT pg_catalog.txid_current();"),
                "flushing the restore's commits to disk");
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- Archive opening -------------------------------------------------------------------

// The archive opened for reading: random access (reader) or a pipe (scanner + the records
// and first data item read so far).
struct OpenReader {
  std::unique_ptr<format::ArchiveReader> reader;
  std::unique_ptr<format::ArchiveScanner> scanner;
  std::unique_ptr<format::ScanItem> first_item;  // pipe: first non-metadata item, if any
  ArchiveContents contents;
};

absl::Status ParseRecords(const std::map<std::string, std::string>& records,
                          ArchiveContents* contents) {
  auto catalog_it = records.find(std::string(restore::kCatalogRecord));
  if (catalog_it != records.end()) {
    PGARK_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::CatalogFromJson(catalog_it->second));
    contents->catalog = std::move(catalog);
  }
  auto plan_it = records.find(std::string(restore::kPlanRecord));
  if (plan_it != records.end()) {
    PGARK_RETURN_IF_ERROR(restore::ParsePlanJson(plan_it->second, contents));
  }
  auto globals_it = records.find(std::string(restore::kGlobalsRecord));
  if (globals_it != records.end()) {
    PGARK_ASSIGN_OR_RETURN(contents->globals, catalog::GlobalsFromJson(globals_it->second));
  }
  auto sequences_it = records.find(std::string(restore::kSequencesRecord));
  if (sequences_it != records.end()) {
    PGARK_ASSIGN_OR_RETURN(contents->sequence_values,
                           restore::ParseSequencesJson(sequences_it->second));
  }
  if (!contents->catalog && plan_it == records.end()) {
    return absl::DataLossError(absl::StrCat("the archive has neither ", restore::kCatalogRecord,
                                            " nor ", restore::kPlanRecord,
                                            ": it was not written by pgark dump"));
  }
  return absl::OkStatus();
}

absl::StatusOr<OpenReader> OpenForRestore(OpenedArchive& archive, const format::KeyRing& keys) {
  OpenReader open;
  format::ReaderOptions reader_options;
  reader_options.keys = keys;
  std::map<std::string, std::string> records;
  if (archive.random_access) {
    PGARK_ASSIGN_OR_RETURN(open.reader, format::ArchiveReader::Open(archive.source.get(), reader_options));
    for (const format::MetadataInfo& meta : open.reader->info().metadata) {
      PGARK_ASSIGN_OR_RETURN(records[meta.name], open.reader->ReadMetadata(meta.name));
    }
  } else {
    PGARK_ASSIGN_OR_RETURN(open.scanner, format::ArchiveScanner::Open(archive.source.get(), reader_options));
    auto item = std::make_unique<format::ScanItem>();
    while (true) {
      PGARK_ASSIGN_OR_RETURN(bool more, open.scanner->Next(item.get()));
      if (!more) break;
      if (item->kind != format::ScanItem::Kind::kMetadata) {
        open.first_item = std::move(item);
        break;
      }
      records[item->name] = std::move(item->body);
    }
  }
  PGARK_RETURN_IF_ERROR(base::Annotate(ParseRecords(records, &open.contents),
                                       absl::StrCat("reading ", archive.display_name)));
  return open;
}

// Drops the subscription `name` of the connected database (all of them when empty).
// DROP SUBSCRIPTION would also drop its replication slot on the publisher. A subscription
// restored from an archive (connect = false) names the slot of the source's subscription,
// which may still be in use: the slot is detached first (slot_name = NONE needs the
// subscription disabled), so dropping never touches the publisher; a warning names it.
absl::Status DropSubscriptions(pg::Connection& conn, const std::string& name = "") {
  PGARK_ASSIGN_OR_RETURN(
      pg::Result subscriptions,
      conn.QueryParams("SELECT subname, subslotname FROM pg_catalog.pg_subscription WHERE ($1 = '' OR subname = $1) "
                       "AND subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())",
                       {name}));
  for (int row = 0; row < subscriptions.rows(); ++row) {
    const std::string subscription(subscriptions.Get(row, 0));
    if (!subscriptions.IsNull(row, 1)) {
      PGARK_LOG(kWarning) << "restore: subscription \"" << subscription << "\" is dropped without its replication slot \""
                          << subscriptions.Get(row, 1) << "\" on the publisher (it may be the source's): drop the slot "
                          << "there if nothing uses it";
    }
    const std::string quoted = Quote(subscription);
    PGARK_RETURN_IF_ERROR(conn.Execute(absl::StrCat("ALTER SUBSCRIPTION ", quoted, " DISABLE; ALTER SUBSCRIPTION ",
                                                    quoted, " SET (slot_name = NONE); DROP SUBSCRIPTION ", quoted)));
  }
  return absl::OkStatus();
}

// ---- Selection -------------------------------------------------------------------------

class Selection {
 public:
  explicit Selection(const RestoreOptions& options) : options_(options) {}

  // Compiles the -n/-N/-t/-T patterns and checks -L's numbers against `catalog` (nullptr:
  // the archive has none).
  absl::Status Init(const catalog::Catalog* catalog) {
    PGARK_ASSIGN_OR_RETURN(restore::NameFilter filter,
                           restore::NameFilter::Create(options_.schemas, options_.exclude_schemas,
                                                       options_.tables, options_.exclude_tables,
                                                       catalog != nullptr ? catalog->database : ""));
    filter_ = std::move(filter);
    if (catalog != nullptr) {
      PGARK_RETURN_IF_ERROR(CheckPatternsMatch(*catalog));
      if (filter_.TablesOnly()) {  // what -t brings along and leaves out goes by table id
        for (const CatalogItem& item : catalog->items) {
          if (item.kind == ObjectKind::kTable) tables_by_id_.emplace(item.id, &item);
        }
        SelectOwnedSequences(*catalog);
      }
    }
    if (!options_.use_list) return absl::OkStatus();
    if (catalog == nullptr) return absl::InvalidArgumentError("-L: the archive has no catalog to select from");
    all_ = &catalog->items;
    const int count = static_cast<int>(all_->size());
    if (!options_.use_list->empty() && *options_.use_list->rbegin() > count) {
      return absl::InvalidArgumentError(absl::StrCat("-L: item ", *options_.use_list->rbegin(),
                                                     " is not in the archive (it has ", count, " items)"));
    }
    int large_objects = 0, listed_large_objects = 0;
    for (int i = 0; i < count; ++i) {
      const CatalogItem& item = (*all_)[i];
      const bool listed = options_.use_list->count(i + 1) > 0;
      if ((item.kind == ObjectKind::kTableData || item.kind == ObjectKind::kSequenceSet) && !listed) {
        unlisted_data_.emplace(item.schema, item.name);
      }
      if (item.kind == ObjectKind::kLargeObject) {
        ++large_objects;
        if (listed) ++listed_large_objects;
      }
    }
    if (listed_large_objects != 0 && listed_large_objects != large_objects) {
      return absl::InvalidArgumentError(absl::StrCat("-L lists ", listed_large_objects, " of the archive's ",
                                                     large_objects, " large objects: they are restored all or none"));
    }
    large_objects_listed_ = listed_large_objects == large_objects;
    return absl::OkStatus();
  }

  bool Table(absl::string_view schema, absl::string_view name) const {
    return filter_.Table(schema, name) || owned_sequences_.count({std::string(schema), std::string(name)}) > 0;
  }
  // A table's rows, a sequence's value: -n/-t/-N/-T, and -L's TABLE DATA / SEQUENCE SET item.
  bool Data(const std::string& schema, const std::string& name) const {
    return Table(schema, name) && unlisted_data_.count({schema, name}) == 0;
  }

  // `table`: the item its table_id names, nullptr if none.
  bool Item(const CatalogItem& item, const CatalogItem* table) const {
    if (!SectionOn(item.section) || KindLeftOut(item.kind) || !Listed(item)) return false;
    if (filter_.SelectsAll()) return true;
    if (UnselectedReference(item) != nullptr) return false;
    if (table != nullptr) return Table(table->schema, table->name);
    switch (item.kind) {
      case ObjectKind::kTable: case ObjectKind::kView: case ObjectKind::kMaterializedView:
      case ObjectKind::kSequence: case ObjectKind::kSequenceSet: case ObjectKind::kTableData:
      case ObjectKind::kSequenceOwnedBy:
        return Table(item.schema, item.name);
      case ObjectKind::kSchema:
        return !filter_.TablesOnly() && filter_.InSchema(item.schema.empty() ? item.name : item.schema);
      default:
        // Schema-less items (extensions, casts, languages, the database itself): left out by
        // -n/-t, kept by -N/-T, as pg_restore and pg_dump do.
        if (item.schema.empty()) return !filter_.IncludesOnlyNamed();
        return filter_.InSchema(item.schema);
    }
  }

  // With -t, a FOREIGN KEY of a selected table whose referenced table is not selected: that
  // table (it would fail after the rows are loaded; pg_restore -t restores no constraints at
  // all). nullptr for every other item.
  const CatalogItem* UnselectedReference(const CatalogItem& item) const {
    if (item.kind != ObjectKind::kForeignKey || !filter_.TablesOnly()) return nullptr;
    auto own = tables_by_id_.find(item.table_id);
    if (own == tables_by_id_.end() || !Table(own->second->schema, own->second->name)) return nullptr;
    for (const std::string& dependency : item.dependencies) {
      if (dependency == item.table_id) continue;
      auto referenced = tables_by_id_.find(dependency);
      if (referenced != tables_by_id_.end() && !Table(referenced->second->schema, referenced->second->name)) {
        return referenced->second;
      }
    }
    return nullptr;
  }

  bool SectionOn(Section section) const {
    switch (section) {
      case Section::kData: return options_.data;
      case Section::kPostData: return options_.post_data;
      default: return options_.pre_data;
    }
  }
  bool LargeObjects() const { return options_.data && !filter_.IncludesOnlyNamed() && large_objects_listed_; }

  // -L: `item` (an element of the archive's catalog) is listed. Without -L: true.
  bool Listed(const CatalogItem& item) const {
    if (all_ == nullptr) return true;
    return options_.use_list->count(static_cast<int>(&item - all_->data()) + 1) > 0;
  }

  // --no-publications, --no-subscriptions.
  bool KindLeftOut(ObjectKind kind) const {
    switch (kind) {
      case ObjectKind::kPublication: case ObjectKind::kPublicationTable: case ObjectKind::kPublicationSchema:
        return options_.no_publications;
      case ObjectKind::kSubscription:
        return options_.no_subscriptions;
      default:
        return false;
    }
  }

 private:
  // What -t can name: a table-like object, or the rows of one whose definition the archive
  // does not hold (an extension's configuration table, created by CREATE EXTENSION).
  static bool TableLike(ObjectKind kind) {
    return kind == ObjectKind::kTable || kind == ObjectKind::kView || kind == ObjectKind::kMaterializedView ||
           kind == ObjectKind::kSequence || kind == ObjectKind::kTableData || kind == ObjectKind::kSequenceSet;
  }

  // -t or -n that selects nothing is a mistake (a typo would otherwise restore nothing and
  // succeed): kNotFound, before anything changes, as the dump does for its patterns.
  absl::Status CheckPatternsMatch(const catalog::Catalog& catalog) const {
    if (filter_.SelectsAll()) return absl::OkStatus();
    bool table_matched = false, schema_matched = false;
    for (const CatalogItem& item : catalog.items) {
      if (TableLike(item.kind) && filter_.Table(item.schema, item.name)) table_matched = true;
      const std::string& schema = item.kind == ObjectKind::kSchema ? item.name : item.schema;
      if (!schema.empty() && filter_.InSchema(schema)) schema_matched = true;
    }
    if (filter_.TablesOnly() && !table_matched) {
      return absl::NotFoundError(absl::StrCat("no matching tables were found in the archive for -t ",
                                              absl::StrJoin(options_.tables, ", "), "; nothing was changed"));
    }
    if (!filter_.TablesOnly() && !options_.schemas.empty() && !schema_matched) {
      return absl::NotFoundError(absl::StrCat("no matching schemas were found in the archive for -n ",
                                              absl::StrJoin(options_.schemas, ", "), "; nothing was changed"));
    }
    return absl::OkStatus();
  }

  // With -t, the sequences a selected table owns (serial and identity columns) go with it, as
  // with pg_dump -t: the table's column default or identity needs its sequence.
  void SelectOwnedSequences(const catalog::Catalog& catalog) {
    for (const CatalogItem& item : catalog.items) {
      if (item.kind != ObjectKind::kSequence || !item.sequence || item.sequence->owned_by_table_id.empty()) continue;
      auto owner = tables_by_id_.find(item.sequence->owned_by_table_id);
      if (owner != tables_by_id_.end() && filter_.Table(owner->second->schema, owner->second->name)) {
        owned_sequences_.emplace(item.schema, item.name);
      }
    }
  }

  const RestoreOptions& options_;
  restore::NameFilter filter_;
  std::set<std::pair<std::string, std::string>> owned_sequences_;  // -t: (schema, name) owned by a selected table
  std::map<std::string, const CatalogItem*> tables_by_id_;         // -t only: the archive's tables by id
  const std::vector<CatalogItem>* all_ = nullptr;  // with -L: the catalog the numbers index
  std::set<std::pair<std::string, std::string>> unlisted_data_;  // -L: (schema, name) not loaded
  bool large_objects_listed_ = true;
};

// ---- The restore run -------------------------------------------------------------------

// One COPY into a table: one stream (a part), or every part of a split self-referencing table.
struct TableLoad {
  int table_index = -1;
  std::vector<uint32_t> streams;
};

struct Task {
  // kTableData: loads[0] in its own transaction (or -1's). kDeferredGroup: the tables of a
  // DEFERRABLE FOREIGN KEY cycle, every part of each in one COPY, all in one transaction with
  // the constraints deferred to COMMIT (load_order.h DeferredCycleGroups).
  enum class Kind { kTableData, kDeferredGroup, kLargeObjects, kPostItem, kAttach };
  Kind kind = Kind::kTableData;
  std::vector<TableLoad> loads;  // kTableData, kDeferredGroup
  uint32_t stream_id = 0;        // kLargeObjects
  int item_index = -1;
  int64_t weight = 0;
  std::vector<std::string> tables;  // table ids the task touches
  bool exclusive = false;           // needs the tables to itself (non-INDEX post-data items)
  std::string sql;                  // kPostItem stage 1 / kAttach: the statement to run
};

// A PK/UNIQUE constraint pgcopydb-style: CREATE UNIQUE INDEX (parallel with other index
// builds on the table), then ALTER TABLE ... ADD CONSTRAINT ... USING INDEX (brief lock).
struct UsingIndexPlan {
  std::string create_index;
  std::string attach;
};

std::optional<UsingIndexPlan> PlanUsingIndex(const CatalogItem& item) {
  // ALTER TABLE [ONLY] t ADD CONSTRAINT c {PRIMARY KEY|UNIQUE} (cols) [WITH (...)] [DEFERRABLE ...];
  // Anything else (INCLUDE, USING INDEX TABLESPACE, NULLS NOT DISTINCT, EXCLUDE, WITHOUT
  // OVERLAPS) keeps the plain form: USING INDEX only takes default btree indexes. (The tablespace is not in
  // the statement: the caller runs both statements in the item's, CatalogItem::tablespace.)
  static const std::regex kPattern(
      R"(^\s*ALTER TABLE (ONLY )?(\S+)\s+ADD CONSTRAINT (\S+) (PRIMARY KEY|UNIQUE) \(([^()]*)\)( WITH \([^()]*\))?((?: DEFERRABLE)?(?: INITIALLY (?:DEFERRED|IMMEDIATE))?);\s*$)");
  std::smatch match;
  if (!std::regex_match(item.create_sql, match, kPattern)) return std::nullopt;
  // 18's temporal keys (WITHOUT OVERLAPS) are GiST indexes.
  if (absl::StrContains(match[5].str(), "WITHOUT OVERLAPS")) return std::nullopt;
  UsingIndexPlan plan;
  plan.create_index = absl::StrCat("CREATE UNIQUE INDEX ", match[3].str(), " ON ", match[1].str(),
                                   match[2].str(), " USING btree (", match[5].str(), ")", match[6].str(), ";\n");
  plan.attach = absl::StrCat("ALTER TABLE ", match[1].str(), match[2].str(), " ADD CONSTRAINT ",
                             match[3].str(), " ", match[4].str(), " USING INDEX ", match[3].str(),
                             match[7].str(), ";\n");
  return plan;
}

class RestoreRun {
 public:
  RestoreRun(const RestoreOptions& options, OpenedArchive& archive)
      : options_(options), archive_(archive), selection_(options) {}

  absl::StatusOr<RestoreResult> Run();

 private:
  absl::Status Prepare();
  // The pre-check (RestoreOptions::precheck): the storage check of every frame this run
  // will load, before anything changes. kDataLoss names the frame, stream and table.
  absl::Status Precheck();
  void Phase(const std::string& phase, int items) {
    PGARK_LOG(kInfo) << "restore: " << phase;
    {
      absl::MutexLock lock(&mu_);
      phase_ = phase;
    }
    if (options_.progress != nullptr) options_.progress->SetPhase(phase, items);
  }
  void ItemDone() {
    if (options_.progress != nullptr) options_.progress->ItemDone();
  }
  absl::Status Confirm(pg::Connection& conn);
  absl::StatusOr<std::unique_ptr<pg::Connection>> Connect();
  absl::Status SetupSession(pg::Connection& conn);
  // The sessions' maintenance_work_mem in kB (RestoreOptions::maintenance_work_mem_kb resolved), 0: the server's.
  int64_t MaintenanceWorkMemKb() const;
  absl::Status CreateDatabase();
  absl::Status SetLastDatabaseProperties();
  // -C -1 (DropsCreatedDatabase): drops the database this run created after `failure`, and
  // returns `failure` saying whether it was dropped.
  absl::Status DropCreatedDatabase(const absl::Status& failure);
  bool DropsCreatedDatabase() const {
    return options_.create && options_.single_transaction && options_.create_as.empty();
  }
  // Whether the failure message says what became of -C's database: not when none was
  // created, when -1 drops it (DropCreatedDatabase says so), or when the caller owns it
  // (create_as).
  bool ReportsCreatedDatabase() const {
    return created_database_ && (!DropsCreatedDatabase() || committed_) && options_.create_as.empty();
  }
  absl::StatusOr<RestoreResult> RunSteps();
  absl::Status CheckConflicts();
  absl::Status RestoreGlobals(pg::Connection& conn);
  absl::Status CheckRestoringRole(pg::Connection& conn);
  bool SchemaAclEarly(const CatalogItem& item) const;
  absl::Status Clean();
  absl::Status DropAndEmpty(bool in_transaction);  // the statements of Clean(), on the leader
  absl::Status RunPreData();
  absl::Status CheckTargetColumns();
  // A column of a table in the target, as the column check reads it.
  struct TargetColumn {
    std::string type;        // format_type
    bool generated = false;  // attgenerated: COPY cannot write it
    // NOT NULL without a default (not identity, not generated): a row without a value for
    // it fails, so COPY must name it.
    bool needs_value = false;
  };
  // One table's recorded columns against the target's (by name; empty when the table does
  // not exist): kNotFound / kFailedPrecondition naming the column.
  absl::Status CheckTableColumns(const TableStreams& table, const std::map<std::string, TargetColumn>& target) const;
  // Whether the archive holds rows of `table`: false only when its index says none (a file;
  // from a pipe the counts come after the data, so true).
  bool MayHaveRows(const TableStreams& table) const;
  absl::Status PrepareTypeOidPatching();
  // Loads into tables that already exist (data-only): their FOREIGN KEYs order the loads,
  // their triggers are reported or, with --disable-triggers, turned off (load_order.h,
  // trigger_switch.h). Before the main pass.
  absl::Status PlanExistingTables();
  bool PatchesTypeOids(const TableStreams& table) const;
  absl::StatusOr<std::unique_ptr<restore::TypeOidPatcher>> MakeTypeOidPatcher(const TableStreams& table) const;
  void BuildTasks();
  absl::Status RunMainPass();
  void WorkerLoop(pg::Connection* conn, int job);
  // Runs on its own thread during the main pass until main_pass_done_: once the run is stopping (an
  // error or an interrupt), cancels the statements of the tasks still running every 50 ms.
  // The first cancel (StopAllLocked) is lost when it reaches a session between two
  // statements of a task (the server ignores a cancel while it waits for a command), and
  // the worker then starts the next one, e.g. a 10-minute CREATE INDEX after its SET.
  void CancelWhileStopping();
  std::string DescribeTask(const Task& task);
  int64_t EstimatedCost(const CatalogItem& item, const std::string& table_id) const;
  bool ConflictsLocked(const Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteLocked(const Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The first error stops everyone: `error` is kept, the statements running on the other
  // connections (all but `except`) are cancelled, a pipe reader stops with `pipe_reason`,
  // and the workers wake up to leave. Later errors (consequences) are dropped.
  void StopAllLocked(const absl::Status& error, const pg::Connection* except, const absl::Status& pipe_reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Execute(pg::Connection& conn, const Task& task);
  // One COPY of `load`'s streams (copy_streams.h) with the row count check; in its own
  // transaction with FREEZE when it may (a table this run created, one stream), never inside
  // `in_group`'s transaction.
  absl::Status LoadTable(pg::Connection& conn, const TableLoad& load, bool in_group);
  // kDeferredGroup: BEGIN; SET CONSTRAINTS ALL DEFERRED; every load; COMMIT. On failure
  // everything the group loaded is rolled back, and the message says so.
  absl::Status LoadDeferredGroup(pg::Connection& conn, const Task& task);
  // "s.t part 2/4", "s.t parts 1-4 in one COPY".
  std::string DescribeLoad(const TableLoad& load) const;
  // The tables `task` loads, "s.a, s.b".
  std::string LoadedTables(const Task& task) const;
  // One stream of table `id` loaded (committed, or in -1's transaction).
  void StreamDoneLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadLargeObjects(pg::Connection& conn, const Task& task);
  absl::Status RunItem(pg::Connection& conn, const CatalogItem& item, bool create);
  // An item's statements (with `create`, its CREATE; its owner unless -O; comment; label).
  std::string ItemSql(const CatalogItem& item, bool create) const;
  // `sql` (the item's CREATE, or a statement derived from it) in the item's tablespace.
  std::string CreateSql(const CatalogItem& item, const std::string& sql) const;
  // --no-tablespaces on an archive whose statements name tablespaces: kFailedPrecondition.
  absl::Status CheckTablespacesSeparable() const;
  // "restoring <id> (table <table id>)", how errors name an item.
  static std::string Restoring(const CatalogItem& item);
  absl::Status SetSequences();
  absl::Status RunAclPass();
  absl::Status RunPostAclPass();
  absl::Status RunPostAclItems();
  std::string Summary();
  int PreDataTotal() const;
  // The catalog id of the TABLE item a plan table belongs to (dependencies point at it).
  std::string TableId(const TableStreams& table) const {
    return table_ids_.at(&table - contents_ptr()->tables.data());
  }
  const ArchiveContents* contents_ptr() const { return &open_.contents; }
  // Catalog lookups by item id in O(1) (Catalog::Find scans: quadratic over 20,000 items).
  // Filled once the archive is open; the catalog does not change afterwards.
  int FindItem(absl::string_view id) const {
    auto it = item_index_.find(std::string(id));
    return it == item_index_.end() ? -1 : it->second;
  }
  const CatalogItem* ItemById(absl::string_view id) const {
    const int index = id.empty() ? -1 : FindItem(id);
    return index < 0 ? nullptr : &contents_ptr()->catalog->items[index];
  }
  std::unordered_map<std::string, int> item_index_;
  void ResolveTableIds();
  // The catalog index of the partition root a table's rows must be loaded through
  // (load_via_partition_root: hash partitioning on an enum hashes OIDs, which differ on the
  // target), -1 if none.
  int LoadRoot(const TableStreams& table) const;

  const RestoreOptions& options_;
  OpenedArchive& archive_;
  Selection selection_;
  OpenReader open_;
  ArchiveContents& contents() { return open_.contents; }
  std::unique_ptr<restore::StreamFeed> feed_;
  restore::PipeFeed* pipe_ = nullptr;
  std::unique_ptr<pg::Connection> leader_;
  std::string database_;
  std::vector<const CatalogItem*> items_;  // selected catalog items, catalog order
  bool superuser_ = true;                  // the restoring role (CheckRestoringRole)
  std::set<std::string> created_tables_;   // table ids created by this run's pre-data
  std::vector<int> tables_to_load_;        // indexes into contents().tables
  std::map<std::string, int64_t> table_bytes_;  // table id -> bytes (post-data weights)
  std::vector<std::string> table_ids_;     // per contents().tables entry
  RestoreResult result_;
  int post_items_total_ = 0;
  std::map<int, int64_t> archive_rows_ ABSL_GUARDED_BY(mu_);  // table index -> index rows loaded
  std::set<uint32_t> wanted_streams_;  // the streams this run loads (Prepare)
  bool in_transaction_ = false;
  // Embedded type OIDs are rewritten (type_oid_patcher.h): a PostgreSQL 12/13 target, or
  // PGARK_FORCE_TYPE_OID_PATCH=1 (test hook). Set and filled before the main pass.
  bool patch_type_oids_ = false;
  restore::TypeOidMap type_oid_map_;

  // Main-pass scheduler.
  absl::Mutex mu_;
  // Tasks whose dependencies are met, heaviest first; equal weights in the order they became
  // ready. A worker takes the first one that does not conflict with a running task, so a
  // pick costs O(log n) plus the conflicting prefix, not a scan of every ready task (5000
  // tables and 15000 post-data items took ~3 s of client CPU in scans).
  std::multimap<int64_t, Task, std::greater<int64_t>> ready_ ABSL_GUARDED_BY(mu_);
  void AddReady(Task task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t weight = task.weight;
    ready_.emplace(weight, std::move(task));
  }
  struct Running {
    std::vector<std::string> tables;
    bool exclusive = false;
    std::string what;  // DescribeTask(), for the message of an interrupt
    pg::Connection* conn = nullptr;  // the session running it (CancelWhileStopping)
  };
  std::map<int, Running> running_ ABSL_GUARDED_BY(mu_);  // by ticket
  int next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, Task> pending_tasks_ ABSL_GUARDED_BY(mu_);  // post items waiting, by item index
  std::map<int, int> waiting_ ABSL_GUARDED_BY(mu_);  // post item index -> unmet dependencies
  std::map<std::string, std::vector<int>> waiters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> parts_left_ ABSL_GUARDED_BY(mu_);  // table id -> streams left
  // "DATA <id>" key -> streams left before the data it names is complete. The id is the
  // table's, or for tables loaded through their partition root, the root's: a stream routed
  // through the root can put rows into any sibling, so no sibling's data is complete before
  // all of them are loaded.
  std::map<std::string, int> data_left_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> data_key_;  // loaded table id -> its "DATA ..." key
  std::map<std::string, int> load_root_;  // loaded table id -> catalog index of the root it loads through
  absl::CondVar cv_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // tasks not finished (incl. waiting items)
  bool main_pass_done_ ABSL_GUARDED_BY(mu_) = false;  // every worker has left (CancelWhileStopping)
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::vector<pg::Connection*> workers_ ABSL_GUARDED_BY(mu_);
  std::map<int, UsingIndexPlan> using_index_;
  // FOREIGN KEY order of loads into existing tables (PlanExistingTables). A load unit is a
  // table, or a deferrable cycle's group under the id of its first table.
  std::map<std::string, std::set<std::string>> fk_parents_;   // unit -> table ids loaded first
  std::map<std::string, std::set<std::string>> fk_children_;  // table id -> units waiting
  std::map<std::string, int64_t> fk_chain_bytes_;             // unit -> critical path
  std::map<std::string, std::vector<int>> deferred_groups_;   // unit -> its tables (indexes)
  std::map<std::string, std::string> group_of_;               // member table id -> unit
  std::set<std::string> one_copy_;  // split self-referencing tables: all parts in one COPY
  std::map<std::string, int> fk_parents_left_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<Task>> fk_held_ ABSL_GUARDED_BY(mu_);  // unit -> its tasks
  std::vector<restore::TableTriggers> triggers_;  // enabled triggers of existing loaded tables
  std::set<std::string> user_trigger_tables_;     // ids of loaded tables whose user triggers fire
  bool triggers_disabled_ = false;
  // While the triggers are disabled a second interrupt waits for them to be put back.
  std::optional<base::CleanupGuard> triggers_guard_;
  std::chrono::steady_clock::time_point main_pass_start_;

  // Interrupts (SIGINT/SIGTERM, format/base/cancellation.h), watched from the first change
  // to the end of the run: the watcher cancels the leader's statement (pre-data, clean,
  // sequences, privileges) unless it is cleaning up, and stops the main pass's workers.
  void OnInterrupt();
  // Records what ran when the interrupt came (interrupted_during_).
  void NoteInterruptLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // error_ once the run was stopped (an interrupt or a worker's failure), else OK: checked
  // between phases, where no statement runs for the watcher to cancel.
  absl::Status Stopped() {
    absl::MutexLock lock(&mu_);
    return error_;
  }
  // The message of a failed run: what failed or was interrupted, and what was restored.
  absl::Status FailureMessage(const absl::Status& status);
  std::string phase_ ABSL_GUARDED_BY(mu_);
  // What ran when the interrupt came ("pre-data", "data+post-data (2 jobs): data of s.t, ...");
  // empty unless the interrupt stopped the run.
  std::string interrupted_during_ ABSL_GUARDED_BY(mu_);
  bool leader_cancellable_ ABSL_GUARDED_BY(mu_) = true;  // false while the leader cleans up
  bool created_database_ = false;  // -C created the database (CreateDatabase)
  // -C -1: from the database's creation until it is dropped after a failure (or the run
  // succeeds), a second interrupt waits for the drop (cancellation.h).
  std::optional<base::CleanupGuard> drop_guard_;
  bool committed_ = false;  // -1's COMMIT succeeded
  bool dropped_database_ = false;  // -C --clean dropped the existing one first
  bool clean_committed_ = false;   // --clean's drops were committed (not with -1)
};

absl::StatusOr<std::unique_ptr<pg::Connection>> RestoreRun::Connect() {
  pg::ConnectOptions connect;
  connect.application_name = options_.application_name;
  connect.dbname = options_.create ? database_ : options_.target_database;
  PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(options_.conninfo, connect));
  PGARK_RETURN_IF_ERROR(SetupSession(*conn));
  return conn;
}

int64_t RestoreRun::MaintenanceWorkMemKb() const {
  if (options_.maintenance_work_mem_kb >= 0) return std::min<int64_t>(options_.maintenance_work_mem_kb, INT32_MAX);
  // Index builds with more memory than the 64 MB default do less work: a btree's sort stays
  // in memory, a GIN build flushes its entries less often (docs/restore.md "Where the CPU
  // goes"). 1 GB in all bounds what -j concurrent builds may take from the target.
  const int connections = options_.single_transaction ? 1 : std::max(1, options_.jobs);
  return std::max<int64_t>((int64_t{1} << 20) / connections, 64 << 10);
}

absl::Status RestoreRun::SetupSession(pg::Connection& conn) {
  // catalog-reference b.6: what every pg_restore connection sets.
  std::string sql =
      "SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
      "SET standard_conforming_strings = on; SET check_function_bodies = false; "
      "SET xmloption = content; SET client_min_messages = warning; SET row_security = off; "
      "SET default_transaction_read_only = off; "
      "SELECT pg_catalog.set_config('search_path', '', false);";
  // A restore commits once per post-data item (15,000 commits for 5,000 tables); waiting
  // for a WAL flush at each was 20-35 % of such a restore on a server with fsync on. The
  // commits are made durable together at the end (MakeCommitsDurable), before pgark reports
  // success; a crash before that loses part of a restore that had not finished anyway.
  absl::StrAppend(&sql, " SET synchronous_commit = off;");
  // Objects without a recorded tablespace go to the database's default, whatever
  // default_tablespace the target configures (pg_dump's SET default_tablespace = '');
  // with --no-tablespaces the target's setting applies, as with pg_restore.
  if (!options_.no_tablespaces) absl::StrAppend(&sql, " SET default_tablespace = '';");
  if (const int64_t kb = MaintenanceWorkMemKb(); kb > 0) {
    // Raised, never lowered (pg_settings.setting is in kB for this one).
    absl::StrAppend(&sql, " SELECT pg_catalog.set_config('maintenance_work_mem', '", kb,
                    "kB', false) FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem' AND setting::bigint < ",
                    kb, ";");
  }
  if (conn.server_version() >= 170000) absl::StrAppend(&sql, " SET transaction_timeout = 0;");
  // Text inside COPY data is in the dump's client_encoding: load it with the same one.
  if (!contents().client_encoding.empty()) {
    absl::StrAppend(&sql, " SET client_encoding = ", Literal(contents().client_encoding), ";");
  }
  return base::Annotate(conn.Execute(sql), "setting up the restore session");
}

absl::Status RestoreRun::Prepare() {
  absl::StatusOr<OpenReader> opened = OpenForRestore(archive_, options_.keys);
  if (!opened.ok()) {
    // Damage names the archive (an s3:// object especially: the reader's message does not).
    if (opened.status().code() != absl::StatusCode::kDataLoss || archive_.display_name == "-") return opened.status();
    return base::Annotate(opened.status(), absl::StrCat("archive '", archive_.display_name, "'"));
  }
  open_ = *std::move(opened);
  const format::HeaderInfo& header = open_.reader ? open_.reader->info().header : open_.scanner->header();
  result_.archive_id = header.archive_id_hex;
  result_.encrypted = header.encrypted;
  // Errors name streams by table ("public.orders part 2/4"); open_ stays put from here on.
  const ArchiveContents* described = &open_.contents;
  auto describe = [described](uint32_t id) { return described->DescribeStream(id); };
  if (open_.reader) open_.reader->set_describe_stream(describe);
  if (open_.scanner) open_.scanner->set_describe_stream(describe);
  if (options_.jobs < 1 || options_.jobs > 256) {
    return absl::InvalidArgumentError("--jobs must be between 1 and 256");
  }
  PGARK_RETURN_IF_ERROR(selection_.Init(contents().catalog ? &*contents().catalog : nullptr));
  if (contents().catalog) {
    const std::vector<CatalogItem>& all = contents().catalog->items;
    item_index_.reserve(all.size());
    for (size_t i = 0; i < all.size(); ++i) item_index_.emplace(all[i].id, static_cast<int>(i));  // first wins, as Find
    for (const CatalogItem& item : contents().catalog->items) {
      if (selection_.Item(item, ItemById(item.table_id))) {
        items_.push_back(&item);
      } else if (const CatalogItem* referenced = selection_.UnselectedReference(item)) {
        PGARK_LOG(kWarning) << "restore: " << item.id << " is left out: it references " << referenced->schema << "."
                            << referenced->name << ", which -t does not select (add -t " << referenced->schema
                            << "." << referenced->name << " to restore both)";
      }
    }
    if (options_.no_tablespaces) PGARK_RETURN_IF_ERROR(CheckTablespacesSeparable());
  }
  ResolveTableIds();
  if (options_.data) {
    for (size_t i = 0; i < contents().tables.size(); ++i) {
      const TableStreams& table = contents().tables[i];
      table_bytes_[TableId(table)] = table.bytes;
      if (selection_.Data(table.schema, table.name)) tables_to_load_.push_back(static_cast<int>(i));
    }
  }
  std::set<uint32_t> wanted;
  for (int index : tables_to_load_) {
    for (uint32_t id : contents().tables[index].streams) wanted.insert(id);
  }
  if (selection_.LargeObjects()) {
    for (const auto& lo : contents().large_objects) wanted.insert(lo.stream_id);
  }
  wanted_streams_ = wanted;
  if (options_.progress != nullptr) {
    int64_t bytes = 0;
    for (int index : tables_to_load_) {
      const TableStreams& table = contents().tables[index];
      bytes += table.bytes;
      options_.progress->Register(table.Display(), table.bytes, static_cast<int>(table.streams.size()));
    }
    options_.progress->Start(bytes, static_cast<int>(wanted_streams_.size()));
  }
  if (open_.reader) {
    feed_ = std::make_unique<restore::RandomAccessFeed>(open_.reader.get());
  }
  if (open_.scanner) {
    // A restore that fails while the writer stalls gives up on the pipe like an interrupt.
    storage::ObjectReader* input = archive_.reader.get();
    auto abandon = [input] {
      if (input != nullptr) input->Abandon();
    };
    auto pipe = std::make_unique<restore::PipeFeed>(open_.scanner.get(), std::move(open_.first_item),
                                                    wanted, options_.pipe_queue_chunks, abandon);
    pipe_ = pipe.get();
    feed_ = std::move(pipe);
  }
  if (options_.create) {
    // create_as names the database itself, and without a catalog its caller creates it.
    const bool named = contents().catalog && !contents().catalog->database.empty();
    if ((!named && options_.create_as.empty()) || (!contents().catalog && !options_.create_without_database_info)) {
      return absl::FailedPreconditionError(
          "--create needs the database name recorded in the archive's catalog; this archive has none");
    }
    database_ = options_.create_as.empty() ? contents().catalog->database : options_.create_as;
  }
  return absl::OkStatus();
}

absl::Status RestoreRun::Precheck() {
  if (!open_.reader) {
    // A pipe is read once: damage is found when its stream is loaded (docs/restore.md).
    if (options_.precheck.value_or(false)) {
      PGARK_LOG(kWarning) << "restore: --precheck has no effect on an archive read from a pipe";
    }
    return absl::OkStatus();
  }
  // Default: local files only; from S3 it would download the archive a second time.
  if (!options_.precheck.value_or(archive_.local) || wanted_streams_.empty()) return absl::OkStatus();
  // For the progress display only: at the default verbosity a refusal stays one line.
  if (options_.progress != nullptr) options_.progress->SetPhase("checking the archive", 0);
  format::StoredCheckOptions check;
  check.streams = wanted_streams_;
  check.threads = std::min(options_.jobs, 4);
  // A local file reads as fast in 1 MiB slices as in 8, for an eighth of the memory; over
  // S3 each slice is a request, so there the reader's coalescing size stays.
  if (archive_.local) check.slice_bytes = size_t{1} << 20;
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = open_.reader->CheckStoredFrames(check);
  // A read the interrupt cut short (an S3 GET, storage/http/http_client.h) is the interrupt,
  // not a finding of the check: reported as any other interrupt before a change is.
  if (base::StoppedByCancel(status)) return base::CheckCancelled();
  if (status.code() == absl::StatusCode::kDataLoss) {
    return base::WithMessage(status, absl::StrCat("archive damaged (found by the pre-check, before any change): ",
                                                  status.message()));
  }
  PGARK_RETURN_IF_ERROR(status);
  PGARK_LOG(kDebug) << "restore: pre-check of " << wanted_streams_.size() << " streams passed in "
                   << absl::StrFormat("%.2f", SecondsSince(start)) << " s";
  return absl::OkStatus();
}

// The dump records the TABLE DATA item's id as catalog_id; post-data items depend on the
// TABLE item. Without a catalog_id, match the TABLE item by schema and name.
void RestoreRun::ResolveTableIds() {
  const catalog::Catalog* catalog = contents().catalog ? &*contents().catalog : nullptr;
  for (const TableStreams& table : contents().tables) {
    std::string id = absl::StrCat("TABLE ", table.schema, ".", table.name);
    int index = catalog && !table.catalog_id.empty() ? FindItem(table.catalog_id) : -1;
    if (index >= 0) {
      const CatalogItem& item = catalog->items[index];
      id = item.kind == ObjectKind::kTableData && !item.table_id.empty() ? item.table_id : item.id;
    } else if (catalog) {
      for (const CatalogItem& item : catalog->items) {
        if (item.kind == ObjectKind::kTable && item.schema == table.schema && item.name == table.name) {
          id = item.id;
          break;
        }
      }
    }
    table_ids_.push_back(id);
  }
}

// --create: [--globals first,] then the database as the dump saw it (pg_dump -C): owner,
// tablespace and locale in CREATE DATABASE, then its settings, comment and privileges.
absl::Status RestoreRun::CreateDatabase() {
  pg::ConnectOptions connect;
  connect.application_name = options_.application_name;
  connect.dbname = options_.target_database;
  PGARK_ASSIGN_OR_RETURN(auto maintenance, pg::Connection::Open(options_.conninfo, connect));
  PGARK_ASSIGN_OR_RETURN(pg::Result exists,
                         maintenance->QueryParams("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                                                  {database_}));
  if (exists.rows() > 0) {
    if (!options_.clean) {
      return absl::AlreadyExistsError(absl::StrCat(
          "database '", database_, "' already exists; nothing was changed (use --clean to drop and re-create it)"));
    }
    if (options_.confirm) {
      connect.dbname = database_;
      PGARK_ASSIGN_OR_RETURN(auto existing, pg::Connection::Open(options_.conninfo, connect));
      PGARK_RETURN_IF_ERROR(Confirm(*existing));
    }
  }
  // The roles and tablespaces the database and its objects name, before anything is dropped.
  if (options_.globals) PGARK_RETURN_IF_ERROR(RestoreGlobals(*maintenance));
  PGARK_RETURN_IF_ERROR(CheckRestoringRole(*maintenance));
  if (exists.rows() > 0) {
    // DROP DATABASE refuses a database with subscriptions: drop them first, without their
    // slots (DropSubscriptions), in the database itself.
    connect.dbname = database_;
    PGARK_ASSIGN_OR_RETURN(auto existing, pg::Connection::Open(options_.conninfo, connect));
    PGARK_RETURN_IF_ERROR(
        Failed(DropSubscriptions(*existing), absl::StrCat("dropping the subscriptions of database '", database_, "'")));
    existing.reset();
    // A template (an earlier -C of a template's archive) is made an ordinary database first.
    PGARK_RETURN_IF_ERROR(Failed(maintenance->DropDatabase(database_, /*force=*/false),
                                 absl::StrCat("dropping database '", database_, "'")));
    dropped_database_ = true;
  }
  const catalog::DatabaseInfo* info =
      contents().catalog && contents().catalog->database_info ? &*contents().catalog->database_info : nullptr;
  if (info == nullptr && options_.create_without_database_info) {
    // --replace of an archive that records nothing about its database (replace.h).
    PGARK_RETURN_IF_ERROR(options_.create_without_database_info());
    created_database_ = true;
    return absl::OkStatus();
  }
  // With create_as (--replace) the archive's statements about its database are made about
  // the one created here.
  auto about_this_database = [this](const std::string& sql) -> absl::StatusOr<std::string> {
    if (database_ == contents().catalog->database) return sql;
    return catalog::RetargetDatabaseSql(sql, contents().catalog->database, database_);
  };
  std::string sql = absl::StrCat("CREATE DATABASE ", Quote(database_), " TEMPLATE template0");
  if (!contents().catalog->server_encoding.empty()) {
    absl::StrAppend(&sql, " ENCODING ", Literal(contents().catalog->server_encoding));
  }
  if (info) {
    absl::StrAppend(&sql, info->locale_sql);
    if (!options_.no_owner && !info->owner.empty()) absl::StrAppend(&sql, " OWNER ", Quote(info->owner));
    if (!info->tablespace.empty() && !options_.no_tablespaces) {
      absl::StrAppend(&sql, " TABLESPACE ", Quote(info->tablespace));
    }
  }
  absl::Status created = maintenance->Execute(sql);
  if (!created.ok()) {
    // 42501: no CREATEDB (the owner was checked before); otherwise a missing owner or tablespace.
    const bool denied = pg::SqlStateOf(created) == "42501";
    return Failed(created, absl::StrCat("creating database '", database_, "'",
                                        denied ? " (the role needs CREATEDB, or restore into an existing database "
                                                 "without -C)"
                                        : options_.globals ? ""
                                                           : " (its owner or tablespace may be missing on the "
                                                             "target: restore with --globals, or -O)"));
  }
  created_database_ = true;
  if (DropsCreatedDatabase()) {
    drop_guard_.emplace(absl::StrCat("dropping database ", database_, ", which this restore created,"),
                        absl::StrCat("database ", database_, ", which this restore created (DROP DATABASE ",
                                     Quote(database_), " removes it)"));
  }
  if (info == nullptr) return absl::OkStatus();
  // Settings are applied now, as pg_restore -C does; the restore's own sessions override
  // those that would get in its way (SetupSession).
  PGARK_ASSIGN_OR_RETURN(
      std::string properties,
      about_this_database(absl::StrCat(info->settings_sql, options_.no_comments ? "" : info->comment_sql,
                                       options_.no_acl ? "" : info->acl_sql)));
  if (!properties.empty()) {
    PGARK_RETURN_IF_ERROR(Failed(maintenance->Execute(properties),
                                 absl::StrCat("setting the properties of database '", database_, "'")));
  }
  // A role's settings in this database need the role; without it (no --globals) they are
  // skipped with a warning, as the database still restores correctly.
  for (const auto& [role, recorded] : info->role_settings_sql) {
    PGARK_ASSIGN_OR_RETURN(std::string statement, about_this_database(recorded));
    PGARK_ASSIGN_OR_RETURN(pg::Result role_exists,
                           maintenance->QueryParams("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {role}));
    if (role_exists.rows() == 0) {
      PGARK_LOG(kWarning) << "restore: role \"" << role << "\" does not exist: its settings in database '"
                          << database_ << "' were not restored (restore with --globals)";
      continue;
    }
    PGARK_RETURN_IF_ERROR(Failed(maintenance->Execute(statement),
                                 absl::StrCat("setting role '", role, "' settings in database '", database_, "'")));
  }
  return absl::OkStatus();
}

// -C: the archive's connection limit and template flag, on the leader once everything else is
// restored (with -1 inside the transaction: a rollback leaves neither). pg_dump -C sets them
// right after CREATE DATABASE (its DATABASE PROPERTIES entry), where a limit locks out the
// restore's own sessions (CONNECTION LIMIT 0, or fewer than -j, for a non-superuser) and a
// failed restore leaves a half-restored template. With create_as they go to the caller.
absl::Status RestoreRun::SetLastDatabaseProperties() {
  if (!options_.create || !contents().catalog || !contents().catalog->database_info) return absl::OkStatus();
  const catalog::DatabaseInfo& info = *contents().catalog->database_info;
  if (!options_.create_as.empty()) {
    result_.connection_limit = info.connection_limit;
    result_.is_template = info.is_template;
    return absl::OkStatus();
  }
  const std::string sql = catalog::DatabaseLimitsSql(Quote(database_), info.connection_limit, info.is_template);
  if (sql.empty()) return absl::OkStatus();
  return Failed(leader_->Execute(sql),
                absl::StrCat("setting the connection limit and template flag of database '", database_, "'"));
}

// Fails before anything is changed when the target already holds objects this restore
// would create (conflict_check.h: every kind, in every section the run executes), or rows in
// tables it would load, unless --clean.
absl::Status RestoreRun::CheckConflicts() {
  if (options_.clean) return absl::OkStatus();
  constexpr int kNamed = 10;  // names in the message, at most
  PGARK_ASSIGN_OR_RETURN(
      std::vector<std::string> conflicts,
      restore::FindConflicts(*leader_,
                             restore::ConflictProbes(items_, [this](absl::string_view id) { return ItemById(id); }),
                             kNamed));
  // Data into tables this run does not create: they must be empty. Batched (TablesWithRows):
  // 5,000 tables took 5,000 queries, and one the role could not read counted as empty.
  std::vector<const TableStreams*> existing;
  std::vector<restore::TableName> names;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    if (table.extension_config) continue;  // holds its extension's standard rows
    if (contents().catalog && options_.pre_data) {
      const CatalogItem* item = ItemById(TableId(table));
      if (item != nullptr && selection_.Item(*item, ItemById(item->table_id))) continue;
    }
    existing.push_back(&table);
    names.push_back({table.schema, table.name});
  }
  PGARK_ASSIGN_OR_RETURN(std::vector<size_t> with_rows, restore::TablesWithRows(*leader_, names));
  for (size_t i = 0; i < with_rows.size() && i < static_cast<size_t>(kNamed); ++i) {
    conflicts.push_back(absl::StrCat("rows in table ", existing[with_rows[i]]->Display()));
  }
  if (with_rows.size() > static_cast<size_t>(kNamed)) {
    conflicts.push_back(absl::StrCat("rows in ", with_rows.size() - kNamed, " more tables"));
  }
  if (selection_.LargeObjects() && !contents().large_objects.empty()) {
    PGARK_ASSIGN_OR_RETURN(pg::Result los,
                           leader_->Query("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata"));
    if (los.Get(0, 0) != "0") conflicts.push_back(absl::StrCat(los.Get(0, 0), " existing large objects"));
  }
  if (conflicts.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat(
      "the target database '", leader_->database(), "' already holds objects this archive would create: ",
      absl::StrJoin(conflicts, ", "), "; nothing was changed (use --clean to replace them)"));
}

// --clean in one transaction: a failing DROP (or an interrupted run) leaves the target as it
// was. A schema too large for the server's lock table (out of shared memory, 53200) is
// cleaned item by item instead, with a warning: every drop then tolerates objects a previous
// attempt already removed, so a failed clean can be completed by running the restore again.
absl::Status RestoreRun::Clean() {
  if (!options_.clean) return absl::OkStatus();
  if (in_transaction_) return DropAndEmpty(true);  // -1: inside the restore's transaction already
  PGARK_RETURN_IF_ERROR(Failed(leader_->Execute("BEGIN"), "starting the clean"));
  absl::Status status = DropAndEmpty(true);
  if (status.ok()) status = Failed(leader_->Execute("COMMIT"), "committing the clean");
  if (status.ok()) {
    clean_committed_ = true;
    return status;
  }
  leader_->Execute("ROLLBACK").IgnoreError();
  if (pg::SqlStateOf(status) == "53200") {
    PGARK_LOG(kWarning) << "restore: the clean does not fit in one transaction (" << status.message()
                        << "); dropping item by item instead: if it fails, run the restore with --clean again";
    clean_committed_ = true;  // item by item: what was dropped stays dropped
    return DropAndEmpty(false);
  }
  return base::WithMessage(status, absl::StrCat(status.message(), "; the clean was rolled back: nothing was changed"));
}

absl::Status RestoreRun::DropAndEmpty(bool in_transaction) {
  // What goes with its table or publication (indexes, constraints, triggers, policies,
  // publication members) needs no DROP of its own when that is dropped in this pass, and
  // some of it cannot be dropped alone: an index attached to a partitioned index, a
  // partition's inherited constraint, a member of a publication already gone. FOREIGN KEYs
  // are still dropped first (they tie two tables together), and rules too (a split view's
  // "rule" turns it back into its dummy, which frees the functions it uses).
  std::set<std::string> dropped_containers;
  for (const CatalogItem* item : items_) {
    const bool container = item->kind == ObjectKind::kTable || item->kind == ObjectKind::kView ||
                           item->kind == ObjectKind::kMaterializedView || item->kind == ObjectKind::kPublication;
    if (container && !item->drop_sql.empty()) dropped_containers.insert(item->id);
  }
  auto goes_with_a_dropped_container = [&](const CatalogItem& item) {
    switch (item.kind) {
      case ObjectKind::kIndex:
      case ObjectKind::kIndexAttach:
      case ObjectKind::kConstraint:
      case ObjectKind::kTrigger:
      case ObjectKind::kPolicy:
      case ObjectKind::kStatistics:
        return item.table_id != item.id && dropped_containers.count(item.table_id) > 0;
      case ObjectKind::kPublicationTable:
      case ObjectKind::kPublicationSchema:
        return dropped_containers.count(item.table_id) > 0 ||
               std::any_of(item.dependencies.begin(), item.dependencies.end(),
                           [&](const std::string& dep) { return dropped_containers.count(dep) > 0; });
      default:
        return false;
    }
  };
  restore::StatementBatch batch(*leader_, in_transaction);
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    const CatalogItem& item = **it;
    // Without pre-data only large objects are dropped (their items are in the data section);
    // tables are emptied below.
    if (item.drop_sql.empty() || goes_with_a_dropped_container(item)) continue;
    if (!options_.pre_data && item.kind != ObjectKind::kLargeObject) continue;
    const std::string what = absl::StrCat("dropping ", item.id);
    if (item.kind == ObjectKind::kSubscription) {
      PGARK_RETURN_IF_ERROR(batch.Flush());
      absl::Status dropped = DropSubscriptions(*leader_, item.name);
      if (!dropped.ok()) return Failed(dropped, what);
      continue;
    }
    // Like pg_restore --if-exists: a constraint's table may be missing too.
    constexpr absl::string_view kAlterTable = "ALTER TABLE ";
    const bool add_if_exists = absl::StartsWith(item.drop_sql, kAlterTable) &&
                               !absl::StartsWith(item.drop_sql, "ALTER TABLE IF EXISTS");
    std::string drop = add_if_exists
                           ? absl::StrCat("ALTER TABLE IF EXISTS ", item.drop_sql.substr(kAlterTable.size()))
                           : item.drop_sql;
    PGARK_RETURN_IF_ERROR(batch.Add(std::move(drop), what));
  }
  PGARK_RETURN_IF_ERROR(batch.Flush());
  // Tables loaded but not re-created by this run: empty them, in one statement so that
  // tables referencing each other by FOREIGN KEY can be emptied together.
  std::vector<std::string> to_empty, names;
  std::vector<restore::TableName> listed;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    // A configuration table keeps its extension's standard rows (and with -c the
    // extension, hence the table, is re-created anyway).
    if (table.extension_config) continue;
    if (options_.pre_data && contents().catalog && FindItem(TableId(table)) >= 0) continue;
    to_empty.push_back(Qualified(table.schema, table.name));
    names.push_back(table.Display());
    listed.push_back({table.schema, table.name});
  }
  if (to_empty.empty()) return absl::OkStatus();
  absl::StatusOr<bool> cascade = restore::TruncateMustCascade(*leader_, listed);
  if (!cascade.ok()) return Failed(cascade.status(), "reading the FOREIGN KEYs onto the tables to empty");
  absl::Status truncated = leader_->Execute(
      absl::StrCat("TRUNCATE TABLE ONLY ", absl::StrJoin(to_empty, ", "), *cascade ? " CASCADE" : ""));
  if (!truncated.ok()) {
    return Failed(truncated, absl::StrCat("emptying ", names.size() == 1 ? "table " : "tables ",
                                          absl::StrJoin(names, ", ")));
  }
  return absl::OkStatus();
}

std::string RestoreRun::ItemSql(const CatalogItem& item, bool create) const {
  return absl::StrCat(create ? CreateSql(item, item.create_sql) : "", options_.no_owner ? "" : item.owner_sql,
                      options_.no_comments ? "" : item.comment_sql,
                      options_.no_security_labels ? "" : item.seclabel_sql);
}

std::string RestoreRun::CreateSql(const CatalogItem& item, const std::string& sql) const {
  return options_.no_tablespaces ? sql : catalog::InTablespace(item.tablespace, sql);
}

absl::Status RestoreRun::CheckTablespacesSeparable() const {
  if (contents_ptr()->catalog->item_tablespaces) return absl::OkStatus();
  // Older archives put the clause in the statement: the table's "\nTABLESPACE x" tail, an
  // index's " TABLESPACE x", a constraint's " USING INDEX TABLESPACE x".
  for (const CatalogItem* item : items_) {
    const bool placed = item->kind == ObjectKind::kTable || item->kind == ObjectKind::kMaterializedView ||
                        item->kind == ObjectKind::kIndex || item->kind == ObjectKind::kConstraint;
    if (placed && absl::StrContains(item->create_sql, "TABLESPACE ")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--no-tablespaces: this archive was written before pgark recorded tablespaces apart from the "
          "statements, and ", item->id, " names its tablespace in its CREATE statement; nothing was changed "
          "(restore without --no-tablespaces into a server that has the tablespace, or dump again)"));
    }
  }
  return absl::OkStatus();
}

std::string RestoreRun::Restoring(const CatalogItem& item) {
  return absl::StrCat("restoring ", item.id, item.table_id.empty() ? "" : absl::StrCat(" (table ", item.table_id, ")"));
}

// One round trip: the statements run as one implicit transaction (or inside -1's).
absl::Status RestoreRun::RunItem(pg::Connection& conn, const CatalogItem& item, bool create) {
  const std::string sql = ItemSql(item, create);
  if (sql.empty()) return absl::OkStatus();
  absl::Status status = conn.Execute(sql);
  return status.ok() ? status : Failed(status, Restoring(item));
}

absl::Status RestoreRun::RunPreData() {
  restore::StatementBatch batch(*leader_, in_transaction_);
  for (const CatalogItem* item : items_) {
    if (item->section == Section::kData || item->section == Section::kPostData) continue;
    if (item->pass != catalog::RestorePass::kMain) continue;
    PGARK_RETURN_IF_ERROR(batch.Add(ItemSql(*item, true), Restoring(*item), [this, item] {
      if (item->kind == ObjectKind::kTable) created_tables_.insert(item->id);
      ++result_.pre_data_items;
      ItemDone();
    }));
    if (SchemaAclEarly(*item)) {
      PGARK_RETURN_IF_ERROR(batch.Add(item->acl_sql, absl::StrCat("restoring privileges of ", item->id),
                                      [this] { ++result_.acl_items; }));
    }
  }
  // Data-section items with SQL of their own (large-object creation from the catalog).
  for (const CatalogItem* item : items_) {
    if (item->section != Section::kData || item->kind != ObjectKind::kLargeObject) continue;
    PGARK_RETURN_IF_ERROR(batch.Add(ItemSql(*item, true), Restoring(*item)));
  }
  return batch.Flush();
}

absl::Status RestoreRun::CheckTargetColumns() {
  // One round trip per batch of tables, not per table (5,000 tables took 5,000 queries).
  constexpr size_t kTablesPerQuery = 1000;
  for (size_t first = 0; first < tables_to_load_.size(); first += kTablesPerQuery) {
    const size_t last = std::min(tables_to_load_.size(), first + kTablesPerQuery);
    std::vector<restore::TableName> names;
    for (size_t i = first; i < last; ++i) {
      const TableStreams& table = contents().tables[tables_to_load_[i]];
      names.push_back({table.schema, table.name});
    }
    PGARK_ASSIGN_OR_RETURN(
        pg::Result columns,
        leader_->QueryParams(absl::StrCat("WITH t AS (", restore::kTablesByName, ") "
                                          "SELECT t.idx, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
                                          "a.attgenerated <> '', a.attnotnull AND NOT a.atthasdef AND "
                                          "a.attidentity = '' AND a.attgenerated = '' "
                                          "FROM t JOIN pg_catalog.pg_attribute a "
                                          "ON a.attrelid = t.rel AND a.attnum > 0 AND NOT a.attisdropped "
                                          "ORDER BY t.idx, a.attnum"),
                             {restore::TablesByNameParam(names)}));
    // Target columns per table of the batch, by name.
    std::vector<std::map<std::string, TargetColumn>> targets(last - first);
    for (int row = 0; row < columns.rows(); ++row) {
      const int64_t idx = columns.GetInt64(row, 0).value_or(-1);
      if (idx < 0 || idx >= static_cast<int64_t>(targets.size())) continue;
      targets[idx][std::string(columns.Get(row, 1))] = {std::string(columns.Get(row, 2)), columns.GetBool(row, 3),
                                                        columns.GetBool(row, 4)};
    }
    for (size_t i = first; i < last; ++i) {
      PGARK_RETURN_IF_ERROR(CheckTableColumns(contents().tables[tables_to_load_[i]], targets[i - first]));
    }
  }
  return PrepareTypeOidPatching();
}

absl::Status RestoreRun::CheckTableColumns(const TableStreams& table,
                                           const std::map<std::string, TargetColumn>& target) const {
  if (target.empty() && !table.columns.empty()) {
    return absl::NotFoundError(absl::StrCat("table ", table.Display(),
                                            " does not exist in the target database; no data was loaded"));
  }
  for (const restore::RecordedColumn& column : table.columns) {
    auto it = target.find(column.name);
    std::string problem;
    if (it == target.end()) {
      problem = "is missing in the target";
    } else if (it->second.generated) {
      problem = "is a generated column in the target";
    } else if (it->second.type != column.type) {
      problem = absl::StrCat("is ", column.type, " in the archive but ", it->second.type, " in the target");
    } else if (table.binary && column.embeds_user_oid && patch_type_oids_ && !column.shape) {
      problem = "holds user-type OIDs in binary COPY data but the archive records no type shape to patch them";
    }
    if (!problem.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "table ", table.Display(), ": column \"", column.name, "\" ", problem, "; no data was loaded"));
    }
  }
  // A column only the target has gets its default in every loaded row: without one, a NOT
  // NULL column fails the COPY at its first row, after other tables were loaded.
  for (const auto& entry : target) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::string& name = entry.first;
    if (!entry.second.needs_value || !MayHaveRows(table)) continue;
    if (std::any_of(table.columns.begin(), table.columns.end(),
                    [&name](const restore::RecordedColumn& recorded) { return recorded.name == name; })) {
      continue;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "table ", table.Display(), ": column \"", name, "\" of the target is NOT NULL without a default, and the "
        "archive has no values for it; no data was loaded"));
  }
  return absl::OkStatus();
}

bool RestoreRun::MayHaveRows(const TableStreams& table) const {
  if (!open_.reader) return true;
  const std::vector<format::StreamInfo>& streams = open_.reader->info().streams;
  for (uint32_t id : table.streams) {
    auto it = std::lower_bound(streams.begin(), streams.end(), id,
                               [](const format::StreamInfo& stream, uint32_t wanted) { return stream.stream_id < wanted; });
    if (it == streams.end() || it->stream_id != id || it->rows > 0) return true;
  }
  return false;
}

bool RestoreRun::PatchesTypeOids(const TableStreams& table) const {
  if (!patch_type_oids_ || !table.binary) return false;
  for (const restore::RecordedColumn& column : table.columns) {
    if (column.embeds_user_oid) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<restore::TypeOidPatcher>> RestoreRun::MakeTypeOidPatcher(
    const TableStreams& table) const {
  std::vector<restore::PatchColumn> columns;
  for (const restore::RecordedColumn& column : table.columns) {
    // A column without a shape embeds nothing we know of (refused above if it should).
    columns.push_back({column.name, column.shape ? *column.shape : DecodeType{}});
  }
  return restore::TypeOidPatcher::Create(table.Display(), columns, type_oid_map_);
}

// PostgreSQL 12/13 reject binary arrays and composites whose embedded element/attribute OIDs
// differ from the target's (catalog-reference d.3). After pre-data, the target's OID of every
// embedded user type is looked up by the (schema, name) the dump recorded (arrays through
// their element's typarray, since array names are generated); every patcher is built once
// here so an unmapped type fails before any data is sent.
absl::Status RestoreRun::PrepareTypeOidPatching() {
  const char* force = std::getenv("PGARK_FORCE_TYPE_OID_PATCH");
  patch_type_oids_ = leader_->server_version() < 140000 || (force != nullptr && std::string(force) == "1");
  if (!patch_type_oids_) return absl::OkStatus();
  std::vector<restore::EmbeddedType> embedded;
  int tables = 0;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    if (!PatchesTypeOids(table)) continue;
    ++tables;
    for (const restore::RecordedColumn& column : table.columns) {
      if (column.shape) restore::CollectEmbeddedTypes(*column.shape, &embedded);
    }
  }
  if (embedded.empty()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(type_oid_map_, restore::BuildTypeOidMap(*leader_, embedded));
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    if (PatchesTypeOids(table)) PGARK_RETURN_IF_ERROR(MakeTypeOidPatcher(table).status());
  }
  PGARK_LOG(kInfo) << "restore: embedded type OIDs of " << tables << " binary tables are patched for the target ("
                   << type_oid_map_.size() << " types mapped)";
  return absl::OkStatus();
}

absl::Status RestoreRun::PlanExistingTables() {
  // Tables this run created have neither FOREIGN KEYs nor triggers yet (post-data).
  std::vector<int> existing;
  std::vector<restore::TableName> names;
  std::vector<std::string> displays;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    if (created_tables_.count(TableId(table))) continue;
    existing.push_back(index);
    names.push_back({table.schema, table.name});
    displays.push_back(table.Display());
  }
  if (existing.empty()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(std::vector<restore::ForeignKeyEdge> edges, restore::QueryForeignKeys(*leader_, names));
  std::vector<int64_t> bytes;
  for (int index : existing) bytes.push_back(contents().tables[index].bytes);
  const restore::LoadOrder order = restore::PlanLoadOrder(bytes, edges);
  const bool checked_at_commit = in_transaction_;
  // A deferrable cycle loads as one unit (one transaction, checked at COMMIT), unless -1 does
  // that for the whole restore or --disable-triggers turns the checks off.
  std::vector<std::string> unit(existing.size());
  for (size_t i = 0; i < existing.size(); ++i) unit[i] = TableId(contents().tables[existing[i]]);
  if (!checked_at_commit && !options_.disable_triggers) {
    for (const restore::DeferredGroup& group : restore::DeferredCycleGroups(order, bytes)) {
      const std::string lead = unit[group.tables.front()];
      std::vector<std::string> members;
      for (int t : group.tables) {
        deferred_groups_[lead].push_back(existing[t]);
        group_of_[unit[t]] = lead;
        members.push_back(displays[t]);
        unit[t] = lead;
      }
      fk_chain_bytes_[lead] = group.chain_bytes;
      PGARK_LOG(kInfo) << "restore: tables " << absl::StrJoin(members, ", ")
                       << " reference each other through DEFERRABLE FOREIGN KEYs ("
                       << absl::StrJoin(group.constraints, ", ")
                       << "): they load in one transaction on one connection, checked at COMMIT";
    }
  }
  for (size_t i = 0; i < existing.size(); ++i) {
    const TableStreams& table = contents().tables[existing[i]];
    const std::string id = TableId(table);
    if (!group_of_.count(id)) fk_chain_bytes_[id] = order.chain_bytes[i];
    for (int parent : order.wait_for[i]) {
      const std::string parent_id = TableId(contents().tables[existing[parent]]);
      fk_parents_[unit[i]].insert(parent_id);
      fk_children_[parent_id].insert(unit[i]);
    }
    // Separate COPYs of the parts would check a self-reference part after part (a row
    // referring to a row of a later part fails): one COPY checks it at its end, when every
    // part is in, whether the constraint is deferrable or not, with -1 or without.
    if (order.self_referencing[i] && table.streams.size() > 1 && !options_.disable_triggers) {
      one_copy_.insert(id);
      PGARK_LOG(kInfo) << "restore: table " << table.Display() << " references itself and its data is split in "
                       << table.streams.size() << " parts: they load in one COPY";
    }
  }
  if (!options_.disable_triggers) {
    for (const std::string& warning : restore::CycleWarnings(order, displays)) {
      PGARK_LOG(kWarning) << "restore: " << warning;
    }
  }
  if (checked_at_commit && !edges.empty()) {
    // -1: DEFERRABLE constraints are checked at COMMIT, when every table is loaded, so
    // tables referencing each other through them load in any order.
    PGARK_RETURN_IF_ERROR(Failed(leader_->Execute("SET CONSTRAINTS ALL DEFERRED"), "deferring constraints"));
  }
  PGARK_ASSIGN_OR_RETURN(triggers_, restore::QueryEnabledTriggers(*leader_, names));
  std::vector<std::string> fired;
  for (const restore::TableTriggers& table : triggers_) {
    if (!table.HasUserTriggers()) continue;
    if (fired.size() < 10) fired.push_back(table.display);
    if (fired.size() == 10) fired.push_back("...");
    user_trigger_tables_.insert(TableId(contents().tables[existing[table.index]]));
  }
  if (options_.disable_triggers) {
    user_trigger_tables_.clear();
    PGARK_RETURN_IF_ERROR(restore::DisableTriggers(*leader_, triggers_, options_.superuser));
    triggers_disabled_ = !triggers_.empty();
    if (triggers_disabled_) {
      triggers_guard_.emplace("putting the disabled triggers back",
                              absl::StrCat("the triggers of ", triggers_.size(),
                                           " tables disabled; ALTER TABLE ... ENABLE TRIGGER puts them back"));
    }
    PGARK_LOG(kInfo) << "restore: --disable-triggers: the triggers of " << triggers_.size()
                     << " tables are disabled for the load";
  } else if (!fired.empty()) {
    PGARK_LOG(kWarning) << "restore: the triggers of " << absl::StrJoin(fired, ", ")
                        << " fire while their data loads (as with pg_restore): what they write elsewhere stays, "
                        << "what they change or skip differs from the archive; --disable-triggers loads the "
                        << "archive's rows as they are";
  }
  return absl::OkStatus();
}

int RestoreRun::LoadRoot(const TableStreams& table) const {
  const catalog::Catalog* catalog = contents_ptr()->catalog ? &*contents_ptr()->catalog : nullptr;
  if (catalog == nullptr) return -1;
  for (const std::string& id : {table.catalog_id, TableId(table)}) {
    int index = id.empty() ? -1 : FindItem(id);
    if (index < 0 || !catalog->items[index].table) continue;
    const catalog::TableInfo& info = *catalog->items[index].table;
    if (!info.load_via_partition_root || info.partition_root_id.empty()) return -1;
    int root = FindItem(info.partition_root_id);
    return root >= 0 && catalog->items[root].table ? root : -1;
  }
  return -1;
}

void RestoreRun::BuildTasks() {
  absl::MutexLock lock(&mu_);
  const catalog::Catalog* catalog = contents().catalog ? &*contents().catalog : nullptr;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    const std::string id = TableId(table);
    parts_left_[id] = static_cast<int>(table.streams.size());
    const int root = LoadRoot(table);
    if (root >= 0) load_root_[id] = root;
    data_key_[id] = absl::StrCat("DATA ", root >= 0 ? catalog->items[root].id : id);
    data_left_[data_key_[id]] += static_cast<int>(table.streams.size());
  }
  // The tasks: a table's parts in parallel; one COPY for a split self-referencing table; one
  // task for a deferrable cycle's tables, built at its first table.
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    const std::string id = TableId(table);
    auto grouped = group_of_.find(id);
    if (grouped != group_of_.end() && grouped->second != id) continue;
    const std::string& unit = grouped != group_of_.end() ? grouped->second : id;
    std::vector<Task> tasks;
    if (grouped != group_of_.end()) {
      Task task;
      task.kind = Task::Kind::kDeferredGroup;
      for (int member : deferred_groups_.at(unit)) {
        task.loads.push_back({member, contents().tables[member].streams});
        task.tables.push_back(TableId(contents().tables[member]));
      }
      tasks.push_back(std::move(task));
    } else if (one_copy_.count(id)) {
      Task task;
      task.loads.push_back({index, table.streams});
      tasks.push_back(std::move(task));
    } else {
      for (uint32_t stream : table.streams) {
        Task task;
        task.loads.push_back({index, {stream}});
        tasks.push_back(std::move(task));
      }
    }
    for (Task& task : tasks) {
      // Data before post-data; largest TABLE first, all its streams together: the table's
      // index builds (the restore's long pole) can start as soon as possible, while the
      // other connections load the smaller tables (docs/restore.md "Where the CPU goes").
      // Into existing tables, a parent's load counts with the loads waiting for it.
      auto chain = fk_chain_bytes_.find(unit);
      task.weight = (int64_t{1} << 60) + (chain != fk_chain_bytes_.end() ? chain->second : table.bytes);
      if (task.tables.empty()) task.tables = {id};
      auto parents = fk_parents_.find(unit);
      if (parents != fk_parents_.end()) {
        fk_parents_left_[unit] = static_cast<int>(parents->second.size());
        fk_held_[unit].push_back(std::move(task));
      } else {
        AddReady(std::move(task));
      }
      ++outstanding_;
    }
  }
  if (selection_.LargeObjects()) {
    for (const auto& lo : contents().large_objects) {
      Task task;
      task.kind = Task::Kind::kLargeObjects;
      task.stream_id = lo.stream_id;
      task.weight = int64_t{1} << 59;
      AddReady(task);
      ++outstanding_;
    }
  }
  // Post-data items of the main pass, waiting for their dependencies and tables' data.
  std::set<std::string> post_ids;
  std::vector<const CatalogItem*> post;
  for (const CatalogItem* item : items_) {
    if (item->section == Section::kPostData && item->pass == catalog::RestorePass::kMain) {
      post.push_back(item);
      post_ids.insert(item->id);
    }
  }
  post_items_total_ = static_cast<int>(post.size());
  // A partitioned table's data is its partitions' data: an item on it (a FOREIGN KEY
  // validates every partition) waits for every loaded table of the same partition tree.
  std::map<std::string, std::set<std::string>> tree_data_keys;  // root id -> "DATA ..." keys
  for (const auto& [id, key] : data_key_) {
    int index = catalog != nullptr ? FindItem(id) : -1;
    if (index >= 0 && catalog->items[index].table && !catalog->items[index].table->partition_root_id.empty()) {
      tree_data_keys[catalog->items[index].table->partition_root_id].insert(key);
    }
  }
  struct PostTask {
    Task task;
    std::set<std::string> keys;  // unmet dependencies: post-data item ids, "DATA <table id>"
    int64_t cost = 0;            // estimated server work, ns
  };
  std::vector<PostTask> post_tasks;
  std::map<std::string, int> post_position;  // item id -> index into post_tasks
  for (const CatalogItem* item : post) {
    const int index = static_cast<int>(item - catalog->items.data());
    PostTask post_task;
    std::set<std::string>& keys = post_task.keys;
    std::set<std::string> tables;
    if (!item->table_id.empty()) tables.insert(item->table_id);
    for (const std::string& dep : item->dependencies) {
      if (post_ids.count(dep)) keys.insert(dep);
      int dep_index = FindItem(dep);
      if (dep_index < 0) continue;
      const CatalogItem& dep_item = catalog->items[dep_index];
      if (dep_item.kind == ObjectKind::kTable) tables.insert(dep);
      if (dep_item.kind == ObjectKind::kTableData) tables.insert(dep_item.table_id);
    }
    // ALTER INDEX ... ATTACH PARTITION that completes a partitioned index marks it valid, and
    // its parent index in turn, each seeing only committed attachments: two attachments of one
    // partition tree run at once could each leave the root's index invalid for the other
    // (seen on 16: events_pkey invalid after a restore). One tree's attachments take turns.
    if (item->kind == ObjectKind::kIndexAttach) {
      int table = FindItem(item->table_id);
      if (table >= 0 && catalog->items[table].table && !catalog->items[table].table->partition_root_id.empty()) {
        tables.insert(catalog->items[table].table->partition_root_id);
      }
    }
    for (const std::string& table : tables) {
      // fix_dependencies: wait for the data of every table the item depends on.
      auto loaded = data_key_.find(table);
      if (loaded != data_key_.end()) keys.insert(loaded->second);
      int table_index = FindItem(table);
      if (table_index < 0 || !catalog->items[table_index].table ||
          catalog->items[table_index].table->relkind != 'p') {
        continue;
      }
      const std::string& root = catalog->items[table_index].table->partition_root_id;
      auto tree = tree_data_keys.find(root.empty() ? table : root);
      if (tree != tree_data_keys.end()) keys.insert(tree->second.begin(), tree->second.end());
    }
    post_task.cost =
        EstimatedCost(*item, item->table_id.empty() && !tables.empty() ? *tables.rbegin() : item->table_id);
    Task& task = post_task.task;
    task.kind = Task::Kind::kPostItem;
    task.item_index = index;
    task.tables.assign(tables.begin(), tables.end());
    task.exclusive = item->kind != ObjectKind::kIndex;
    if (item->kind == ObjectKind::kConstraint) {
      int table = FindItem(item->table_id);
      const catalog::TableInfo* info = table >= 0 && catalog->items[table].table ? &*catalog->items[table].table : nullptr;
      bool partitioned = info != nullptr && info->relkind == 'p';
      // On 18+, ADD CONSTRAINT ... USING INDEX on a partition marks the NOT NULL constraints
      // of the key columns local (conislocal), which ADD CONSTRAINT ... PRIMARY KEY (cols) and
      // the source do not: the partition would then keep them when detached.
      bool partition_18 = info != nullptr && info->is_partition && leader_->server_version() >= 180000;
      auto plan = partitioned || partition_18 ? std::nullopt : PlanUsingIndex(*item);
      if (plan) {
        task.exclusive = false;  // stage 1 is an index build
        task.sql = CreateSql(*item, plan->create_index);
        using_index_[index] = *plan;
      }
    }
    post_position[item->id] = static_cast<int>(post_tasks.size());
    post_tasks.push_back(std::move(post_task));
  }
  // ENABLE ROW LEVEL SECURITY waits for the FOREIGN KEYs on or referencing its table, as in
  // pg_restore's order: validating one reads both tables as their owners, whom FORCE ROW LEVEL
  // SECURITY subjects to the policies, an error under row_security = off when the restoring
  // role is not a superuser (docs/restore.md "As a non-superuser").
  std::map<std::string, std::vector<std::string>> foreign_keys;  // table id -> FK item ids
  for (const PostTask& post_task : post_tasks) {
    const CatalogItem& item = catalog->items[post_task.task.item_index];
    if (item.kind != ObjectKind::kForeignKey) continue;
    for (const std::string& table : post_task.task.tables) foreign_keys[table].push_back(item.id);
  }
  for (PostTask& post_task : post_tasks) {
    const CatalogItem& item = catalog->items[post_task.task.item_index];
    auto fks = foreign_keys.find(item.table_id);
    if (item.kind == ObjectKind::kRowSecurity && fks != foreign_keys.end()) {
      post_task.keys.insert(fks->second.begin(), fks->second.end());
    }
  }
  // Priority = the estimated work on the longest chain that starts with the item (its own
  // cost plus the heaviest chain after it), largest first: critical-path list scheduling.
  // An item's successors are the post-data items depending on it and, for an index build,
  // the exclusive items on the same table (FK validation, ALTER TABLE ...), which wait for
  // every running build on that table. Catalog order is topological, so one backward pass
  // covers the dependencies; the exclusive items' chains are complete before the second pass.
  std::vector<std::vector<int>> successors(post_tasks.size());
  for (size_t i = 0; i < post_tasks.size(); ++i) {
    for (const std::string& key : post_tasks[i].keys) {
      auto it = post_position.find(key);
      if (it != post_position.end()) successors[it->second].push_back(static_cast<int>(i));
    }
  }
  std::map<std::string, int64_t> exclusive_chain;  // table id -> heaviest exclusive item chain
  for (size_t i = post_tasks.size(); i-- > 0;) {
    int64_t after = 0;
    for (int next : successors[i]) after = std::max(after, post_tasks[next].task.weight);
    post_tasks[i].task.weight = post_tasks[i].cost + after;
    if (post_tasks[i].task.exclusive) {
      for (const std::string& table : post_tasks[i].task.tables) {
        exclusive_chain[table] = std::max(exclusive_chain[table], post_tasks[i].task.weight);
      }
    }
  }
  for (PostTask& post_task : post_tasks) {
    Task& task = post_task.task;
    if (!task.exclusive) {
      for (const std::string& table : task.tables) {
        auto chain = exclusive_chain.find(table);
        if (chain != exclusive_chain.end()) task.weight = std::max(task.weight, post_task.cost + chain->second);
      }
    }
    const int index = task.item_index;
    ++outstanding_;
    if (post_task.keys.empty()) {
      AddReady(std::move(task));
      continue;
    }
    waiting_[index] = static_cast<int>(post_task.keys.size());
    for (const std::string& key : post_task.keys) waiters_[key].push_back(index);
    pending_tasks_[index] = std::move(task);
  }
}

// Server work of a post-data item, ns (task_cost.h).
int64_t RestoreRun::EstimatedCost(const CatalogItem& item, const std::string& table_id) const {
  int64_t bytes = 0;
  auto found = table_bytes_.find(table_id);
  if (found != table_bytes_.end()) bytes = found->second;
  const catalog::TableInfo* table = nullptr;
  const int index = FindItem(table_id);
  if (index >= 0 && contents_ptr()->catalog->items[index].table) table = &*contents_ptr()->catalog->items[index].table;
  // reltuples: -1 when never analyzed, which EstimatedPostDataCost replaces by a guess.
  return restore::EstimatedPostDataCost(item, table, bytes, table != nullptr ? table->estimated_rows : 0);
}

bool RestoreRun::ConflictsLocked(const Task& task) {
  for (const auto& [ticket, running] : running_) {
    if (!task.exclusive && !running.exclusive) continue;
    for (const std::string& table : task.tables) {
      if (std::find(running.tables.begin(), running.tables.end(), table) != running.tables.end()) {
        return true;
      }
    }
  }
  return false;
}

void RestoreRun::ReleaseLocked(const std::string& key) {
  auto it = waiters_.find(key);
  if (it == waiters_.end()) return;
  for (int index : it->second) {
    if (--waiting_[index] == 0) {
      waiting_.erase(index);
      AddReady(std::move(pending_tasks_[index]));
      pending_tasks_.erase(index);
    }
  }
  waiters_.erase(it);
}

void RestoreRun::StopAllLocked(const absl::Status& error, const pg::Connection* except,
                               const absl::Status& pipe_reason) {
  if (error_.ok()) {
    error_ = error;
    for (pg::Connection* other : workers_) {
      if (other != except) other->Cancel().IgnoreError();
    }
    if (pipe_ != nullptr) pipe_->Abort(pipe_reason);
  }
  cv_.SignalAll();
}

void RestoreRun::StreamDoneLocked(const std::string& id) {
  ++result_.streams;
  if (--parts_left_[id] == 0) {
    ++result_.tables;
    // Its data is committed (or, with -1, in the one transaction): the loads whose FOREIGN
    // KEYs reference it may start once their other parents are in too.
    auto children = fk_children_.find(id);
    if (children != fk_children_.end()) {
      for (const std::string& child : children->second) {
        if (--fk_parents_left_[child] != 0) continue;
        for (Task& held : fk_held_[child]) AddReady(std::move(held));
        fk_held_.erase(child);
      }
    }
  }
  const std::string& key = data_key_.at(id);
  if (--data_left_[key] == 0) ReleaseLocked(key);
}

void RestoreRun::CompleteLocked(const Task& task) {
  --outstanding_;
  switch (task.kind) {
    case Task::Kind::kTableData:
    case Task::Kind::kDeferredGroup:
      for (const TableLoad& load : task.loads) {
        const std::string id = TableId(contents().tables[load.table_index]);
        for (size_t i = 0; i < load.streams.size(); ++i) StreamDoneLocked(id);
      }
      break;
    case Task::Kind::kLargeObjects:
      ++result_.streams;
      break;
    case Task::Kind::kPostItem: {
      auto plan = using_index_.find(task.item_index);
      if (plan != using_index_.end()) {
        // Stage 2: attach the index as the constraint, alone on the table.
        Task attach = task;
        attach.kind = Task::Kind::kAttach;
        attach.exclusive = true;
        attach.sql = plan->second.attach;
        attach.weight = task.weight + (int64_t{1} << 58);
        AddReady(std::move(attach));
        ++outstanding_;
        break;
      }
      ++result_.post_data_items;
      ItemDone();
      ReleaseLocked(contents().catalog->items[task.item_index].id);
      break;
    }
    case Task::Kind::kAttach:
      ++result_.post_data_items;
      ItemDone();
      ++result_.attached_using_index;
      ReleaseLocked(contents().catalog->items[task.item_index].id);
      break;
  }
}

std::string RestoreRun::DescribeTask(const Task& task) {
  switch (task.kind) {
    case Task::Kind::kTableData:
      return absl::StrCat("data of ", DescribeLoad(task.loads.front()));
    case Task::Kind::kDeferredGroup:
      return absl::StrCat("data of ", LoadedTables(task), " in one transaction (their DEFERRABLE FOREIGN KEYs checked at COMMIT)");
    case Task::Kind::kLargeObjects:
      return absl::StrCat("data of ", contents().DescribeStream(task.stream_id));
    case Task::Kind::kPostItem:
      return absl::StrCat(contents().catalog->items[task.item_index].id,
                          task.sql.empty() ? "" : " (unique index build)");
    case Task::Kind::kAttach:
      return absl::StrCat(contents().catalog->items[task.item_index].id, " (attaching USING INDEX)");
  }
  return "?";
}

void RestoreRun::WorkerLoop(pg::Connection* conn, int job) {
  bool no_parallel_build = false;  // this session has max_parallel_maintenance_workers = 0
  while (true) {
    Task task;
    int ticket = 0;
    bool others_busy = false;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (!error_.ok() || outstanding_ == 0) return;
        // Largest eligible task first.
        auto best = ready_.begin();
        while (best != ready_.end() && ConflictsLocked(best->second)) ++best;
        if (best != ready_.end()) {
          task = std::move(best->second);
          ready_.erase(best);
          break;
        }
        if (ready_.empty() && running_.empty() && !fk_held_.empty()) {
          // Not reached: the FK order has no cycles (load_order.h). Never wait forever.
          for (auto& [id, held] : fk_held_) {
            for (Task& held_task : held) AddReady(std::move(held_task));
          }
          fk_held_.clear();
          continue;
        }
        if (ready_.empty() && running_.empty() && !pending_tasks_.empty()) {
          // Dependencies that can never be met (an item outside the selection, a cycle):
          // run what is left in catalog order, as pg_restore's leader does in its last phase.
          // (In catalog order among equal weights: pending_tasks_ is keyed by item index.)
          for (auto& [index, pending] : pending_tasks_) AddReady(std::move(pending));
          pending_tasks_.clear();
          waiting_.clear();
          waiters_.clear();
          continue;
        }
        cv_.Wait(&mu_);
      }
      others_busy = !running_.empty();
      ticket = next_ticket_++;
      running_[ticket] = Running{task.tables, task.exclusive, DescribeTask(task), conn};
    }
    const double started = SecondsSince(main_pass_start_);
    absl::Status status;
    if (task.kind == Task::Kind::kPostItem && restore::BuildsIndex(contents().catalog->items[task.item_index]) &&
        others_busy != no_parallel_build) {
      // While the other connections are busy the cores are too: a btree build's parallel
      // workers would only compete with them, and a parallel build costs ~15 % more CPU in
      // all (worker startup, shared scan, final merge). Alone (the tail of the restore), the
      // server's own setting applies again (docs/restore.md "Where the CPU goes").
      no_parallel_build = others_busy;
      status = Failed(conn->Execute(others_busy ? "SET max_parallel_maintenance_workers = 0"
                                                : "RESET max_parallel_maintenance_workers"),
                      absl::StrCat("restoring ", DescribeTask(task)));
    }
    if (status.ok()) status = Execute(*conn, task);
    if (base::LogEnabled(base::LogLevel::kDebug)) {
      // -v: one line per task, the timeline of the main pass (docs/restore.md "Where the CPU goes").
      const double ended = SecondsSince(main_pass_start_);
      PGARK_LOG(kDebug) << absl::StrFormat("restore: job %d (pid %d): %7.2f-%7.2f s (%6.2f s) %s%s", job,
                                           conn->backend_pid(), started, ended, ended - started, DescribeTask(task),
                                           status.ok() ? "" : " FAILED");
    }
    absl::MutexLock lock(&mu_);
    // A statement, a pipe read or an S3 GET (libcurl's progress callback, http_client.h) that
    // stopped for the interrupt before the watcher saw it: the interrupt is the cause, and the
    // run stops as OnInterrupt stops it. What was cut short (a read's "frame @0x... (stream
    // ...): reading bytes ... GET ...: interrupted") is a consequence: not in the message.
    const bool interrupted = base::StoppedByCancel(status);
    if (interrupted && error_.ok()) NoteInterruptLocked();
    running_.erase(ticket);
    if (status.ok()) {
      CompleteLocked(task);
      cv_.SignalAll();
    } else if (interrupted) {
      const absl::Status interrupt = absl::CancelledError("restore interrupted");
      StopAllLocked(interrupt, conn, interrupt);
    } else {
      StopAllLocked(status, conn, absl::AbortedError("restore failed"));
    }
  }
}

absl::Status RestoreRun::Execute(pg::Connection& conn, const Task& task) {
  switch (task.kind) {
    case Task::Kind::kTableData:
      return LoadTable(conn, task.loads.front(), false);
    case Task::Kind::kDeferredGroup:
      return LoadDeferredGroup(conn, task);
    case Task::Kind::kLargeObjects:
      return LoadLargeObjects(conn, task);
    case Task::Kind::kPostItem: {
      const CatalogItem& item = contents().catalog->items[task.item_index];
      if (task.sql.empty()) return RunItem(conn, item, true);
      absl::Status status = conn.Execute(task.sql);
      if (!status.ok()) return Failed(status, absl::StrCat("restoring ", item.id, " (unique index build)"));
      return absl::OkStatus();
    }
    case Task::Kind::kAttach: {
      const CatalogItem& item = contents().catalog->items[task.item_index];
      absl::Status status = conn.Execute(task.sql);
      if (!status.ok()) return Failed(status, absl::StrCat("restoring ", item.id, " (attaching USING INDEX)"));
      return RunItem(conn, item, false);
    }
  }
  return absl::InternalError("unknown task");
}

std::string RestoreRun::LoadedTables(const Task& task) const {
  return absl::StrJoin(task.loads, ", ", [this](std::string* out, const TableLoad& load) {
    out->append(contents_ptr()->tables[load.table_index].Display());
  });
}

std::string RestoreRun::DescribeLoad(const TableLoad& load) const {
  const TableStreams& table = contents_ptr()->tables[load.table_index];
  if (load.streams.size() == 1) return contents_ptr()->DescribeStream(load.streams.front());
  return absl::StrCat(table.Display(), " parts 1-", load.streams.size(), " in one COPY");
}

absl::Status RestoreRun::LoadTable(pg::Connection& conn, const TableLoad& load, bool in_group) {
  const TableStreams& table = contents().tables[load.table_index];
  const std::string id = TableId(table);
  const std::string what = absl::StrCat("loading ", DescribeLoad(load));
  std::vector<std::string> columns;
  for (const auto& column : table.columns) columns.push_back(Quote(column.name));
  // One stream owns a table this run created: TRUNCATE + COPY FREEZE in one transaction
  // writes the rows frozen (no later anti-wraparound rewrite) and can skip WAL.
  // A table loaded through its partition root shares the root with its siblings' streams:
  // never TRUNCATE it (FREEZE), the other streams' rows may already be in it.
  auto root = load_root_.find(id);
  bool freeze = false;
  if (root == load_root_.end() && !in_transaction_ && !in_group && table.streams.size() == 1 &&
      created_tables_.count(id)) {
    int item = FindItem(id);
    freeze = item >= 0 && contents().catalog->items[item].table &&
             contents().catalog->items[item].table->relkind == 'r';
  }
  std::string target = Qualified(table.schema, table.name);
  if (root != load_root_.end()) {
    const CatalogItem& root_item = contents().catalog->items[root->second];
    target = Qualified(root_item.schema, root_item.name);
  }
  std::string sql = absl::StrCat("COPY ", target);
  if (!columns.empty()) absl::StrAppend(&sql, " (", absl::StrJoin(columns, ", "), ")");
  absl::StrAppend(&sql, " FROM STDIN");
  std::vector<std::string> copy_options;
  if (table.binary) copy_options.push_back("FORMAT binary");
  if (freeze) copy_options.push_back("FREEZE");
  if (!copy_options.empty()) absl::StrAppend(&sql, " (", absl::StrJoin(copy_options, ", "), ")");

  if (freeze) {
    PGARK_RETURN_IF_ERROR(Failed(conn.Execute(absl::StrCat("BEGIN; TRUNCATE TABLE ONLY ",
                                                           Qualified(table.schema, table.name))),
                                 what));
  }
  auto rollback = [&](absl::Status status) {
    if (freeze) conn.Execute("ROLLBACK").IgnoreError();
    return status;
  };
  restore::CopyFeedOptions feed_options;
  feed_options.binary = table.binary;
  if (PatchesTypeOids(table)) feed_options.make_patcher = [this, &table] { return MakeTypeOidPatcher(table); };
  if (options_.progress != nullptr) {
    feed_options.on_chunk = [this, &table](int64_t bytes) { options_.progress->AddChunk(table.Display(), 0, bytes); };
  }
  absl::StatusOr<restore::CopyFeedResult> copied = restore::CopyStreams(conn, sql, *feed_, load.streams, feed_options);
  if (!copied.ok()) return rollback(Failed(copied.status(), what));
  if (static_cast<uint64_t>(copied->rows) != copied->archive_rows) {
    return rollback(absl::DataLossError(absl::StrCat(
        what, ": the archive index records ", copied->archive_rows, " rows but COPY loaded ", copied->rows,
        user_trigger_tables_.count(id)
            ? " (the target table has triggers: a BEFORE INSERT trigger that returns NULL skips rows; restore "
              "with --disable-triggers to load the archive's rows as they are)"
            : "")));
  }
  if (freeze) PGARK_RETURN_IF_ERROR(Failed(conn.Execute("COMMIT"), what));
  if (options_.progress != nullptr) {
    options_.progress->AddChunk(table.Display(), copied->rows, 0);
    for (size_t i = 0; i < load.streams.size(); ++i) options_.progress->StreamDone(table.Display());
  }
  absl::MutexLock lock(&mu_);
  archive_rows_[load.table_index] += copied->rows;
  result_.rows += copied->rows;
  if (freeze) ++result_.frozen_tables;
  result_.type_oids_patched += copied->patched_oids;
  return absl::OkStatus();
}

absl::Status RestoreRun::LoadDeferredGroup(pg::Connection& conn, const Task& task) {
  const std::string names = LoadedTables(task);
  // The tables of the cycle are in one transaction: a failure (a violating row at COMMIT, an
  // error or a cancel in any COPY) rolls every one of them back, none is left half loaded.
  auto failed = [&](const absl::Status& status, bool open) {
    if (open) conn.Execute("ROLLBACK").IgnoreError();  // a failed COMMIT has ended it already
    return base::WithMessage(status, absl::StrCat(status.message(), "; the data of tables ", names,
                                                  " (one transaction, their circular DEFERRABLE FOREIGN KEYs "
                                                  "checked at COMMIT) was rolled back together"));
  };
  absl::Status status = Failed(conn.Execute("BEGIN; SET CONSTRAINTS ALL DEFERRED"),
                               absl::StrCat("loading tables ", names));
  // A stop (another connection's error, an interrupt) cancels the statement running here; one
  // arriving between two statements is seen here, so the group never commits after it.
  auto stopped = [this] {
    absl::MutexLock lock(&mu_);
    return !error_.ok();
  };
  for (size_t i = 0; status.ok() && i <= task.loads.size(); ++i) {
    if (stopped()) status = absl::CancelledError("the restore is stopping");
    if (status.ok() && i < task.loads.size()) status = LoadTable(conn, task.loads[i], true);
  }
  if (!status.ok()) return failed(status, true);
  status = Failed(conn.Execute("COMMIT"), absl::StrCat("committing the data of tables ", names));
  if (!status.ok()) return failed(status, false);
  return absl::OkStatus();
}

absl::Status RestoreRun::LoadLargeObjects(pg::Connection& conn, const Task& task) {
  const std::string what = absl::StrCat("loading ", contents().DescribeStream(task.stream_id));
  // Stage the (oid, offset, bytes) segments, then create each object with its recorded OID
  // and write the segments, all in one transaction (one batch of objects per stream).
  const bool own_transaction = !in_transaction_;
  if (own_transaction) PGARK_RETURN_IF_ERROR(Failed(conn.Execute("BEGIN"), what));
  auto fail = [&](const absl::Status& status) {
    if (own_transaction) conn.Execute("ROLLBACK").IgnoreError();
    return Failed(status, what);
  };
  absl::Status status = conn.Execute(
      "CREATE TEMP TABLE pgark_lo_stage (oid pg_catalog.oid, off pg_catalog.int8, data pg_catalog.bytea) "
      "ON COMMIT DROP");
  if (!status.ok()) return fail(status);
  restore::CopyFeedOptions feed_options;
  feed_options.binary = true;
  absl::StatusOr<restore::CopyFeedResult> staged = restore::CopyStreams(
      conn, "COPY pg_temp.pgark_lo_stage FROM STDIN (FORMAT binary)", *feed_, {task.stream_id}, feed_options);
  if (!staged.ok()) return fail(staged.status());
  // Objects the catalog created already (with their owner, ACL and comment) are only
  // written. With --clean, the clean pass unlinked the archive's objects before their
  // catalog items re-created them (every object in a stream has an item).
  status = conn.Execute(
      "SELECT pg_catalog.count(pg_catalog.lo_create(s.oid)) FROM pg_temp.pgark_lo_stage s "
      "WHERE s.off = 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata m WHERE m.oid = s.oid)");
  absl::StatusOr<pg::Result> written;
  if (status.ok()) {
    written = conn.Query(
        "SELECT pg_catalog.count(DISTINCT s.oid), pg_catalog.count(pg_catalog.lo_put(s.oid, s.off, s.data)) "
        "FROM (SELECT * FROM pg_temp.pgark_lo_stage ORDER BY oid, off) s");
    status = written.status();
  }
  if (status.ok() && own_transaction) status = conn.Execute("COMMIT");
  if (!status.ok()) return fail(status);
  absl::MutexLock lock(&mu_);
  result_.large_objects += static_cast<int>(written->GetInt64(0, 0).value_or(0));
  return absl::OkStatus();
}

void RestoreRun::CancelWhileStopping() {
  while (true) {
    std::vector<pg::Connection*> running;
    {
      absl::MutexLock lock(&mu_);
      if (main_pass_done_) return;
      cv_.WaitWithTimeout(&mu_, absl::Milliseconds(50));
      if (main_pass_done_) return;
      if (error_.ok()) continue;
      for (const auto& [ticket, task] : running_) running.push_back(task.conn);
    }
    // Outside the lock: a cancel request opens a connection to the server. The sessions
    // outlive this thread (RunMainPass joins it first).
    for (pg::Connection* conn : running) conn->Cancel().IgnoreError();
  }
}

absl::Status RestoreRun::RunMainPass() {
  BuildTasks();
  Phase(absl::StrCat("data+post-data (", in_transaction_ ? 1 : options_.jobs, " jobs)"),
        post_items_total_);
  const int jobs = in_transaction_ ? 1 : options_.jobs;
  main_pass_start_ = std::chrono::steady_clock::now();
  // An interrupt stops the main pass the way a failure does (OnInterrupt): the running
  // statements are cancelled and the workers stop, so what follows (triggers put back after
  // --disable-triggers, -1's rollback) still runs; the restore ends with exit 130.
  std::vector<std::unique_ptr<pg::Connection>> connections;
  for (int i = 0; !in_transaction_ && i < jobs; ++i) {
    PGARK_ASSIGN_OR_RETURN(auto conn, Connect());
    connections.push_back(std::move(conn));
  }
  {
    absl::MutexLock lock(&mu_);
    if (in_transaction_) workers_.push_back(leader_.get());
    for (auto& conn : connections) workers_.push_back(conn.get());
    main_pass_done_ = false;
  }
  std::thread stopper([this] { CancelWhileStopping(); });
  if (in_transaction_) {
    WorkerLoop(leader_.get(), 1);
  } else {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < connections.size(); ++i) {
      threads.emplace_back([this, c = connections[i].get(), job = static_cast<int>(i) + 1] { WorkerLoop(c, job); });
    }
    for (auto& thread : threads) thread.join();
  }
  {
    absl::MutexLock lock(&mu_);
    main_pass_done_ = true;
    if (!in_transaction_) workers_.clear();  // with -1 the leader stays the one to cancel
    cv_.SignalAll();
  }
  stopper.join();
  absl::MutexLock lock(&mu_);
  return error_;
}

absl::Status RestoreRun::SetSequences() {
  if (!options_.data) return absl::OkStatus();
  if (pipe_ != nullptr) {
    // A pipe proves completeness only at the trailer; dump/sequences.json comes after the data.
    PGARK_RETURN_IF_ERROR(pipe_->Finish());
    auto late = pipe_->TakeLateMetadata();
    auto sequences = late.find(std::string(restore::kSequencesRecord));
    if (sequences != late.end()) {
      PGARK_ASSIGN_OR_RETURN(contents().sequence_values, restore::ParseSequencesJson(sequences->second));
    }
  }
  if (!contents().sequence_values.empty()) {
    for (const restore::SequenceValue& value : contents().sequence_values) {
      if (!selection_.Data(value.schema, value.name)) continue;
      absl::Status status = leader_->QueryParams(
          "SELECT pg_catalog.setval($1::pg_catalog.regclass, $2::pg_catalog.int8, $3::pg_catalog.bool)",
          {Qualified(value.schema, value.name), value.last_value, value.is_called ? "true" : "false"}).status();
      if (!status.ok()) return Failed(status, absl::StrCat("setting sequence ", value.schema, ".", value.name));
      ++result_.sequences;
    }
    return absl::OkStatus();
  }
  restore::StatementBatch batch(*leader_, in_transaction_);
  for (const CatalogItem* item : items_) {
    if (item->kind != ObjectKind::kSequenceSet) continue;
    PGARK_RETURN_IF_ERROR(batch.Add(ItemSql(*item, true), Restoring(*item), [this] { ++result_.sequences; }));
  }
  return batch.Flush();
}

absl::Status RestoreRun::RunAclPass() {
  if (options_.no_acl) return absl::OkStatus();
  restore::StatementBatch batch(*leader_, in_transaction_);
  auto counted = [this] { ++result_.acl_items; };
  for (const CatalogItem* item : items_) {
    if (item->pass == catalog::RestorePass::kAcl) {
      PGARK_RETURN_IF_ERROR(batch.Add(ItemSql(*item, true), Restoring(*item), counted));
    }
    if (!item->acl_sql.empty() && !SchemaAclEarly(*item)) {
      PGARK_RETURN_IF_ERROR(batch.Add(item->acl_sql, absl::StrCat("restoring privileges of ", item->id), counted));
    }
  }
  return batch.Flush();
}

absl::Status RestoreRun::RunPostAclPass() {
  // REFRESH runs the matview's query as its owner. FORCE ROW LEVEL SECURITY subjects an owner
  // that is not a superuser (or BYPASSRLS) to the policies of its own tables, and with the
  // restore's row_security = off that is an error (pg_restore fails there too); with on the
  // refresh computes what a plain REFRESH on the source does. Superusers are not affected.
  PGARK_RETURN_IF_ERROR(Failed(leader_->Execute("SET row_security = on"), "refreshing materialized views"));
  PGARK_RETURN_IF_ERROR(RunPostAclItems());
  return Failed(leader_->Execute("SET row_security = off"), "refreshing materialized views");
}

absl::Status RestoreRun::RunPostAclItems() {
  bool catalog_refreshes = false;
  for (const CatalogItem* item : items_) {
    if (item->pass != catalog::RestorePass::kPostAcl) continue;
    PGARK_RETURN_IF_ERROR(RunItem(*leader_, *item, true));
    if (item->kind == ObjectKind::kMaterializedViewData) catalog_refreshes = true;
    ++result_.post_acl_items;
  }
  // --section data of a full archive into an existing schema: the data under the populated
  // materialized views changed, so they are refreshed as a data-only archive's are (their
  // REFRESH items belong to post-data; pg_restore -a leaves them stale). Catalog order puts
  // a view over another view after it. Views missing in the target are skipped.
  if (!catalog_refreshes && contents().catalog && options_.data && !options_.post_data) {
    for (const CatalogItem& item : contents().catalog->items) {
      if (item.kind != ObjectKind::kMaterializedViewData || !selection_.Table(item.schema, item.name) ||
          !selection_.Listed(item)) {
        continue;
      }
      PGARK_ASSIGN_OR_RETURN(pg::Result exists,
                             leader_->QueryParams("SELECT 1 FROM pg_catalog.pg_class WHERE oid = "
                                                  "pg_catalog.to_regclass($1) AND relkind = 'm'",
                                                  {Qualified(item.schema, item.name)}));
      if (exists.rows() == 0) {
        PGARK_LOG(kInfo) << "restore: materialized view " << item.schema << "." << item.name
                         << " is not in the target database: not refreshed";
        continue;
      }
      PGARK_RETURN_IF_ERROR(RunItem(*leader_, item, true));
      ++result_.post_acl_items;
    }
  }
  // A data-only archive: refresh the populated materialized views the dump listed.
  if (!catalog_refreshes && !contents().catalog && options_.data) {
    for (const std::string& matview : contents().matviews_to_refresh) {
      absl::Status status = leader_->Execute(absl::StrCat("REFRESH MATERIALIZED VIEW ", matview));
      if (!status.ok()) return Failed(status, absl::StrCat("refreshing materialized view ", matview));
      ++result_.post_acl_items;
    }
  }
  return absl::OkStatus();
}

int RestoreRun::PreDataTotal() const {
  int total = 0;
  for (const CatalogItem* item : items_) {
    if ((item->section == Section::kPreData || item->section == Section::kNone) &&
        item->pass == catalog::RestorePass::kMain) {
      ++total;
    }
  }
  return total;
}

absl::Status RestoreRun::Confirm(pg::Connection& conn) {
  if (!options_.confirm) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(restore::DatabaseDescription description, restore::DescribeDatabase(conn));
  if (!description.HoldsObjects()) return absl::OkStatus();
  return options_.confirm(description);
}

std::string RestoreRun::Summary() {
  const int pre_total = PreDataTotal();
  absl::MutexLock lock(&mu_);
  if (result_.pre_data_items == 0 && result_.streams == 0 && result_.post_data_items == 0 &&
      result_.large_objects == 0 && result_.sequences == 0 && result_.acl_items == 0 && result_.post_acl_items == 0) {
    return clean_committed_ ? "the clean dropped the archive's objects, then nothing was restored"
                            : "nothing was restored";
  }
  std::string summary = absl::StrCat(
      clean_committed_ ? "the clean dropped the archive's objects first; " : "", "restored: pre-data ",
      result_.pre_data_items, "/", pre_total, " items, data ", result_.streams, "/", wanted_streams_.size(), " streams (",
      result_.tables, "/", tables_to_load_.size(), " tables complete), post-data ", result_.post_data_items, "/",
      post_items_total_, " items, sequences ", result_.sequences, ", privileges ", result_.acl_items,
      ", post-ACL items ", result_.post_acl_items);
  // Name the tables whose data is missing or partial (the first few).
  std::vector<std::string> incomplete;
  size_t count = 0;
  for (int index : tables_to_load_) {
    const TableStreams& table = contents().tables[index];
    auto left = parts_left_.find(TableId(table));
    if (left != parts_left_.end() && left->second == 0) continue;
    if (++count <= 5) incomplete.push_back(table.Display());
  }
  if (count > 0) {
    absl::StrAppend(&summary, "; data not (completely) loaded: ", absl::StrJoin(incomplete, ", "),
                    count > incomplete.size() ? absl::StrCat(" and ", count - incomplete.size(), " more tables") : "");
  }
  return summary;
}

void RestoreRun::NoteInterruptLocked() {
  interrupted_during_ = phase_;
  std::vector<std::string> running;
  for (const auto& [ticket, task] : running_) running.push_back(task.what);
  if (!running.empty()) absl::StrAppend(&interrupted_during_, ": ", absl::StrJoin(running, ", "));
}

void RestoreRun::OnInterrupt() {
  const absl::Status interrupted = absl::CancelledError("restore interrupted");
  absl::MutexLock lock(&mu_);
  if (!error_.ok()) return;  // a failure (or a worker's cancelled statement) stopped the run first
  NoteInterruptLocked();
  // With -1 the leader is the worker: StopAllLocked cancels it (once).
  if (leader_cancellable_ && std::find(workers_.begin(), workers_.end(), leader_.get()) == workers_.end()) {
    leader_->Cancel().IgnoreError();
  }
  StopAllLocked(interrupted, nullptr, interrupted);
}

absl::Status RestoreRun::FailureMessage(const absl::Status& status) {
  std::string during;
  {
    absl::MutexLock lock(&mu_);
    during = interrupted_during_;
  }
  absl::Status failed = status;
  if (!during.empty()) {
    // The interrupt is the cause: the statement it cancelled says "canceling statement due to
    // user request", a consequence; name what was running instead.
    failed = absl::CancelledError(absl::StrCat("restore interrupted during ", during));
    if (status.code() == absl::StatusCode::kCancelled && status.message() != "restore interrupted") {
      failed = absl::CancelledError(absl::StrCat(failed.message(), " (", status.message(), ")"));
    }
  }
  std::string outcome;
  if (in_transaction_) {
    outcome = "the transaction was rolled back: nothing was restored";
    if (clean_committed_) outcome = absl::StrCat(outcome, " (the clean was committed before it)");
  } else {
    outcome = Summary();
  }
  if (ReportsCreatedDatabase()) {
    absl::StrAppend(&outcome, "; database '", database_, "' was created by this restore",
                    dropped_database_ ? " (the one of that name before it was dropped)" : "", " and is left ",
                    in_transaction_ ? "empty" : "as far as it was restored",
                    ": drop it, or run the restore again with -C --clean");
  } else if (!in_transaction_ && options_.replacing.empty() && outcome != "nothing was restored") {
    // What is there came from this archive: the same restore with --clean drops it and redoes
    // the whole (with -1, all or nothing).
    absl::StrAppend(&outcome, "; to redo it, run the same restore with --clean (and -1 to make it all or nothing)");
  }
  // One line (docs/error_codes.md): the server's CONTEXT line joins the message.
  std::string message = absl::StrReplaceAll(failed.message(), {{"\n", " "}});
  return base::WithMessage(failed, absl::StrCat(message, "; ", outcome));
}

// Before any change: the extensions are available, the roles the archive's objects go to exist
// and may be given objects, nothing needs a superuser the role is not (restoring_role.h); event
// triggers (superuser only, no data) are left out with a warning instead.
absl::Status RestoreRun::CheckRestoringRole(pg::Connection& conn) {
  PGARK_ASSIGN_OR_RETURN(restore::RestoringRole role, restore::DescribeRestoringRole(conn));
  superuser_ = role.superuser;
  const std::vector<std::string> skipped = restore::SkipSuperuserOnly(role, items_);
  PGARK_RETURN_IF_ERROR(restore::CheckExtensions(conn, role, items_));  // availability: for a superuser too
  PGARK_RETURN_IF_ERROR(restore::CheckSubscriptions(conn, role, items_));
  PGARK_RETURN_IF_ERROR(restore::CheckSuperuserOnlyObjects(conn, role, items_));
  PGARK_RETURN_IF_ERROR(restore::CheckLanguages(conn, role, items_));
  if (options_.create && contents().catalog && contents().catalog->database_info) {
    // --replace's temporary database is its business: the messages name the database replaced.
    const bool replace = !options_.replacing.empty();
    const std::string& named = replace ? options_.replacing : database_;
    const restore::CreatedBy created_by = replace ? restore::CreatedBy::kReplace : restore::CreatedBy::kCreate;
    PGARK_RETURN_IF_ERROR(restore::CheckDatabaseSettings(
        conn, role, named, contents().catalog->database_info->settings_sql, created_by));
    PGARK_RETURN_IF_ERROR(restore::CheckRoleSettings(
        conn, role, named, contents().catalog->database_info->role_settings_sql, created_by));
  }
  if (!options_.no_owner) {
    std::string database_owner;
    if (options_.create && contents().catalog && contents().catalog->database_info) {
      database_owner = contents().catalog->database_info->owner;
    }
    PGARK_RETURN_IF_ERROR(restore::CheckOwners(conn, role, items_, database_owner));
  }
  if (!options_.no_acl) PGARK_RETURN_IF_ERROR(restore::CheckDefaultPrivileges(conn, role, items_));
  for (const std::string& warning : skipped) PGARK_LOG(kWarning) << "restore: " << warning;
  return absl::OkStatus();
}

// A schema's privileges right after the schema, for a role that is not a superuser:
// ALTER ... OWNER TO r of an object in the schema needs r to have CREATE on it, which the
// archive grants (pg_restore fails there too, "permission denied for schema"). Granting on a
// schema early changes no object created in it; a superuser's restore keeps pg_restore's order.
bool RestoreRun::SchemaAclEarly(const CatalogItem& item) const {
  return !superuser_ && !options_.no_acl && !options_.no_owner && item.kind == ObjectKind::kSchema &&
         !item.acl_sql.empty() && item.pass == catalog::RestorePass::kMain;
}

// Roles and tablespaces before anything that names them, outside any transaction
// (CREATE TABLESPACE cannot run in one), once nothing can conflict any more.
absl::Status RestoreRun::RestoreGlobals(pg::Connection& conn) {
  if (!contents().globals) {
    return absl::FailedPreconditionError(
        "--globals: the archive holds no roles or tablespaces (dump it with 'pgark dump --globals')");
  }
  catalog::Globals globals = *contents().globals;
  if (options_.no_tablespaces) {
    std::erase_if(globals.items, [](const catalog::GlobalItem& item) {
      return item.kind == catalog::GlobalItem::Kind::kTablespace ||
             item.kind == catalog::GlobalItem::Kind::kTablespaceProperties;
    });
  }
  if (options_.no_acl) {
    std::erase_if(globals.items, [](const catalog::GlobalItem& item) {
      return item.kind == catalog::GlobalItem::Kind::kParameterPrivileges;
    });
  }
  PGARK_ASSIGN_OR_RETURN(catalog::ApplyGlobalsResult applied, catalog::ApplyGlobals(conn, globals));
  for (const std::string& notice : applied.notices) PGARK_LOG(kInfo) << "restore: " << notice;
  PGARK_LOG(kInfo) << "restore: globals: " << applied.created << " roles/tablespaces created, "
                   << applied.memberships << " memberships granted";
  return absl::OkStatus();
}

absl::StatusOr<RestoreResult> RestoreRun::Run() {
  absl::StatusOr<RestoreResult> result = RunSteps();
  // Once -1's COMMIT went through, the database holds the restore: kept.
  if (!result.ok() && created_database_ && DropsCreatedDatabase() && !committed_) {
    return DropCreatedDatabase(result.status());
  }
  drop_guard_.reset();
  return result;
}

// "-1 leaves nothing behind" with -C too (pg_restore refuses -C with -1): CREATE DATABASE
// cannot run inside the transaction, so the database is dropped once the transaction rolled
// back. Our own sessions are closed first; WITH (FORCE) (13+) ends any other that found the
// empty database meanwhile.
absl::Status RestoreRun::DropCreatedDatabase(const absl::Status& failure) {
  leader_.reset();
  pg::ConnectOptions connect;
  connect.application_name = options_.application_name;
  connect.dbname = options_.target_database;
  absl::Status dropped;
  absl::StatusOr<std::unique_ptr<pg::Connection>> maintenance = pg::Connection::Open(options_.conninfo, connect);
  if (maintenance.ok()) {
    dropped = (*maintenance)->DropDatabase(database_, true);
  } else {
    dropped = maintenance.status();
  }
  drop_guard_.reset();
  std::string outcome =
      dropped.ok()
          ? absl::StrCat("database '", database_, "' was created by this restore and has been dropped again",
                         dropped_database_ ? " (the one of that name before it was dropped by --clean)" : "")
          : absl::StrCat("database '", database_, "' was created by this restore and is left empty",
                         dropped_database_ ? " (the one of that name before it was dropped)" : "",
                         ": dropping it failed (", absl::StrReplaceAll(dropped.message(), {{"\n", " "}}),
                         "): drop it, or run the restore again with -C --clean");
  return base::WithMessage(failure, absl::StrCat(failure.message(), "; ", outcome));
}

absl::StatusOr<RestoreResult> RestoreRun::RunSteps() {
  const auto start = std::chrono::steady_clock::now();
  // Until the leader connects nothing is changed but -C's database (CreateDatabase names it).
  auto before_changes = [this](const absl::Status& status) {
    if (status.code() == absl::StatusCode::kDataLoss && !created_database_) {
      // A damaged or truncated archive found while its metadata is read (a pipe cut short).
      return base::WithMessage(status, absl::StrCat(status.message(), "; nothing was changed"));
    }
    if (status.ok() || status.code() != absl::StatusCode::kCancelled) return status;
    std::string message =
        status.message() == "restore interrupted" || status.message() == "interrupted"
            ? std::string("restore interrupted")
            : absl::StrCat("restore interrupted (", status.message(), ")");
    if (ReportsCreatedDatabase()) {
      absl::StrAppend(&message, "; database '", database_, "' was created by this restore and is "
                      "left empty: drop it, or run the restore again with -C --clean");
    } else if (!created_database_ && !absl::StrContains(message, "nothing was changed")) {
      absl::StrAppend(&message, "; nothing was changed");  // a declined prompt says so itself
    }
    return absl::Status(status.code(), message);
  };
  PGARK_RETURN_IF_ERROR(before_changes(Prepare()));
  PGARK_RETURN_IF_ERROR(before_changes(base::CheckCancelled()));
  PGARK_RETURN_IF_ERROR(before_changes(Precheck()));
  PGARK_RETURN_IF_ERROR(before_changes(base::CheckCancelled()));
  if (options_.create) PGARK_RETURN_IF_ERROR(before_changes(CreateDatabase()));
  PGARK_RETURN_IF_ERROR(before_changes(base::CheckCancelled()));
  PGARK_ASSIGN_OR_RETURN(leader_, Connect());
  result_.database = leader_->database();
  // From here to the end an interrupt stops the run (OnInterrupt).
  std::optional<base::CancelWatcher> interrupt_watcher;
  interrupt_watcher.emplace([this] { OnInterrupt(); });
  // Into an older major than the one dumped (docs/restore.md "Other PostgreSQL versions"): the
  // definitions are the newer server's, so an object that needs what the target lacks fails at
  // its item, and so does a value the target cannot represent (numeric 'Infinity' on 12/13).
  if (contents().catalog && contents().catalog->server_version / 10000 > leader_->server_version() / 10000) {
    PGARK_LOG(kWarning) << "restore: the archive was dumped from PostgreSQL " << contents().catalog->server_version
                        << " and the target runs " << leader_->server_version()
                        << ": objects or values that need the newer server fail at their item";
  }
  {
    // Checks and questions: nothing is changed yet (but -C's database).
    absl::Status checked = CheckConflicts();
    if (checked.ok() && options_.clean && !options_.create) checked = Confirm(*leader_);
    if (checked.ok()) checked = Stopped();
    if (checked.ok() && options_.globals && !options_.create) checked = RestoreGlobals(*leader_);
    if (checked.ok() && !options_.create) checked = CheckRestoringRole(*leader_);
    if (checked.ok()) checked = Stopped();
    if (!checked.ok()) {
      if (absl::Status stopped = Stopped(); stopped.code() == absl::StatusCode::kCancelled) checked = stopped;
      return before_changes(checked);
    }
  }
  in_transaction_ = options_.single_transaction;
  if (in_transaction_) PGARK_RETURN_IF_ERROR(leader_->Execute("BEGIN"));
  absl::Status status = [&]() -> absl::Status {
    // With -C the database was just created: nothing to clean in it.
    if (!options_.create) {
      if (options_.clean) Phase("clean", 0);
      PGARK_RETURN_IF_ERROR(Clean());
      PGARK_RETURN_IF_ERROR(Stopped());
    }
    Phase("pre-data", PreDataTotal());
    PGARK_RETURN_IF_ERROR(RunPreData());
    PGARK_RETURN_IF_ERROR(Stopped());
    PGARK_RETURN_IF_ERROR(CheckTargetColumns());
    PGARK_RETURN_IF_ERROR(PlanExistingTables());
    PGARK_RETURN_IF_ERROR(Stopped());
    const auto data_start = std::chrono::steady_clock::now();
    absl::Status main_pass = RunMainPass();
    if (triggers_disabled_ && (main_pass.ok() || !in_transaction_)) {
      // Always put the triggers back, also after a failed load (with -1 the rollback does);
      // an interrupt does not cancel this (trigger_switch.h).
      {
        absl::MutexLock lock(&mu_);
        leader_cancellable_ = false;
      }
      absl::Status restored = restore::RestoreTriggers(*leader_, triggers_, options_.superuser);
      triggers_guard_.reset();
      {
        absl::MutexLock lock(&mu_);
        leader_cancellable_ = true;
      }
      if (!restored.ok()) {
        if (!main_pass.ok()) {
          PGARK_LOG(kError) << "restore: " << restored.message();
        } else {
          main_pass = restored;
        }
      }
    }
    PGARK_RETURN_IF_ERROR(main_pass);
    PGARK_RETURN_IF_ERROR(Stopped());
    result_.data_seconds = SecondsSince(data_start);
    Phase("sequences", 0);
    PGARK_RETURN_IF_ERROR(SetSequences());
    PGARK_RETURN_IF_ERROR(Stopped());
    Phase("privileges", 0);
    PGARK_RETURN_IF_ERROR(RunAclPass());
    PGARK_RETURN_IF_ERROR(Stopped());
    Phase("event triggers, materialized views", 0);
    PGARK_RETURN_IF_ERROR(RunPostAclPass());
    return Stopped();
  }();
  if (status.ok() && pipe_ != nullptr) status = pipe_->Finish();
  if (status.ok()) status = SetLastDatabaseProperties();
  // Past this point the leader only ends the run: an interrupt no longer cancels it (a
  // COMMIT or ROLLBACK half sent is worse than one completed). An interrupt that arrives
  // before -1's COMMIT still rolls the restore back.
  interrupt_watcher.reset();
  if (status.ok() && in_transaction_) status = base::CheckCancelled();
  if (status.ok() && in_transaction_) status = Failed(leader_->Execute("COMMIT"), "committing the restore");
  committed_ = status.ok() && in_transaction_;
  if (status.ok()) status = MakeCommitsDurable(*leader_);
  if (!status.ok()) {
    if (base::StoppedByCancel(status)) {
      absl::MutexLock lock(&mu_);
      if (error_.ok() && interrupted_during_.empty()) interrupted_during_ = phase_;  // after the watcher
    }
    if (pipe_ != nullptr) pipe_->Abort(status);
    if (in_transaction_) leader_->Execute("ROLLBACK").IgnoreError();
    return FailureMessage(status);
  }
  result_.seconds = SecondsSince(start);
  {
    absl::MutexLock lock(&mu_);
    for (int index : tables_to_load_) {
      const TableStreams& table = contents().tables[index];
      LoadedTable loaded{table.schema, table.name, archive_rows_[index], static_cast<int>(table.streams.size()),
                         table.binary, ""};
      auto root = load_root_.find(TableId(table));
      if (root != load_root_.end()) {
        const CatalogItem& root_item = contents().catalog->items[root->second];
        loaded.load_root = absl::StrCat(root_item.schema, ".", root_item.name);
      }
      result_.loaded_tables.push_back(std::move(loaded));
    }
  }
  return result_;
}

}  // namespace

absl::StatusOr<RestoreResult> RunRestore(const RestoreOptions& options, OpenedArchive& archive) {
  RestoreRun run(options, archive);
  return run.Run();
}

absl::StatusOr<RestoreResult> RunRestore(const RestoreOptions& options, const std::string& location) {
  PGARK_ASSIGN_OR_RETURN(OpenedArchive archive, OpenArchiveForRead(location));
  return RunRestore(options, archive);
}

absl::StatusOr<restore::ArchiveContents> ReadArchiveContents(OpenedArchive& archive,
                                                             const format::KeyRing& keys) {
  PGARK_ASSIGN_OR_RETURN(OpenReader open, OpenForRestore(archive, keys));
  return std::move(open.contents);
}

absl::StatusOr<std::string> ListArchive(OpenedArchive& archive, const format::KeyRing& keys) {
  PGARK_ASSIGN_OR_RETURN(OpenReader open, OpenForRestore(archive, keys));
  const ArchiveContents& contents = open.contents;
  std::string out = absl::StrCat(";\n; Archive: ", archive.display_name, "\n");
  if (contents.catalog) {
    absl::StrAppend(&out, "; Database: ", contents.catalog->database, "\n; Source server version: ",
                    contents.catalog->server_version, "\n; Items: ", contents.catalog->items.size(), "\n");
  }
  absl::StrAppend(&out, ";\n");
  if (contents.globals) {
    for (const catalog::GlobalItem& item : contents.globals->items) {
      if (item.kind == catalog::GlobalItem::Kind::kRole) absl::StrAppend(&out, "; globals: ROLE ", item.name, "\n");
      if (item.kind == catalog::GlobalItem::Kind::kTablespace) {
        absl::StrAppend(&out, "; globals: TABLESPACE ", item.name, "\n");
      }
    }
  }
  if (contents.catalog) {
    int ordinal = 0;
    for (const CatalogItem& item : contents.catalog->items) {
      absl::StrAppend(&out, ++ordinal, "; ", catalog::SectionName(item.section), "; ",
                      catalog::ObjectKindName(item.kind), " ", item.schema.empty() ? "-" : item.schema, " ",
                      item.name, " ", item.owner.empty() ? "-" : item.owner, "\n");
    }
  }
  std::map<uint32_t, format::StreamInfo> totals;
  if (open.reader) {
    for (const auto& info : open.reader->info().streams) totals[info.stream_id] = info;
  }
  for (const auto& [id, stream] : contents.streams) {
    absl::StrAppend(&out, "; stream ", id, ": ", contents.DescribeStream(id), ", ",
                    stream.binary ? "binary" : "text");
    auto it = totals.find(id);
    if (it != totals.end()) absl::StrAppend(&out, ", ", it->second.rows, " rows, ", it->second.raw_bytes, " bytes");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace pgark::engine
