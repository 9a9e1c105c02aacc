// libFuzzer target: the file header and key-slot parser (format/layout.h) and key
// unwrapping, on untrusted bytes: ParseHeaderPrefix, ParseFileHeader, ToHeaderInfo, then
// UnlockArchive with the golden key file key, X25519 identity and, only when every
// passphrase slot asks for the cheapest Argon2id parameters, a passphrase (the caps
// still allow 4 GiB / 16 passes, which would stall the fuzzer, not find bugs).
// Seeds: tests/fuzz/corpus/header/ (headers of plain and encrypted archives).
#include <cstddef>
#include <cstdint>
#include <string>

#include "format/archive_constants.h"
#include "format/frame.h"
#include "format/layout.h"
#include "tests/fuzz/fuzz_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgark::format;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= kHeaderPrefixSize) {
    ParseHeaderPrefix(bytes.substr(0, kHeaderPrefixSize)).status().IgnoreError();
  }
  auto header = ParseFileHeader(bytes);
  if (!header.ok()) return 0;
  HeaderInfo info = ToHeaderInfo(*header);
  KeyRing ring = pgark::fuzz::FuzzKeyRing();
  bool cheap = true;
  for (const KeySlotInfo& slot : info.key_slots) {
    if (slot.type == KeySlotType::kPassphrase &&
        (slot.argon.ops > kArgonMinOps || slot.argon.mem > kArgonMinMem)) {
      cheap = false;
    }
  }
  if (cheap) ring.passphrase = SecretString(pgark::golden::kPassphrase);
  ArchiveKeys keys;
  UnlockArchive(*header, ring, &keys).IgnoreError();
  return 0;
}
