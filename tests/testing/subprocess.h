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

// Runs a shell command line with /bin/sh -c.
CommandResult RunShell(const std::string& command_line,
                       const std::map<std::string, std::string>& env = {});

}  // namespace pgark::testing
