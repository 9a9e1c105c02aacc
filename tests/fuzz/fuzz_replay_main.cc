// main() for the replay build of a fuzz target (every build, any compiler): runs
// LLVMFuzzerTestOneInput once on each file in the directories given, so the seed corpus
// and every crash found so far (tests/fuzz/regressions/<target>/) are replayed as a unit
// test, under the sanitizers in the ASan/UBSan tree. Exits 1 if a directory is unreadable
// or empty of inputs; a bug in the target shows as a crash or sanitizer report.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    DIR* dir = opendir(argv[i]);
    if (dir == nullptr) {
      std::fprintf(stderr, "fuzz replay: cannot open directory %s\n", argv[i]);
      return 1;
    }
    std::vector<std::string> files;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') files.push_back(std::string(argv[i]) + "/" + e->d_name);
    }
    closedir(dir);
    for (const std::string& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      const std::string bytes = buffer.str();
      std::fprintf(stderr, "fuzz replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  if (inputs == 0) {
    std::fprintf(stderr, "fuzz replay: no inputs found\n");
    return 1;
  }
  std::fprintf(stderr, "fuzz replay: %zu input(s), no crash\n", inputs);
  return 0;
}
