// pgark dump: a database into one archive (engine/dump/dump_engine.h).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cli/archive_options.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "cli/dump_output.h"
#include "cli/progress_display.h"
#include "engine/archive_io.h"
#include "engine/dump/dump_engine.h"
#include "engine/options.h"
#include "engine/pg/snapshot.h"
#include "engine/storage/storage_uri.h"
#include "format/base/logging.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "format/keys.h"
#include "nlohmann/json.hpp"

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
  bool globals = false;
  bool role_passwords = false;
  std::string split_larger_than = "1GB";
  std::string chunk_size = "4MB";
  std::string lock_wait_timeout;
  std::string progress = "auto";
  bool force = false;
  bool dry_run = false;
};

// --dry-run: what would be dumped, largest first, with format and parts.
absl::Status PrintDumpPlan(const engine::DumpOptions& options) {
  PGARK_ASSIGN_OR_RETURN(engine::DataPlan plan, engine::PlanDump(options));
  absl::PrintF("%-48s %14s %16s %-7s %s\n", "table", "rows (est.)", "bytes", "format", "parts");
  for (const auto& table : plan.tables) {
    absl::PrintF("%-48s %14d %16d %-7s %d%s\n", table.qualified, table.estimated_rows, table.bytes,
                 table.format == engine::CopyFormat::kBinary ? "binary" : "text", table.parts.size(),
                 table.split_method.empty() ? "" : absl::StrCat(" (", table.split_method, ")"));
  }
  size_t large_objects = 0;
  for (const auto& batch : plan.large_object_batches) large_objects += batch.size();
  absl::PrintF("%d tables, %d sequences, %d large objects, about %d bytes in all\n", plan.tables.size(),
               plan.sequences.size(), large_objects, plan.total_estimated_bytes);
  return absl::OkStatus();
}

absl::Status RunDumpCommand(const DumpFlags& flags) {
  if (flags.output.empty() && !flags.dry_run) {
    return absl::InvalidArgumentError("no output given: use -f FILE, -f - (stdout) or -f s3://BUCKET/KEY");
  }
  if (!flags.dry_run) PGARK_RETURN_IF_ERROR(CheckOutputTarget("dump", flags.output));
  engine::DumpOptions options;
  options.conninfo = flags.conninfo;
  options.jobs = flags.jobs;
  options.include_schemas = flags.schemas;
  options.exclude_schemas = flags.exclude_schemas;
  options.include_tables = flags.tables;
  options.exclude_tables = flags.exclude_tables;
  options.schema_only = flags.schema_only;
  options.data_only = flags.data_only;
  options.globals = flags.globals;
  options.role_passwords = flags.role_passwords;
  if (options.role_passwords && !options.globals) {
    return absl::InvalidArgumentError("--role-passwords needs --globals");
  }
  if (options.schema_only && options.data_only) {
    return absl::InvalidArgumentError("-s/--schema-only and -a/--data-only cannot be used together");
  }
  PGARK_ASSIGN_OR_RETURN(options.split_larger_than, ParseSize(flags.split_larger_than));
  PGARK_ASSIGN_OR_RETURN(int64_t chunk_size, ParseSize(flags.chunk_size));
  if (chunk_size < (int64_t{64} << 10) || chunk_size > (int64_t{64} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chunk-size must be between 64kB and 64MB, not '", flags.chunk_size, "'"));
  }
  options.chunk_size = static_cast<size_t>(chunk_size);
  // Large objects are cut into segments that must fit in one chunk.
  options.large_object_segment = static_cast<int32_t>(std::min<int64_t>(options.large_object_segment, chunk_size));
  if (!flags.lock_wait_timeout.empty()) {
    PGARK_ASSIGN_OR_RETURN(options.lock_wait_timeout, pg::ParseLockWaitTimeout(flags.lock_wait_timeout));
  }
  if (flags.dry_run) return PrintDumpPlan(options);
  format::WriterOptions writer_options;
  PGARK_RETURN_IF_ERROR(ParseCompression(flags.compression, &writer_options));
  EncryptionSources keys;
  keys.passphrase_file = flags.encrypt_passphrase_file;
  keys.key_file = flags.encrypt_key_file;
  keys.recipients = flags.recipients;
  PGARK_RETURN_IF_ERROR(LoadEncryption(keys, &writer_options.encryption));

  absl::StatusOr<engine::DumpResult> result =
      DumpToLocation(options, writer_options, flags.output, flags.force, flags.progress);
  PGARK_RETURN_IF_ERROR(result.status());

  const engine::DumpResult& r = *result;
  double stored = static_cast<double>(r.archive.archive_bytes);
  base::LogLine(
      base::LogLevel::kInfo,
      absl::StrFormat("dumped %d tables (%d split, %d text), %d rows, %d large objects, %d sequences: "
                      "%s raw -> %s stored (ratio %.2f) in %.1f s, %s/s -> %s",
                      r.tables, r.split_tables, r.text_tables, r.rows, r.large_objects, r.sequences,
                      HumanBytes(static_cast<double>(r.raw_bytes)), HumanBytes(stored),
                      stored > 0 ? static_cast<double>(r.raw_bytes) / stored : 0.0, r.seconds,
                      HumanBytes(static_cast<double>(r.raw_bytes) / std::max(r.seconds, 1e-3)),
                      flags.output == "-" ? std::string("stdout") : flags.output));
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupDumpCommand(CLI::App& app) {
  auto flags = std::make_shared<DumpFlags>();
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("-f,--file", flags->output, "output: FILE, '-' for stdout, or s3://BUCKET/KEY");
  AddJobsOption(app, &flags->jobs, "parallel worker connections (default 4)");
  app.add_option("-Z,--compress", flags->compression,
                 "zstd[:LEVEL] | gzip[:LEVEL] | none (default zstd, level 1: chosen by benchmark, docs/format.md)");
  app.add_option("--encrypt-passphrase-file", flags->encrypt_passphrase_file,
                 "encrypt with the passphrase in this file (without it: PGARK_PASSPHRASE, when set)");
  app.add_option("--encrypt-key-file", flags->encrypt_key_file,
                 "encrypt with a 32-byte key file from 'pgark keygen -o'");
  app.add_option("--recipient", flags->recipients,
                 "encrypt to an X25519 public key file from 'pgark keygen --x25519' (repeatable)")
      ->allow_extra_args(false);
  // One value per occurrence (as pg_dump): "-n a b" is an error, not two patterns.
  app.add_option("-n,--schema", flags->schemas, "dump only schemas matching this pattern (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-N,--exclude-schema", flags->exclude_schemas, "skip schemas matching this pattern (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-t,--table", flags->tables, "dump only tables matching this pattern (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-T,--exclude-table", flags->exclude_tables, "skip tables matching this pattern (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("-s,--schema-only", flags->schema_only, "dump only the schema, no data");
  app.add_flag("-a,--data-only", flags->data_only, "dump only the data, no schema");
  app.add_flag("--globals", flags->globals,
               "also dump roles and tablespaces (like pg_dumpall -g; 'pgark restore --globals' replays them)");
  app.add_flag("--role-passwords", flags->role_passwords,
               "with --globals: include role password hashes (needs superuser; default: none)");
  app.add_option("--split-larger-than", flags->split_larger_than,
                 "split tables larger than SIZE (heap + TOAST) into parallel parts; 0 = never (default 1GB)");
  app.add_option("--chunk-size", flags->chunk_size,
                 "raw bytes per archive chunk, cut at row boundaries (64kB..64MB; default 4MB)");
  app.add_option("--lock-wait-timeout", flags->lock_wait_timeout,
                 "fail instead of waiting longer than this for table locks (e.g. 30s; default: wait)");
  AddProgressOption(app, &flags->progress);
  app.add_flag("--force", flags->force, "replace the output if it exists");
  app.add_flag("--dry-run", flags->dry_run, "list what would be dumped (tables, sizes, formats, parts) and stop");
  return [flags]() -> absl::Status { return RunDumpCommand(*flags); };
}

}  // namespace pgark::cli
