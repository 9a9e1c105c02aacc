#include "engine/pg/conninfo.h"

#include "gtest/gtest.h"

namespace pgark::pg {
namespace {

TEST(RedactConninfoTest, MasksKeyValuePassword) {
  EXPECT_EQ(RedactConninfo("host=db password=hunter2 dbname=x"), "host=db password=******** dbname=x");
  EXPECT_EQ(RedactConninfo("password = 'a b\\'c' user=u"), "password = ******** user=u");
}

TEST(RedactConninfoTest, MasksUriPassword) {
  EXPECT_EQ(RedactConninfo("postgresql://alice:s3cret@db.example:5432/app"),
            "postgresql://alice:********@db.example:5432/app");
  EXPECT_EQ(RedactConninfo("postgres://h/app?sslmode=require&password=pw"),
            "postgres://h/app?sslmode=require&password=********");
}

TEST(RedactConninfoTest, KeepsStringsWithoutSecrets) {
  EXPECT_EQ(RedactConninfo("appdb"), "appdb");
  EXPECT_EQ(RedactConninfo("postgresql://alice@db/app"), "postgresql://alice@db/app");
  EXPECT_EQ(RedactConninfo("host=db user=alice"), "host=db user=alice");
}

TEST(SqlStateTest, IsConninfoString) {
  EXPECT_FALSE(IsConninfoString("appdb"));
  EXPECT_TRUE(IsConninfoString("dbname=appdb"));
  EXPECT_TRUE(IsConninfoString("postgresql:///appdb"));
}

}  // namespace
}  // namespace pgark::pg
