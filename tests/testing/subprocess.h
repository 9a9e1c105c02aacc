#pragma once
// Runs a program to completion and captures its output, for black-box CLI tests.

#include <map>
#include <string>
#include <vector>

namespace pgark::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128+signal if it was killed
  std::string out;     // everything written to stdout
  std::string err;     // everything written to stderr
};

// Runs argv[0] with argv (no shell). `env` entries are added to (or override) the
// current environment; `stdin_data` is fed to its standard input.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_data = "");

// A command running in the background (for fault tests that stop, signal or kill it).
// The destructor SIGKILLs and reaps a process not yet waited for.
class BackgroundCommand {
 public:
  // Starts argv like RunCommand (stdin empty). pid() is -1 if fork failed.
  BackgroundCommand(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env = {});
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  int pid() const { return pid_; }
  // True once the process has exited (does not reap it).
  bool Exited() const;
  // Sends `signal` to the process (no-op after Wait()).
  void Signal(int signal);
  // Waits for the exit and returns its code and output; later calls return the same.
  const CommandResult& Wait();

 private:
  int pid_ = -1;
  bool waited_ = false;
  std::string out_path_, err_path_;
  CommandResult result_;
};

// Runs a shell command line with /bin/sh -c.
CommandResult RunShell(const std::string& command_line,
                       const std::map<std::string, std::string>& env = {});

}  // namespace pgark::testing
