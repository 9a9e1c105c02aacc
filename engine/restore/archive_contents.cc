#include "engine/restore/archive_contents.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/export/archive_exporter.h"
#include "engine/restore/type_oid_patcher.h"
#include "nlohmann/json.hpp"

namespace pgark::engine::restore {
namespace {

absl::Status ParseTables(const nlohmann::json& plan, ArchiveContents* contents) {
  for (const auto& table : plan.at("tables")) {
    TableStreams parsed;
    parsed.schema = table.at("schema").get<std::string>();
    parsed.name = table.at("name").get<std::string>();
    parsed.catalog_id = table.value("catalog_id", "");
    parsed.binary = table.at("format").get<std::string>() == "binary";
    parsed.bytes = table.value("bytes", int64_t{0});
    parsed.extension_config = table.value("extension_config", false);
    for (const auto& column : table.at("columns")) {
      RecordedColumn recorded;
      recorded.name = column.at("name").get<std::string>();
      recorded.type = column.at("type").get<std::string>();
      if (column.contains("shape")) {
        absl::StatusOr<DecodeType> shape = DecodeTypeFromShapeJson(column["shape"]);
        if (!shape.ok()) {
          return absl::DataLossError(absl::StrCat(kPlanRecord, ": table ", parsed.schema, ".", parsed.name,
                                                  " column \"", recorded.name, "\": ", shape.status().message()));
        }
        recorded.embeds_user_oid = EmbedsUserTypeOid(*shape);
        recorded.shape = std::move(*shape);
      }
      parsed.columns.push_back(std::move(recorded));
    }
    parsed.streams = table.at("streams").get<std::vector<uint32_t>>();
    const int index = static_cast<int>(contents->tables.size());
    for (size_t part = 0; part < parsed.streams.size(); ++part) {
      StreamDescriptor stream;
      stream.stream_id = parsed.streams[part];
      stream.kind = StreamDescriptor::Kind::kTable;
      stream.table_index = index;
      stream.part = static_cast<int>(part);
      stream.parts = static_cast<int>(parsed.streams.size());
      stream.binary = parsed.binary;
      stream.columns = static_cast<int>(parsed.columns.size());
      if (!contents->streams.emplace(stream.stream_id, stream).second) {
        return absl::DataLossError(
            absl::StrCat(kPlanRecord, ": stream ", stream.stream_id, " is listed twice"));
      }
    }
    contents->tables.push_back(std::move(parsed));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ArchiveContents::DescribeStream(uint32_t stream_id) const {
  auto it = streams.find(stream_id);
  if (it == streams.end()) return absl::StrCat("stream ", stream_id);
  if (it->second.kind == StreamDescriptor::Kind::kLargeObjects) {
    return absl::StrCat("large objects (stream ", stream_id, ")");
  }
  const TableStreams& table = tables[it->second.table_index];
  if (it->second.parts == 1) return table.Display();
  return absl::StrCat(table.Display(), " part ", it->second.part + 1, "/", it->second.parts);
}

int ArchiveContents::FindTable(absl::string_view schema, absl::string_view name) const {
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].schema == schema && tables[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

absl::Status ParsePlanJson(absl::string_view json, ArchiveContents* contents) {
  try {
    nlohmann::json plan = nlohmann::json::parse(json.begin(), json.end());
    contents->client_encoding = plan.value("client_encoding", "");
    contents->source_server_version = plan.value("server_version", 0);
    absl::Status tables = ParseTables(plan, contents);
    if (!tables.ok()) return tables;
    if (plan.contains("large_objects")) {
      for (const auto& lo : plan["large_objects"].at("streams")) {
        LargeObjectStream stream;
        stream.stream_id = lo.at("stream_id").get<uint32_t>();
        stream.count = lo.value("count", int64_t{0});
        StreamDescriptor descriptor;
        descriptor.stream_id = stream.stream_id;
        descriptor.kind = StreamDescriptor::Kind::kLargeObjects;
        descriptor.binary = true;
        descriptor.columns = 3;  // oid, offset, data
        if (!contents->streams.emplace(stream.stream_id, descriptor).second) {
          return absl::DataLossError(
              absl::StrCat(kPlanRecord, ": stream ", stream.stream_id, " is listed twice"));
        }
        contents->large_objects.push_back(stream);
      }
    }
    if (plan.contains("matviews_to_refresh")) {
      contents->matviews_to_refresh = plan["matviews_to_refresh"].get<std::vector<std::string>>();
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(kPlanRecord, " is malformed: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SequenceValue>> ParseSequencesJson(absl::string_view json) {
  std::vector<SequenceValue> values;
  try {
    for (const auto& sequence : nlohmann::json::parse(json.begin(), json.end())) {
      SequenceValue value;
      value.schema = sequence.at("schema").get<std::string>();
      value.name = sequence.at("name").get<std::string>();
      value.last_value = absl::StrCat(sequence.at("last_value").get<int64_t>());
      value.is_called = sequence.at("is_called").get<bool>();
      values.push_back(std::move(value));
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(kSequencesRecord, " is malformed: ", e.what()));
  }
  return values;
}

}  // namespace pgark::engine::restore
