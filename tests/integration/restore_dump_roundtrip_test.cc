// Full round trips through the real binaries: `pgark dump` of the conformance corpus plus data
// of many types, a split table, large objects and sequences, then `pgark restore` into a new
// database; schema compared with pg_dump -s (referee), data with per-table digests.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::Digest;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

class RestoreDumpRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = source_db_.Connect();
    ASSERT_NO_FATAL_FAILURE(testing::SeedCorpusWithData(*source_));
    ASSERT_OK(source_->Execute("ANALYZE"));
    path_ = absl::StrCat(::testing::TempDir(), "/pgark_restore_dump_", getpid(), ".pgark");
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void ExpectSameAsSource(const ScratchDatabase& target) {
    auto conn = target.Connect();
    EXPECT_EQ(SchemaDump(target.name()), SchemaDump(source_db_.name()));
    auto tables = source_->Query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'");
    ASSERT_OK(tables.status());
    EXPECT_GE(tables->rows(), 5);
    for (int row = 0; row < tables->rows(); ++row) {
      std::string name(tables->Get(row, 0));
      EXPECT_EQ(Digest(*conn, name), Digest(*source_, name)) << name;
    }
    const std::string sequences =
        "SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null'), ',' "
        "ORDER BY schemaname, sequencename) FROM pg_sequences";
    EXPECT_EQ(Scalar(*conn, sequences), Scalar(*source_, sequences));
    const std::string los =
        "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata";
    EXPECT_EQ(Scalar(*conn, los), Scalar(*source_, los));
  }

  ScratchDatabase source_db_{"dsrc"};
  std::unique_ptr<pg::Connection> source_;
  std::string path_;
};

TEST_F(RestoreDumpRoundTripTest, FileAtFourJobsThenVerify) {
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db_.conninfo(), "-f", path_, "-j", "4",
                          "--split-larger-than", "64kB"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ScratchDatabase target("ddst");
  auto restore = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), "-j", "4", path_});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ExpectSameAsSource(target);

  auto verify = RunCommand({PGARK_BINARY, "verify", "--json", path_});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  nlohmann::json report = nlohmann::json::parse(verify.out);
  int split_streams = 0;
  for (const auto& table : report["tables"]) {
    if (table["name"] == "typed.split") split_streams = table["streams"];
  }
  EXPECT_GT(split_streams, 1) << verify.out;

  // Restoring again without --clean is refused and changes nothing.
  auto again = RunCommand({PGARK_BINARY, "restore", "-d", target.conninfo(), path_});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_THAT(again.err, HasSubstr("nothing was changed"));
  ExpectSameAsSource(target);
}

TEST_F(RestoreDumpRoundTripTest, EncryptedPipeAtOneAndFourJobs) {
  for (const char* jobs : {"1", "4"}) {
    ScratchDatabase target("ddst");
    auto result = RunShell(absl::StrCat(PGARK_BINARY, " dump -d '", source_db_.conninfo(), "' -f - | ", PGARK_BINARY,
                                        " restore -j ", jobs, " -d '", target.conninfo(), "' -"),
                           {{"PGARK_PASSPHRASE", "round trip passphrase"}});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ExpectSameAsSource(target);
  }
}

}  // namespace
}  // namespace pgark
