#include "engine/storage/key.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pgark::storage {

absl::Status ValidateKey(absl::string_view key) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid object key '", key, "': ", why));
  };
  if (key.empty()) return invalid("empty");
  if (key.find('\0') != absl::string_view::npos) return invalid("contains a NUL byte");
  if (key.front() == '/') return invalid("starts with '/'");
  if (key.back() == '/') return invalid("ends with '/'");
  if (key.size() > 1024) return invalid("longer than 1024 bytes");
  for (absl::string_view part : absl::StrSplit(key, '/')) {
    if (part.empty()) return invalid("contains an empty path component");
    if (part == "." || part == "..") return invalid("contains a '.' or '..' component");
  }
  return absl::OkStatus();
}

absl::Status ValidatePrefix(absl::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  if (prefix.back() == '/') prefix.remove_suffix(1);
  return ValidateKey(prefix);
}

}  // namespace pgark::storage
