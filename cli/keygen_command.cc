// pgark keygen: key material for encrypted archives.
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli_common.h"
#include "cli/command_table.h"

namespace pgark::cli {
namespace {

struct KeygenFlags {
  std::string key_file;
  std::vector<std::string> x25519;  // PUBFILE SECFILE
};

}  // namespace

CommandRunner SetupKeygenCommand(CLI::App& app) {
  auto flags = std::make_shared<KeygenFlags>();
  auto* key = app.add_option("-o,--output", flags->key_file, "write a random 32-byte key file");
  auto* pair = app.add_option("--x25519", flags->x25519, "write an X25519 key pair: PUBFILE SECFILE")
                   ->expected(2);
  key->excludes(pair);
  return [flags]() -> absl::Status { return NotImplementedYet("keygen"); };
}

}  // namespace pgark::cli
