// The libpq wrapper against a real server.
#include <thread>

#include "engine/pg/connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"

namespace pgark::pg {
namespace {

using ::pgark::testing::ScratchDatabase;
using ::pgark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PgConnectionTest, QueriesReturnRowsAndServerVersion) {
  ScratchDatabase db("conn");
  auto conn = db.Connect();
  EXPECT_GE(conn->server_version(), 120000);
  EXPECT_EQ(conn->database(), db.name());
  ASSERT_OK_AND_ASSIGN(Result result, conn->Query("SELECT 1 AS one, NULL::text AS nothing, true"));
  ASSERT_EQ(result.rows(), 1);
  EXPECT_EQ(result.column_index("nothing"), 1);
  EXPECT_THAT(result.GetInt64(0, 0), ::pgark::testing::IsOkAndHolds(1));
  EXPECT_TRUE(result.IsNull(0, 1));
  EXPECT_TRUE(result.GetBool(0, 2));
}

TEST(PgConnectionTest, ParametersAreNeverInterpolated) {
  ScratchDatabase db("params");
  auto conn = db.Connect();
  ASSERT_OK_AND_ASSIGN(Result result,
                       conn->QueryParams("SELECT $1::text, $2::text IS NULL",
                                         {std::string("it's'; DROP TABLE x; --"), std::nullopt}));
  EXPECT_EQ(result.Get(0, 0), "it's'; DROP TABLE x; --");
  EXPECT_TRUE(result.GetBool(0, 1));
}

TEST(PgConnectionTest, ServerErrorsCarrySqlStateAndCode) {
  ScratchDatabase db("errors");
  auto conn = db.Connect();
  auto missing = conn->Query("SELECT * FROM no_such_table");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("no_such_table")));
  EXPECT_EQ(SqlStateOf(missing.status()), "42P01");
  auto syntax = conn->Query("SELEC 1");
  EXPECT_THAT(syntax, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(SqlStateOf(syntax.status()), "42601");
  // The connection stays usable after an error.
  EXPECT_OK(conn->Execute("SELECT 1"));
}

TEST(PgConnectionTest, MissingDatabaseIsNotFoundAndPasswordIsNotShown) {
  std::string conninfo =
      ::pgark::testing::PgTestServer::Get().Conninfo("pgark_no_such_db") + " password=topsecret";
  auto conn = Connection::Open(conninfo);
  EXPECT_THAT(conn, StatusIs(absl::StatusCode::kNotFound, HasSubstr("pgark_no_such_db")));
  EXPECT_THAT(std::string(conn.status().message()), ::testing::Not(HasSubstr("topsecret")));
}

TEST(PgConnectionTest, UnreachableServerIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto conn = Connection::Open("host=127.0.0.1 port=1 dbname=x connect_timeout=2");
  EXPECT_THAT(conn, StatusIs(absl::StatusCode::kUnavailable));
  // libpq's "\n\tIs the server running..." is joined: log files and run summaries keep one
  // record per line.
  EXPECT_EQ(conn.status().message().find('\n'), absl::string_view::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("Is the server running"), absl::string_view::npos);
}

TEST(PgConnectionTest, CopyBinaryRoundTrip) {
  ScratchDatabase db("copy");
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("CREATE TABLE src (id int, note text);"
                          "INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 1000) g;"
                          "CREATE TABLE dst (LIKE src)"));
  ASSERT_OK(conn->StartCopyOut("COPY src TO STDOUT (FORMAT binary)"));
  std::string all, row;
  int messages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool more, conn->ReadCopyRow(&row));
    if (!more) break;
    all += row;
    ++messages;
  }
  EXPECT_GE(messages, 1000);
  auto load = db.Connect();
  ASSERT_OK(load->StartCopyIn("COPY dst FROM STDIN (FORMAT binary)"));
  ASSERT_OK(load->PutCopyData(all));
  EXPECT_THAT(load->EndCopyIn(), ::pgark::testing::IsOkAndHolds(1000));
  ASSERT_OK_AND_ASSIGN(Result same,
                       conn->Query("SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d"));
  EXPECT_EQ(same.Get(0, 0), "0");
}

TEST(PgConnectionTest, BadCopyDataFailsAndAbortLeavesTableEmpty) {
  ScratchDatabase db("copybad");
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("CREATE TABLE t (id int)"));
  ASSERT_OK(conn->StartCopyIn("COPY t FROM STDIN (FORMAT binary)"));
  ASSERT_OK(conn->PutCopyData("this is not a binary copy header"));
  EXPECT_THAT(conn->EndCopyIn(), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(conn->StartCopyIn("COPY t FROM STDIN"));
  ASSERT_OK(conn->PutCopyData("1\n2\n"));
  ASSERT_OK(conn->AbortCopyIn("test abort"));
  ASSERT_OK_AND_ASSIGN(Result count, conn->Query("SELECT count(*) FROM t"));
  EXPECT_EQ(count.Get(0, 0), "0");
}

TEST(PgConnectionTest, CancelStopsALongQuery) {
  ScratchDatabase db("cancel");
  auto conn = db.Connect();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_OK(conn->Cancel());
  });
  auto slow = conn->Query("SELECT pg_sleep(30)");
  canceller.join();
  EXPECT_THAT(slow, StatusIs(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace pgark::pg
