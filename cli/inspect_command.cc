// pgark inspect: what an archive holds (header, key slots without secrets, streams, sizes,
// row counts, compression ratio). The header and key slots are readable without a key;
// the index of an encrypted archive needs one (--passphrase-file, --key-file, --identity).
#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/cli_common.h"
#include "cli/command_table.h"
#include "engine/archive_io.h"
#include "format/archive_reader.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "format/codec/compressor.h"
#include "nlohmann/json.hpp"

namespace pgark::cli {
namespace {

struct InspectFlags {
  std::string source;
  bool json = false;
  KeySourceFlags keys;
};

const char* SlotTypeName(format::KeySlotType t) {
  switch (t) {
    case format::KeySlotType::kPassphrase:
      return "passphrase";
    case format::KeySlotType::kKeyFile:
      return "key-file";
    case format::KeySlotType::kX25519:
      return "x25519";
  }
  return "unknown";
}

double Ratio(uint64_t raw, uint64_t stored) {
  return stored == 0 ? 0.0 : static_cast<double>(raw) / static_cast<double>(stored);
}

absl::Status RunInspect(const InspectFlags& flags) {
  PGARK_RETURN_IF_ERROR(CheckArchivePath("inspect", flags.source, ArchiveAccess::kFileOnly));
  PGARK_ASSIGN_OR_RETURN(engine::OpenedArchive archive, engine::OpenArchiveForRead(flags.source));
  if (!archive.random_access) {
    return absl::InvalidArgumentError(absl::StrCat("inspect needs a seekable archive, not '",
                                                   flags.source, "'"));
  }
  // Damage names the archive (an s3:// object especially: the reader's message does not).
  const std::string named = absl::StrCat("archive '", flags.source, "'");
  absl::StatusOr<format::HeaderInfo> read_header = format::ReadHeaderInfo(archive.source.get());
  if (!read_header.ok()) return base::Annotate(read_header.status(), named);
  const format::HeaderInfo& header = *read_header;
  PGARK_ASSIGN_OR_RETURN(format::KeyRing ring, LoadKeys(flags.keys));
  // Without a key an encrypted archive shows its header only.
  std::unique_ptr<format::ArchiveReader> reader;
  std::string index_note;
  if (!header.encrypted || !ring.empty()) {
    format::ReaderOptions options;
    options.keys = ring;
    absl::StatusOr<std::unique_ptr<format::ArchiveReader>> opened =
        format::ArchiveReader::Open(archive.source.get(), options);
    if (!opened.ok()) return base::Annotate(opened.status(), named);
    reader = *std::move(opened);
  } else {
    index_note = "encrypted: give --passphrase-file, --key-file or --identity to list streams";
  }
  nlohmann::json j;
  j["archive"] = flags.source;
  j["format_version"] = absl::StrCat(header.format_major, ".", header.format_minor);
  j["archive_id"] = header.archive_id_hex;
  j["created"] = absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMicros(header.created_unix_us),
                                  absl::UTCTimeZone());
  j["writer"] = header.writer_version;
  j["encrypted"] = header.encrypted;
  j["cipher"] = header.encrypted ? "xchacha20-poly1305" : "none";
  j["compression"] = format::CompressionName(header.compression);
  j["level"] = header.level;
  j["chunk_size"] = header.chunk_size;
  j["key_slots"] = nlohmann::json::array();
  for (const format::KeySlotInfo& s : header.key_slots) {
    nlohmann::json slot{{"type", SlotTypeName(s.type)}};
    if (s.type == format::KeySlotType::kPassphrase) {
      slot["argon2id_ops"] = s.argon.ops;
      slot["argon2id_memory"] = s.argon.mem;
    } else {
      slot["key_id"] = s.key_id;
    }
    j["key_slots"].push_back(slot);
  }
  if (reader) {
    const format::ArchiveInfo& info = reader->info();
    uint64_t stored = 0;
    j["size"] = info.archive_size;
    j["frames"] = info.frame_count;
    j["metadata"] = nlohmann::json::array();
    for (const auto& m : info.metadata) j["metadata"].push_back({{"name", m.name}, {"bytes", m.size}});
    j["streams"] = nlohmann::json::array();
    for (const auto& s : info.streams) {
      stored += s.stored_bytes;
      j["streams"].push_back({{"id", s.stream_id}, {"chunks", s.chunks}, {"raw_bytes", s.raw_bytes},
                              {"stored_bytes", s.stored_bytes}, {"rows", s.rows},
                              {"digest", s.digest_hex}});
    }
    j["raw_bytes"] = info.raw_bytes;
    j["compression_ratio"] = Ratio(info.raw_bytes, stored);
  } else {
    j["note"] = index_note;
  }
  if (flags.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return absl::OkStatus();
  }
  std::string out;
  absl::StrAppendFormat(&out, "archive      %s\nformat       %s\narchive id   %s\ncreated      %s\n",
                        flags.source, j["format_version"].get<std::string>(), header.archive_id_hex,
                        j["created"].get<std::string>());
  absl::StrAppendFormat(&out, "writer       %s\ncompression  %s (level %d), chunks up to %d bytes\n",
                        header.writer_version, format::CompressionName(header.compression),
                        header.level, header.chunk_size);
  absl::StrAppendFormat(&out, "encryption   %s\n", j["cipher"].get<std::string>());
  for (size_t i = 0; i < header.key_slots.size(); ++i) {
    const auto& s = header.key_slots[i];
    if (s.type == format::KeySlotType::kPassphrase) {
      absl::StrAppendFormat(&out, "key slot %d   passphrase (Argon2id ops %d, memory %d MiB)\n", i + 1,
                            s.argon.ops, s.argon.mem >> 20);
    } else {
      absl::StrAppendFormat(&out, "key slot %d   %s id %s\n", i + 1, SlotTypeName(s.type), s.key_id);
    }
  }
  if (reader) {
    const format::ArchiveInfo& info = reader->info();
    absl::StrAppendFormat(&out, "size         %d bytes, %d frames, raw %d bytes, ratio %.2f\n",
                          info.archive_size, info.frame_count, info.raw_bytes,
                          j["compression_ratio"].get<double>());
    for (const auto& m : info.metadata) {
      absl::StrAppendFormat(&out, "metadata     %s (%d bytes)\n", m.name, m.size);
    }
    absl::StrAppendFormat(&out, "%-8s %8s %14s %14s %12s %7s\n", "stream", "chunks", "raw bytes",
                          "stored bytes", "rows", "ratio");
    for (const auto& s : info.streams) {
      absl::StrAppendFormat(&out, "%-8d %8d %14d %14d %12d %7.2f\n", s.stream_id, s.chunks,
                            s.raw_bytes, s.stored_bytes, s.rows, Ratio(s.raw_bytes, s.stored_bytes));
    }
  } else {
    absl::StrAppendFormat(&out, "streams      (%s)\n", index_note);
  }
  std::fputs(out.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace

CommandRunner SetupInspectCommand(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  app.add_option("archive", flags->source, "archive FILE or s3://BUCKET/KEY")->required();
  app.add_flag("--json", flags->json, "print as JSON");
  AddKeySourceOptions(app, &flags->keys);
  return [flags]() -> absl::Status { return RunInspect(*flags); };
}

}  // namespace pgark::cli
