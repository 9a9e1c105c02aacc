#pragma once
// Test-only: builds pgark archives in the dump engine's layout (catalog.json, dump/plan.json,
// dump/sequences.json, one stream per table part, large-object streams) from a source
// database, with format::ArchiveWriter directly, so the loader can be tested before and
// independently of `pgark dump`. The catalog is a hand-written list of DDL items that the
// fixture also runs on the source, so `pg_dump -s` of source and target must agree.

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/archive_io.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"
#include "format/archive_reader.h"
#include "format/archive_writer.h"
#include "format/base/status_macros.h"
#include "format/byte_io.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/integration/corpus.h"
#include "tests/integration/export_type_shape.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/subprocess.h"

namespace pgark::testing {

struct TestTable {
  std::string schema, name;
  std::vector<std::string> columns;  // COPY column list; types are read from the source
  bool binary = true;
  std::vector<std::string> parts = {""};  // WHERE conditions, "" = whole table
};

// Cuts COPY output of one part into chunks of whole tuples (each CopyData message is one
// row; the binary header and trailer are stripped, as the dump does).
inline absl::Status CopyPart(pg::Connection& source, const std::string& copy_sql, bool binary,
                             format::StreamWriter& stream, size_t chunk_bytes) {
  PGARK_RETURN_IF_ERROR(source.StartCopyOut(copy_sql));
  std::string row, chunk;
  int64_t rows = 0;
  bool first = true;
  while (true) {
    PGARK_ASSIGN_OR_RETURN(bool more, source.ReadCopyRow(&row));
    if (!more) break;
    absl::string_view data = row;
    if (binary && first) data.remove_prefix(19);
    first = false;
    if (binary && data.size() == 2 && data == absl::string_view("\377\377", 2)) continue;
    chunk.append(data.data(), data.size());
    ++rows;
    if (chunk.size() >= chunk_bytes) {
      PGARK_RETURN_IF_ERROR(stream.Append(chunk));
      chunk.clear();
    }
  }
  if (!chunk.empty()) PGARK_RETURN_IF_ERROR(stream.Append(chunk));
  return stream.Finish(static_cast<uint64_t>(rows));
}

struct ArchiveSpec {
  catalog::Catalog catalog;
  bool with_catalog = true;
  std::vector<TestTable> tables;
  std::vector<std::pair<std::string, std::string>> sequences;  // schema, name (unquoted)
  bool large_objects = false;
  format::WriterOptions writer;
  size_t chunk_bytes = 4096;  // small, so streams have many chunks
};

// Writes the archive of `spec` with data read from `source`. Returns the archive bytes.
inline absl::StatusOr<std::string> BuildArchive(pg::Connection& source, const ArchiveSpec& spec) {
  format::StringSink sink;
  PGARK_ASSIGN_OR_RETURN(auto writer, format::ArchiveWriter::Create(&sink, spec.writer));
  PGARK_ASSIGN_OR_RETURN(pg::Result encoding, source.Query("SHOW server_encoding"));
  // format_type() qualifies every type outside pg_catalog, as the dump records it.
  PGARK_RETURN_IF_ERROR(source.Execute("SELECT pg_catalog.set_config('search_path', '', false)"));
  if (spec.with_catalog) PGARK_RETURN_IF_ERROR(writer->AddMetadata("catalog.json", catalog::CatalogToJson(spec.catalog)));
  nlohmann::json tables = nlohmann::json::array();
  uint32_t next_stream = 1;
  std::vector<std::pair<uint32_t, std::string>> copies;  // stream -> COPY sql
  std::vector<bool> binary;
  for (const TestTable& table : spec.tables) {
    nlohmann::json columns = nlohmann::json::array();
    std::vector<std::string> names;
    for (const std::string& name : table.columns) {
      PGARK_ASSIGN_OR_RETURN(
          pg::Result type,
          source.QueryParams("SELECT atttypid, pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
                             "WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2",
                             {absl::StrCat(source.QuoteIdentifier(table.schema), ".", source.QuoteIdentifier(table.name)),
                              name}));
      if (type.rows() != 1) return absl::NotFoundError(absl::StrCat("column ", name, " of ", table.name));
      // The real shape, as the dump records it: a 12/13 target needs it to map the type OIDs
      // that binary arrays and composites embed (engine/restore/type_oid_patcher.h).
      columns.push_back({{"name", name}, {"type", std::string(type.Get(0, 1))},
                         {"shape", TypeShapeJson(source, static_cast<uint32_t>(std::stoul(std::string(type.Get(0, 0)))))}});
      names.push_back(source.QuoteIdentifier(name));
    }
    std::vector<uint32_t> streams;
    for (const std::string& where : table.parts) {
      streams.push_back(next_stream);
      copies.emplace_back(next_stream++, absl::StrCat("COPY (SELECT ", absl::StrJoin(names, ", "), " FROM ONLY ",
                                                      source.QuoteIdentifier(table.schema), ".",
                                                      source.QuoteIdentifier(table.name),
                                                      where.empty() ? "" : absl::StrCat(" WHERE ", where),
                                                      ") TO STDOUT", table.binary ? " (FORMAT binary)" : ""));
      binary.push_back(table.binary);
    }
    tables.push_back({{"schema", table.schema}, {"name", table.name}, {"format", table.binary ? "binary" : "text"},
                      {"columns", columns}, {"bytes", 1000 * streams.size()}, {"parts", table.parts},
                      {"streams", streams}, {"catalog_id", absl::StrCat("TABLE DATA ", table.schema, ".", table.name)}});
  }
  nlohmann::json lo_streams = nlohmann::json::array();
  if (spec.large_objects) {
    lo_streams.push_back({{"stream_id", next_stream}, {"count", 0}});
    copies.emplace_back(next_stream++,
                        "COPY (SELECT m.oid, 0::int8, lo_get(m.oid) FROM pg_largeobject_metadata m ORDER BY 1) "
                        "TO STDOUT (FORMAT binary)");
    binary.push_back(true);
  }
  nlohmann::json plan = {{"version", 1},
                         {"server_version", source.server_version()},
                         {"client_encoding", std::string(encoding.Get(0, 0))},
                         {"tables", tables},
                         {"large_objects", {{"format", "binary"}, {"streams", lo_streams}}},
                         {"matviews_to_refresh", nlohmann::json::array()}};
  PGARK_RETURN_IF_ERROR(writer->AddMetadata("dump/plan.json", plan.dump()));
  PGARK_RETURN_IF_ERROR(source.Execute(absl::StrCat("SET client_encoding = '", encoding.Get(0, 0), "'")));
  for (size_t i = 0; i < copies.size(); ++i) {
    PGARK_ASSIGN_OR_RETURN(auto stream, writer->OpenStream(copies[i].first));
    PGARK_RETURN_IF_ERROR(CopyPart(source, copies[i].second, binary[i], *stream, spec.chunk_bytes));
  }
  nlohmann::json sequences = nlohmann::json::array();
  for (const auto& [schema, name] : spec.sequences) {
    PGARK_ASSIGN_OR_RETURN(pg::Result value,
                           source.Query(absl::StrCat("SELECT last_value, is_called FROM ", source.QuoteIdentifier(schema),
                                                     ".", source.QuoteIdentifier(name))));
    sequences.push_back({{"schema", schema}, {"name", name},
                         {"last_value", value.GetInt64(0, 0).value_or(0)}, {"is_called", value.GetBool(0, 1)}});
  }
  PGARK_RETURN_IF_ERROR(writer->AddMetadata("dump/sequences.json", sequences.dump()));
  PGARK_RETURN_IF_ERROR(writer->Finish().status());
  return sink.data();
}

// A catalog item as the dump records it; tables and their data get a plain heap table's
// TableInfo.
inline catalog::CatalogItem Item(const std::string& id, catalog::ObjectKind kind, const std::string& schema,
                                 const std::string& name, catalog::Section section, const std::string& create,
                                 const std::string& drop = "", std::vector<std::string> deps = {},
                                 const std::string& table_id = "") {
  catalog::CatalogItem item;
  item.id = id;
  item.kind = kind;
  item.schema = schema;
  item.name = name;
  item.section = section;
  item.create_sql = create;
  item.drop_sql = drop;
  item.dependencies = std::move(deps);
  item.table_id = table_id;
  if (kind == catalog::ObjectKind::kTable || kind == catalog::ObjectKind::kTableData) {
    item.table = catalog::TableInfo();
    item.table->relkind = 'r';
  }
  return item;
}

// An archive of one table `schema.name` (created by `create_table`, loaded from the source's
// table of that name in `parts`) whose catalog records nothing about its database: no
// catalog::DatabaseInfo, as archives written before 2026-11-24.
inline ArchiveSpec OneTableSpecWithoutDatabaseInfo(const std::string& schema, const std::string& name,
                                                   const std::string& create_table, std::vector<std::string> columns,
                                                   std::vector<std::string> parts = {""}) {
  ArchiveSpec spec;
  spec.catalog.server_version = 150000;
  spec.catalog.database = "legacy";
  spec.catalog.server_encoding = "UTF8";
  const std::string schema_id = absl::StrCat("SCHEMA ", schema);
  const std::string table_id = absl::StrCat("TABLE ", schema, ".", name);
  spec.catalog.items = {
      Item(schema_id, catalog::ObjectKind::kSchema, "", schema, catalog::Section::kPreData,
           absl::StrCat("CREATE SCHEMA ", schema, ";\n")),
      Item(table_id, catalog::ObjectKind::kTable, schema, name, catalog::Section::kPreData, create_table, "",
           {schema_id}),
      Item(absl::StrCat("TABLE DATA ", schema, ".", name), catalog::ObjectKind::kTableData, schema, name,
           catalog::Section::kData, "", "", {table_id}, table_id)};
  spec.tables = {{schema, name, std::move(columns), true, std::move(parts)}};
  return spec;
}

// The catalog conformance corpus (tests/corpus) plus schema "typed": a table of many data
// types (enum arrays, composites, ranges, tsvector, xml, ...), a table "typed.split" of 4000
// rows, and two large objects (OIDs 700001, 700002).
inline void SeedCorpusWithData(pg::Connection& conn) {
  LoadCorpus(conn);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_OK(conn.Execute(
      "CREATE SCHEMA typed;"
      "CREATE TYPE typed.color AS ENUM ('red', 'green');"
      "CREATE TYPE typed.point3 AS (x float8, y float8, label text);"
      "CREATE TABLE typed.many (id bigserial PRIMARY KEY, b bool, i2 int2, f4 float4, n numeric, t text, "
      "  vc varchar(20), c char(3), d date, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb, "
      "  x xml, ba bytea, ip inet, cidr cidr, mac macaddr, bits bit varying(8), pt point, bx box, "
      "  ia int4[], ta text[][], colors typed.color[], p typed.point3, rng tstzrange, tv tsvector, money money, "
      "  UNIQUE (u));"
      "INSERT INTO typed.many (b, i2, f4, n, t, vc, c, d, ts, tz, iv, u, j, jb, x, ba, ip, cidr, mac, bits, pt, bx, "
      "  ia, ta, colors, p, rng, tv, money) "
      "SELECT g % 2 = 0, g, g / 3.0, g * 1.5e10, repeat('ü', g % 7) || E'\\t\\\\', 'v' || g, 'c', "
      "  date '2020-01-01' + g, timestamp '2020-01-01' + g * interval '1 min', now(), g * interval '1 day', "
      "  md5(g::text)::uuid, '{\"a\": 1}', jsonb_build_object('k', g), ('<a>' || g || '</a>')::xml, '\\x00ff'::bytea, "
      "  '10.0.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', B'1010', point(g, g), box(point(0,0), point(g,g)), "
      "  ARRAY[g, NULL], ARRAY[['a','b'],['c',NULL]], ARRAY['red','green']::typed.color[], ROW(g, 2, 'l')::typed.point3, "
      "  tstzrange(now(), NULL), to_tsvector('simple', 'fat cat ' || g), g::numeric::money "
      "FROM generate_series(1, 300) g;"
      "INSERT INTO typed.many (t) VALUES (NULL);"
      "CREATE TABLE typed.split (id int PRIMARY KEY, v text);"
      "INSERT INTO typed.split SELECT g, md5(g::text) FROM generate_series(1, 4000) g;"
      "CREATE INDEX split_v ON typed.split (v);"
      "SELECT lo_from_bytea(700001, 'one'), lo_from_bytea(700002, decode(repeat('00ff', 40000), 'hex'));"));
}

// What the archive's own index records per table of its plan ("schema.name", and "large
// objects"), summed over the table's streams: {raw bytes, stored bytes, rows}. Read with the
// format reader, apart from `pgark verify`, so verify's report can be checked against it.
struct IndexedTable {
  uint64_t raw_bytes = 0, stored_bytes = 0, rows = 0;
  int streams = 0;
};
inline std::map<std::string, IndexedTable> IndexedTables(const std::string& path) {
  std::map<std::string, IndexedTable> tables;
  auto archive = engine::OpenArchiveForRead(path);
  EXPECT_TRUE(archive.ok()) << archive.status();
  if (!archive.ok()) return tables;
  auto reader = format::ArchiveReader::Open(archive->source.get(), {});
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return tables;
  auto plan_json = (*reader)->ReadMetadata("dump/plan.json");
  EXPECT_TRUE(plan_json.ok()) << plan_json.status();
  if (!plan_json.ok()) return tables;
  std::map<uint32_t, std::string> owner;  // stream id -> table
  nlohmann::json plan = nlohmann::json::parse(*plan_json);
  for (const auto& table : plan["tables"]) {
    for (const auto& id : table["streams"]) {
      owner[id.get<uint32_t>()] = absl::StrCat(table["schema"].get<std::string>(), ".", table["name"].get<std::string>());
    }
  }
  for (const auto& lo : plan["large_objects"]["streams"]) owner[lo["stream_id"].get<uint32_t>()] = "large objects";
  for (const format::StreamInfo& stream : (*reader)->info().streams) {
    IndexedTable& table = tables[owner.count(stream.stream_id) ? owner[stream.stream_id] : "unlisted streams"];
    table.raw_bytes += stream.raw_bytes;
    table.stored_bytes += stream.stored_bytes;
    table.rows += stream.rows;
    ++table.streams;
  }
  return tables;
}

inline std::string WriteTempFile(const std::string& name, const std::string& bytes) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// "<rows>:<md5 of the rows' text forms, sorted>" of `FROM <relation>`.
inline std::string DigestOf(pg::Connection& conn, const std::string& relation) {
  auto result = conn.Query(absl::StrCat(
      "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM ",
      relation, " t"));
  if (!result.ok()) return std::string(result.status().message());
  return std::string(result->Get(0, 0));
}

// Digest of a table's own rows (FROM ONLY).
inline std::string Digest(pg::Connection& conn, const std::string& qualified) {
  return DigestOf(conn, absl::StrCat("ONLY ", qualified));
}

// What to digest to compare two databases' data (as tools/lib/compare.sh does): "ONLY
// schema.table" for every user table and materialized view, except that partitions under a
// table hash-partitioned on an enum are compared through their topmost root (the hash is of
// the enum's OIDs, which differ between databases, so a row may sit in another partition).
inline std::vector<std::string> ComparableRelations(pg::Connection& conn) {
  auto result = conn.Query(
      "WITH t AS (SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, "
      "  EXISTS (SELECT 1 FROM pg_partition_ancestors(c.oid) a(relid) "
      "          JOIN pg_partitioned_table pt ON pt.partrelid = a.relid "
      "          CROSS JOIN unnest(pt.partclass) pc(opc) JOIN pg_opclass o ON o.oid = pc.opc "
      "          WHERE pt.partstrat = 'h' AND o.opcname = 'enum_ops') AS via_root "
      "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
      "  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%') "
      "SELECT DISTINCT CASE WHEN via_root THEN (SELECT quote_ident(rn.nspname) || '.' || quote_ident(r.relname) "
      "  FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = pg_partition_root(t.oid)) "
      "  ELSE 'ONLY ' || name END FROM t ORDER BY 1");
  std::vector<std::string> relations;
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return relations;
  for (int row = 0; row < result->rows(); ++row) relations.emplace_back(result->Get(row, 0));
  return relations;
}

inline std::string Scalar(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  if (!result.ok()) return absl::StrCat("error: ", result.status().message());
  return result->rows() == 0 ? "" : std::string(result->Get(0, 0));
}

// The schema of a database by the referee (SchemaOf: pg_dump -s --no-comments, or
// tools/schema-describe on servers newer than pg_dump).
inline std::string SchemaDump(const std::string& dbname) {
  return SchemaOf(PgTestServer::Get().Conninfo(dbname), {"--no-comments"});
}

}  // namespace pgark::testing
