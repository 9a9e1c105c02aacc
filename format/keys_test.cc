// Key rings and secret files (format/keys.h): where a ring's passphrase came from, and the
// warning for a secret file that others can read.
#include "format/keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::format {
namespace {

using ::pgark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A file holding `contents` with `mode`, removed with the fixture.
class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark_keys_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& path : files_) std::remove(path.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& contents, mode_t mode) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path, std::ios::binary) << contents;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    files_.push_back(path);
    return path;
  }
  // What ReadSecretFile(path) writes on stderr.
  static std::string StderrOfRead(const std::string& path) {
    ::testing::internal::CaptureStderr();
    absl::StatusOr<SecretString> read = ReadSecretFile(path);
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(read.status(), IsOk());
    return err;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(SecretFileTest, FileOthersCanReadIsReadWithAWarningNamingItsMode) {
  const std::string secret = "correct horse battery staple\n";
  std::string path = Write("pass", secret, 0644);
  std::string err = StderrOfRead(path);
  EXPECT_THAT(err, HasSubstr("warning"));
  EXPECT_THAT(err, HasSubstr(absl::StrCat("'", path, "'")));
  EXPECT_THAT(err, HasSubstr("mode 0644"));
  EXPECT_THAT(err, HasSubstr("its group and other users can read it"));
  EXPECT_THAT(err, HasSubstr("chmod 600"));
  EXPECT_THAT(err, Not(HasSubstr("horse")));  // never the contents

  EXPECT_THAT(StderrOfRead(Write("group", secret, 0640)), HasSubstr("mode 0640: its group can read it"));
  EXPECT_THAT(StderrOfRead(Write("other", secret, 0604)), HasSubstr("mode 0604: other users can read it"));
}

TEST_F(SecretFileTest, PrivateFileIsReadSilently) {
  EXPECT_THAT(StderrOfRead(Write("private", "secret\n", 0600)), IsEmpty());
  EXPECT_THAT(StderrOfRead(Write("readonly", "secret\n", 0400)), IsEmpty());
}

TEST_F(SecretFileTest, KeyRingRecordsAPassphraseFromTheEnvironment) {
  absl::StatusOr<KeyRing> from_env = LoadKeyRing("", "", "", "from the environment");
  ASSERT_THAT(from_env.status(), IsOk());
  EXPECT_TRUE(from_env->passphrase_from_environment);
  EXPECT_THAT(KeySourceNote(*from_env), HasSubstr("PGARK_PASSPHRASE is set in the environment"));
  EXPECT_THAT(KeySourceNote(*from_env), HasSubstr("unset it"));

  // A passphrase file wins over the environment: nothing to point at then.
  absl::StatusOr<KeyRing> from_file = LoadKeyRing(Write("pass", "from a file\n", 0600), "", "", "ignored");
  ASSERT_THAT(from_file.status(), IsOk());
  EXPECT_FALSE(from_file->passphrase_from_environment);
  EXPECT_THAT(KeySourceNote(*from_file), IsEmpty());
  absl::StatusOr<KeyRing> none = LoadKeyRing("", "", "", "");
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_TRUE(none->empty());
  EXPECT_THAT(KeySourceNote(*none), IsEmpty());
}

}  // namespace
}  // namespace pgark::format
