// pgark_s3_put FILE s3://BUCKET/KEY: uploads a local file through pgark's storage layer (the
// same S3 writer `pgark dump -f s3://...` streams into: multipart, concurrent parts, per-part
// checksums) and prints "<bytes> bytes in <seconds> s: <MB/s> MB/s". Used by tools/bench-s3
// to compare pgark's upload throughput with `aws s3 cp` of the same file. S3 settings come
// from the AWS_* / PGARK_S3_* environment, as for pgark itself.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "engine/storage/storage_uri.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: pgark_s3_put FILE s3://BUCKET/KEY\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "pgark_s3_put: cannot read '%s'\n", argv[1]);
    return 3;
  }
  in.seekg(0, std::ios::end);
  pgark::storage::WriteOptions options;
  options.expected_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  const auto start = std::chrono::steady_clock::now();
  auto object = pgark::storage::OpenStorageObject(argv[2], pgark::storage::StorageOptions());
  if (!object.ok()) {
    std::fprintf(stderr, "pgark_s3_put: %s\n", object.status().ToString().c_str());
    return 1;
  }
  auto writer = object->storage->NewWriter(object->key, options);
  if (!writer.ok()) {
    std::fprintf(stderr, "pgark_s3_put: %s\n", writer.status().ToString().c_str());
    return 1;
  }
  // 1 MiB appends: the granularity the archive writer hands to storage.
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    absl::Status status = (*writer)->Append(absl::string_view(buffer.data(), static_cast<size_t>(got)));
    if (!status.ok()) {
      std::fprintf(stderr, "pgark_s3_put: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  absl::Status closed = (*writer)->Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "pgark_s3_put: %s\n", closed.ToString().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double bytes = static_cast<double>(options.expected_size);
  std::printf("%.0f bytes in %.3f s: %.1f MB/s\n", bytes, seconds, bytes / 1e6 / seconds);
  return 0;
}
