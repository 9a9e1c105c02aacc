#pragma once
// Test-only minimal loader for dump archives (until the restore engine exists): reads an
// archive with the format reader and loads every table stream with its own COPY FROM, the
// large objects and the sequence values into a database whose schema already exists.
// Also per-table digests computed by SQL, to compare source and target.

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/dump/copy_chunker.h"
#include "engine/export/archive_exporter.h"
#include "engine/pg/connection.h"
#include "engine/restore/type_oid_patcher.h"
#include "format/archive_reader.h"
#include "format/base/status_macros.h"
#include "format/byte_io.h"
#include "nlohmann/json.hpp"

namespace pgark::testing {

struct LoadStats {
  int copies = 0;          // COPY FROM statements run (one per stream)
  int64_t rows = 0;
  int large_objects = 0;
  int sequences = 0;
};

// Streams one archive stream into an open COPY FROM, checking its row count.
// `patcher` (binary streams into a 12/13 target) rewrites the embedded type OIDs.
inline absl::Status LoadStream(format::ArchiveReader& reader, uint32_t stream_id, bool binary,
                               const std::string& copy_sql, pg::Connection& target,
                               LoadStats* stats, engine::restore::TypeOidPatcher* patcher = nullptr) {
  PGARK_RETURN_IF_ERROR(target.StartCopyIn(copy_sql));
  if (binary) PGARK_RETURN_IF_ERROR(target.PutCopyData(engine::kCopyBinaryHeader));
  PGARK_ASSIGN_OR_RETURN(auto chunks, reader.OpenStream(stream_id));
  format::Chunk chunk;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, chunks->Next(&chunk));
    if (!more) break;
    if (patcher != nullptr) PGARK_RETURN_IF_ERROR(patcher->Patch(&chunk.data));
    PGARK_RETURN_IF_ERROR(target.PutCopyData(chunk.data));
  }
  if (patcher != nullptr) PGARK_RETURN_IF_ERROR(patcher->Finish());
  if (binary) PGARK_RETURN_IF_ERROR(target.PutCopyData(engine::kCopyBinaryTrailer));
  PGARK_ASSIGN_OR_RETURN(int64_t rows, target.EndCopyIn());
  for (const auto& info : reader.info().streams) {
    if (info.stream_id == stream_id && static_cast<int64_t>(info.rows) != rows) {
      return absl::DataLossError(absl::StrCat("stream ", stream_id, ": index says ", info.rows,
                                              " rows, COPY loaded ", rows));
    }
  }
  ++stats->copies;
  stats->rows += rows;
  return absl::OkStatus();
}

// Runs the catalog items of `section` (create_sql and comment_sql; owners and ACLs are
// skipped: the test databases have one role). Post-data items of the POST_ACL pass
// (matview refreshes, event triggers) run after the others, as a restore must.
inline absl::Status ReplaySection(const catalog::Catalog& catalog, catalog::Section section,
                                  pg::Connection& target) {
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& item : catalog.items) {
      if (item.section != section) continue;
      if ((item.pass == catalog::RestorePass::kPostAcl) != (pass == 1)) continue;
      std::string sql = item.create_sql + item.comment_sql;
      if (sql.empty()) continue;
      absl::Status status = target.Execute(sql);
      if (!status.ok()) {
        return absl::Status(status.code(), absl::StrCat("replaying '", item.id, "': ", status.message()));
      }
    }
  }
  return absl::OkStatus();
}

// Loads an archive. With `replay_catalog`, the schema comes from the archive's catalog.json
// (pre-data before the data, post-data after); otherwise it must exist in `target`.
inline absl::StatusOr<LoadStats> LoadDumpArchive(const std::string& archive, pg::Connection& target,
                                                 const format::KeyRing& keys = {},
                                                 bool replay_catalog = false) {
  format::StringSource source(archive);
  format::ReaderOptions options;
  options.keys = keys;
  PGARK_ASSIGN_OR_RETURN(auto reader, format::ArchiveReader::Open(&source, options));
  PGARK_ASSIGN_OR_RETURN(std::string plan_text, reader->ReadMetadata("dump/plan.json"));
  nlohmann::json plan = nlohmann::json::parse(plan_text);
  PGARK_RETURN_IF_ERROR(target.Execute(absl::StrCat(
      "SET client_encoding = ", target.QuoteLiteral(plan["client_encoding"].get<std::string>()))));
  std::optional<catalog::Catalog> catalog;
  if (replay_catalog) {
    PGARK_ASSIGN_OR_RETURN(std::string catalog_json, reader->ReadMetadata("catalog.json"));
    PGARK_ASSIGN_OR_RETURN(catalog, catalog::CatalogFromJson(catalog_json));
    PGARK_RETURN_IF_ERROR(target.Execute(
        "SELECT pg_catalog.set_config('search_path', '', false); SET check_function_bodies = false"));
    PGARK_RETURN_IF_ERROR(ReplaySection(*catalog, catalog::Section::kPreData, target));
  }
  LoadStats stats;
  for (const auto& table : plan["tables"]) {
    std::vector<std::string> columns;
    for (const auto& column : table["columns"]) {
      columns.push_back(target.QuoteIdentifier(column["name"].get<std::string>()));
    }
    const bool binary = table["format"] == "binary";
    std::string sql = absl::StrCat("COPY ", target.QuoteIdentifier(table["schema"].get<std::string>()), ".",
                                   target.QuoteIdentifier(table["name"].get<std::string>()));
    if (!columns.empty()) absl::StrAppend(&sql, " (", absl::StrJoin(columns, ", "), ")");
    absl::StrAppend(&sql, " FROM STDIN", binary ? " (FORMAT binary)" : "");
    // PostgreSQL 12/13 reject binary arrays and composites whose embedded user-type OIDs differ
    // from the target's (14+ ignore them): patched as pgark restore does (docs/restore.md).
    std::vector<engine::restore::PatchColumn> patch_columns;
    std::vector<engine::restore::EmbeddedType> embedded;
    if (binary && target.server_version() < 140000) {
      for (const auto& column : table["columns"]) {
        PGARK_ASSIGN_OR_RETURN(engine::DecodeType type, engine::DecodeTypeFromShapeJson(column["shape"]));
        engine::restore::CollectEmbeddedTypes(type, &embedded);
        patch_columns.push_back({column["name"].get<std::string>(), std::move(type)});
      }
    }
    engine::restore::TypeOidMap map;
    if (!embedded.empty()) {
      PGARK_ASSIGN_OR_RETURN(map, engine::restore::BuildTypeOidMap(target, embedded));
    }
    // Part by part: each stream is loaded by its own COPY.
    for (const auto& stream : table["streams"]) {
      std::unique_ptr<engine::restore::TypeOidPatcher> patcher;
      if (!embedded.empty()) {
        PGARK_ASSIGN_OR_RETURN(patcher, engine::restore::TypeOidPatcher::Create(
                                            table["name"].get<std::string>(), patch_columns, map));
      }
      PGARK_RETURN_IF_ERROR(
          LoadStream(*reader, stream.get<uint32_t>(), binary, sql, target, &stats, patcher.get()));
    }
  }
  const auto& lo_streams = plan["large_objects"]["streams"];
  if (!lo_streams.empty()) {
    PGARK_RETURN_IF_ERROR(target.Execute(
        "CREATE TEMP TABLE lo_stage (oid pg_catalog.oid, off pg_catalog.int8, data pg_catalog.bytea)"));
    for (const auto& stream : lo_streams) {
      PGARK_RETURN_IF_ERROR(LoadStream(*reader, stream["stream_id"].get<uint32_t>(), true,
                                       "COPY pg_temp.lo_stage FROM STDIN (FORMAT binary)", target, &stats));
    }
    // The catalog's LARGE OBJECT items may have created the objects already.
    PGARK_ASSIGN_OR_RETURN(pg::Result created,
                           target.Query("SELECT count(pg_catalog.lo_create(s.oid)) FROM lo_stage s WHERE s.off = 0 "
                                        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata m "
                                        "WHERE m.oid = s.oid)"));
    stats.large_objects = static_cast<int>(created.GetInt64(0, 0).value_or(0));
    PGARK_RETURN_IF_ERROR(target.Execute(
        "SELECT count(pg_catalog.lo_put(oid, off, data)) FROM (SELECT * FROM lo_stage ORDER BY oid, off) s"));
  }
  auto sequences_text = reader->ReadMetadata("dump/sequences.json");
  if (sequences_text.ok()) {
    for (const auto& sequence : nlohmann::json::parse(*sequences_text)) {
      std::string name = absl::StrCat(target.QuoteIdentifier(sequence["schema"].get<std::string>()), ".",
                                      target.QuoteIdentifier(sequence["name"].get<std::string>()));
      PGARK_RETURN_IF_ERROR(target.QueryParams(
          "SELECT pg_catalog.setval($1::regclass, $2::int8, $3::bool)",
          {name, absl::StrCat(sequence["last_value"].get<int64_t>()),
           sequence["is_called"].get<bool>() ? std::string("true") : std::string("false")}).status());
      ++stats.sequences;
    }
  }
  if (catalog) PGARK_RETURN_IF_ERROR(ReplaySection(*catalog, catalog::Section::kPostData, target));
  return stats;
}

// "<rows>:<md5 of the rows' text forms in sorted order>" of one table (FROM ONLY).
inline std::string TableDigest(pg::Connection& conn, const std::string& qualified) {
  auto result = conn.Query(absl::StrCat(
      "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
      "FROM ONLY ", qualified, " t"));
  if (!result.ok()) return absl::StrCat("error: ", result.status().message());
  return std::string(result->Get(0, 0));
}

inline std::string QueryText(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  if (!result.ok()) return absl::StrCat("error: ", result.status().message());
  std::string text;
  for (int row = 0; row < result->rows(); ++row) {
    for (int column = 0; column < result->columns(); ++column) {
      absl::StrAppend(&text, result->Get(row, column), column + 1 < result->columns() ? "," : "\n");
    }
  }
  return text;
}

// Polls until a session with `application_name` waits for a lock in conn's database (true),
// or `give_up()` turns true or ~10 s pass (false). Scoped to the database because tests run
// in parallel on one server, and another test's dump may be waiting too.
template <typename GiveUp>
bool WaitForLockWaiter(pg::Connection& conn, const std::string& application_name, GiveUp give_up) {
  for (int i = 0; i < 1000 && !give_up(); ++i) {
    auto locks = conn.QueryParams(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND a.application_name = $1 AND a.datname = current_database()",
        {application_name});
    if (locks.ok() && locks->GetInt64(0, 0).value_or(0) > 0) return true;
    usleep(10 * 1000);
  }
  return false;
}

}  // namespace pgark::testing
