#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "format/base/child_exec.h"

namespace pgark::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string TempPath(const char* tag) {
  char templ[64];
  std::snprintf(templ, sizeof(templ), "/tmp/pgark-cmd-%s.XXXXXX", tag);
  int fd = mkstemp(templ);
  if (fd >= 0) close(fd);
  return templ;
}

// In a forked child: redirects stdin/stdout/stderr to the files and executes the prepared
// program. Only async-signal-safe calls (format/base/child_exec.h).
[[noreturn]] void ExecChild(const base::ChildExec& exec, const char* in_path, const char* out_path,
                            const char* err_path) {
  int in_fd = open(in_path, O_RDONLY);
  int out_fd = open(out_path, O_WRONLY | O_TRUNC);
  int err_fd = open(err_path, O_WRONLY | O_TRUNC);
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  exec.Exec();
  _exit(127);
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::string& stdin_data) {
  CommandResult result;
  std::string in_path = TempPath("in"), out_path = TempPath("out"), err_path = TempPath("err");
  {
    std::ofstream in(in_path, std::ios::binary);
    in << stdin_data;
  }
  const base::ChildExec exec(argv, env);
  pid_t pid = fork();
  if (pid == 0) ExecChild(exec, in_path.c_str(), out_path.c_str(), err_path.c_str());
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  unlink(in_path.c_str());
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env)
    : out_path_(TempPath("bgout")), err_path_(TempPath("bgerr")) {
  const base::ChildExec exec(argv, env);
  pid_ = fork();
  if (pid_ == 0) ExecChild(exec, "/dev/null", out_path_.c_str(), err_path_.c_str());
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0 && !waited_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  unlink(out_path_.c_str());
  unlink(err_path_.c_str());
}

bool BackgroundCommand::Exited() const {
  if (pid_ <= 0 || waited_) return true;
  siginfo_t info = {};
  // WNOWAIT: leave the child waitable for Wait().
  if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid == pid_;
}

void BackgroundCommand::Signal(int signal) {
  if (pid_ > 0 && !waited_) kill(pid_, signal);
}

const CommandResult& BackgroundCommand::Wait() {
  if (waited_) return result_;
  waited_ = true;
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_) {
    result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result_.out = ReadAll(out_path_);
  result_.err = ReadAll(err_path_);
  return result_;
}

CommandResult RunShell(const std::string& command_line,
                       const std::map<std::string, std::string>& env) {
  return RunCommand({"/bin/sh", "-c", command_line}, env);
}

}  // namespace pgark::testing
