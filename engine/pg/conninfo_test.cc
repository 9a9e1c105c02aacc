#include "engine/pg/conninfo.h"

#include <cstdlib>
#include <string>

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

TEST(ConninfoDatabaseTest, ResolvesTheDatabaseLikeLibpq) {
  EXPECT_EQ(ConninfoDatabase("appdb").value(), "appdb");
  EXPECT_EQ(ConninfoDatabase("host=h dbname=shop user=u").value(), "shop");
  EXPECT_EQ(ConninfoDatabase("postgresql://alice:pw@db:5432/sales?sslmode=disable").value(), "sales");
  const char* saved = getenv("PGDATABASE");
  std::string saved_value = saved != nullptr ? saved : "";
  unsetenv("PGDATABASE");
  EXPECT_EQ(ConninfoDatabase("host=h user=carol").value(), "carol");  // no dbname, no PGDATABASE
  setenv("PGDATABASE", "envdb", 1);
  EXPECT_EQ(ConninfoDatabase("host=h user=carol").value(), "envdb");
  if (saved != nullptr) {
    setenv("PGDATABASE", saved_value.c_str(), 1);
  } else {
    unsetenv("PGDATABASE");
  }
  EXPECT_FALSE(ConninfoDatabase("host='unterminated").ok());
}

}  // namespace
}  // namespace pgark::pg
