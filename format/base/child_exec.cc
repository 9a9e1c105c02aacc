#include "format/base/child_exec.h"

#include <unistd.h>

#include <algorithm>

extern char** environ;

namespace pgark::base {

ChildExec::ChildExec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& set,
                     const std::vector<std::string>& unset)
    : argv_storage_(argv) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  for (const std::string& name : unset) env.erase(name);
  for (const auto& [name, value] : set) env[name] = value;
  for (const auto& [name, value] : env) env_storage_.push_back(name + "=" + value);
  for (std::string& entry : env_storage_) envp_.push_back(entry.data());
  envp_.push_back(nullptr);
  for (std::string& arg : argv_storage_) argv_.push_back(arg.data());
  argv_.push_back(nullptr);

  program_ = argv.empty() ? "" : argv[0];
  if (program_.empty() || program_.find('/') != std::string::npos) return;
  auto path = env.find("PATH");
  const std::string dirs = path != env.end() ? path->second : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + argv[0];
    if (access(candidate.c_str(), X_OK) == 0) {
      program_ = candidate;
      return;
    }
    start = end + 1;
  }
}

void ChildExec::Exec() const {
  if (program_.empty()) return;
  execve(program_.c_str(), argv_.data(), envp_.data());
}

}  // namespace pgark::base
