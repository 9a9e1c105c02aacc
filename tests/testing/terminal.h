#pragma once
// Runs a program on a real pseudo-terminal, for CLI tests of what a command does when its
// stdin or stdout is a terminal (isatty). Test-only; header-only so each test file that needs
// it includes it.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace pgark::testing {

struct TerminalResult {
  int exit_code = -1;  // the exit status, or 128+signal (128+9 when the timeout killed it)
  std::string output;  // stdout and stderr together, as the terminal showed them
};

// Runs argv (argv[0] a path, no shell) with stdin, stdout and stderr on a new pseudo-terminal
// that nobody types into. A command still running after `timeout` (e.g. waiting for input) is
// killed with SIGKILL.
inline TerminalResult RunOnTerminal(const std::vector<std::string>& argv,
                                    std::chrono::seconds timeout = std::chrono::seconds(20)) {
  TerminalResult result;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return result;
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd ready{master, POLLIN, 0};
    int n = poll(&ready, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;  // the deadline check above ends the loop
    char buffer[4096];
    ssize_t got = read(master, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EIO: every process holding the terminal has closed it
    result.output.append(buffer, static_cast<size_t>(got));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(master);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace pgark::testing
