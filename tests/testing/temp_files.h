#pragma once
// Scratch files for tests that run pgark as a subprocess.

#include <string>

namespace pgark::testing {

// A new empty directory /tmp/pgark_<label>_XXXXXX (mkdtemp: unique across processes, mode
// 0700). Fails the current test (EXPECT) when it cannot be made. The caller removes it.
std::string MakeTempDir(const std::string& label);

// The whole content of `path`, "" when it cannot be read.
std::string ReadWholeFile(const std::string& path);

}  // namespace pgark::testing
