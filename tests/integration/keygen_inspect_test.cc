// Black-box tests of `pgark keygen` and `pgark inspect` through the real binary.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "format/archive_writer.h"
#include "format/byte_io.h"
#include "format/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::RunCommand;
using ::testing::HasSubstr;

std::string TempDir() {
  char tmpl[] = "/tmp/pgark_keygen_XXXXXX";
  return mkdtemp(tmpl);
}
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
int Mode(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(KeygenInspectTest, KeyFileIsPrivateAndNeverOverwritten) {
  std::string dir = TempDir();
  std::string key = dir + "/k.key";
  auto r = RunCommand({PGARK_BINARY, "keygen", "-o", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Mode(key), 0600);
  std::string first = ReadFile(key);
  EXPECT_THAT(first, HasSubstr("pgark-key-v1:"));
  r = RunCommand({PGARK_BINARY, "keygen", "-o", key});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_EQ(ReadFile(key), first);
}

TEST(KeygenInspectTest, X25519PairAndInspectWithAndWithoutKey) {
  std::string dir = TempDir();
  auto r = RunCommand({PGARK_BINARY, "keygen", "--x25519", dir + "/pub", dir + "/sec"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Mode(dir + "/sec"), 0600);
  auto pub = format::ParseX25519Public(ReadFile(dir + "/pub"));
  ASSERT_TRUE(pub.ok());

  // An archive encrypted to the public key only.
  format::StringSink sink;
  format::WriterOptions options;
  options.encryption.recipients.push_back(*pub);
  auto writer = *format::ArchiveWriter::Create(&sink, options);
  ASSERT_TRUE(writer->AddMetadata("catalog.json", "{}").ok());
  auto stream = *writer->OpenStream(3);
  ASSERT_TRUE(stream->Append(std::string(100000, 'a')).ok());
  ASSERT_TRUE(stream->Finish(42).ok());
  ASSERT_TRUE(writer->Finish().ok());
  std::string archive = dir + "/a.pgark";
  std::ofstream(archive, std::ios::binary) << sink.data();

  r = RunCommand({PGARK_BINARY, "inspect", archive});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("x25519"));
  EXPECT_THAT(r.out, HasSubstr("give --passphrase-file"));

  r = RunCommand({PGARK_BINARY, "inspect", archive, "--identity", dir + "/sec", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["streams"][0]["id"], 3);
  EXPECT_EQ(j["streams"][0]["rows"], 42);
  EXPECT_EQ(j["streams"][0]["raw_bytes"], 100000);
  EXPECT_GT(j["compression_ratio"].get<double>(), 10.0);
  EXPECT_EQ(j["key_slots"][0]["type"], "x25519");
  EXPECT_EQ(ReadFile(dir + "/sec").find(j.dump()), std::string::npos);

  // A wrong key: exit 7; a damaged archive: exit 5.
  ASSERT_EQ(RunCommand({PGARK_BINARY, "keygen", "--x25519", dir + "/pub2", dir + "/sec2"}).exit_code, 0);
  r = RunCommand({PGARK_BINARY, "inspect", archive, "--identity", dir + "/sec2"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_THAT(r.err, HasSubstr("wrong key"));
  std::string damaged = sink.data();
  damaged[damaged.size() - 30] ^= 1;
  std::ofstream(dir + "/bad.pgark", std::ios::binary) << damaged;
  r = RunCommand({PGARK_BINARY, "inspect", dir + "/bad.pgark", "--identity", dir + "/sec"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
}

}  // namespace
}  // namespace pgark
