#pragma once
// Adapters between engine/storage (ObjectWriter / ObjectReader) and the archive format's
// byte interfaces (format/byte_io.h), plus helpers to open an archive by URI.
//
// format/ never includes engine/ headers; this file is the bridge.
//
//   PGARK_ASSIGN_OR_RETURN(auto writer, storage->NewWriter(key, {}));
//   ObjectSink sink(writer.get());
//   ... format::ArchiveWriter::Create(&sink, options) ... Finish() closes `writer`.
//
// Thread-safety: as the wrapped object (ObjectReader::ReadAt is concurrent-safe when the
// storage has random_read, hence ObjectSource::ReadAt too).

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/storage/storage.h"
#include "format/byte_io.h"

namespace pgark::engine {

// ByteSink over an ObjectWriter (borrowed). Close() calls ObjectWriter::Close(), which
// publishes the object.
class ObjectSink : public format::ByteSink {
 public:
  explicit ObjectSink(storage::ObjectWriter* writer) : writer_(writer) {}
  absl::Status Append(absl::string_view data) override { return writer_->Append(data); }
  absl::Status Close() override { return writer_->Close(); }

 private:
  storage::ObjectWriter* writer_;
};

// RandomAccessSource + SequentialSource over an ObjectReader (borrowed). Size/ReadAt
// need features().random_read; otherwise they return kUnimplemented from the reader.
class ObjectSource : public format::RandomAccessSource, public format::SequentialSource {
 public:
  explicit ObjectSource(storage::ObjectReader* reader) : reader_(reader) {}
  absl::StatusOr<uint64_t> Size() override { return reader_->Size(); }
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) override {
    return reader_->ReadAt(offset, length, out);
  }
  absl::StatusOr<size_t> Read(size_t max_bytes, std::string* out) override {
    return reader_->Read(max_bytes, out);
  }

 private:
  storage::ObjectReader* reader_;
};

// An archive opened for reading from a path or URI: owns the storage, the reader and
// the source adapter. `random_access` tells whether source() supports Size/ReadAt.
struct OpenedArchive {
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<storage::ObjectReader> reader;
  std::unique_ptr<ObjectSource> source;
  bool random_access = false;
  bool local = false;  // storage features().local_read: a local file
  std::string display_name;
};

// Opens `location` (a local path, "-" for stdin once storage provides it, or a URI that
// OpenStorage() understands) for reading. Errors: kNotFound, kPermissionDenied, storage errors.
absl::StatusOr<OpenedArchive> OpenArchiveForRead(const std::string& location);

}  // namespace pgark::engine
