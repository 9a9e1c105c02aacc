// Serialises tests that create, dump or restore cluster-wide objects (roles, tablespaces).
//
// ctest runs every test case in its own process, two at a time, against one shared
// server. Roles and tablespaces are not per database: two tests that create the same
// role, or one that dumps every role while another drops its own, interfere. Such tests
// hold a ClusterObjectsLock for their whole duration.
//
//   class GlobalsTest : public ::testing::Test {
//     pgark::testing::ClusterObjectsLock lock_;   // first member: taken before SetUp's work
//   };
#ifndef PGARK_TESTS_TESTING_CLUSTER_LOCK_H_
#define PGARK_TESTS_TESTING_CLUSTER_LOCK_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pgark::testing {

// An exclusive flock on one file under $TMPDIR (or /tmp), released by the destructor or
// when the process dies (a crashed test never leaves it held).
class ClusterObjectsLock {
 public:
  ClusterObjectsLock() {
    const char* tmp = std::getenv("TMPDIR");
    const std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/pgark_cluster_objects.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0) {
      }
    }
  }
  ~ClusterObjectsLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  ClusterObjectsLock(const ClusterObjectsLock&) = delete;
  ClusterObjectsLock& operator=(const ClusterObjectsLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace pgark::testing

#endif  // PGARK_TESTS_TESTING_CLUSTER_LOCK_H_
