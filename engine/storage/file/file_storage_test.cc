#include "engine/storage/file/file_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::storage {
namespace {

using ::pgark::testing::IsOkAndHolds;
using ::pgark::testing::StatusIs;

class FileStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pgark-file-storage-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileStorageTest, FilesAre0600AndDirectories0700ByDefault) {
  FileStorage storage(dir_ + "/new/root");
  ASSERT_OK_AND_ASSIGN(auto writer, storage.NewWriter("sub/x.pgark", WriteOptions()));
  ASSERT_OK(writer->Append("data"));
  ASSERT_OK(writer->Close());
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/new/root/sub/x.pgark").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((dir_ + "/new/root/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(FileStorageTest, FileModeOptionIsApplied) {
  FileStorage storage(dir_);
  WriteOptions options;
  options.file_mode = 0640;
  ASSERT_OK_AND_ASSIGN(auto writer, storage.NewWriter("x", options));
  ASSERT_OK(writer->Close());
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(FileStorageTest, TempFileLivesBesideTargetAndIsHiddenFromList) {
  FileStorage storage(dir_);
  ASSERT_OK_AND_ASSIGN(auto writer, storage.NewWriter("x.pgark", WriteOptions()));
  ASSERT_OK(writer->Append("abc"));
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    ++entries;
    EXPECT_TRUE(IsFileStorageTempName(entry.path().filename().string())) << entry.path();
  }
  EXPECT_EQ(entries, 1);
  EXPECT_THAT(storage.List(""), IsOkAndHolds(::testing::IsEmpty()));
  writer.reset();
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

// A pid that is not running: a child that has exited and been reaped.
pid_t DeadPid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

TEST_F(FileStorageTest, TempNameCarriesTheWriterAndOnlyProvablyStaleTempsAreRemoved) {
  FileStorage storage(dir_);
  ASSERT_OK_AND_ASSIGN(auto live, storage.NewWriter("sub/live.pgark", WriteOptions()));
  std::string live_name;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/sub")) live_name = entry.path().filename();
  EXPECT_THAT(live_name, ::testing::StartsWith(".live.pgark.pgark-tmp-" + FileStorageWriterId() + "-"));

  const std::string host = FileStorageWriterId().substr(0, FileStorageWriterId().rfind('.'));
  const std::string dead = absl::StrCat(host, ".", DeadPid());
  auto touch = [&](const std::string& rel) { std::ofstream(dir_ + "/" + rel) << "partial"; };
  touch("sub/.a.pgark.pgark-tmp-" + dead + "-Ab12Cd");      // dead writer on this host: stale
  touch(".b.pgark.pgark-tmp-" + dead + "-Ef34Gh");          // the same at the root
  touch(".c.pgark.pgark-tmp-otherhost.1-Ij56Kl");           // another host: cannot check
  touch(".d.pgark.pgark-tmp-Mn78Op");                       // no writer id (older pgark)
  touch(".e.pgark.pgark-tmp-" + dead + "-Qr90St");          // dead pid, but a lock is held
  touch("f.pgark");                                         // not a temp file
  int held = open((dir_ + "/.e.pgark.pgark-tmp-" + dead + "-Qr90St").c_str(), O_RDONLY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(flock(held, LOCK_EX), 0);

  // Looking for one key's temps removes nothing.
  ASSERT_OK_AND_ASSIGN(FileStorage::TempSweep found, storage.FindStaleTemps("b.pgark"));
  EXPECT_THAT(found.stale, ::testing::ElementsAre(dir_ + "/.b.pgark.pgark-tmp-" + dead + "-Ef34Gh"));
  EXPECT_TRUE(found.unproven.empty());
  EXPECT_TRUE(std::filesystem::exists(found.stale[0]));

  ASSERT_OK_AND_ASSIGN(FileStorage::TempSweep sweep, storage.RemoveStaleTemps());
  EXPECT_THAT(sweep.stale, ::testing::UnorderedElementsAre(dir_ + "/.b.pgark.pgark-tmp-" + dead + "-Ef34Gh",
                                                           dir_ + "/sub/.a.pgark.pgark-tmp-" + dead + "-Ab12Cd"));
  EXPECT_THAT(sweep.unproven, ::testing::UnorderedElementsAre(dir_ + "/.c.pgark.pgark-tmp-otherhost.1-Ij56Kl",
                                                              dir_ + "/.d.pgark.pgark-tmp-Mn78Op"));
  for (const std::string& path : sweep.stale) EXPECT_FALSE(std::filesystem::exists(path)) << path;
  for (const std::string& path : sweep.unproven) EXPECT_TRUE(std::filesystem::exists(path)) << path;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/.e.pgark.pgark-tmp-" + dead + "-Qr90St"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/f.pgark"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/sub/" + live_name));  // the live writer's
  close(held);

  // The live writer still publishes.
  ASSERT_OK(live->Append("abc"));
  ASSERT_OK(live->Close());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/sub/live.pgark"));
}

TEST_F(FileStorageTest, CopyIsAHardLink) {
  FileStorage storage(dir_);
  ASSERT_OK_AND_ASSIGN(auto writer, storage.NewWriter("a", WriteOptions()));
  ASSERT_OK(writer->Append("abc"));
  ASSERT_OK(writer->Close());
  ASSERT_OK(storage.Copy("a", "b"));
  struct stat a, b;
  ASSERT_EQ(stat((dir_ + "/a").c_str(), &a), 0);
  ASSERT_EQ(stat((dir_ + "/b").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
}

TEST_F(FileStorageTest, MissingRootListsNothingAndReadsNotFound) {
  FileStorage storage(dir_ + "/absent");
  EXPECT_THAT(storage.List(""), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(storage.NewReader("x"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FileStorageTest, ReadingADirectoryFailsClearly) {
  std::filesystem::create_directory(dir_ + "/d");
  FileStorage storage(dir_);
  EXPECT_THAT(storage.NewReader("d"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(FileStorageTest, UnwritableDirectoryIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  std::filesystem::create_directory(dir_ + "/ro");
  chmod((dir_ + "/ro").c_str(), 0500);
  FileStorage storage(dir_ + "/ro");
  EXPECT_THAT(storage.NewWriter("x", WriteOptions()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::HasSubstr("/ro/x")));
  chmod((dir_ + "/ro").c_str(), 0700);
}

}  // namespace
}  // namespace pgark::storage
