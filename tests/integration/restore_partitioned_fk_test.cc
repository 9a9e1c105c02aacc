// A FOREIGN KEY referencing a partitioned table, restored in parallel (real binaries, real
// server). The referenced primary key is built as `ALTER TABLE ONLY parent ADD PRIMARY KEY`
// plus one index per partition, attached with `ALTER INDEX ... ATTACH PARTITION`; the
// parent's index is valid, and usable by an FK, only after the last attach. Before
// 2026-11-25 the FK waited only for the parent's constraint, so with -j 4 it could run while
// a partition's index was still being built and fail with "there is no unique constraint
// matching given keys for referenced table".
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/restore_test_archive.h"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::DigestOf;
using ::pgark::testing::RunCommand;
using ::pgark::testing::Scalar;
using ::pgark::testing::SchemaDump;
using ::pgark::testing::ScratchDatabase;

TEST(RestorePartitionedForeignKeyTest, ForeignKeyWaitsForEveryPartitionIndexAttach) {
  ScratchDatabase source_db("pfksrc");
  auto source = source_db.Connect();
  // Two levels under the referenced table, with partitions large enough that their index
  // builds take longer than starting the FK does.
  ASSERT_OK(source->Execute(
      "CREATE TABLE public.pk (id int PRIMARY KEY, note text) PARTITION BY RANGE (id);"
      "CREATE TABLE public.pk_1 PARTITION OF public.pk FOR VALUES FROM (0) TO (300000);"
      "CREATE TABLE public.pk_2 PARTITION OF public.pk FOR VALUES FROM (300000) TO (600000) PARTITION BY RANGE (id);"
      "CREATE TABLE public.pk_2a PARTITION OF public.pk_2 FOR VALUES FROM (300000) TO (600000);"
      "CREATE TABLE public.fk (id int, pid int REFERENCES public.pk ON DELETE SET NULL) PARTITION BY HASH (id);"
      "CREATE TABLE public.fk_0 PARTITION OF public.fk FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
      "CREATE TABLE public.fk_1 PARTITION OF public.fk FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
      "CREATE TABLE public.plain_fk (pid int REFERENCES public.pk);"
      "INSERT INTO public.pk SELECT g, md5(g::text) FROM generate_series(0, 599999) g;"
      "INSERT INTO public.fk SELECT g, g * 7 FROM generate_series(1, 50) g;"
      "INSERT INTO public.plain_fk VALUES (1), (450000);"));
  const std::string path = absl::StrCat(::testing::TempDir(), "/pgark_partitioned_fk_", getpid(), ".pgark");
  auto dump = RunCommand({PGARK_BINARY, "dump", "-d", source_db.conninfo(), "-f", path});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  // The race went either way; three parallel restores all have to succeed.
  for (int round = 0; round < 3; ++round) {
    ScratchDatabase target_db("pfkdst");
    auto restore = RunCommand({PGARK_BINARY, "restore", "-j", "4", "-d", target_db.conninfo(), path});
    ASSERT_EQ(restore.exit_code, 0) << "round " << round << ": " << restore.err;
    auto target = target_db.Connect();
    EXPECT_EQ(SchemaDump(target_db.name()), SchemaDump(source_db.name()));
    for (const char* relation : {"ONLY public.pk_1", "ONLY public.pk_2a", "public.fk", "ONLY public.plain_fk"}) {
      EXPECT_EQ(DigestOf(*target, relation), DigestOf(*source, relation)) << relation;
    }
    // The FKs are there and enforced.
    EXPECT_EQ(Scalar(*target, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0"), "2");
    EXPECT_FALSE(target->Execute("INSERT INTO public.plain_fk VALUES (-1)").ok());
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace pgark
