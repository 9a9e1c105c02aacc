#include "format/base/child_exec.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace pgark::base {
namespace {

struct Finished {
  int exit_code = -1;
  std::string out;
};

// Forks, points the child's stdout at a pipe and runs `exec` there.
Finished RunChild(const ChildExec& exec) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    exec.Exec();
    _exit(127);
  }
  close(fds[1]);
  Finished finished;
  char buffer[256];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) finished.out.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) finished.exit_code = WEXITSTATUS(status);
  return finished;
}

TEST(ChildExecTest, FindsTheProgramInPathAndGivesItTheAdjustedEnvironment) {
  setenv("PGARK_CHILD_EXEC_KEPT", "kept", 1);
  setenv("PGARK_CHILD_EXEC_GONE", "gone", 1);
  setenv("PGARK_CHILD_EXEC_SET", "old", 1);
  ChildExec exec({"sh", "-c", R"(printf '%s|%s|%s' "$PGARK_CHILD_EXEC_KEPT" "${PGARK_CHILD_EXEC_GONE-unset}" "$PGARK_CHILD_EXEC_SET")"},
                 {{"PGARK_CHILD_EXEC_SET", "new"}}, {"PGARK_CHILD_EXEC_GONE"});
  Finished finished = RunChild(exec);
  EXPECT_EQ(finished.exit_code, 0);
  EXPECT_EQ(finished.out, "kept|unset|new");
  // This process's environment is not touched.
  EXPECT_STREQ(getenv("PGARK_CHILD_EXEC_GONE"), "gone");
  EXPECT_STREQ(getenv("PGARK_CHILD_EXEC_SET"), "old");
}

TEST(ChildExecTest, APathOverrideDecidesWhereTheProgramIsFound) {
  EXPECT_EQ(RunChild(ChildExec({"sh", "-c", "exit 3"}, {{"PATH", "/nonexistent"}})).exit_code, 127);
  EXPECT_EQ(RunChild(ChildExec({"/bin/sh", "-c", "exit 3"}, {{"PATH", "/nonexistent"}})).exit_code, 3);
  EXPECT_EQ(RunChild(ChildExec({"pgark-no-such-program"})).exit_code, 127);
}

}  // namespace
}  // namespace pgark::base
