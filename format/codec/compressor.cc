#include "format/codec/compressor.h"

#include <libdeflate.h>
#include <zstd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pgark::format {
namespace {

constexpr int kDefaultLevel = -1000;

class NoneCompressor : public Compressor {
 public:
  CompressionType type() const override { return CompressionType::kNone; }
  int level() const override { return 0; }
  absl::Status Compress(absl::string_view input, std::string* output) override {
    output->append(input.data(), input.size());
    return absl::OkStatus();
  }
};

class NoneDecompressor : public Decompressor {
 public:
  absl::Status DecompressTo(absl::string_view input, size_t raw_size, char* out) override {
    if (input.size() != raw_size) {
      return absl::DataLossError(absl::StrCat("uncompressed chunk has ", input.size(),
                                              " bytes, expected ", raw_size));
    }
    if (raw_size > 0) std::memcpy(out, input.data(), raw_size);
    return absl::OkStatus();
  }
};

class ZstdCompressor : public Compressor {
 public:
  explicit ZstdCompressor(int level) : level_(level), cctx_(ZSTD_createCCtx()) {
    // Independent chunks: no frame checksum (XXH3 covers the raw bytes), content size
    // recorded so decoders can check it, single-threaded (parallelism is across chunks).
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_contentSizeFlag, 1);
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }
  CompressionType type() const override { return CompressionType::kZstd; }
  int level() const override { return level_; }
  absl::Status Compress(absl::string_view input, std::string* output) override {
    size_t bound = ZSTD_compressBound(input.size());
    size_t old = output->size();
    output->resize(old + bound);
    size_t n = ZSTD_compress2(cctx_, output->data() + old, bound, input.data(), input.size());
    if (ZSTD_isError(n)) {
      output->resize(old);
      return absl::InternalError(absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
    }
    output->resize(old + n);
    return absl::OkStatus();
  }

 private:
  int level_;
  ZSTD_CCtx* cctx_;
};

class ZstdDecompressor : public Decompressor {
 public:
  ZstdDecompressor() : dctx_(ZSTD_createDCtx()) {
    // A chunk never needs a window larger than the biggest chunk.
    ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, 27);
  }
  ~ZstdDecompressor() override { ZSTD_freeDCtx(dctx_); }
  absl::Status DecompressTo(absl::string_view input, size_t raw_size, char* out) override {
    unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
    if (content != raw_size) {
      return absl::DataLossError(absl::StrCat("zstd frame announces ",
                                              static_cast<long long>(content),
                                              " bytes, expected ", raw_size));
    }
    size_t n = ZSTD_decompressDCtx(dctx_, out, raw_size, input.data(), input.size());
    if (ZSTD_isError(n) || n != raw_size) {
      return absl::DataLossError(absl::StrCat(
          "zstd decompression failed: ",
          ZSTD_isError(n) ? ZSTD_getErrorName(n) : absl::StrCat("got ", n, " bytes, expected ",
                                                                raw_size)));
    }
    return absl::OkStatus();
  }

 private:
  ZSTD_DCtx* dctx_;
};

class DeflateCompressor : public Compressor {
 public:
  explicit DeflateCompressor(int level) : level_(level), c_(libdeflate_alloc_compressor(level)) {}
  ~DeflateCompressor() override { libdeflate_free_compressor(c_); }
  CompressionType type() const override { return CompressionType::kGzip; }
  int level() const override { return level_; }
  absl::Status Compress(absl::string_view input, std::string* output) override {
    if (c_ == nullptr) return absl::InternalError("libdeflate: out of memory");
    size_t bound = libdeflate_deflate_compress_bound(c_, input.size());
    size_t old = output->size();
    output->resize(old + bound);
    size_t n = libdeflate_deflate_compress(c_, input.data(), input.size(), output->data() + old,
                                           bound);
    if (n == 0 && !input.empty()) {
      output->resize(old);
      return absl::InternalError("libdeflate compression failed");
    }
    output->resize(old + n);
    return absl::OkStatus();
  }

 private:
  int level_;
  libdeflate_compressor* c_;
};

class DeflateDecompressor : public Decompressor {
 public:
  DeflateDecompressor() : d_(libdeflate_alloc_decompressor()) {}
  ~DeflateDecompressor() override { libdeflate_free_decompressor(d_); }
  absl::Status DecompressTo(absl::string_view input, size_t raw_size, char* out) override {
    if (d_ == nullptr) return absl::InternalError("libdeflate: out of memory");
    size_t in_used = 0;
    size_t out_n = 0;
    libdeflate_result r = libdeflate_deflate_decompress_ex(
        d_, input.data(), input.size(), out, raw_size, &in_used, &out_n);
    if (r != LIBDEFLATE_SUCCESS || out_n != raw_size || in_used != input.size()) {
      return absl::DataLossError(absl::StrCat("deflate decompression failed (result ",
                                              static_cast<int>(r), ", ", out_n, " of ", raw_size,
                                              " bytes)"));
    }
    return absl::OkStatus();
  }

 private:
  libdeflate_decompressor* d_;
};

}  // namespace

absl::Status Decompressor::Decompress(absl::string_view input, size_t raw_size,
                                      std::string* output) {
  const size_t old = output->size();
  output->resize(old + raw_size);
  absl::Status s = DecompressTo(input, raw_size, output->data() + old);
  if (!s.ok()) output->resize(old);
  return s;
}

absl::StatusOr<std::unique_ptr<Compressor>> NewCompressor(CompressionType type, int level) {
  switch (type) {
    case CompressionType::kNone:
      return std::unique_ptr<Compressor>(new NoneCompressor());
    case CompressionType::kZstd:
      if (level == kDefaultLevel) level = kDefaultZstdLevel;
      if (level < ZSTD_minCLevel() || level > 19 || level == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("zstd level ", level, " out of range (", ZSTD_minCLevel(), "..19, not 0)"));
      }
      return std::unique_ptr<Compressor>(new ZstdCompressor(level));
    case CompressionType::kGzip:
      if (level == kDefaultLevel) level = kDefaultGzipLevel;
      if (level < 1 || level > 12) {
        return absl::InvalidArgumentError(absl::StrCat("gzip level ", level,
                                                       " out of range (1..12)"));
      }
      return std::unique_ptr<Compressor>(new DeflateCompressor(level));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression type ", static_cast<int>(type)));
}

absl::StatusOr<std::unique_ptr<Decompressor>> NewDecompressor(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return std::unique_ptr<Decompressor>(new NoneDecompressor());
    case CompressionType::kZstd:
      return std::unique_ptr<Decompressor>(new ZstdDecompressor());
    case CompressionType::kGzip:
      return std::unique_ptr<Decompressor>(new DeflateDecompressor());
  }
  return absl::DataLossError(absl::StrCat("unknown codec ", static_cast<int>(type)));
}

const char* CompressionName(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return "none";
    case CompressionType::kZstd:
      return "zstd";
    case CompressionType::kGzip:
      return "gzip";
  }
  return "unknown";
}

absl::Status ParseCompressionSpec(absl::string_view spec, CompressionType* type, int* level) {
  absl::string_view name = spec;
  absl::string_view level_text;
  if (size_t colon = spec.find(':'); colon != absl::string_view::npos) {
    name = spec.substr(0, colon);
    level_text = spec.substr(colon + 1);
  }
  if (name == "zstd") {
    *type = CompressionType::kZstd;
  } else if (name == "gzip") {
    *type = CompressionType::kGzip;
  } else if (name == "none") {
    *type = CompressionType::kNone;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown compression '", spec, "' (expected zstd[:L], gzip[:L] or none)"));
  }
  *level = kDefaultLevel;
  if (!level_text.empty()) {
    if (!absl::SimpleAtoi(level_text, level)) {
      return absl::InvalidArgumentError(absl::StrCat("bad compression level in '", spec, "'"));
    }
  }
  return NewCompressor(*type, *level).status();
}

}  // namespace pgark::format
