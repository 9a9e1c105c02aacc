#include "engine/export/sql_exporter.h"

#include <algorithm>
#include <functional>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/catalog/catalog_reader.h"
#include "engine/catalog/sql_text.h"
#include "engine/dump/data_plan.h"
#include "engine/dump/read_access.h"
#include "engine/export/binary_to_text.h"
#include "engine/export/gzip_members.h"
#include "engine/pg/connection.h"
#include "engine/pg/snapshot.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {

using catalog::CatalogItem;
using catalog::ObjectKind;
using catalog::RestorePass;
using catalog::Section;

std::string ScriptHeader(absl::string_view client_encoding, absl::string_view restrict_key) {
  return absl::StrCat(
      "--\n-- PostgreSQL database export written by pgark\n--\n\n"
      "\\restrict ", restrict_key, "\n\n"
      "SET statement_timeout = 0;\n"
      "SET lock_timeout = 0;\n"
      "SET idle_in_transaction_session_timeout = 0;\n"
      "SET client_encoding = ", catalog::Literal(client_encoding), ";\n"
      "SET standard_conforming_strings = on;\n"
      "SELECT pg_catalog.set_config('search_path', '', false);\n"
      "SET check_function_bodies = false;\n"
      "SET xmloption = content;\n"
      "SET client_min_messages = warning;\n"
      "SET row_security = off;\n"
      "SET default_tablespace = '';\n"
      "SET DateStyle = 'ISO';\n"
      "SET IntervalStyle = 'postgres';\n"
      "SET lc_monetary = 'C';\n\n");
}

std::string ScriptFooter(absl::string_view restrict_key) {
  return absl::StrCat("\n\\unrestrict ", restrict_key, "\n");
}

std::string NewRestrictKey() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string key;
  while (key.size() < 63) {
    unsigned char byte;
    randombytes_buf(&byte, 1);
    if (byte < 248) key.push_back(kAlphabet[byte % 62]);  // 248 = 4 * 62: no modulo bias
  }
  return key;
}

std::string QuoteIdentAlways(absl::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<std::string> CopyTarget(const catalog::Catalog& catalog,
                                       const CatalogItem& data_item) {
  if (!data_item.table.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog item '", data_item.id, "' has no table description"));
  }
  if (data_item.table->load_via_partition_root && !data_item.table->partition_root_id.empty()) {
    int root = catalog.Find(data_item.table->partition_root_id);
    if (root < 0) {
      return absl::InvalidArgumentError(absl::StrCat("partition root '",
                                                     data_item.table->partition_root_id,
                                                     "' of '", data_item.id, "' is not in the catalog"));
    }
    const CatalogItem& r = catalog.items[root];
    return absl::StrCat(QuoteIdentAlways(r.schema), ".", QuoteIdentAlways(r.name));
  }
  return absl::StrCat(QuoteIdentAlways(data_item.schema), ".", QuoteIdentAlways(data_item.name));
}

std::string CopyFromStdinStatement(absl::string_view target,
                                   const std::vector<std::string>& column_names) {
  // A table without columns still has rows (empty lines); COPY takes no empty list.
  if (column_names.empty()) return absl::StrCat("COPY ", target, " FROM stdin;\n");
  std::string columns;
  for (const std::string& name : column_names) {
    absl::StrAppend(&columns, columns.empty() ? "" : ", ", QuoteIdentAlways(name));
  }
  return absl::StrCat("COPY ", target, " (", columns, ") FROM stdin;\n");
}

absl::StatusOr<std::string> CopyFromStdinSql(const catalog::Catalog& catalog,
                                             const CatalogItem& data_item) {
  PGARK_ASSIGN_OR_RETURN(std::string target, CopyTarget(catalog, data_item));
  std::vector<std::string> names;
  for (const catalog::ColumnInfo& column : data_item.table->columns) names.push_back(column.name);
  return CopyFromStdinStatement(target, names);
}

std::string MainPassSql(const CatalogItem& item, bool no_owner) {
  std::string sql = catalog::InTablespace(item.tablespace, item.create_sql);
  if (!no_owner) sql += item.owner_sql;
  sql += item.comment_sql;
  sql += item.seclabel_sql;
  return sql;
}

std::string ItemBanner(const CatalogItem& item) {
  // Names may hold newlines: inside a "--" comment a newline would end the comment and
  // let the rest of the name run as SQL or as a psql meta-command (pg_dump's sanitize_line).
  std::string title = absl::StrCat(catalog::ObjectKindName(item.kind), " ", item.schema,
                                   item.schema.empty() ? "" : ".", item.name);
  std::replace_if(title.begin(), title.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return absl::StrCat("--\n-- ", title, "\n--\n\n");
}

absl::Status AppendPreData(const catalog::Catalog& catalog, bool no_owner, GzipSpool& spool) {
  for (const CatalogItem& item : catalog.items) {
    if (item.section == Section::kPreData && item.pass == RestorePass::kMain) {
      PGARK_RETURN_IF_ERROR(
          spool.Append(absl::StrCat(ItemBanner(item), MainPassSql(item, no_owner), "\n")));
    }
  }
  // Large objects the catalog describes (lo_create, owner, comment) exist before the data
  // that fills them (lo_put only); their ACLs come in the ACL pass.
  for (const CatalogItem& item : catalog.items) {
    if (item.kind == ObjectKind::kLargeObject) {
      PGARK_RETURN_IF_ERROR(
          spool.Append(absl::StrCat(ItemBanner(item), MainPassSql(item, no_owner), "\n")));
    }
  }
  return absl::OkStatus();
}

absl::Status AppendAfterData(
    const catalog::Catalog& catalog, bool no_owner, bool no_acl,
    const std::function<absl::StatusOr<std::string>(const CatalogItem&)>& sequence_sql,
    const std::string& extra_acl_sql, GzipSpool& spool) {
  for (const CatalogItem& item : catalog.items) {
    if (item.section != Section::kData || item.kind == ObjectKind::kTableData ||
        item.kind == ObjectKind::kLargeObject) {
      continue;  // large objects: AppendPreData
    }
    std::string sql;
    if (item.kind == ObjectKind::kSequenceSet) {
      PGARK_ASSIGN_OR_RETURN(sql, sequence_sql(item));
    } else {
      sql = MainPassSql(item, no_owner);
    }
    PGARK_RETURN_IF_ERROR(spool.Append(absl::StrCat(ItemBanner(item), sql, "\n")));
  }
  for (const CatalogItem& item : catalog.items) {
    if (item.section == Section::kPostData && item.pass == RestorePass::kMain) {
      PGARK_RETURN_IF_ERROR(
          spool.Append(absl::StrCat(ItemBanner(item), MainPassSql(item, no_owner), "\n")));
    }
  }
  if (!no_acl) {
    for (const CatalogItem& item : catalog.items) {
      std::string sql;
      if (item.pass == RestorePass::kAcl) sql += MainPassSql(item, no_owner);
      sql += item.acl_sql;
      if (!sql.empty()) PGARK_RETURN_IF_ERROR(spool.Append(absl::StrCat(ItemBanner(item), sql, "\n")));
    }
    PGARK_RETURN_IF_ERROR(spool.Append(extra_acl_sql));
  }
  for (const CatalogItem& item : catalog.items) {
    if (item.pass == RestorePass::kPostAcl) {
      PGARK_RETURN_IF_ERROR(
          spool.Append(absl::StrCat(ItemBanner(item), MainPassSql(item, no_owner), "\n")));
    }
  }
  return spool.Append("--\n-- Export complete\n--\n");
}

namespace {

// One unit of parallel data work.
struct DataUnit {
  const CatalogItem* table = nullptr;  // TABLE DATA; nullptr for the large objects unit
  int64_t size = 0;                    // for scheduling, largest first
};


constexpr int64_t kLargeObjectPiece = 1 << 20;

// State shared by the workers.
class DataPhase {
 public:
  DataPhase(const ExportOptions& options, const catalog::Catalog& catalog, GzipOutput* output,
            std::vector<DataUnit> units, std::vector<uint32_t> large_objects)
      : options_(options), catalog_(catalog), output_(output), units_(std::move(units)),
        large_objects_(std::move(large_objects)) {}

  absl::Status Run(std::vector<std::unique_ptr<pg::Connection>>& conns) {
    std::vector<std::thread> threads;
    for (auto& conn : conns) {
      threads.emplace_back([this, &conn, &conns] {
        absl::Status s = Work(*conn);
        if (!s.ok()) Fail(s, conns);
      });
    }
    for (std::thread& t : threads) t.join();
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

  int64_t rows() const { return rows_.load(); }

 private:
  void Fail(const absl::Status& s, std::vector<std::unique_ptr<pg::Connection>>& conns) {
    {
      absl::MutexLock lock(&mu_);
      if (!first_error_.ok()) return;  // a consequence of the first failure
      first_error_ = s;
    }
    stop_.store(true);
    for (auto& conn : conns) (void)conn->Cancel();
  }

  absl::Status Work(pg::Connection& conn) {
    PGARK_ASSIGN_OR_RETURN(auto spool, GzipSpool::Create(options_.level, options_.spill_dir));
    while (!stop_.load()) {
      size_t index = next_.fetch_add(1);
      if (index >= units_.size()) break;
      const DataUnit& unit = units_[index];
      if (unit.table != nullptr) {
        PGARK_RETURN_IF_ERROR(base::Annotate(ExportTable(conn, *unit.table, *spool),
                                             absl::StrCat("exporting ", unit.table->schema, ".",
                                                          unit.table->name)));
      } else {
        PGARK_RETURN_IF_ERROR(
            base::Annotate(ExportLargeObjects(conn, *spool), "exporting large objects"));
      }
      PGARK_RETURN_IF_ERROR(output_->Commit(*spool));
    }
    return absl::OkStatus();
  }

  absl::Status CheckStop() {
    PGARK_RETURN_IF_ERROR(base::CheckCancelled());
    if (stop_.load()) return absl::AbortedError("stopped after another worker failed");
    return absl::OkStatus();
  }

  absl::Status ExportTable(pg::Connection& conn, const CatalogItem& item, GzipSpool& spool) {
    PGARK_ASSIGN_OR_RETURN(std::string copy_in, CopyFromStdinSql(catalog_, item));
    std::string columns;
    for (const catalog::ColumnInfo& column : item.table->columns) {
      absl::StrAppend(&columns, columns.empty() ? "" : ", ", QuoteIdentAlways(column.name));
    }
    std::string source = absl::StrCat(QuoteIdentAlways(item.schema), ".",
                                      QuoteIdentAlways(item.name));
    // As the dump does: a lock request queued behind another session's would deadlock
    // unseen (the leader holds ACCESS SHARE already), so fail fast instead.
    if (item.table->relkind == 'r' || item.table->relkind == 'p') {
      PGARK_RETURN_IF_ERROR(pg::LockTableNoWait(conn, source));
    }
    PGARK_RETURN_IF_ERROR(spool.Append(ItemBanner(item)));
    PGARK_RETURN_IF_ERROR(spool.Append(copy_in));
    if (!item.table->columns.empty()) {
      // An extension's configuration table: only the rows its filter selects (the
      // extension's script creates the table with its standard rows).
      std::string filter =
          item.table->data_filter.empty() ? "" : absl::StrCat(" ", item.table->data_filter);
      PGARK_RETURN_IF_ERROR(conn.StartCopyOut(
          absl::StrCat("COPY (SELECT ", columns, " FROM ONLY ", source, filter, ") TO STDOUT")));
    } else {
      PGARK_RETURN_IF_ERROR(conn.StartCopyOut(absl::StrCat("COPY ", source, " TO STDOUT")));
    }
    absl::string_view row;  // libpq's buffer: the spool's block is the only copy
    int64_t n = 0;
    while (true) {
      PGARK_ASSIGN_OR_RETURN(bool more, conn.ReadCopyRow(&row));
      if (!more) break;
      PGARK_RETURN_IF_ERROR(spool.Append(row));
      if (++n % 4096 == 0) PGARK_RETURN_IF_ERROR(CheckStop());
    }
    rows_ += n;
    return spool.Append("\\.\n\n");
  }

  // lo_put in pieces of 1 MiB (lo_put needs no open descriptor, so every statement stands
  // alone under psql's autocommit); the catalog's items created the objects before.
  absl::Status ExportLargeObjects(pg::Connection& conn, GzipSpool& spool) {
    PGARK_RETURN_IF_ERROR(spool.Append("--\n-- Large objects\n--\n\n"));
    for (uint32_t oid : large_objects_) {
      PGARK_RETURN_IF_ERROR(CheckStop());
      for (int64_t offset = 0;; offset += kLargeObjectPiece) {
        PGARK_ASSIGN_OR_RETURN(
            pg::Result r,
            conn.QueryParams("SELECT pg_catalog.lo_get($1::oid, $2::bigint, $3::integer)",
                             {absl::StrCat(oid), absl::StrCat(offset),
                              absl::StrCat(kLargeObjectPiece)}));
        absl::string_view hex = r.Get(0, 0);  // "\x..." (bytea_output hex)
        if (hex.size() <= 2) break;
        PGARK_RETURN_IF_ERROR(spool.Append(absl::StrCat("SELECT pg_catalog.lo_put('", oid,
                                                        "', ", offset, ", '", hex, "');\n")));
        if (static_cast<int64_t>(hex.size() - 2) / 2 < kLargeObjectPiece) break;
      }
    }
    return spool.Append("\n");
  }

  const ExportOptions& options_;
  const catalog::Catalog& catalog_;
  GzipOutput* output_;
  std::vector<DataUnit> units_;
  std::vector<uint32_t> large_objects_;  // oids; the catalog's items create them
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rows_{0};
  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

// A session with the dump's settings and the decoders' text output settings; no transaction.
absl::StatusOr<std::unique_ptr<pg::Connection>> OpenSession(const std::string& conninfo) {
  PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(conninfo));
  PGARK_RETURN_IF_ERROR(catalog::PrepareDumpSession(*conn));
  PGARK_RETURN_IF_ERROR(conn->Execute(kTextOutputSettingsSql));
  return conn;
}

}  // namespace

absl::StatusOr<ExportResult> ExportDatabase(const ExportOptions& options,
                                            storage::ObjectWriter* writer) {
  if (options.jobs < 1 || options.jobs > 64) {
    return absl::InvalidArgumentError(absl::StrCat("--jobs ", options.jobs, " is not in 1-64"));
  }
  if (options.level < 1 || options.level > 12) {
    return absl::InvalidArgumentError(absl::StrCat("--level ", options.level, " is not in 1-12"));
  }
  absl::Time start = absl::Now();
  PGARK_ASSIGN_OR_RETURN(auto leader, OpenSession(options.conninfo));
  PGARK_ASSIGN_OR_RETURN(pg::ExportedSnapshot snapshot, pg::BeginExportedSnapshot(*leader));
  // As the dump does: every row readable before the catalog read locks anything, so a role
  // without SELECT (or behind row-level security) learns every object and the fix at once
  // (engine/dump/read_access.h), not "locking tables: permission denied" for the first one.
  PGARK_ASSIGN_OR_RETURN(ObjectSelection everything, SelectObjects(*leader, DumpOptions()));
  std::vector<uint32_t> readable = everything.lock_oids;
  readable.insert(readable.end(), everything.sequences.begin(), everything.sequences.end());
  PGARK_RETURN_IF_ERROR(CheckReadAccess(*leader, readable, everything.include_large_objects));
  catalog::ReadOptions read;
  read.large_object_metadata = true;
  PGARK_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::ReadCatalog(*leader, read));
  for (const std::string& warning : catalog.warnings) PGARK_LOG(kWarning) << warning;

  // The catalog's LARGE OBJECT items create them (with owner, comment and, in the ACL pass,
  // privileges) before the data; the data phase writes their contents.
  std::vector<uint32_t> large_objects;
  for (const CatalogItem& item : catalog.items) {
    if (item.kind == ObjectKind::kLargeObject) large_objects.push_back(item.large_object_oid);
  }

  GzipOutput output(writer);
  PGARK_ASSIGN_OR_RETURN(auto spool, GzipSpool::Create(options.level, options.spill_dir));
  // Connections are UTF8 (pg::Connection), so the script is too.
  const std::string restrict_key = NewRestrictKey();
  PGARK_RETURN_IF_ERROR(spool->Append(ScriptHeader("UTF8", restrict_key)));
  std::vector<DataUnit> units;
  ExportResult result;
  PGARK_RETURN_IF_ERROR(AppendPreData(catalog, options.no_owner, *spool));
  for (const CatalogItem& item : catalog.items) {
    if (item.kind == ObjectKind::kTableData && item.table.has_value()) {
      units.push_back({&item, item.table->relpages});
      ++result.tables;
    }
  }
  PGARK_RETURN_IF_ERROR(output.Commit(*spool));
  std::stable_sort(units.begin(), units.end(),
                   [](const DataUnit& a, const DataUnit& b) { return a.size > b.size; });
  if (!large_objects.empty()) units.insert(units.begin(), DataUnit{nullptr, 0});

  // Workers share the leader's snapshot.
  std::vector<std::unique_ptr<pg::Connection>> workers;
  int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(units.size())));
  for (int i = 0; i < jobs && !units.empty(); ++i) {
    PGARK_ASSIGN_OR_RETURN(auto conn, OpenSession(options.conninfo));
    PGARK_RETURN_IF_ERROR(pg::ImportSnapshot(*conn, snapshot.id));
    workers.push_back(std::move(conn));
  }
  DataPhase data(options, catalog, &output, std::move(units), large_objects);
  PGARK_RETURN_IF_ERROR(data.Run(workers));
  result.rows = data.rows();
  result.large_objects = static_cast<int>(large_objects.size());

  // Sequence values (read now: sequences are not transactional, so the values are at least
  // those the exported rows used) and the rest of the script.
  auto sequence_sql = [&](const CatalogItem& item) -> absl::StatusOr<std::string> {
    ++result.sequences;
    return catalog::ReadSequenceSetSql(*leader, item);
  };
  PGARK_RETURN_IF_ERROR(AppendAfterData(catalog, options.no_owner, options.no_acl, sequence_sql,
                                        "", *spool));
  PGARK_RETURN_IF_ERROR(spool->Append(ScriptFooter(restrict_key)));
  PGARK_RETURN_IF_ERROR(output.Commit(*spool));
  PGARK_RETURN_IF_ERROR(leader->Execute("COMMIT"));
  result.sql_bytes = output.raw_bytes();
  result.gzip_bytes = output.compressed_bytes();
  PGARK_RETURN_IF_ERROR(output.Close());
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

}  // namespace pgark::engine
