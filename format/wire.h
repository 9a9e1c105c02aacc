#pragma once
// Little-endian integer encoding and a bounds-checked cursor over untrusted bytes.
// Internal to format/. Every integer in the archive is little-endian (docs/format.md).

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace pgark::format::wire {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutBytes(std::string* out, absl::string_view b) { out->append(b.data(), b.size()); }

inline uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | (static_cast<uint8_t>(p[1]) << 8));
}
inline uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline void SetU32(std::string* out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>(v >> (8 * i));
}
inline void SetU64(std::string* out, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*out)[at + i] = static_cast<char>(v >> (8 * i));
}

// Reads fields from untrusted bytes; every read checks the remaining length first and
// sets ok() to false instead of reading past the end.
class Cursor {
 public:
  explicit Cursor(absl::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool Need(size_t n) {
    if (!ok_ || remaining() < n) ok_ = false;
    return ok_;
  }
  uint8_t U8() { return Need(1) ? static_cast<uint8_t>(data_[pos_++]) : 0; }
  uint16_t U16() { return Need(2) ? Advance(2, GetU16(data_.data() + pos_)) : 0; }
  uint32_t U32() { return Need(4) ? Advance(4, GetU32(data_.data() + pos_)) : 0; }
  uint64_t U64() { return Need(8) ? Advance(8, GetU64(data_.data() + pos_)) : 0; }
  absl::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    absl::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  template <typename T>
  T Advance(size_t n, T v) {
    pos_ += n;
    return v;
  }
  absl::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace pgark::format::wire
