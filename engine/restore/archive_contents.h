#pragma once
// What a restore or verify needs to know about an archive, parsed from its metadata records
// (the layout the dump engine writes, docs/dump.md):
//   "catalog.json"        catalog::CatalogToJson: the DDL items (absent for --data-only dumps)
//   "dump/plan.json"      tables (schema, name, COPY format, columns with format_type and type
//                         shape, parts, stream ids), large-object streams, sequences, matviews
//   "dump/sequences.json" sequence values read after the data (written after the data frames,
//                         so a pipe reader sees it last)
//
// The parsers here only read: unknown fields are ignored (writers may add fields), missing
// required ones are kDataLoss naming the record. Plain values, thread-compatible.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/catalog/globals.h"
#include "engine/export/binary_to_text.h"

namespace pgark::engine::restore {

inline constexpr absl::string_view kCatalogRecord = "catalog.json";
inline constexpr absl::string_view kPlanRecord = "dump/plan.json";
inline constexpr absl::string_view kSequencesRecord = "dump/sequences.json";
// Roles and tablespaces (pgark dump --globals), replayed by restore --globals.
inline constexpr absl::string_view kGlobalsRecord = "globals.json";

// One column of a table as the dump recorded it (COPY order).
struct RecordedColumn {
  std::string name;  // unquoted
  std::string type;  // format_type() with search_path = '' on the source
  // The type's shape as binary COPY puts it on the wire (absent in archives without shapes).
  std::optional<DecodeType> shape;
  // True when COPY BINARY of this column carries a user type's OID (arrays and composites
  // of non-built-in types): a PostgreSQL 12/13 target rejects such data unless the loader
  // patches it (catalog-reference d.3, type_oid_patcher.h).
  bool embeds_user_oid = false;
};

// One table's data: one stream per part (split tables have several parts).
struct TableStreams {
  std::string schema, name;   // unquoted
  std::string catalog_id;     // "TABLE schema.name" item id when known
  bool binary = true;         // COPY format recorded by the dump
  std::vector<RecordedColumn> columns;
  std::vector<uint32_t> streams;  // stream ids, part order
  int64_t bytes = 0;          // size estimate on the source (scheduling)
  // An extension's configuration table: CREATE EXTENSION creates it with its standard
  // rows; the archive holds only the other rows. Never emptied or probed for rows.
  bool extension_config = false;
  std::string Display() const { return schema + "." + name; }
};

struct LargeObjectStream {
  uint32_t stream_id = 0;
  int64_t count = 0;  // objects in the stream
};

struct SequenceValue {
  std::string schema, name;
  std::string last_value;  // decimal text, passed to setval()
  bool is_called = false;
};

// Per-stream descriptor: what the loader and verify need to consume a stream.
struct StreamDescriptor {
  uint32_t stream_id = 0;
  enum class Kind { kTable, kLargeObjects } kind = Kind::kTable;
  int table_index = -1;  // into ArchiveContents::tables
  int part = 0;
  int parts = 1;
  bool binary = true;
  int columns = 0;       // fields per tuple (binary tuple walk)
};

struct ArchiveContents {
  std::optional<catalog::Catalog> catalog;  // absent: data-only archive
  std::optional<catalog::Globals> globals;  // absent: dumped without --globals
  std::string client_encoding;              // the dump's client_encoding ("" = unknown)
  int source_server_version = 0;
  std::vector<TableStreams> tables;
  std::vector<LargeObjectStream> large_objects;
  std::vector<SequenceValue> sequence_values;  // from dump/sequences.json
  std::vector<std::string> matviews_to_refresh;
  std::map<uint32_t, StreamDescriptor> streams;

  // "public.orders part 2/4" / "large objects" for messages; "stream N" if unknown.
  std::string DescribeStream(uint32_t stream_id) const;
  // Index into tables of "schema.name", or -1.
  int FindTable(absl::string_view schema, absl::string_view name) const;
};

// Parses dump/plan.json into *contents (tables, LOs, sequences, streams).
// Errors: kDataLoss (not JSON, required field missing or of the wrong type, a malformed
// column type shape, a stream id used twice).
absl::Status ParsePlanJson(absl::string_view json, ArchiveContents* contents);
// Parses dump/sequences.json. Errors: kDataLoss.
absl::StatusOr<std::vector<SequenceValue>> ParseSequencesJson(absl::string_view json);

}  // namespace pgark::engine::restore
