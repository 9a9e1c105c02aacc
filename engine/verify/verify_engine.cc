#include "engine/verify/verify_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "engine/pg/connection.h"
#include "engine/restore/archive_contents.h"
#include "engine/restore/restore_engine.h"
#include "engine/restore/row_counts.h"
#include "engine/verify/copy_tuples.h"
#include "format/archive_reader.h"
#include "format/base/cancellation.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::engine {
namespace {

using restore::ArchiveContents;
using restore::StreamDescriptor;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Per-table accumulation, keyed by the table's display name.
class Tally {
 public:
  explicit Tally(const ArchiveContents& contents) : contents_(contents) {}

  void Add(uint32_t stream_id, int64_t rows, const format::StreamInfo& totals) {
    absl::MutexLock lock(&mu_);
    auto it = contents_.streams.find(stream_id);
    std::string name = "unlisted streams";
    bool binary = true;
    if (it != contents_.streams.end()) {
      binary = it->second.binary;
      name = it->second.kind == StreamDescriptor::Kind::kLargeObjects
                 ? "large objects"
                 : contents_.tables[it->second.table_index].Display();
    }
    VerifiedTable& table = tables_[name];
    table.name = name;
    table.binary = binary;
    ++table.streams;
    table.rows += rows;
    table.raw_bytes += totals.raw_bytes;
    table.stored_bytes += totals.stored_bytes;
  }

  std::vector<VerifiedTable> Tables() {
    absl::MutexLock lock(&mu_);
    std::vector<VerifiedTable> out;
    for (auto& [name, table] : tables_) out.push_back(table);
    return out;
  }

 private:
  const ArchiveContents& contents_;
  absl::Mutex mu_;
  std::map<std::string, VerifiedTable> tables_ ABSL_GUARDED_BY(mu_);
};

verify::CopyTupleCounter CounterFor(const ArchiveContents& contents, uint32_t stream_id) {
  auto it = contents.streams.find(stream_id);
  std::string what = contents.DescribeStream(stream_id);
  if (it == contents.streams.end()) return verify::CopyTupleCounter(true, -2, what);
  return verify::CopyTupleCounter(it->second.binary, it->second.columns, what);
}

absl::Status CheckRows(const ArchiveContents& contents, uint32_t stream_id, int64_t parsed,
                       uint64_t recorded) {
  if (static_cast<uint64_t>(parsed) == recorded) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(contents.DescribeStream(stream_id), ": ", parsed,
                                          " tuples parsed but the index records ", recorded, " rows"));
}

absl::Status VerifyStreamRandom(format::ArchiveReader& reader, const ArchiveContents& contents,
                                const format::StreamInfo& info, bool parse, Tally& tally) {
  PGARK_ASSIGN_OR_RETURN(auto chunks, reader.OpenStream(info.stream_id));
  verify::CopyTupleCounter counter = CounterFor(contents, info.stream_id);
  const bool known = contents.streams.count(info.stream_id) > 0;
  format::Chunk chunk;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, chunks->Next(&chunk));
    if (!more) break;
    if (parse && known) PGARK_RETURN_IF_ERROR(counter.Feed(chunk.data));
  }
  int64_t rows = static_cast<int64_t>(info.rows);
  if (parse && known) {
    PGARK_RETURN_IF_ERROR(counter.Finish());
    PGARK_RETURN_IF_ERROR(CheckRows(contents, info.stream_id, counter.rows(), info.rows));
    rows = counter.rows();
  }
  tally.Add(info.stream_id, rows, info);
  return absl::OkStatus();
}

absl::Status VerifyRandom(const VerifyOptions& options, OpenedArchive& archive, int jobs,
                          VerifyReport* report) {
  // The header first (no key needed), so a report refused for its key still says which
  // archive it is and that it is encrypted.
  PGARK_ASSIGN_OR_RETURN(format::HeaderInfo header, format::ReadHeaderInfo(archive.source.get()));
  report->header_read = true;
  report->archive_id = header.archive_id_hex;
  report->encrypted = header.encrypted;
  format::ReaderOptions reader_options;
  reader_options.keys = options.keys;
  PGARK_ASSIGN_OR_RETURN(auto reader, format::ArchiveReader::Open(archive.source.get(), reader_options));
  report->opened = true;
  const format::ArchiveInfo& info = reader->info();
  report->archive_bytes = info.archive_size;
  report->frames = info.frame_count;
  report->raw_bytes = info.raw_bytes;
  report->streams = static_cast<int>(info.streams.size());
  std::map<std::string, std::string> records;
  for (const auto& meta : info.metadata) {
    PGARK_ASSIGN_OR_RETURN(records[meta.name], reader->ReadMetadata(meta.name));
    ++report->metadata_records;
  }
  ArchiveContents contents;
  auto plan = records.find(std::string(restore::kPlanRecord));
  if (plan != records.end()) PGARK_RETURN_IF_ERROR(restore::ParsePlanJson(plan->second, &contents));
  auto catalog = records.find(std::string(restore::kCatalogRecord));
  if (catalog != records.end()) PGARK_RETURN_IF_ERROR(catalog::CatalogFromJson(catalog->second).status());
  reader->set_describe_stream([&contents](uint32_t id) { return contents.DescribeStream(id); });

  Tally tally(contents);
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first;
  auto worker = [&] {
    while (true) {
      {
        absl::MutexLock lock(&mu);
        if (!first.ok()) return;
      }
      size_t index = next.fetch_add(1);
      if (index >= info.streams.size()) return;
      absl::Status status = VerifyStreamRandom(*reader, contents, info.streams[index], options.parse_tuples, tally);
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first.ok()) first = status;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, jobs); ++i) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  report->tables = tally.Tables();
  return first;
}

absl::Status VerifyPipe(const VerifyOptions& options, OpenedArchive& archive, VerifyReport* report) {
  format::ReaderOptions reader_options;
  reader_options.keys = options.keys;
  PGARK_ASSIGN_OR_RETURN(auto scanner, format::ArchiveScanner::Open(archive.source.get(), reader_options));
  report->header_read = true;
  report->opened = true;
  report->archive_id = scanner->header().archive_id_hex;
  report->encrypted = scanner->header().encrypted;
  ArchiveContents contents;
  scanner->set_describe_stream([&contents](uint32_t id) { return contents.DescribeStream(id); });
  Tally tally(contents);
  std::map<uint32_t, verify::CopyTupleCounter> counters;
  format::ScanItem item;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, scanner->Next(&item));
    if (!more) break;
    switch (item.kind) {
      case format::ScanItem::Kind::kMetadata:
        ++report->metadata_records;
        if (item.name == restore::kPlanRecord) PGARK_RETURN_IF_ERROR(restore::ParsePlanJson(item.body, &contents));
        if (item.name == restore::kCatalogRecord) {
          PGARK_RETURN_IF_ERROR(catalog::CatalogFromJson(item.body).status());
        }
        break;
      case format::ScanItem::Kind::kChunk: {
        const uint32_t id = item.chunk.stream_id;
        auto it = counters.find(id);
        if (it == counters.end()) it = counters.emplace(id, CounterFor(contents, id)).first;
        if (options.parse_tuples && contents.streams.count(id)) PGARK_RETURN_IF_ERROR(it->second.Feed(item.chunk.data));
        break;
      }
      case format::ScanItem::Kind::kStreamEnd: {
        const uint32_t id = item.stream.stream_id;
        int64_t rows = static_cast<int64_t>(item.stream.rows);
        auto it = counters.find(id);
        if (options.parse_tuples && contents.streams.count(id)) {
          verify::CopyTupleCounter empty = CounterFor(contents, id);
          verify::CopyTupleCounter& counter = it == counters.end() ? empty : it->second;
          PGARK_RETURN_IF_ERROR(counter.Finish());
          PGARK_RETURN_IF_ERROR(CheckRows(contents, id, counter.rows(), item.stream.rows));
          rows = counter.rows();
        }
        if (it != counters.end()) counters.erase(it);
        tally.Add(id, rows, item.stream);
        break;
      }
    }
  }
  const format::ArchiveInfo& info = scanner->info();
  report->archive_bytes = info.archive_size;
  report->frames = info.frame_count;
  report->raw_bytes = info.raw_bytes;
  report->streams = static_cast<int>(info.streams.size());
  report->tables = tally.Tables();
  return absl::OkStatus();
}

// Fills the report's outcome from `status` and returns it.
absl::Status Conclude(absl::Status status, std::chrono::steady_clock::time_point start, VerifyReport* report) {
  report->seconds = SecondsSince(start);
  report->ok = status.ok();
  report->error = std::string(status.message());
  report->verdict = VerdictFor(status);
  // A refusal by the server (a restore test's role without CREATEDB: it carries a SQLSTATE)
  // is not about the key.
  if (report->verdict == VerifyVerdict::kNotVerified && !base::GetPayload(status, base::kSqlStatePayload).empty()) {
    report->verdict = VerifyVerdict::kFailed;
  }
  return status;
}

// The verdict as the report's last line says it and as --json's "verdict" does.
struct VerdictNames {
  const char* text;
  const char* json;
};
VerdictNames NamesOf(VerifyVerdict verdict) {
  switch (verdict) {
    case VerifyVerdict::kIntact:
      return {"OK", "intact"};
    case VerifyVerdict::kDamaged:
      return {"DAMAGED", "damaged"};
    case VerifyVerdict::kNotVerified:
      return {"NOT VERIFIED", "not_verified"};
    case VerifyVerdict::kFailed:
      break;
  }
  return {"FAILED", "failed"};
}

}  // namespace

VerifyVerdict VerdictFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return VerifyVerdict::kIntact;
    case absl::StatusCode::kDataLoss:
      return VerifyVerdict::kDamaged;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return VerifyVerdict::kNotVerified;
    default:
      return VerifyVerdict::kFailed;
  }
}

absl::Status RunVerify(const VerifyOptions& options, OpenedArchive& archive, int jobs, VerifyReport* report) {
  const auto start = std::chrono::steady_clock::now();
  report->archive = archive.display_name;
  absl::Status status = archive.random_access ? VerifyRandom(options, archive, jobs, report)
                                              : VerifyPipe(options, archive, report);
  return Conclude(std::move(status), start, report);
}

absl::Status RunRestoreTest(const VerifyOptions& options, OpenedArchive& archive,
                            const std::string& conninfo, int jobs, VerifyReport* report) {
  const auto start = std::chrono::steady_clock::now();
  report->archive = archive.display_name;
  report->restore_test = true;
  auto finish = [&](absl::Status status) { return Conclude(std::move(status), start, report); };
  std::random_device random;
  const std::string scratch = absl::StrFormat("pgark_verify_%08x%08x", random(), random());
  auto opened = pg::Connection::Open(conninfo);
  if (!opened.ok()) return finish(opened.status());
  std::unique_ptr<pg::Connection> maintenance = std::move(*opened);
  absl::Status created = maintenance->Execute(
      absl::StrCat("CREATE DATABASE ", maintenance->QuoteIdentifier(scratch), " TEMPLATE template0"));
  if (!created.ok()) {
    return finish(base::Annotate(created, "restore test: creating a scratch database (the role needs CREATEDB)"));
  }
  report->scratch_database = scratch;
  PGARK_LOG(kInfo) << "verify: restore test in the scratch database '" << scratch << "'";
  // A second interrupt waits for the drop below; only a third one leaves the database.
  base::CleanupGuard guard(absl::StrCat("dropping the scratch database ", scratch),
                           absl::StrCat("the scratch database ", scratch, "; DROP DATABASE ", scratch, " removes it"));
  absl::Status status = [&]() -> absl::Status {
    RestoreOptions restore;
    restore.conninfo = conninfo;
    restore.target_database = report->scratch_database;
    restore.jobs = jobs;
    restore.keys = options.keys;
    restore.no_owner = true;  // the scratch database's owner runs the test
    restore.application_name = "pgark verify";
    const auto restore_start = std::chrono::steady_clock::now();
    PGARK_ASSIGN_OR_RETURN(RestoreResult result, RunRestore(restore, archive));
    report->restore_seconds = SecondsSince(restore_start);
    if (base::CancelRequested()) return absl::CancelledError("restore test interrupted after the restore");
    report->header_read = true;
    report->opened = true;
    report->archive_id = result.archive_id;
    report->encrypted = result.encrypted;
    // Every table's rows as found in the scratch database against the archive's index
    // (row_counts.h: partitions loaded through their root are compared as a group).
    pg::ConnectOptions connect;
    connect.dbname = report->scratch_database;
    PGARK_ASSIGN_OR_RETURN(auto scratch, pg::Connection::Open(conninfo, connect));
    absl::StatusOr<std::vector<int64_t>> counted = CountRestoredRows(*scratch, result.loaded_tables);
    // The count the interrupt cancelled (row_counts.h) is the interrupt, as --replace reports it.
    if (base::StoppedByCancel(counted.status())) {
      return absl::CancelledError(absl::StrCat("restore test interrupted while counting the restored rows (",
                                               counted.status().message(), ")"));
    }
    PGARK_ASSIGN_OR_RETURN(std::vector<int64_t> counts, std::move(counted));
    for (size_t i = 0; i < counts.size(); ++i) {
      const LoadedTable& table = result.loaded_tables[i];
      VerifiedTable verified;
      verified.name = absl::StrCat(table.schema, ".", table.name);
      verified.load_root = table.load_root;
      verified.streams = table.streams;
      verified.binary = table.binary;
      verified.rows = table.archive_rows;
      verified.restored_rows = counts[i];
      report->tables.push_back(std::move(verified));
    }
    return base::Annotate(CompareRestoredRows(result.loaded_tables, counts), "restore test");
  }();
  // Always drop the scratch database, also after a failure.
  absl::Status dropped = maintenance->DropDatabase(report->scratch_database, true);
  report->scratch_dropped = dropped.ok();
  if (status.ok()) {
    status = dropped;
  } else {
    status = base::WithMessage(
        status, absl::StrCat(status.message(), "; the scratch database ", scratch,
                             dropped.ok() ? " was dropped"
                                          : absl::StrCat(" was NOT dropped (", dropped.message(), "): drop it by hand")));
  }
  return finish(status);
}

std::string VerifyReport::ToText() const {
  // Without a file header there is no id or encryption to report: the last line says why
  // (e.g. "not a pgark archive").
  std::string out = header_read ? absl::StrFormat("archive %s (id %s, %s)\n", archive, archive_id,
                                                  encrypted ? "encrypted" : "not encrypted")
                                : absl::StrFormat("archive %s\n", archive);
  if (restore_test) {
    // The restore checked every frame while loading; what this report adds is the rows found.
    if (opened) {
      absl::StrAppendFormat(&out, "%-44s %8s %14s %14s\n", "table", "streams", "archive rows", "restored rows");
      for (const VerifiedTable& table : tables) {
        std::string name = table.name;
        if (!table.load_root.empty()) absl::StrAppend(&name, " (via ", table.load_root, ")");
        absl::StrAppendFormat(&out, "%-44s %8d %14d %14d\n", name, table.streams, table.rows, table.restored_rows);
      }
    }
    if (!scratch_database.empty()) {
      absl::StrAppendFormat(&out, "restore test into scratch database %s: restore %.2f s, %.2f s in all (%s)\n",
                            scratch_database, restore_seconds, seconds,
                            scratch_dropped ? "dropped" : "NOT dropped: drop it by hand");
    }
  } else if (opened) {
    absl::StrAppendFormat(&out, "%-44s %8s %14s %14s %14s\n", "table", "streams", "rows", "raw bytes",
                          "stored bytes");
    for (const VerifiedTable& table : tables) {
      absl::StrAppendFormat(&out, "%-44s %8d %14d %14d %14d\n", table.name, table.streams, table.rows,
                            table.raw_bytes, table.stored_bytes);
    }
    absl::StrAppendFormat(&out, "%d streams, %d metadata records, %d frames, %d archive bytes, %d raw bytes\n",
                          streams, metadata_records, frames, archive_bytes, raw_bytes);
    if (seconds > 0) {
      absl::StrAppendFormat(&out, "checked in %.2f s (%.1f MB/s of archive)\n", seconds,
                            static_cast<double>(archive_bytes) / 1e6 / seconds);
    }
  }
  absl::StrAppend(&out, ok ? "OK: the archive is intact\n" : absl::StrCat(NamesOf(verdict).text, ": ", error, "\n"));
  return out;
}

std::string VerifyReport::ToJson() const {
  nlohmann::json out = {{"archive", archive}, {"archive_bytes", archive_bytes}, {"raw_bytes", raw_bytes},
                        {"frames", frames}, {"metadata_records", metadata_records}, {"streams", streams},
                        {"seconds", seconds}, {"ok", ok}, {"verdict", NamesOf(verdict).json},
                        {"damaged", verdict == VerifyVerdict::kDamaged}};
  // Only what the file header said: nothing for a file that is not a pgark archive.
  if (header_read) {
    out["archive_id"] = archive_id;
    out["encrypted"] = encrypted;
  }
  if (!error.empty()) out["error"] = error;
  if (restore_test) {
    out["restore_test"] = {{"scratch_database", scratch_database}, {"restore_seconds", restore_seconds},
                           {"scratch_dropped", scratch_dropped}};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const VerifiedTable& table : tables) {
    nlohmann::json entry = {{"name", table.name}, {"streams", table.streams}, {"rows", table.rows},
                            {"raw_bytes", table.raw_bytes}, {"stored_bytes", table.stored_bytes},
                            {"format", table.binary ? "binary" : "text"}};
    if (table.restored_rows >= 0) entry["restored_rows"] = table.restored_rows;
    if (!table.load_root.empty()) entry["load_root"] = table.load_root;
    list.push_back(std::move(entry));
  }
  out["tables"] = std::move(list);
  return out.dump(2) + "\n";
}

}  // namespace pgark::engine
