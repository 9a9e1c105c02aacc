// The signal handler's second and third signal (cancellation.h), in a forked child: the
// handler ends the process, so it cannot run in the test process itself.
#include "format/base/cancellation.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::base {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct ChildResult {
  int exit_code = -1;
  std::string err;
};

// Runs `body` in a child with the handlers installed and its stderr captured.
ChildResult RunChild(const std::function<void()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    InstallCancelSignalHandlers();
    body();
    _exit(0);
  }
  close(fds[1]);
  ChildResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) result.err.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

void Say(const char* text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

TEST(CancellationTest, ASecondSignalCancelsTheTargetsAndQuits) {
  ChildResult child = RunChild([] {
    SignalCancelTarget target([](void*) { Say("target cancelled\n"); }, nullptr);
    raise(SIGINT);
    Say(CancelRequested() ? "cancel requested\n" : "no cancel\n");
    raise(SIGTERM);
    Say("still running\n");
  });
  EXPECT_EQ(child.exit_code, 130);
  EXPECT_THAT(child.err, HasSubstr("pgark: interrupted, cleaning up (signal again to quit now)\ncancel requested\n"
                                   "target cancelled\n"));
  EXPECT_THAT(child.err, Not(HasSubstr("still running")));
}

TEST(CancellationTest, ACleanupGuardMakesTheSecondSignalWaitAndTheThirdQuit) {
  ChildResult child = RunChild([] {
    SignalCancelTarget target([](void*) { Say("target cancelled\n"); }, nullptr);
    CleanupGuard guard("dropping the scratch database x", "the scratch database x");
    raise(SIGINT);
    raise(SIGINT);
    Say("cleaning up\n");
    raise(SIGINT);
    Say("still running\n");
  });
  EXPECT_EQ(child.exit_code, 130);
  EXPECT_THAT(child.err, HasSubstr("pgark: dropping the scratch database x first (signal again to quit now and "
                                   "leave the scratch database x)\ncleaning up\n"
                                   "pgark: quit: left the scratch database x\ntarget cancelled\n"));
  EXPECT_THAT(child.err, Not(HasSubstr("still running")));
}

TEST(CancellationTest, AGuardThatEndedNoLongerHoldsTheSecondSignal) {
  ChildResult child = RunChild([] {
    { CleanupGuard guard("dropping x", "x"); }
    raise(SIGINT);
    raise(SIGINT);
    Say("still running\n");
  });
  EXPECT_EQ(child.exit_code, 130);
  EXPECT_THAT(child.err, Not(HasSubstr("dropping x")));
  EXPECT_THAT(child.err, Not(HasSubstr("still running")));
}

}  // namespace
}  // namespace pgark::base
