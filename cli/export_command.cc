// pgark export: plain SQL, gzip-compressed, from a database or an archive.
#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "engine/export/archive_exporter.h"
#include "engine/export/sql_exporter.h"
#include "engine/storage/storage_uri.h"
#include "format/base/status_macros.h"
#include "format/keys.h"

namespace pgark::cli {
namespace {

struct ExportFlags {
  std::string conninfo;
  std::string source;  // an archive instead of a database
  std::string output;
  int jobs = 4;
  int level = 1;
  bool no_owner = false;
  bool no_acl = false;
  KeySourceFlags keys;
};

absl::Status RunExport(const ExportFlags& flags) {
  if (!flags.source.empty() && !flags.conninfo.empty()) {
    return absl::InvalidArgumentError("give either -d CONNINFO or an archive, not both");
  }
  if (!flags.source.empty()) PGARK_RETURN_IF_ERROR(CheckArchivePath("export", flags.source, ArchiveAccess::kFileOnly));
  // gzip's rule: compressed bytes are no use on a terminal and can upset it.
  PGARK_RETURN_IF_ERROR(CheckOutputTarget("export", flags.output));
  PGARK_ASSIGN_OR_RETURN(storage::StorageObject object,
                         storage::OpenStorageObject(flags.output, storage::StorageOptions()));
  // The file is written under a temporary name and renamed by Close() only once complete.
  PGARK_ASSIGN_OR_RETURN(auto writer, object.storage->NewWriter(object.key, storage::WriteOptions()));
  // Spill large tables next to a local output file (same filesystem as the result).
  std::string spill_dir;
  PGARK_ASSIGN_OR_RETURN(storage::SplitObjectUriResult split, storage::SplitObjectUri(flags.output));
  PGARK_ASSIGN_OR_RETURN(storage::ParsedStorageUri parsed, storage::ParseStorageUri(split.root));
  if (parsed.kind == storage::StorageKind::kFile) spill_dir = parsed.path;
  engine::ExportResult result;
  if (!flags.source.empty()) {
    engine::ArchiveExportOptions options;
    options.archive = flags.source;
    PGARK_ASSIGN_OR_RETURN(options.keys, LoadKeys(flags.keys));
    options.jobs = flags.jobs;
    options.level = flags.level;
    options.no_owner = flags.no_owner;
    options.no_acl = flags.no_acl;
    options.spill_dir = spill_dir;
    PGARK_ASSIGN_OR_RETURN(result, engine::ExportArchive(options, writer.get()));
  } else {
    engine::ExportOptions options;
    options.conninfo = flags.conninfo;
    options.jobs = flags.jobs;
    options.level = flags.level;
    options.no_owner = flags.no_owner;
    options.no_acl = flags.no_acl;
    options.spill_dir = spill_dir;
    PGARK_ASSIGN_OR_RETURN(result, engine::ExportDatabase(options, writer.get()));
  }
  absl::FPrintF(stderr,
                "exported %d tables, %d rows, %d sequences, %d large objects: %d SQL bytes -> "
                "%d gzip bytes in %.1fs\n",
                result.tables, result.rows, result.sequences, result.large_objects,
                result.sql_bytes, result.gzip_bytes, result.seconds);
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupExportCommand(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  app.add_option("archive", flags->source, "export from this archive instead of a database");
  AddConnectionOption(app, &flags->conninfo);
  app.add_option("-f,--file", flags->output, "output .sql.gz file, or '-' for stdout")->required();
  AddJobsOption(app, &flags->jobs, "parallel workers (default 4)");
  app.add_option("--level", flags->level, "gzip level 1-12 (default 1: the cheapest, within 2 % of level 4 on the benchmark data)")->check(CLI::Range(1, 12));
  app.add_flag("-O,--no-owner", flags->no_owner, "skip ALTER ... OWNER TO");
  app.add_flag("-x,--no-acl", flags->no_acl, "skip GRANT/REVOKE");
  AddKeySourceOptions(app, &flags->keys);
  return [flags]() -> absl::Status { return RunExport(*flags); };
}

}  // namespace pgark::cli
