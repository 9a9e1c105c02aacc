#pragma once
// Keys for the fuzz targets: the golden archives' public test keys
// (tests/golden/golden_spec.h), so seeds made from the encrypted golden archive get past
// key unwrapping and the fuzzer reaches the frame and index code of encrypted archives
// too. They protect nothing. Header-only, fuzz targets only.

#include "format/keys.h"
#include "tests/golden/golden_spec.h"

namespace pgark::fuzz {

// The key file key and the X25519 identity of the golden encrypted archive. No
// passphrase: Argon2id with attacker-chosen (merely capped) parameters would make inputs
// take seconds; header_fuzzer adds it only for the cheapest parameters.
inline format::KeyRing FuzzKeyRing() {
  format::KeyRing ring;
  ring.key_files.push_back(golden::KeyFileKey());
  auto pair = format::ParseX25519Secret(format::EncodeX25519Secret(golden::X25519Secret()));
  if (pair.ok()) ring.identities.push_back(*pair);
  return ring;
}

}  // namespace pgark::fuzz
