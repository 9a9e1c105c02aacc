// `pgark export` end to end: the conformance corpus plus a table of many types exported from
// a live database, checked as gzip by independent readers (gzip -t, zcat, Python's gzip),
// replayed with real psql under ON_ERROR_STOP into an empty database, and compared with the
// source (schema with pg_dump -s as referee, per-table digests, sequences, large objects).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/archive_io.h"
#include "engine/catalog/catalog_reader.h"
#include "engine/export/archive_exporter.h"
#include "engine/export/binary_to_text.h"
#include "engine/export/sql_exporter.h"
#include "engine/storage/storage_uri.h"
#include "format/archive_writer.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/export_type_shape.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

// Values chosen to stress text COPY and the script: escapes, NULLs, arrays, time zones, money.
constexpr char kTypesSql[] = R"sql(
CREATE SCHEMA "Export ""Types""";
CREATE TYPE "Export ""Types""".color AS ENUM ('red', 'green', 'it''s');
CREATE TABLE "Export ""Types""".many (
  id bigserial PRIMARY KEY, "order" text, b bytea, n numeric, f float8, r real, ts timestamptz,
  t timestamp, d date, i interval, j jsonb, arr text[], ia int[][], ir int4range, c "Export ""Types""".color,
  m money, ip inet, bits varbit, tsv tsvector, u uuid, x xml, pt point, mr int4multirange);
INSERT INTO "Export ""Types""".many ("order", b, n, f, r, ts, t, d, i, j, arr, ia, ir, c, m, ip, bits, tsv, u, x, pt, mr)
SELECT E'tab\there\nnewline \\ backslash ' || g, decode(md5(g::text), 'hex'), g * 1.5, g / 7.0, g / 3.0,
       '2020-01-01 00:00:00+05:30'::timestamptz + g * interval '1 hour', '0044-03-15 BC'::timestamp,
       'infinity'::date, make_interval(days => g, secs => g / 3.0), jsonb_build_object('k', g, 's', E'a\nb'),
       ARRAY['a', NULL, 'b c', ''], ARRAY[[g, g + 1], [g + 2, NULL]], int4range(g, g + 10), 'it''s',
       g * 100.25, '10.0.0.1/8', B'1011', to_tsvector('simple', 'fat cat ' || g),
       md5(g::text)::uuid, '<a>x</a>', point(g, -g), int4multirange(int4range(1, 3), int4range(g + 5, g + 9))
FROM generate_series(1, 3000) g;
INSERT INTO "Export ""Types""".many ("order") VALUES (NULL), ('\N'), ('\.');
CREATE TABLE "Export ""Types""".empty_table (a int);
CREATE SEQUENCE "Export ""Types""".counter START 7;
SELECT nextval('"Export ""Types""".counter') FROM generate_series(1, 5);
SELECT lo_from_bytea(0, decode(repeat('ab', 3000000), 'hex'));
SELECT lo_from_bytea(0, '');
)sql";

// Runs `copy_sql` (COPY ... TO STDOUT) and returns everything it sent.
std::string CopyOut(pg::Connection& conn, const std::string& copy_sql) {
  std::string all, row;
  EXPECT_OK(conn.StartCopyOut(copy_sql));
  while (true) {
    auto more = conn.ReadCopyRow(&row);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    all += row;
  }
  return all;
}

// Appends `data` to a new stream in pieces (flagged as ending mid-row, as the format allows).
void WriteStream(format::ArchiveWriter& writer, uint32_t id, const std::string& data, int64_t rows) {
  auto stream = writer.OpenStream(id);
  ASSERT_OK(stream.status());
  constexpr size_t kPiece = 40000;
  for (size_t i = 0; i < data.size(); i += kPiece) {
    ASSERT_OK((*stream)->Append(absl::string_view(data).substr(i, kPiece), i + kPiece < data.size()));
  }
  ASSERT_OK((*stream)->Finish(rows));
}

// Writes an archive of `db` laid out as the dump engine lays it out (docs/dump.md): catalog.json,
// dump/plan.json with type shapes and stream ids, binary tuples-only streams (every third table
// in text format instead, and every table whose types have no decoder), large objects as
// (oid, offset, data) rows, dump/sequences.json. Encrypted with `key`.
// `mystery_column`: describe this column's type as an unknown extension type (no decoder).
void WriteArchiveLikeDump(const ScratchDatabase& db, const std::string& path,
                          const format::SecretKey& key, const std::string& mystery_column = "") {
  auto conn = db.Connect();
  ASSERT_OK(catalog::PrepareDumpSession(*conn));
  ASSERT_OK(conn->Execute(engine::kTextOutputSettingsSql));
  ASSERT_OK(conn->Execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  catalog::ReadOptions read;
  read.large_object_metadata = true;  // as pgark dump does: owners, ACLs, comments
  ASSERT_OK_AND_ASSIGN(catalog::Catalog cat, catalog::ReadCatalog(*conn, read));
  ASSERT_OK_AND_ASSIGN(auto object, storage::OpenStorageObject(path, {}));
  ASSERT_OK_AND_ASSIGN(auto out, object.storage->NewWriter(object.key, {}));
  engine::ObjectSink sink(out.get());
  format::WriterOptions options;
  options.chunk_size = 64 << 10;
  options.encryption.key_files.push_back(key);
  ASSERT_OK_AND_ASSIGN(auto writer, format::ArchiveWriter::Create(&sink, options));
  ASSERT_OK(writer->AddMetadata("catalog.json", catalog::CatalogToJson(cat)));
  nlohmann::json tables = nlohmann::json::array();
  uint32_t next_stream = 1;
  int n = 0;
  for (const catalog::CatalogItem& item : cat.items) {
    if (item.kind != catalog::ObjectKind::kTableData || !item.table) continue;
    nlohmann::json columns = nlohmann::json::array();
    std::vector<engine::DecodeColumn> decode;
    std::string names;
    for (const catalog::ColumnInfo& c : item.table->columns) {
      nlohmann::json shape = ::pgark::testing::TypeShapeJson(*conn, c.type_oid);
      if (c.name == mystery_column) {
        shape = {{"kind", "base"}, {"oid", 16999}, {"schema", "ext"}, {"name", "mystery"},
                 {"extension", "mystery_ext"}};
      }
      columns.push_back({{"name", c.name}, {"type", c.type}, {"shape", shape}});
      auto type = engine::DecodeTypeFromShapeJson(shape);
      ASSERT_OK(type.status());
      decode.push_back({c.name, *type});
      absl::StrAppend(&names, names.empty() ? "" : ", ", engine::QuoteIdentAlways(c.name));
    }
    bool has_mystery = std::any_of(item.table->columns.begin(), item.table->columns.end(),
                                   [&](const catalog::ColumnInfo& c) { return c.name == mystery_column; });
    bool binary = has_mystery || (++n % 3 != 0 && !names.empty() &&
                                  engine::BinaryCopyToText::Create(item.id, decode).ok());
    std::string source = absl::StrCat(engine::QuoteIdentAlways(item.schema), ".",
                                      engine::QuoteIdentAlways(item.name));
    std::string data = names.empty()
        ? CopyOut(*conn, absl::StrCat("COPY ", source, " TO STDOUT"))
        : CopyOut(*conn, absl::StrCat("COPY (SELECT ", names, " FROM ONLY ", source, ") TO STDOUT",
                                      binary ? " (FORMAT binary)" : ""));
    if (binary) data = data.substr(19, data.size() - 21);  // tuples only
    uint32_t id = next_stream++;
    ASSERT_NO_FATAL_FAILURE(WriteStream(*writer, id, data, 0));
    tables.push_back({{"schema", item.schema}, {"name", item.name}, {"catalog_id", item.id},
                      {"format", binary ? "binary" : "text"}, {"columns", columns},
                      {"bytes", data.size()}, {"streams", {id}}});
  }
  std::string los = CopyOut(*conn, "COPY (SELECT oid, 0::int8, lo_get(oid) FROM pg_largeobject_metadata "
                                   "ORDER BY oid) TO STDOUT (FORMAT binary)");
  uint32_t lo_stream = next_stream++;
  ASSERT_NO_FATAL_FAILURE(WriteStream(*writer, lo_stream, los.substr(19, los.size() - 21), 0));
  nlohmann::json plan = {{"version", 1}, {"server_version", conn->server_version()},
                         {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"},
                         {"binary_chunks", "tuples-only"}, {"tables", tables},
                         {"large_objects", {{"format", "binary"}, {"streams", {{{"stream_id", lo_stream}}}}}}};
  ASSERT_OK(writer->AddMetadata("dump/plan.json", plan.dump()));
  ASSERT_OK_AND_ASSIGN(pg::Result seqs,
                       conn->Query("SELECT schemaname, sequencename, last_value, last_value IS NOT NULL "
                                   "FROM pg_sequences"));
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < seqs.rows(); ++i) {
    values.push_back({{"schema", std::string(seqs.Get(i, 0))}, {"name", std::string(seqs.Get(i, 1))},
                      {"last_value", seqs.IsNull(i, 2) ? 1 : std::stoll(std::string(seqs.Get(i, 2)))},
                      {"is_called", seqs.GetBool(i, 3)}});
  }
  ASSERT_OK(writer->AddMetadata("dump/sequences.json", values.dump()));
  ASSERT_OK(writer->Finish().status());
  ASSERT_OK(conn->Execute("COMMIT"));
}

// The COPY blocks of a script ("COPY ... FROM stdin;" through "\."), sorted.
std::vector<std::string> CopyBlocks(const std::string& script) {
  std::vector<std::string> blocks;
  size_t pos = 0;
  while ((pos = script.find("\nCOPY ", pos)) != std::string::npos) {
    size_t end = script.find("\n\\.\n", pos);
    if (end == std::string::npos) break;
    blocks.push_back(script.substr(pos + 1, end - pos));
    pos = end;
  }
  std::sort(blocks.begin(), blocks.end());
  return blocks;
}

std::string Psql() { return PgTestServer::Get().client_bindir() + "/psql"; }

// Decompresses `gz` with two independent readers, zcat and Python's gzip module (which reads
// multi-member files), checks that they agree, and returns the script.
void Gunzip(const std::string& gz, std::string* script) {
  auto zcat = RunCommand({"zcat", gz});
  ASSERT_EQ(zcat.exit_code, 0) << zcat.err;
  auto python = RunCommand({"python3", "-c",
                            "import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())",
                            gz});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  ASSERT_TRUE(python.out == zcat.out) << "zcat and Python's gzip disagree on " << gz;
  *script = std::move(zcat.out);
}

void Seed(const ScratchDatabase& db) {
  std::vector<std::string> files;
  std::string corpus = std::string(PGARK_SOURCE_DIR) + "/tests/corpus";
  if (DIR* dir = opendir(corpus.c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") files.push_back(name);
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  int major = PgTestServer::Get().server_version() / 10000;
  for (const std::string& name : files) {
    if (name.rfind("pg", 0) == 0 && name.find("_plus") != std::string::npos &&
        std::atoi(name.c_str() + 2) > major) {
      continue;
    }
    auto r = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.conninfo(), "-f",
                         corpus + "/" + name});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
  std::string types_sql = kTypesSql;
  if (major < 14) {  // multiranges are 14+: an array of ranges in the same column instead
    types_sql = absl::StrReplaceAll(types_sql, {{"mr int4multirange", "mr int4range[]"},
                                                {"int4multirange(int4range(1, 3), int4range(g + 5, g + 9))",
                                                 "ARRAY[int4range(1, 3), int4range(g + 5, g + 9)]"}});
  }
  auto r = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.conninfo()}, {},
                      types_sql);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

class ExportRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-export-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { RunShell("rm -rf '" + dir_ + "'"); }

  // Replays `gz` into a new database and compares it with `src`.
  void ReplayAndCompare(const ScratchDatabase& src, const std::string& gz) {
    ScratchDatabase dst("exp_dst");
    auto replay = RunShell("gunzip -c '" + gz + "' | '" + Psql() +
                           "' -X -q -v ON_ERROR_STOP=1 -d '" + dst.conninfo() + "'");
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_THAT(replay.err, ::testing::Not(HasSubstr("ERROR")));
    auto compare = RunCommand({"bash", "-c",
        ". '" PGARK_SOURCE_DIR "/tools/lib/compare.sh'; PGARK_REFEREE_BINDIR='" +
        PgTestServer::Get().client_bindir() + "' compare_databases '" + src.conninfo() + "' '" +
        dst.conninfo() + "'"});
    EXPECT_EQ(compare.exit_code, 0) << compare.err;
  }

  std::string dir_;
};

TEST_F(ExportRoundTripTest, LiveDatabaseReplaysIdenticallyThroughPsql) {
  ScratchDatabase src("exp_src");
  ASSERT_NO_FATAL_FAILURE(Seed(src));
  std::string gz = dir_ + "/out.sql.gz";
  auto run = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz, "-j", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("exported"));
  // Independent gzip readers accept the multi-member file and agree on its contents.
  auto test = RunCommand({"gzip", "-t", gz});
  EXPECT_EQ(test.exit_code, 0) << test.err;
  std::string script;
  ASSERT_NO_FATAL_FAILURE(Gunzip(gz, &script));
  EXPECT_EQ(script.rfind("--\n-- PostgreSQL database export written by pgark", 0), 0u);
  EXPECT_THAT(script, HasSubstr("SET client_encoding = 'UTF8';"));
  EXPECT_THAT(script, HasSubstr("COPY \"Export \"\"Types\"\"\".\"many\" (\"id\", \"order\""));
  EXPECT_THAT(script, HasSubstr("\n\\.\n"));
  EXPECT_THAT(script, HasSubstr("lo_put"));
  // Several members: the table data was compressed separately from the DDL.
  auto members = RunShell("python3 -c \"import sys,zlib; d=open(sys.argv[1],'rb').read(); n=0\n"
                          "while d:\n o=zlib.decompressobj(31); o.decompress(d); d=o.unused_data; n+=1\n"
                          "print(n)\" '" + gz + "'");
  ASSERT_EQ(members.exit_code, 0) << members.err;
  EXPECT_GT(std::atoi(members.out.c_str()), 3);
  struct stat st;
  ASSERT_EQ(stat(gz.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ReplayAndCompare(src, gz);
}

TEST_F(ExportRoundTripTest, ArchiveExportDecodesBinaryDataLikeTheServerAndReplays) {
  ScratchDatabase src("exp_arch");
  ASSERT_NO_FATAL_FAILURE(Seed(src));
  format::SecretKey key = format::SecretKey::Random();
  std::string key_file = dir_ + "/archive.key";
  ASSERT_EQ(RunCommand({"sh", "-c", "cat > '" + key_file + "'"}, {}, format::EncodeKeyFile(key)).exit_code, 0);
  std::string archive = dir_ + "/src.pgark";
  ASSERT_NO_FATAL_FAILURE(WriteArchiveLikeDump(src, archive, key));

  // Without the key the export fails before writing anything (exit 7).
  std::string gz = dir_ + "/from-archive.sql.gz";
  auto locked = RunCommand({PGARK_BINARY, "export", archive, "-f", gz});
  EXPECT_EQ(locked.exit_code, 7) << locked.err;
  EXPECT_NE(access(gz.c_str(), F_OK), 0);

  auto run = RunCommand({PGARK_BINARY, "export", archive, "--key-file", key_file, "-f", gz, "-j", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(RunCommand({"gzip", "-t", gz}).exit_code, 0);
  std::string live = dir_ + "/live.sql.gz";
  auto live_run = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", live});
  ASSERT_EQ(live_run.exit_code, 0) << live_run.err;
  // Every table's COPY block decoded from binary equals the live text COPY, byte for byte.
  std::string script;
  ASSERT_NO_FATAL_FAILURE(Gunzip(gz, &script));
  std::vector<std::string> from_archive = CopyBlocks(script);
  std::vector<std::string> from_live = CopyBlocks(RunCommand({"zcat", live}).out);
  EXPECT_GT(from_archive.size(), 10u);
  ASSERT_EQ(from_archive.size(), from_live.size());
  for (size_t i = 0; i < from_live.size(); ++i) {
    EXPECT_TRUE(from_archive[i] == from_live[i])
        << from_live[i].substr(0, from_live[i].find('\n'));
  }
  ReplayAndCompare(src, gz);
}

// Through the real `pgark dump`: corpus -> encrypted archive -> export -> psql -> compare.
TEST_F(ExportRoundTripTest, ExportOfAPgarkDumpArchiveReplaysIdentically) {
  ScratchDatabase src("exp_dump");
  ASSERT_NO_FATAL_FAILURE(Seed(src));
  std::string key_file = dir_ + "/dump.key";
  auto keygen = RunCommand({PGARK_BINARY, "keygen", "-o", key_file});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  std::string archive = dir_ + "/dump.pgark";
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", src.conninfo(), "-j", "2", "-f", archive,
                          "--encrypt-key-file", key_file});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::string gz = dir_ + "/dump.sql.gz";
  auto run = RunCommand({PGARK_BINARY, "export", archive, "--key-file", key_file, "-f", gz, "-j", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(RunCommand({"gzip", "-t", gz}).exit_code, 0);
  ReplayAndCompare(src, gz);
}

TEST_F(ExportRoundTripTest, ArchiveColumnWithoutDecoderFailsNamingTableAndColumn) {
  ScratchDatabase src("exp_mystery");
  auto seed = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", src.conninfo()}, {},
                         "CREATE TABLE public.gadgets (id int, secret_sauce int); "
                         "INSERT INTO public.gadgets VALUES (1, 2);");
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  format::SecretKey key = format::SecretKey::Random();
  std::string key_file = dir_ + "/k.key";
  ASSERT_EQ(RunCommand({"sh", "-c", "cat > '" + key_file + "'"}, {}, format::EncodeKeyFile(key)).exit_code, 0);
  std::string archive = dir_ + "/mystery.pgark";
  ASSERT_NO_FATAL_FAILURE(WriteArchiveLikeDump(src, archive, key, "secret_sauce"));
  std::string gz = dir_ + "/mystery.sql.gz";
  auto run = RunCommand({PGARK_BINARY, "export", archive, "--key-file", key_file, "-f", gz});
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_THAT(run.err, HasSubstr("public.gadgets"));
  EXPECT_THAT(run.err, HasSubstr("secret_sauce"));
  EXPECT_THAT(run.err, HasSubstr("ext.mystery"));
  EXPECT_NE(access(gz.c_str(), F_OK), 0);
}

TEST_F(ExportRoundTripTest, StdoutOutputAndLevelsProduceTheSameScript) {
  ScratchDatabase src("exp_stdout");
  auto seed = RunCommand({Psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", src.conninfo()}, {},
                         "CREATE TABLE t (a int, b text); "
                         "INSERT INTO t SELECT g, repeat('x', g % 100) FROM generate_series(1, 50000) g;");
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  auto fast = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", "-", "--level", "1"});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  ASSERT_GE(fast.out.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(fast.out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(fast.out[1]), 0x8b);
  std::string gz1 = dir_ + "/l1.sql.gz", gz9 = dir_ + "/l9.sql.gz";
  ASSERT_EQ(RunCommand({"sh", "-c", "cat > '" + gz1 + "'"}, {}, fast.out).exit_code, 0);
  auto best = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz9, "--level", "9", "-j", "1"});
  ASSERT_EQ(best.exit_code, 0) << best.err;
  // Identical but for the random \restrict key of each run.
  // (StrCat, not StrFormat: clang rejects a format string that is not a constant expression.)
  auto strip_key = [](const std::string& gz) {
    return absl::StrCat("zcat '", gz, "' | sed -e 's/^\\\\\\(un\\)\\{0,1\\}restrict .*$/KEY/'");
  };
  auto a = RunShell(strip_key(gz1));
  auto b = RunShell(strip_key(gz9));
  EXPECT_TRUE(a.out == b.out);
  EXPECT_NE(a.out.find("\nKEY\n"), std::string::npos);
  struct stat s1, s9;
  ASSERT_EQ(stat(gz1.c_str(), &s1), 0);
  ASSERT_EQ(stat(gz9.c_str(), &s9), 0);
  EXPECT_LT(s9.st_size, s1.st_size);
  ReplayAndCompare(src, gz9);
}

TEST_F(ExportRoundTripTest, FailuresPublishNothingAndExistingOutputIsKept) {
  std::string gz = dir_ + "/fail.sql.gz";
  auto bad = RunCommand({PGARK_BINARY, "export", "-d",
                         PgTestServer::Get().Conninfo("pgark_no_such_database"), "-f", gz});
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("pgark_no_such_database"));
  auto listing = RunShell("ls -A '" + dir_ + "'");
  EXPECT_EQ(listing.out, "");  // no partial or temporary file left behind
  ASSERT_EQ(RunShell("echo keep > '" + gz + "'").exit_code, 0);
  ScratchDatabase src("exp_exists");
  auto exists = RunCommand({PGARK_BINARY, "export", "-d", src.conninfo(), "-f", gz});
  EXPECT_EQ(exists.exit_code, 3) << exists.err;
  EXPECT_EQ(RunShell("cat '" + gz + "'").out, "keep\n");
}

}  // namespace
}  // namespace pgark
