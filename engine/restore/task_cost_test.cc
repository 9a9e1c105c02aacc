#include "engine/restore/task_cost.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::engine::restore {
namespace {

using catalog::CatalogItem;
using catalog::ColumnInfo;
using catalog::ObjectKind;
using catalog::TableInfo;
using ::testing::ElementsAre;

CatalogItem Item(ObjectKind kind, std::string sql) {
  CatalogItem item;
  item.kind = kind;
  item.create_sql = std::move(sql);
  return item;
}

TableInfo Table() {
  TableInfo table;
  for (auto [name, type] : std::vector<std::pair<std::string, std::string>>{{"id", "bigint"},
                                                                            {"created_at", "timestamp with time zone"},
                                                                            {"ref", "uuid"},
                                                                            {"email", "character varying(200)"},
                                                                            {"Note", "text"},
                                                                            {"amount", "numeric(14,2)"},
                                                                            {"attrs", "jsonb"}}) {
    ColumnInfo column;
    column.name = name;
    column.type = type;
    table.columns.push_back(column);
  }
  return table;
}

TEST(TaskCostTest, KeyColumnsOfIndexesAndConstraints) {
  EXPECT_THAT(IndexKeyColumns("CREATE UNIQUE INDEX t_ref ON public.t USING btree (ref);\n"), ElementsAre("ref"));
  EXPECT_THAT(IndexKeyColumns("CREATE INDEX i ON ONLY s.t USING btree (\"Note\" DESC NULLS LAST, id) INCLUDE (ref) "
                              "WHERE (id > 0);\n"),
              ElementsAre("Note", "id"));
  EXPECT_THAT(IndexKeyColumns("CREATE INDEX i ON public.t USING btree (lower((email)::text), ((id + 1)));\n"),
              ElementsAre("", ""));
  EXPECT_THAT(IndexKeyColumns("CREATE INDEX i ON public.t USING btree (\"we\"\"ird\" text_pattern_ops);\n"),
              ElementsAre("we\"ird"));
  EXPECT_THAT(IndexKeyColumns("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id, created_at);\n"),
              ElementsAre("id", "created_at"));
  EXPECT_THAT(IndexKeyColumns("ALTER TABLE ONLY public.t ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT (email);\n"),
              ElementsAre("email"));
  EXPECT_THAT(IndexKeyColumns("ALTER TABLE ONLY public.t ADD CONSTRAINT ex EXCLUDE USING gist (ref WITH =);\n"),
              ElementsAre("ref"));
  EXPECT_THAT(IndexKeyColumns("CREATE INDEX broken ON public.t USING btree (id"), ::testing::IsEmpty());
}

TEST(TaskCostTest, SortCostFollowsTheLeadingKeyType) {
  const TableInfo table = Table();
  const int64_t id = BtreeSortNsPerRow({"id"}, table.columns);
  const int64_t created = BtreeSortNsPerRow({"created_at"}, table.columns);
  const int64_t ref = BtreeSortNsPerRow({"ref"}, table.columns);
  const int64_t amount = BtreeSortNsPerRow({"amount"}, table.columns);
  const int64_t email = BtreeSortNsPerRow({"email"}, table.columns);
  const int64_t note = BtreeSortNsPerRow({"Note"}, table.columns);
  const int64_t expression = BtreeSortNsPerRow({""}, table.columns);
  EXPECT_EQ(id, created);
  EXPECT_LT(id, ref);  // measured: uuid ~3x an int8 key in physical order
  EXPECT_EQ(ref, amount);
  EXPECT_LT(ref, email);  // measured: text ~15x
  EXPECT_EQ(email, note);
  EXPECT_EQ(expression, note);
  // A second column adds a little; the leading one decides.
  EXPECT_GT(BtreeSortNsPerRow({"id", "email"}, table.columns), id);
  EXPECT_LT(BtreeSortNsPerRow({"id", "email"}, table.columns), email);
  // Unknown columns (no table information) count as ordinary scalars, not expressions.
  EXPECT_EQ(BtreeSortNsPerRow({"id"}, {}), ref);
}

TEST(TaskCostTest, ItemCostsOrderAsMeasured) {
  const TableInfo table = Table();
  const int64_t bytes = int64_t{1} << 30, rows = 3200000;
  auto cost = [&](ObjectKind kind, const std::string& sql) {
    return EstimatedPostDataCost(Item(kind, sql), &table, bytes, rows);
  };
  const int64_t pkey = cost(ObjectKind::kConstraint, "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n");
  const int64_t uuid = cost(ObjectKind::kIndex, "CREATE UNIQUE INDEX i ON public.t USING btree (ref);\n");
  const int64_t text = cost(ObjectKind::kIndex, "CREATE INDEX i ON public.t USING btree (email);\n");
  const int64_t gin = cost(ObjectKind::kIndex, "CREATE INDEX i ON public.t USING gin (attrs jsonb_path_ops);\n");
  const int64_t fk = cost(ObjectKind::kForeignKey, "ALTER TABLE ONLY public.t ADD CONSTRAINT f FOREIGN KEY (id) ...;\n");
  const int64_t check = cost(ObjectKind::kConstraint, "ALTER TABLE public.t ADD CONSTRAINT c CHECK ((id > 0));\n");
  EXPECT_LT(check, fk);
  EXPECT_LT(fk, pkey);
  EXPECT_LT(pkey, uuid);
  EXPECT_LT(uuid, text);
  EXPECT_LT(uuid, gin);
  // Every build scans the table: at least ~0.85 ns per byte.
  EXPECT_GE(pkey, bytes * 85 / 100);
  // Unknown row counts are guessed from the size, never zero work.
  EXPECT_GT(EstimatedPostDataCost(Item(ObjectKind::kIndex, "CREATE INDEX i ON public.t USING btree (id);\n"), nullptr,
                                  bytes, -1),
            bytes * 85 / 100);
}

TEST(TaskCostTest, WhatBuildsAnIndex) {
  EXPECT_TRUE(BuildsIndex(Item(ObjectKind::kIndex, "CREATE INDEX i ON t USING btree (a);\n")));
  EXPECT_TRUE(BuildsIndex(Item(ObjectKind::kConstraint, "ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY (a);\n")));
  EXPECT_TRUE(BuildsIndex(Item(ObjectKind::kConstraint, "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);\n")));
  EXPECT_TRUE(BuildsIndex(Item(ObjectKind::kConstraint, "ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (a WITH &&);\n")));
  EXPECT_FALSE(BuildsIndex(Item(ObjectKind::kConstraint, "ALTER TABLE t ADD CONSTRAINT c CHECK ((a > 0));\n")));
  EXPECT_FALSE(BuildsIndex(Item(ObjectKind::kForeignKey, "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) ...;\n")));
  EXPECT_TRUE(IsSlowIndexBuild("CREATE INDEX i ON t USING gin (a);\n"));
  EXPECT_TRUE(IsSlowIndexBuild("ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (a WITH &&);\n"));
  EXPECT_FALSE(IsSlowIndexBuild("CREATE INDEX i ON t USING btree (a);\n"));
}

}  // namespace
}  // namespace pgark::engine::restore
