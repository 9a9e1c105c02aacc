// libFuzzer target: the backup configuration parser (engine/ops/config.h): .env text through
// ParseEnvText, then the parsed keys validated by LoadBackupConfig (given as the
// environment, so no file is read), plus SuggestKey and DatabaseNameOf on what was parsed.
// Keys naming files (*_FILE) are dropped before validation: the check opens them, and a
// fuzzer must not read arbitrary paths. Seeds: tests/fuzz/corpus/config/.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/ops/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  pgark::ops::ConfigValues values;
  std::vector<pgark::ops::ConfigProblem> problems;
  pgark::ops::ParseEnvText(text, "fuzz.env", &values, &problems);
  for (const auto& p : problems) (void)p.ToString();
  std::map<std::string, std::string> environment;
  for (const auto& [key, value] : values) {
    (void)pgark::ops::SuggestKey(key);
    if (absl::EndsWith(key, "_FILE") || absl::StartsWith(key, "PGARK_TEST_")) continue;
    environment[key] = value.value;
  }
  pgark::ops::LoadedConfig loaded = pgark::ops::LoadBackupConfig("", environment);
  for (const auto& p : loaded.problems) (void)p.ToString();
  auto database = values.find("PGARK_DATABASE");
  if (database != values.end()) (void)pgark::ops::DatabaseNameOf(database->second.value);
  if (database != values.end()) (void)pgark::ops::IsS3Root(database->second.value);
  return 0;
}
