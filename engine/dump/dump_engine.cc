#include "engine/dump/dump_engine.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/catalog/catalog_reader.h"
#include "engine/catalog/globals.h"
#include "engine/dump/copy_chunker.h"
#include "engine/dump/data_plan.h"
#include "engine/pg/connection.h"
#include "engine/pg/snapshot.h"
#include "engine/dump/read_access.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::engine {

namespace {

constexpr char kLargeObjectsName[] = "large objects";
constexpr int kInvRead = 0x40000;  // INV_READ for lo_open()

struct WorkItem {
  uint32_t stream_id = 0;
  int table_index = -1;  // into DataPlan::tables; -1 for a large-object batch
  int part_index = 0;
  int lo_batch = -1;
  int64_t estimated_bytes = 0;
};

// Reads the oid and the bytea length of one (oid, offset, data) binary COPY row, skipping
// the file header the first message carries. False for the trailer.
bool ParseLargeObjectRow(absl::string_view message, uint32_t* oid, int32_t* length) {
  if (message.substr(0, 11) == kCopyBinaryHeader.substr(0, 11)) {
    if (message.size() < 19) return false;
    const auto* u = reinterpret_cast<const unsigned char*>(message.data() + 15);
    uint32_t ext = (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
    if (message.size() < 19 + static_cast<size_t>(ext)) return false;
    message.remove_prefix(19 + ext);
  }
  // int16 3 | int32 4 oid | int32 8 int8 | int32 len data
  if (message.size() < 2 + 8 + 12 + 4) return false;
  auto be32 = [&](size_t at) {
    const auto* u = reinterpret_cast<const unsigned char*>(message.data() + at);
    return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
  };
  *oid = be32(6);
  *length = static_cast<int32_t>(be32(22));
  return true;
}

class DumpRun {
 public:
  DumpRun(const DumpOptions& options, DumpProgress* progress, bool plan_only = false)
      : options_(options),
        plan_only_(plan_only),
        progress_(progress != nullptr ? progress : &own_progress_) {}

  absl::StatusOr<DumpResult> Run(const format::WriterOptions& writer_options,
                                 format::ByteSink* sink);
  // The leader's planning steps only; the transaction is rolled back.
  absl::StatusOr<DataPlan> PlanOnly() {
    PGARK_RETURN_IF_ERROR(ValidateOptions());
    PGARK_RETURN_IF_ERROR(PlanOnLeader());
    Unregister(leader_.get());
    return std::move(plan_);
  }

 private:
  absl::Status ValidateOptions() const;
  absl::Status OpenSession(pg::Connection& conn);
  absl::StatusOr<std::unique_ptr<pg::Connection>> Connect(const std::string& role);
  absl::Status PlanOnLeader();
  void BuildWorkItems();
  std::string PlanJson() const;
  absl::Status RunWorkers();
  absl::Status WorkerLoop(int worker_index);
  absl::Status CopyTablePart(pg::Connection& conn, const WorkItem& item);
  absl::Status CopyLargeObjects(pg::Connection& conn, const WorkItem& item);
  absl::Status CopyInto(pg::Connection& conn, const std::string& sql, CopyFormat format,
                        int fields, const std::string& name, format::StreamWriter& stream,
                        int64_t* rows, const std::function<void(absl::string_view)>& on_row = {});
  absl::Status AppendChunk(format::StreamWriter& stream, absl::string_view data);
  absl::Status ReadSequences(std::string* json);

  // Records the first error and stops everything else: sets stop_, cancels the query of
  // every registered connection. Later errors are consequences and are dropped.
  void Fail(absl::Status status);
  void Register(pg::Connection* conn);
  void Unregister(pg::Connection* conn);
  absl::Status FirstError();

  const DumpOptions& options_;
  bool plan_only_ = false;
  DumpProgress own_progress_;
  DumpProgress* progress_;

  std::unique_ptr<pg::Connection> leader_;
  std::string encoding_;
  pg::ExportedSnapshot snapshot_;
  ObjectSelection selection_;
  DataPlan plan_;
  std::optional<catalog::Catalog> catalog_;
  std::optional<catalog::Globals> globals_;  // --globals
  std::vector<WorkItem> items_;
  std::atomic<size_t> next_item_{0};
  std::unique_ptr<format::ArchiveWriter> writer_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rows_{0};
  std::atomic<int64_t> raw_bytes_{0};

  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::set<pg::Connection*> connections_ ABSL_GUARDED_BY(mu_);
};

void DumpRun::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (stop_.load()) return;
  if (status.code() == absl::StatusCode::kCancelled && !base::CancelRequested()) {
    // We cancel queries only after stop_ is set: this one was cancelled by someone else.
    status = absl::AbortedError(absl::StrCat(status.message(),
                                             " (cancelled by the server or an administrator)"));
  }
  first_error_ = std::move(status);
  stop_.store(true);
  for (pg::Connection* conn : connections_) conn->Cancel().IgnoreError();  // best effort
}

void DumpRun::Register(pg::Connection* conn) {
  absl::MutexLock lock(&mu_);
  connections_.insert(conn);
}

void DumpRun::Unregister(pg::Connection* conn) {
  absl::MutexLock lock(&mu_);
  connections_.erase(conn);
}

absl::Status DumpRun::FirstError() {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

absl::Status DumpRun::ValidateOptions() const {
  if (options_.jobs < 1 || options_.jobs > 256) {
    return absl::InvalidArgumentError(absl::StrCat("jobs must be 1..256, got ", options_.jobs));
  }
  if (options_.schema_only && options_.data_only) {
    return absl::InvalidArgumentError("--schema-only and --data-only cannot be used together");
  }
  if (options_.chunk_size < format::kMinChunkSize || options_.chunk_size > format::kMaxChunkSize) {
    return absl::InvalidArgumentError(absl::StrCat("chunk size must be ", format::kMinChunkSize,
                                                   "..", format::kMaxChunkSize, " bytes"));
  }
  if (options_.large_object_segment < 1024 ||
      static_cast<size_t>(options_.large_object_segment) > options_.chunk_size) {
    return absl::InvalidArgumentError("large object segment must be 1 KiB..chunk size");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<pg::Connection>> DumpRun::Connect(const std::string& role) {
  pg::ConnectOptions connect;
  connect.application_name = role.empty() ? options_.application_name
                                          : absl::StrCat(options_.application_name, " ", role);
  return pg::Connection::Open(options_.conninfo, connect);
}

absl::Status DumpRun::OpenSession(pg::Connection& conn) {
  PGARK_RETURN_IF_ERROR(catalog::PrepareDumpSession(conn));
  // Text in binary COPY output is converted to client_encoding: use the server's, so the
  // bytes are the stored ones and the restore sets the same (recorded in dump/plan.json).
  return conn.Execute(absl::StrCat("SET client_encoding = ", conn.QuoteLiteral(encoding_)));
}

absl::Status DumpRun::PlanOnLeader() {
  PGARK_ASSIGN_OR_RETURN(leader_, Connect(""));
  Register(leader_.get());
  if (leader_->server_version() < 120000) {
    return absl::FailedPreconditionError(absl::StrCat(
        "server version ", leader_->server_version(), " is not supported (PostgreSQL 12 or later)"));
  }
  PGARK_ASSIGN_OR_RETURN(pg::Result encoding, leader_->Query("SHOW server_encoding"));
  encoding_ = std::string(encoding.Get(0, 0));
  PGARK_RETURN_IF_ERROR(OpenSession(*leader_));
  PGARK_ASSIGN_OR_RETURN(snapshot_, pg::BeginExportedSnapshot(*leader_));
  PGARK_ASSIGN_OR_RETURN(selection_, SelectObjects(*leader_, options_));
  // Every row readable (no missing SELECT, no row-level security in the way) before locking:
  // LOCK TABLE already needs SELECT, and a COPY failing mid-dump names less than this does.
  std::vector<uint32_t> readable = selection_.lock_oids;
  readable.insert(readable.end(), selection_.sequences.begin(), selection_.sequences.end());
  PGARK_RETURN_IF_ERROR(CheckReadAccess(*leader_, readable, selection_.include_large_objects));
  // Lock before any pg_get_*def runs (the catalog reader) and before reading sizes.
  PGARK_RETURN_IF_ERROR(
      pg::LockTablesShared(*leader_, selection_.lock_names, options_.lock_wait_timeout,
                            options_.lock_wait_timeout_setting));
  PGARK_ASSIGN_OR_RETURN(std::vector<std::string> rewritten,
                         pg::FindRewrittenTables(*leader_, selection_.lock_oids));
  if (!rewritten.empty()) {
    return absl::AbortedError(absl::StrCat(
        "table ", absl::StrJoin(rewritten, ", "),
        " was rewritten or truncated after the dump snapshot was taken (TRUNCATE, ALTER TABLE, "
        "VACUUM FULL or CLUSTER raced the dump start); its rows would look empty or stale: run "
        "the dump again"));
  }
  if (!options_.data_only && !plan_only_) {
    catalog::ReadOptions read;
    read.include_schemas = options_.include_schemas;
    read.exclude_schemas = options_.exclude_schemas;
    read.include_tables = options_.include_tables;
    read.exclude_tables = options_.exclude_tables;
    read.schema_only = options_.schema_only;
    read.lock_tables = false;  // held already
    // LARGE OBJECT items (lo_create + owner + ACL + comment) for the large objects whose
    // contents the data streams carry: restore and the archive export create them from
    // the catalog and only write the streams' segments.
    read.large_object_metadata = selection_.include_large_objects;
    PGARK_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::ReadCatalog(*leader_, read));
    catalog_ = std::move(catalog);
  }
  if (options_.globals && !plan_only_) {
    catalog::GlobalsOptions globals_options;
    globals_options.role_passwords = options_.role_passwords;
    PGARK_ASSIGN_OR_RETURN(catalog::Globals globals, catalog::ReadGlobals(*leader_, globals_options));
    for (const std::string& warning : globals.warnings) PGARK_LOG(kWarning) << "globals: " << warning;
    globals_ = std::move(globals);
  }
  if (!options_.schema_only) {
    PGARK_ASSIGN_OR_RETURN(plan_, BuildDataPlan(*leader_, selection_, options_, snapshot_.in_recovery));
    for (const auto& skipped : plan_.skipped) PGARK_LOG(kWarning) << "skipping data of " << skipped;
  }
  return absl::OkStatus();
}

void DumpRun::BuildWorkItems() {
  uint32_t next_stream = 1;
  for (size_t table_idx = 0; table_idx < plan_.tables.size(); ++table_idx) {
    const TableData& table = plan_.tables[table_idx];
    for (size_t part = 0; part < table.parts.size(); ++part) {
      WorkItem item;
      item.stream_id = next_stream++;
      item.table_index = static_cast<int>(table_idx);
      item.part_index = static_cast<int>(part);
      item.estimated_bytes = table.parts[part].estimated_bytes;
      items_.push_back(item);
    }
    progress_->Register(table.qualified, table.bytes, static_cast<int>(table.parts.size()));
  }
  const size_t batches = plan_.large_object_batches.size();
  for (size_t batch = 0; batch < batches; ++batch) {
    WorkItem item;
    item.stream_id = next_stream++;
    item.lo_batch = static_cast<int>(batch);
    item.estimated_bytes = plan_.large_object_bytes / static_cast<int64_t>(batches);
    items_.push_back(item);
  }
  if (batches > 0) progress_->Register(kLargeObjectsName, plan_.large_object_bytes, static_cast<int>(batches));
  // Largest work first, so the longest COPY does not start last.
  std::stable_sort(items_.begin(), items_.end(), [](const WorkItem& a, const WorkItem& b) {
    return a.estimated_bytes > b.estimated_bytes;
  });
}

std::string DumpRun::PlanJson() const {
  std::map<uint32_t, std::string> catalog_ids;  // table oid -> TABLE DATA item id
  if (catalog_) {
    for (const auto& item : catalog_->items) {
      if (item.kind == catalog::ObjectKind::kTableData && item.table) catalog_ids[item.table->oid] = item.id;
    }
  }
  std::map<int, std::vector<uint32_t>> table_streams;
  nlohmann::json lo_streams = nlohmann::json::array();
  std::vector<WorkItem> by_id = items_;
  std::sort(by_id.begin(), by_id.end(),
            [](const WorkItem& a, const WorkItem& b) { return a.stream_id < b.stream_id; });
  for (const auto& item : by_id) {
    if (item.table_index >= 0) {
      table_streams[item.table_index].push_back(item.stream_id);
    } else {
      const auto& oids = plan_.large_object_batches[item.lo_batch];
      lo_streams.push_back({{"stream_id", item.stream_id},
                            {"count", oids.size()},
                            {"first_oid", oids.front()},
                            {"last_oid", oids.back()}});
    }
  }
  nlohmann::json tables = nlohmann::json::array();
  for (size_t table_idx = 0; table_idx < plan_.tables.size(); ++table_idx) {
    nlohmann::json table = TableToJson(plan_.tables[table_idx]);
    table["streams"] = table_streams[static_cast<int>(table_idx)];
    auto id = catalog_ids.find(plan_.tables[table_idx].oid);
    if (id != catalog_ids.end()) table["catalog_id"] = id->second;
    tables.push_back(std::move(table));
  }
  nlohmann::json sequences = nlohmann::json::array();
  for (const auto& sequence : plan_.sequences) {
    sequences.push_back({{"schema", sequence.schema}, {"name", sequence.name}});
  }
  nlohmann::json plan = {
      {"version", 1},
      {"server_version", plan_.server_version},
      {"server_encoding", encoding_},
      {"client_encoding", encoding_},
      {"snapshot", snapshot_.id},
      {"from_standby", snapshot_.in_recovery},
      {"data_only", options_.data_only},
      {"schema_only", options_.schema_only},
      {"chunk_size", options_.chunk_size},
      // Binary streams hold tuples only: a loader sends the 19-byte PGCOPY header, the
      // chunks of a stream (or any run of them) and the int16 -1 trailer.
      {"binary_chunks", "tuples-only"},
      {"tables", std::move(tables)},
      {"large_objects",
       {{"segment_size", options_.large_object_segment},
        {"format", "binary"},
        {"columns", {"oid oid", "offset bigint", "data bytea"}},
        {"streams", std::move(lo_streams)}}},
      {"sequences", std::move(sequences)},
      {"matviews_to_refresh", plan_.matviews_to_refresh},
      {"skipped", plan_.skipped},
      {"estimated_bytes", plan_.total_estimated_bytes}};
  return plan.dump();
}

absl::Status DumpRun::AppendChunk(format::StreamWriter& stream, absl::string_view data) {
  // A tuple larger than chunk_size arrives as one oversized chunk: the format takes it as
  // pieces flagged as ending mid-row.
  const size_t max = options_.chunk_size;
  while (data.size() > max) {
    PGARK_RETURN_IF_ERROR(stream.Append(data.substr(0, max), /*ends_mid_row=*/true));
    data.remove_prefix(max);
  }
  if (data.empty()) return absl::OkStatus();
  return stream.Append(data);
}

absl::Status DumpRun::CopyInto(pg::Connection& conn, const std::string& sql, CopyFormat format,
                               int fields, const std::string& name, format::StreamWriter& stream,
                               int64_t* rows,
                               const std::function<void(absl::string_view)>& on_row) {
  CopyChunker chunker(format, options_.chunk_size, fields, name, [&](CopyChunk& chunk) -> absl::Status {
    PGARK_RETURN_IF_ERROR(AppendChunk(stream, chunk.data));
    rows_ += chunk.rows;
    raw_bytes_ += static_cast<int64_t>(chunk.data.size());
    progress_->AddChunk(name, chunk.rows, static_cast<int64_t>(chunk.data.size()));
    progress_->SetStoredBytes(static_cast<int64_t>(writer_->bytes_written()));
    return absl::OkStatus();
  });
  PGARK_RETURN_IF_ERROR(conn.StartCopyOut(sql));
  absl::string_view message;  // libpq's buffer: no copy before the chunker's
  while (true) {
    if (stop_.load(std::memory_order_relaxed)) return absl::CancelledError("dump stopped");
    PGARK_ASSIGN_OR_RETURN(bool more, conn.ReadCopyRow(&message));
    if (!more) break;
    if (on_row) on_row(message);
    PGARK_RETURN_IF_ERROR(chunker.Add(message));
  }
  PGARK_RETURN_IF_ERROR(chunker.Finish());
  *rows += chunker.rows();
  return absl::OkStatus();
}

absl::Status DumpRun::CopyTablePart(pg::Connection& conn, const WorkItem& item) {
  const TableData& table = plan_.tables[item.table_index];
  const TablePart& part = table.parts[item.part_index];
  PGARK_ASSIGN_OR_RETURN(auto stream, writer_->OpenStream(item.stream_id));
  int64_t rows = 0;
  PGARK_RETURN_IF_ERROR(CopyInto(conn, CopyOutSql(table, part), table.format,
                                 static_cast<int>(table.columns.size()), table.qualified, *stream,
                                 &rows));
  PGARK_RETURN_IF_ERROR(stream->Finish(static_cast<uint64_t>(rows)));
  progress_->StreamDone(table.qualified);
  return absl::OkStatus();
}

absl::Status DumpRun::CopyLargeObjects(pg::Connection& conn, const WorkItem& item) {
  const auto& oids = plan_.large_object_batches[item.lo_batch];
  const int64_t segment = options_.large_object_segment;
  PGARK_ASSIGN_OR_RETURN(auto stream, writer_->OpenStream(item.stream_id));
  int64_t rows = 0;
  // First segment of every object in one COPY; objects that filled it continue below.
  std::vector<uint32_t> longer;
  std::string first = absl::StrCat(
      "COPY (SELECT m.oid, 0::pg_catalog.int8, pg_catalog.lo_get(m.oid, 0, ", segment,
      ") FROM pg_catalog.pg_largeobject_metadata m WHERE m.oid OPERATOR(pg_catalog.=) ANY('",
      pg::OidArrayLiteral(oids), "'::pg_catalog.oid[]) ORDER BY m.oid) TO STDOUT (FORMAT binary)");
  PGARK_RETURN_IF_ERROR(CopyInto(conn, first, CopyFormat::kBinary, 3, kLargeObjectsName, *stream,
                                 &rows, [&](absl::string_view message) {
                                   uint32_t oid = 0;
                                   int32_t length = 0;
                                   if (ParseLargeObjectRow(message, &oid, &length) && length == segment) {
                                     longer.push_back(oid);
                                   }
                                 }));
  for (uint32_t oid : longer) {
    // lo_open reads as of the transaction snapshot; close it right away.
    PGARK_ASSIGN_OR_RETURN(
        pg::Result size,
        conn.Query(absl::StrCat("SELECT pg_catalog.lo_lseek64(fd, 0, 2), pg_catalog.lo_close(fd) "
                                "FROM (SELECT pg_catalog.lo_open(", oid, "::pg_catalog.oid, ", kInvRead,
                                ") AS fd OFFSET 0) s")));
    PGARK_ASSIGN_OR_RETURN(int64_t bytes, size.GetInt64(0, 0));
    if (bytes <= segment) continue;
    std::string rest = absl::StrCat(
        "COPY (SELECT ", oid, "::pg_catalog.oid, g.off, pg_catalog.lo_get(", oid,
        "::pg_catalog.oid, g.off, ", segment, ") FROM pg_catalog.generate_series(", segment,
        "::pg_catalog.int8, ", bytes - 1, ", ", segment, ") AS g(off) ORDER BY g.off) TO STDOUT (FORMAT binary)");
    PGARK_RETURN_IF_ERROR(CopyInto(conn, rest, CopyFormat::kBinary, 3, kLargeObjectsName, *stream, &rows));
  }
  PGARK_RETURN_IF_ERROR(stream->Finish(static_cast<uint64_t>(rows)));
  progress_->StreamDone(kLargeObjectsName);
  return absl::OkStatus();
}

absl::Status DumpRun::WorkerLoop(int worker_index) {
  PGARK_ASSIGN_OR_RETURN(auto conn, Connect(absl::StrCat("worker ", worker_index + 1)));
  Register(conn.get());
  absl::Cleanup unregister = [&] { Unregister(conn.get()); };
  if (stop_.load()) return absl::CancelledError("dump stopped");
  PGARK_RETURN_IF_ERROR(OpenSession(*conn));
  PGARK_RETURN_IF_ERROR(pg::ImportSnapshot(*conn, snapshot_.id));
  std::set<int> locked;
  while (!stop_.load()) {
    size_t index = next_item_.fetch_add(1);
    if (index >= items_.size()) break;
    const WorkItem& item = items_[index];
    if (item.table_index < 0) {
      PGARK_RETURN_IF_ERROR(base::Annotate(CopyLargeObjects(*conn, item), "dumping large objects"));
      continue;
    }
    const TableData& table = plan_.tables[item.table_index];
    if (locked.insert(item.table_index).second) {
      PGARK_RETURN_IF_ERROR(pg::LockTableNoWait(*conn, table.qualified));
    }
    std::string what = absl::StrCat("dumping table ", table.qualified);
    if (table.parts.size() > 1) absl::StrAppend(&what, " part ", item.part_index + 1, "/", table.parts.size());
    PGARK_RETURN_IF_ERROR(base::Annotate(CopyTablePart(*conn, item), what));
  }
  if (stop_.load()) return absl::CancelledError("dump stopped");
  return conn->Execute("COMMIT");
}

absl::Status DumpRun::RunWorkers() {
  const int workers = std::min<int>(options_.jobs, static_cast<int>(items_.size()));
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (int worker = 0; worker < workers; ++worker) {
    threads.emplace_back([this, worker] {
      absl::Status status = WorkerLoop(worker);
      if (!status.ok()) Fail(std::move(status));
    });
  }
  for (auto& thread : threads) thread.join();
  return FirstError();
}

absl::Status DumpRun::ReadSequences(std::string* json) {
  nlohmann::json values = nlohmann::json::array();
  constexpr size_t kBatch = 200;
  for (size_t begin = 0; begin < plan_.sequences.size(); begin += kBatch) {
    size_t end = std::min(plan_.sequences.size(), begin + kBatch);
    std::vector<std::string> selects;
    for (size_t i = begin; i < end; ++i) {
      selects.push_back(absl::StrCat("SELECT ", i, ", last_value, is_called FROM ", plan_.sequences[i].qualified));
    }
    PGARK_ASSIGN_OR_RETURN(pg::Result result,
                           leader_->Query(absl::StrCat(absl::StrJoin(selects, " UNION ALL "), " ORDER BY 1")));
    for (int row = 0; row < result.rows(); ++row) {
      const SequenceInfo& sequence = plan_.sequences[begin + static_cast<size_t>(row)];
      PGARK_ASSIGN_OR_RETURN(int64_t last_value, result.GetInt64(row, 1));
      values.push_back({{"schema", sequence.schema},
                        {"name", sequence.name},
                        {"last_value", last_value},
                        {"is_called", result.GetBool(row, 2)}});
    }
  }
  *json = values.dump();
  return absl::OkStatus();
}

absl::StatusOr<DumpResult> DumpRun::Run(const format::WriterOptions& writer_options,
                                        format::ByteSink* sink) {
  PGARK_RETURN_IF_ERROR(ValidateOptions());
  const absl::Time start = absl::Now();
  // Turns a cancel request (SIGINT) into cancelled queries on every connection.
  base::CancelWatcher watcher([this] { Fail(absl::CancelledError("interrupted")); });
  auto finish = [&](absl::Status status) -> absl::Status {
    if (status.ok()) return status;
    if (base::CancelRequested()) return absl::CancelledError("dump interrupted");
    absl::Status first = FirstError();
    return first.ok() ? status : first;
  };

  PGARK_RETURN_IF_ERROR(finish(PlanOnLeader()));
  BuildWorkItems();
  format::WriterOptions options = writer_options;
  options.chunk_size = static_cast<uint32_t>(options_.chunk_size);
  PGARK_ASSIGN_OR_RETURN(writer_, format::ArchiveWriter::Create(sink, options));
  if (catalog_) {
    PGARK_RETURN_IF_ERROR(writer_->AddMetadata("catalog.json", catalog::CatalogToJson(*catalog_)));
  }
  if (globals_) PGARK_RETURN_IF_ERROR(writer_->AddMetadata("globals.json", catalog::GlobalsToJson(*globals_)));
  PGARK_RETURN_IF_ERROR(writer_->AddMetadata("dump/plan.json", PlanJson()));
  progress_->Start(plan_.total_estimated_bytes, static_cast<int>(items_.size()));

  PGARK_RETURN_IF_ERROR(finish(RunWorkers()));
  if (!options_.schema_only) {
    // Sequence state is not MVCC: read it after the data, so it is >= every value the
    // dumped rows used (catalog-reference d'.1).
    std::string sequences;
    PGARK_RETURN_IF_ERROR(finish(ReadSequences(&sequences)));
    PGARK_RETURN_IF_ERROR(writer_->AddMetadata("dump/sequences.json", sequences));
  }
  PGARK_RETURN_IF_ERROR(finish(leader_->Execute("COMMIT")));
  PGARK_RETURN_IF_ERROR(finish(base::CheckCancelled()));
  Unregister(leader_.get());

  DumpResult result;
  PGARK_ASSIGN_OR_RETURN(result.archive, writer_->Finish());
  progress_->SetStoredBytes(static_cast<int64_t>(result.archive.archive_bytes));
  result.tables = static_cast<int>(plan_.tables.size());
  for (const auto& table : plan_.tables) {
    if (table.format == CopyFormat::kText) ++result.text_tables;
    if (table.parts.size() > 1) ++result.split_tables;
  }
  result.streams = static_cast<int>(items_.size());
  result.sequences = static_cast<int>(plan_.sequences.size());
  for (const auto& batch : plan_.large_object_batches) result.large_objects += static_cast<int>(batch.size());
  result.rows = rows_.load();
  result.raw_bytes = raw_bytes_.load();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.snapshot_id = snapshot_.id;
  return result;
}

}  // namespace

absl::StatusOr<DumpResult> RunDump(const DumpOptions& options,
                                   const format::WriterOptions& writer_options,
                                   format::ByteSink* sink, DumpProgress* progress) {
  DumpRun run(options, progress);
  return run.Run(writer_options, sink);
}

absl::StatusOr<DataPlan> PlanDump(const DumpOptions& options) {
  DumpOptions data = options;
  data.schema_only = false;
  DumpRun run(data, nullptr, /*plan_only=*/true);
  return run.PlanOnly();
}

}  // namespace pgark::engine
