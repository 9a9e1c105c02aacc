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

// Restores its value of PGDATABASE when a test ends.
class ScopedPgDatabase {
 public:
  explicit ScopedPgDatabase(const char* value) {
    const char* saved = getenv("PGDATABASE");
    had_ = saved != nullptr;
    if (had_) saved_ = saved;
    if (value != nullptr) {
      setenv("PGDATABASE", value, 1);
    } else {
      unsetenv("PGDATABASE");
    }
  }
  ~ScopedPgDatabase() {
    if (had_) {
      setenv("PGDATABASE", saved_.c_str(), 1);
    } else {
      unsetenv("PGDATABASE");
    }
  }

 private:
  bool had_ = false;
  std::string saved_;
};

TEST(ConninfoExplicitDatabaseTest, NamesOnlyWhatTheStringOrPgdatabaseSays) {
  ScopedPgDatabase none(nullptr);
  EXPECT_EQ(ConninfoExplicitDatabase("shop").value(), "shop");
  EXPECT_EQ(ConninfoExplicitDatabase("postgresql://alice@db/sales").value(), "sales");
  EXPECT_EQ(ConninfoExplicitDatabase("host=h user=carol").value(), "");  // libpq would use "carol"
  EXPECT_EQ(ConninfoExplicitDatabase("").value(), "");
  ScopedPgDatabase env("envdb");
  EXPECT_EQ(ConninfoExplicitDatabase("host=h user=carol").value(), "envdb");
  EXPECT_EQ(ConninfoExplicitDatabase("").value(), "envdb");
}

TEST(CheckConninfoSyntaxTest, RefusesWhatLibpqCannotParseWithoutQuotingASecret) {
  EXPECT_TRUE(CheckConninfoSyntax("").ok());
  EXPECT_TRUE(CheckConninfoSyntax("shop").ok());
  EXPECT_TRUE(CheckConninfoSyntax("host=h dbname=shop").ok());
  absl::Status bad_uri = CheckConninfoSyntax("postgresql://[bad");
  EXPECT_EQ(bad_uri.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_uri.message().find("invalid connection string"), std::string::npos);
  absl::Status secret = CheckConninfoSyntax("host=h password=abc def");
  EXPECT_EQ(secret.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(secret.message().find("def"), std::string::npos) << secret.message();
  EXPECT_EQ(secret.message().find("abc"), std::string::npos) << secret.message();
}

TEST(ConninfoHasPasswordTest, FindsEveryFormOfPassword) {
  EXPECT_TRUE(ConninfoHasPassword("host=h password=x dbname=d"));
  EXPECT_TRUE(ConninfoHasPassword("postgresql://alice:x@db/app"));
  EXPECT_TRUE(ConninfoHasPassword("postgresql://alice@db/app?password=x"));
  EXPECT_FALSE(ConninfoHasPassword("postgresql://alice@db/app"));
  EXPECT_FALSE(ConninfoHasPassword("host=h dbname=d"));
  EXPECT_FALSE(ConninfoHasPassword("password"));  // a database of that name
}

}  // namespace
}  // namespace pgark::pg
