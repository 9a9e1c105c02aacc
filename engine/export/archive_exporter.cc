#include "engine/export/archive_exporter.h"

#include <algorithm>
#include <cstdint>
#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/archive_io.h"
#include "engine/catalog/sql_text.h"
#include "engine/export/gzip_members.h"
#include "format/archive_reader.h"
#include "format/base/cancellation.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine {

using catalog::CatalogItem;
using nlohmann::json;

absl::StatusOr<DecodeType> DecodeTypeFromShapeJson(const json& shape, int depth) {
  if (depth > kMaxTypeDepth) return absl::InvalidArgumentError("type shape nested too deeply");
  if (!shape.is_object() || !shape.contains("kind") || !shape["kind"].is_string() ||
      !shape.contains("oid") || !shape["oid"].is_number_integer() ||
      shape["oid"].get<int64_t>() < 0 || shape["oid"].get<int64_t>() > int64_t{UINT32_MAX}) {
    return absl::DataLossError("malformed column type shape in dump/plan.json");
  }
  static const std::map<std::string, DecodeType::Kind> kKinds = {
      {"base", DecodeType::Kind::kBase},       {"enum", DecodeType::Kind::kEnum},
      {"array", DecodeType::Kind::kArray},     {"domain", DecodeType::Kind::kDomain},
      {"range", DecodeType::Kind::kRange},     {"multirange", DecodeType::Kind::kMultirange},
      {"composite", DecodeType::Kind::kComposite},
      // A pseudo type has no decoder: described as a base type with its own OID, which the
      // decoder table does not know, so building the decoder names it.
      {"pseudo", DecodeType::Kind::kBase}};
  std::string kind = shape["kind"].get<std::string>();
  auto it = kKinds.find(kind);
  if (it == kKinds.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type kind '", kind, "'"));
  }
  DecodeType type;
  type.kind = it->second;
  type.oid = static_cast<uint32_t>(shape["oid"].get<int64_t>());
  if (kind == "pseudo") type.oid = 0xFFFFFFFFu;
  std::string schema = shape.value("schema", "");
  std::string name = shape.value("name", "");
  type.name = schema.empty() || schema == "pg_catalog" ? name : absl::StrCat(schema, ".", name);
  type.schema = std::move(schema);
  type.type_name = std::move(name);
  if (shape.contains("children")) {
    if (!shape["children"].is_array()) return absl::DataLossError("malformed type shape children");
    for (const json& child : shape["children"]) {
      PGARK_ASSIGN_OR_RETURN(DecodeType c, DecodeTypeFromShapeJson(child, depth + 1));
      type.children.push_back(std::move(c));
    }
  }
  return type;
}

namespace {

constexpr absl::string_view kBinaryHeader("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
constexpr absl::string_view kBinaryTrailer("\xff\xff", 2);

struct TableUnit {
  std::string label;                    // schema.name, for messages
  std::string copy_sql;                 // COPY ... FROM stdin;
  bool binary = true;
  std::vector<uint32_t> streams;
  std::vector<DecodeColumn> columns;    // binary only
  int64_t bytes = 0;
};

absl::StatusOr<json> ParseJson(absl::string_view text, absl::string_view what) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::DataLossError(absl::StrCat(what, " is not valid JSON"));
  return j;
}

// Reads one plan table into a unit; every decoder is built here, before any output.
absl::StatusOr<TableUnit> PlanTable(const json& t, const catalog::Catalog& catalog,
                                    const DecodeOptions& decode_options) {
  if (!t.is_object() || !t.contains("schema") || !t.contains("name") || !t.contains("columns") ||
      !t["columns"].is_array()) {
    return absl::DataLossError("malformed table entry in dump/plan.json");
  }
  TableUnit unit;
  std::string schema = t["schema"].get<std::string>(), name = t["name"].get<std::string>();
  unit.label = absl::StrCat(schema, ".", name);
  unit.binary = t.value("format", "binary") == "binary";
  unit.bytes = t.value("bytes", int64_t{0});
  if (t.contains("streams") && t["streams"].is_array()) {
    for (const json& s : t["streams"]) unit.streams.push_back(s.get<uint32_t>());
  }
  std::vector<std::string> names;
  for (const json& c : t["columns"]) {
    std::string column = c.value("name", "");
    names.push_back(column);
    if (unit.binary) {
      if (!c.contains("shape")) return absl::DataLossError("column without a type shape");
      PGARK_ASSIGN_OR_RETURN(DecodeType type, DecodeTypeFromShapeJson(c["shape"]));
      unit.columns.push_back({column, std::move(type)});
    }
  }
  if (unit.binary) {
    // Fails now (naming table and column) if a type has no decoder.
    PGARK_RETURN_IF_ERROR(BinaryCopyToText::Create(unit.label, unit.columns, decode_options).status());
  }
  // Load through the partition root when the catalog says so (as the restore does).
  std::string target = absl::StrCat(QuoteIdentAlways(schema), ".", QuoteIdentAlways(name));
  int index = t.contains("catalog_id") ? catalog.Find(t["catalog_id"].get<std::string>()) : -1;
  if (index >= 0 && catalog.items[index].table.has_value()) {
    PGARK_ASSIGN_OR_RETURN(target, CopyTarget(catalog, catalog.items[index]));
  }
  unit.copy_sql = CopyFromStdinStatement(target, names);
  return unit;
}

class ArchiveDataPhase {
 public:
  ArchiveDataPhase(const ArchiveExportOptions& options, format::ArchiveReader* reader,
                   GzipOutput* output, std::vector<TableUnit> units,
                   std::vector<uint32_t> lo_streams, DecodeOptions decode_options,
                   bool catalog_creates_los)
      : options_(options), reader_(reader), output_(output), units_(std::move(units)),
        lo_streams_(std::move(lo_streams)), decode_options_(decode_options),
        catalog_creates_los_(catalog_creates_los) {}

  absl::Status Run() {
    size_t total = units_.size() + (lo_streams_.empty() ? 0 : 1);
    int jobs = std::max(1, std::min<int>(options_.jobs, static_cast<int>(total)));
    std::vector<std::thread> threads;
    for (int i = 0; i < jobs; ++i) {
      threads.emplace_back([this, total] {
        absl::Status s = Work(total);
        if (!s.ok()) {
          absl::MutexLock lock(&mu_);
          if (first_error_.ok()) first_error_ = s;
          stop_.store(true);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    absl::MutexLock lock(&mu_);
    return first_error_;
  }
  int64_t rows() const { return rows_.load(); }
  int large_objects() const { return large_objects_.load(); }

 private:
  absl::Status Work(size_t total) {
    PGARK_ASSIGN_OR_RETURN(auto spool, GzipSpool::Create(options_.level, options_.spill_dir));
    while (!stop_.load()) {
      size_t index = next_.fetch_add(1);
      if (index >= total) break;
      PGARK_RETURN_IF_ERROR(base::CheckCancelled());
      if (index < units_.size()) {
        PGARK_RETURN_IF_ERROR(base::Annotate(ExportTable(units_[index], *spool),
                                             absl::StrCat("exporting ", units_[index].label)));
      } else {
        PGARK_RETURN_IF_ERROR(base::Annotate(ExportLargeObjects(*spool), "exporting large objects"));
      }
      PGARK_RETURN_IF_ERROR(output_->Commit(*spool));
    }
    return absl::OkStatus();
  }

  // Calls `fn` with every chunk of `stream_id`, in order (verified by the reader).
  template <typename Fn>
  absl::Status ForEachChunk(uint32_t stream_id, Fn fn) {
    PGARK_ASSIGN_OR_RETURN(auto chunks, reader_->OpenStream(stream_id));
    format::Chunk chunk;
    while (true) {
      PGARK_ASSIGN_OR_RETURN(bool more, chunks->Next(&chunk));
      if (!more) return absl::OkStatus();
      if (stop_.load()) return absl::AbortedError("stopped after another worker failed");
      PGARK_RETURN_IF_ERROR(fn(chunk.data));
    }
  }

  absl::Status ExportTable(const TableUnit& unit, GzipSpool& spool) {
    PGARK_RETURN_IF_ERROR(spool.Append(absl::StrCat("--\n-- Data for ", unit.label, "\n--\n\n")));
    PGARK_RETURN_IF_ERROR(spool.Append(unit.copy_sql));
    std::string text;
    for (uint32_t stream : unit.streams) {
      if (!unit.binary) {
        PGARK_RETURN_IF_ERROR(ForEachChunk(stream, [&](const std::string& data) {
          rows_ += std::count(data.begin(), data.end(), '\n');
          return spool.Append(data);
        }));
        continue;
      }
      // Each stream (table part) holds tuples only: frame it as a whole binary COPY.
      PGARK_ASSIGN_OR_RETURN(auto decoder,
                             BinaryCopyToText::Create(unit.label, unit.columns, decode_options_));
      PGARK_RETURN_IF_ERROR(decoder->Feed(kBinaryHeader, &text));
      PGARK_RETURN_IF_ERROR(ForEachChunk(stream, [&](const std::string& data) {
        text.clear();
        PGARK_RETURN_IF_ERROR(decoder->Feed(data, &text));
        return spool.Append(text);
      }));
      text.clear();
      PGARK_RETURN_IF_ERROR(decoder->Feed(kBinaryTrailer, &text));
      PGARK_RETURN_IF_ERROR(decoder->Finish());
      rows_ += decoder->rows();
    }
    return spool.Append("\\.\n\n");
  }

  // Large-object streams: binary rows (oid, offset, data bytea) in oid/offset order.
  absl::Status ExportLargeObjects(GzipSpool& spool) {
    PGARK_RETURN_IF_ERROR(spool.Append("--\n-- Large objects\n--\n\n"));
    std::vector<DecodeColumn> columns = {{"oid", *BuiltinDecodeType(26)},
                                         {"offset", *BuiltinDecodeType(20)},
                                         {"data", *BuiltinDecodeType(17)}};
    std::string text;
    for (uint32_t stream : lo_streams_) {
      PGARK_ASSIGN_OR_RETURN(auto decoder,
                             BinaryCopyToText::Create("large objects", columns, decode_options_));
      auto emit = [&]() -> absl::Status {
        // Complete lines only: "oid\toffset\t\\\\xHEX" (the backslash COPY-escaped).
        for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
          std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
          if (f.size() != 3 || f[2].substr(0, 3) != "\\\\x") {
            return absl::DataLossError("malformed large object row");
          }
          if (f[1] == "0") {
            large_objects_++;
            // Archives whose catalog describes the large objects created them already
            // (with owner and comment, AppendPreData); older ones did not.
            if (!catalog_creates_los_) {
              PGARK_RETURN_IF_ERROR(
                  spool.Append(absl::StrCat("SELECT pg_catalog.lo_create('", f[0], "');\n")));
            }
          }
          if (f[2].size() > 3) {
            PGARK_RETURN_IF_ERROR(spool.Append(absl::StrCat("SELECT pg_catalog.lo_put('", f[0], "', ",
                                                            f[1], ", '\\x", f[2].substr(3), "');\n")));
          }
        }
        text.clear();
        return absl::OkStatus();
      };
      PGARK_RETURN_IF_ERROR(decoder->Feed(kBinaryHeader, &text));
      PGARK_RETURN_IF_ERROR(ForEachChunk(stream, [&](const std::string& data) {
        PGARK_RETURN_IF_ERROR(decoder->Feed(data, &text));
        return emit();
      }));
      PGARK_RETURN_IF_ERROR(decoder->Feed(kBinaryTrailer, &text));
      PGARK_RETURN_IF_ERROR(decoder->Finish());
      PGARK_RETURN_IF_ERROR(emit());
    }
    return spool.Append("\n");
  }

  const ArchiveExportOptions& options_;
  format::ArchiveReader* reader_;
  GzipOutput* output_;
  std::vector<TableUnit> units_;
  std::vector<uint32_t> lo_streams_;
  DecodeOptions decode_options_;
  const bool catalog_creates_los_;  // the catalog has LARGE OBJECT items (lo_create + owner)
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rows_{0};
  std::atomic<int> large_objects_{0};
  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<ExportResult> ExportArchive(const ArchiveExportOptions& options,
                                           storage::ObjectWriter* writer) {
  if (options.jobs < 1 || options.jobs > 64) {
    return absl::InvalidArgumentError(absl::StrCat("--jobs ", options.jobs, " is not in 1-64"));
  }
  absl::Time start = absl::Now();
  PGARK_ASSIGN_OR_RETURN(OpenedArchive archive, OpenArchiveForRead(options.archive));
  if (!archive.random_access) {
    return absl::InvalidArgumentError(
        absl::StrCat("export needs a seekable archive (a file or an S3 object), not '",
                     options.archive, "'"));
  }
  format::ReaderOptions reader_options;
  reader_options.keys = options.keys;
  PGARK_ASSIGN_OR_RETURN(auto reader, format::ArchiveReader::Open(archive.source.get(), reader_options));
  PGARK_ASSIGN_OR_RETURN(std::string catalog_text, reader->ReadMetadata("catalog.json"));
  PGARK_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::CatalogFromJson(catalog_text));
  PGARK_ASSIGN_OR_RETURN(std::string plan_text, reader->ReadMetadata("dump/plan.json"));
  PGARK_ASSIGN_OR_RETURN(json plan, ParseJson(plan_text, "dump/plan.json"));
  json sequences = json::array();
  auto seq_text = reader->ReadMetadata("dump/sequences.json");
  if (seq_text.ok()) {
    PGARK_ASSIGN_OR_RETURN(sequences, ParseJson(*seq_text, "dump/sequences.json"));
  } else if (seq_text.status().code() != absl::StatusCode::kNotFound) {
    return seq_text.status();
  }

  DecodeOptions decode_options;
  decode_options.server_version = plan.value("server_version", catalog.server_version);
  std::vector<TableUnit> units;
  if (plan.contains("tables") && plan["tables"].is_array()) {
    for (const json& t : plan["tables"]) {
      PGARK_ASSIGN_OR_RETURN(TableUnit unit, PlanTable(t, catalog, decode_options));
      if (!unit.streams.empty()) units.push_back(std::move(unit));
    }
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const TableUnit& a, const TableUnit& b) { return a.bytes > b.bytes; });
  std::vector<uint32_t> lo_streams;
  if (plan.contains("large_objects") && plan["large_objects"].contains("streams")) {
    for (const json& s : plan["large_objects"]["streams"]) lo_streams.push_back(s.value("stream_id", 0u));
  }

  GzipOutput output(writer);
  PGARK_ASSIGN_OR_RETURN(auto spool, GzipSpool::Create(options.level, options.spill_dir));
  const std::string restrict_key = NewRestrictKey();
  PGARK_RETURN_IF_ERROR(spool->Append(
      ScriptHeader(plan.value("client_encoding", std::string("UTF8")), restrict_key)));
  PGARK_RETURN_IF_ERROR(AppendPreData(catalog, options.no_owner, *spool));
  PGARK_RETURN_IF_ERROR(output.Commit(*spool));

  ExportResult result;
  result.tables = static_cast<int>(units.size());
  const bool catalog_creates_los =
      std::any_of(catalog.items.begin(), catalog.items.end(),
                  [](const CatalogItem& i) { return i.kind == catalog::ObjectKind::kLargeObject; });
  ArchiveDataPhase data(options, reader.get(), &output, std::move(units), lo_streams, decode_options,
                        catalog_creates_los);
  PGARK_RETURN_IF_ERROR(data.Run());
  result.rows = data.rows();
  result.large_objects = data.large_objects();

  // Sequence values as the dump read them after the data; the catalog's as a fallback.
  std::map<std::pair<std::string, std::string>, std::string> values;
  for (const json& s : sequences) {
    std::string qualified = absl::StrCat(QuoteIdentAlways(s.value("schema", "")), ".",
                                         QuoteIdentAlways(s.value("name", "")));
    values[{s.value("schema", ""), s.value("name", "")}] = absl::StrCat(
        "SELECT pg_catalog.setval(", catalog::Literal(qualified), ", ", s.value("last_value", int64_t{1}),
        ", ", s.value("is_called", false) ? "true" : "false", ");\n");
  }
  auto sequence_sql = [&](const CatalogItem& item) -> absl::StatusOr<std::string> {
    ++result.sequences;
    auto it = values.find({item.schema, item.name});
    return it != values.end() ? it->second : item.create_sql;
  };
  PGARK_RETURN_IF_ERROR(AppendAfterData(catalog, options.no_owner, options.no_acl, sequence_sql,
                                        "", *spool));
  PGARK_RETURN_IF_ERROR(spool->Append(ScriptFooter(restrict_key)));
  PGARK_RETURN_IF_ERROR(output.Commit(*spool));
  result.sql_bytes = output.raw_bytes();
  result.gzip_bytes = output.compressed_bytes();
  PGARK_RETURN_IF_ERROR(output.Close());
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

}  // namespace pgark::engine
