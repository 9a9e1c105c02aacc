#pragma once
// Starting a program from a process that has threads: the child of fork() may only make
// async-signal-safe calls until it executes the program. An allocation there (growing a
// vector, setenv) can deadlock on an allocator lock another thread held at fork time (seen:
// a test's child hung in ASan's allocator). So everything execve needs is built here, before
// fork(), and the child only redirects its descriptors and calls Exec().

#include <map>
#include <string>
#include <vector>

namespace pgark::base {

class ChildExec {
 public:
  // `argv[0]` is the program: a path, or a name looked up in the PATH of the child's
  // environment, as execvp does. The child's environment is this process's, with `set`
  // added or replaced and `unset` removed.
  ChildExec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& set = {},
            const std::vector<std::string>& unset = {});
  // The pointers below point into the object's own strings: neither copied nor moved.
  ChildExec(const ChildExec&) = delete;
  ChildExec& operator=(const ChildExec&) = delete;

  // In the child: execve. Async-signal-safe; returns only if execve failed (the caller then
  // calls _exit).
  void Exec() const;

 private:
  std::string program_;
  std::vector<std::string> argv_storage_;
  std::vector<std::string> env_storage_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
};

}  // namespace pgark::base
