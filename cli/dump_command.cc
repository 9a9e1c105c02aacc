// pgark dump: a database into one archive.
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "engine/dump/dump_plan.h"
#include "engine/pg/connection.h"
#include "format/base/status_macros.h"

namespace pgark::cli {
namespace {

struct DumpFlags {
  std::string conninfo;
  std::string output;  // -f FILE | - | s3://BUCKET/KEY
  int jobs = 4;
  std::string compression = "zstd";
  std::string encrypt_passphrase_file;
  std::string encrypt_key_file;
  std::vector<std::string> recipients;
  std::vector<std::string> schemas, exclude_schemas, tables, exclude_tables;
  bool schema_only = false;
  bool data_only = false;
  std::string split_larger_than;
  std::string lock_wait_timeout;
  std::string progress = "auto";
  bool dry_run = false;
};

// --dry-run: connect and list what would be dumped, largest first.
absl::Status PrintDumpPlan(const DumpFlags& flags) {
  PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(flags.conninfo));
  PGARK_ASSIGN_OR_RETURN(std::vector<engine::TableSize> tables, engine::ListTableSizes(*conn));
  int64_t total = 0;
  absl::PrintF("%-48s %14s %16s\n", "table", "rows (est.)", "bytes");
  for (const auto& table : tables) {
    absl::PrintF("%-48s %14d %16d\n", table.qualified_name, table.estimated_rows, table.total_bytes);
    total += table.total_bytes;
  }
  absl::PrintF("%d tables in database '%s', %d bytes in all\n", tables.size(), conn->database(),
               total);
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupDumpCommand(CLI::App& app) {
  auto flags = std::make_shared<DumpFlags>();
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("-f,--file", flags->output, "output: FILE, '-' for stdout, or s3://BUCKET/KEY");
  AddJobsOption(app, &flags->jobs, "parallel connections (default 4)");
  app.add_option("-Z,--compress", flags->compression, "zstd[:LEVEL] | gzip[:LEVEL] | none (default zstd)");
  app.add_option("--encrypt-passphrase-file", flags->encrypt_passphrase_file,
                 "encrypt with the passphrase in this file (or PGARK_PASSPHRASE)");
  app.add_option("--encrypt-key-file", flags->encrypt_key_file, "encrypt with a 32-byte key file");
  app.add_option("--recipient", flags->recipients, "encrypt to an X25519 public key file (repeatable)");
  app.add_option("-n,--schema", flags->schemas, "dump only this schema (repeatable)");
  app.add_option("-N,--exclude-schema", flags->exclude_schemas, "skip this schema (repeatable)");
  app.add_option("-t,--table", flags->tables, "dump only this table (repeatable)");
  app.add_option("-T,--exclude-table", flags->exclude_tables, "skip this table (repeatable)");
  app.add_flag("-s,--schema-only", flags->schema_only, "dump only the schema, no data");
  app.add_flag("-a,--data-only", flags->data_only, "dump only the data, no schema");
  app.add_option("--split-larger-than", flags->split_larger_than,
                 "split tables larger than SIZE into parallel parts (e.g. 1GB)");
  app.add_option("--lock-wait-timeout", flags->lock_wait_timeout,
                 "fail instead of waiting longer than this for table locks (e.g. 30s)");
  app.add_option("--progress", flags->progress, "auto | always | never | json")
      ->check(CLI::IsMember({"auto", "always", "never", "json"}));
  app.add_flag("--dry-run", flags->dry_run, "list the tables that would be dumped, with sizes, and stop");
  return [flags]() -> absl::Status {
    if (flags->dry_run) return PrintDumpPlan(*flags);
    return NotImplementedYet("dump");
  };
}

}  // namespace pgark::cli
