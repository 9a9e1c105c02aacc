// StatementBatch against a real server: one round trip per batch, and a failing batch is
// rolled back and replayed item by item so that the error names the failing item.
#include "engine/restore/statement_batch.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"

namespace pgark::engine::restore {
namespace {

using ::pgark::testing::Scalar;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

TEST(StatementBatchTest, RunsEveryItemAndCallsDoneInOrder) {
  ScratchDatabase db("batch_ok");
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("CREATE TABLE t (i integer)"));
  StatementBatch batch(*conn, false);
  std::string order;
  for (int i = 0; i < 2500; ++i) {  // three batches
    ASSERT_OK(batch.Add(absl::StrCat("INSERT INTO t VALUES (", i, ")"), absl::StrCat("item ", i),
                        [&order, i] { if (i % 1000 == 0) absl::StrAppend(&order, i, ","); }));
  }
  ASSERT_OK(batch.Add("", "an empty item"));
  ASSERT_OK(batch.Flush());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) || '/' || sum(i) FROM t"), "2500/3123750");
  EXPECT_EQ(order, "0,1000,2000,");
}

TEST(StatementBatchTest, AFailingItemIsNamedAndTheItemsBeforeItStay) {
  ScratchDatabase db("batch_fail");
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("CREATE TABLE t (i integer PRIMARY KEY)"));
  StatementBatch batch(*conn, false);
  int done = 0;
  int item = 0;
  for (int i : {1, 2, 2, 3}) {
    ASSERT_OK(batch.Add(absl::StrCat("INSERT INTO t VALUES (", i, ");"), absl::StrCat("item ", item++, " (row ", i, ")"),
                        [&done] { ++done; }));
  }
  // SQLSTATE 23505 (class 23) maps to kInvalidArgument.
  EXPECT_THAT(batch.Flush(), testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("item 2 (row 2): duplicate key value")));
  EXPECT_THAT(batch.Flush(), testing::IsOk());  // nothing left queued
  // As without batching: the first two items were applied, the last never ran.
  EXPECT_EQ(Scalar(*conn, "SELECT string_agg(i::text, ',' ORDER BY i) FROM t"), "1,2");
  EXPECT_EQ(done, 2);
}

TEST(StatementBatchTest, InsideATransactionTheBatchIsASavepoint) {
  ScratchDatabase db("batch_tx");
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("CREATE TABLE t (i integer PRIMARY KEY)"));
  ASSERT_OK(conn->Execute("BEGIN; INSERT INTO t VALUES (100)"));
  StatementBatch good(*conn, true);
  ASSERT_OK(good.Add("INSERT INTO t VALUES (1)", "one"));
  ASSERT_OK(good.Flush());
  StatementBatch bad(*conn, true);
  ASSERT_OK(bad.Add("INSERT INTO t VALUES (2)", "two"));
  ASSERT_OK(bad.Add("INSERT INTO t VALUES (1)", "one again"));
  EXPECT_THAT(bad.Flush(), testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one again: duplicate key")));
  // The transaction is aborted; the caller rolls it back and nothing stays.
  ASSERT_OK(conn->Execute("ROLLBACK"));
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "0");
}

}  // namespace
}  // namespace pgark::engine::restore
