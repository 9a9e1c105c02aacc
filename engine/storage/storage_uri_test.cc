#include "engine/storage/storage_uri.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pgark::storage {
namespace {

using ::pgark::testing::StatusIs;

TEST(ParseStorageUriTest, RecognisesEachForm) {
  ASSERT_OK_AND_ASSIGN(auto s3, ParseStorageUri("s3://my-bucket/backups/prod/"));
  EXPECT_EQ(s3.kind, StorageKind::kS3);
  EXPECT_EQ(s3.bucket, "my-bucket");
  EXPECT_EQ(s3.path, "backups/prod");
  ASSERT_OK_AND_ASSIGN(auto bare, ParseStorageUri("s3://my-bucket"));
  EXPECT_EQ(bare.path, "");
  ASSERT_OK_AND_ASSIGN(auto file, ParseStorageUri("file:///var/backups"));
  EXPECT_EQ(file.kind, StorageKind::kFile);
  EXPECT_EQ(file.path, "/var/backups");
  ASSERT_OK_AND_ASSIGN(auto rel, ParseStorageUri("backups/x"));
  EXPECT_EQ(rel.kind, StorageKind::kFile);
  EXPECT_EQ(rel.path, "backups/x");
  ASSERT_OK_AND_ASSIGN(auto dash, ParseStorageUri("-"));
  EXPECT_EQ(dash.kind, StorageKind::kStdio);
}

TEST(ParseStorageUriTest, RejectsBadLocations) {
  for (const char* uri : {"", "s3://", "s3://UPPER/x", "s3://ab", "s3://b_/x", "gs://bucket/x",
                          "file://relative", "s3://bucket/a/../b"}) {
    EXPECT_THAT(ParseStorageUri(uri), StatusIs(absl::StatusCode::kInvalidArgument)) << uri;
  }
}

TEST(SplitObjectUriTest, SplitsRootAndKey) {
  struct Case {
    const char* uri;
    const char* root;
    const char* key;
  } cases[] = {
      {"s3://bkt/dir/sub/x.pgark", "s3://bkt/dir/sub", "x.pgark"},
      {"s3://bkt/x.pgark", "s3://bkt", "x.pgark"},
      {"/backups/db.pgark", "/backups", "db.pgark"},
      {"/db.pgark", "/", "db.pgark"},
      {"db.pgark", ".", "db.pgark"},
      {"out/db.pgark", "out", "db.pgark"},
      {"file:///srv/b/db.pgark", "/srv/b", "db.pgark"},
      {"-", "-", "-"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(auto split, SplitObjectUri(c.uri));
    EXPECT_EQ(split.root, c.root) << c.uri;
    EXPECT_EQ(split.key, c.key) << c.uri;
  }
}

TEST(SplitObjectUriTest, DirectoriesHaveNoKey) {
  for (const char* uri : {"s3://bkt", "s3://bkt/", "s3://bkt/dir/", "/backups/", "dir/.."}) {
    EXPECT_THAT(SplitObjectUri(uri), StatusIs(absl::StatusCode::kInvalidArgument)) << uri;
  }
}

TEST(OpenStorageObjectTest, OpensLocalFileAndStdio) {
  ASSERT_OK_AND_ASSIGN(auto file, OpenStorageObject("/tmp/x.pgark", StorageOptions()));
  EXPECT_EQ(file.key, "x.pgark");
  EXPECT_EQ(file.storage->DisplayName(), "/tmp");
  EXPECT_TRUE(file.storage->features().random_read);
  ASSERT_OK_AND_ASSIGN(auto stdio, OpenStorageObject("-", StorageOptions()));
  EXPECT_FALSE(stdio.storage->features().random_read);
}

}  // namespace
}  // namespace pgark::storage
