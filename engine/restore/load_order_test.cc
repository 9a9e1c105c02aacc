#include "engine/restore/load_order.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::engine::restore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ForeignKeyEdge Fk(int child, int parent, bool deferrable = false, std::string name = "fk") {
  return ForeignKeyEdge{child, parent, deferrable, std::move(name)};
}

TEST(LoadOrderTest, ChainsWaitForTheirParentsAndUnrelatedTablesStayFree) {
  // 0 parent <- 1 child <- 2 grandchild; 3 unrelated; 4 references 0 twice (two FKs).
  const LoadOrder order = PlanLoadOrder({100, 10, 1000, 5, 7}, {Fk(1, 0), Fk(2, 1), Fk(4, 0), Fk(4, 0, true, "fk2")});
  EXPECT_THAT(order.wait_for[0], IsEmpty());
  EXPECT_THAT(order.wait_for[1], ElementsAre(0));
  EXPECT_THAT(order.wait_for[2], ElementsAre(1));
  EXPECT_THAT(order.wait_for[3], IsEmpty());
  EXPECT_THAT(order.wait_for[4], ElementsAre(0));
  EXPECT_THAT(order.cycles, IsEmpty());
  // The parent carries the heaviest chain below it: 100 + 10 + 1000.
  EXPECT_EQ(order.chain_bytes[0], 1110);
  EXPECT_EQ(order.chain_bytes[1], 1010);
  EXPECT_EQ(order.chain_bytes[2], 1000);
  EXPECT_EQ(order.chain_bytes[3], 5);
}

TEST(LoadOrderTest, SelfReferenceIsNoOrderingEdge) {
  const LoadOrder order = PlanLoadOrder({1, 1}, {Fk(0, 0), Fk(1, 1, true)});
  EXPECT_THAT(order.wait_for[0], IsEmpty());
  EXPECT_TRUE(order.self_referencing[0]);
  EXPECT_TRUE(order.self_referencing[1]);
  EXPECT_THAT(order.cycles, IsEmpty());
}

TEST(LoadOrderTest, CycleEdgesAreDroppedAndReportedButOutsideParentsStay) {
  // 0 <-> 1 (deferrable), both reference 2; 3 references 1; 4 -> 5 -> 6 -> 4 not deferrable.
  const LoadOrder order =
      PlanLoadOrder({1, 1, 1, 1, 1, 1, 1}, {Fk(0, 1, true, "s.a.ab"), Fk(1, 0, true, "s.b.ba"), Fk(0, 2), Fk(1, 2),
                                            Fk(3, 1), Fk(4, 5, false, "x"), Fk(5, 6, true, "y"), Fk(6, 4, true, "z")});
  ASSERT_EQ(order.cycles.size(), 2u);
  EXPECT_THAT(order.cycles[0].tables, ElementsAre(0, 1));
  EXPECT_TRUE(order.cycles[0].deferrable);
  EXPECT_THAT(order.cycles[0].constraints, ElementsAre("s.a.ab", "s.b.ba"));
  EXPECT_THAT(order.cycles[1].tables, ElementsAre(4, 5, 6));
  EXPECT_FALSE(order.cycles[1].deferrable);
  EXPECT_THAT(order.wait_for[0], ElementsAre(2));
  EXPECT_THAT(order.wait_for[1], ElementsAre(2));
  EXPECT_THAT(order.wait_for[3], ElementsAre(1));
  EXPECT_THAT(order.wait_for[4], IsEmpty());
  EXPECT_EQ(order.chain_bytes[2], 3);  // 2, then the cycle, then 3

  // Only the cycle that cannot load is reported: the deferrable one loads as one group.
  const std::vector<std::string> names = {"s.a", "s.b", "s.c", "s.d", "s.e", "s.f", "s.g"};
  const std::vector<std::string> warnings = CycleWarnings(order, names);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("circular foreign-key constraints among tables s.e, s.f, s.g (x, y, z)"));
  EXPECT_THAT(warnings[0], HasSubstr("--disable-triggers"));
}

TEST(LoadOrderTest, DeferrableCyclesBecomeGroupsWithTheirOutsideParents) {
  // 0 <-> 1 deferrable, 0 -> 2, 1 -> 3, 1 -> 2 (2 and 3 are outside parents); 4 references 1
  // (waits for the group); 5 <-> 6 with one non-deferrable constraint: no group; 7 <-> 8 <-> 9
  // deferrable, with 9 referencing itself and 8 referencing the first group.
  const std::vector<int64_t> bytes = {10, 20, 1, 2, 1000, 5, 5, 1, 1, 1};
  const LoadOrder order = PlanLoadOrder(
      bytes, {Fk(0, 1, true, "ab"), Fk(1, 0, true, "ba"), Fk(0, 2), Fk(1, 3), Fk(1, 2), Fk(4, 1),
              Fk(5, 6, true, "fg"), Fk(6, 5, false, "gf"), Fk(7, 8, true, "hi"), Fk(8, 9, true, "ij"),
              Fk(9, 7, true, "jh"), Fk(9, 9), Fk(8, 0)});
  const std::vector<DeferredGroup> groups = DeferredCycleGroups(order, bytes);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_THAT(groups[0].tables, ElementsAre(0, 1));
  EXPECT_THAT(groups[0].constraints, ElementsAre("ab", "ba"));
  EXPECT_THAT(groups[0].wait_for, ElementsAre(2, 3));
  // 10 + 20 plus the heaviest chain waiting: 4 (1000) beats the second group (3).
  EXPECT_EQ(groups[0].chain_bytes, 1030);
  EXPECT_THAT(groups[1].tables, ElementsAre(7, 8, 9));
  EXPECT_THAT(groups[1].wait_for, ElementsAre(0));
  EXPECT_EQ(groups[1].chain_bytes, 3);
  EXPECT_TRUE(order.self_referencing[9]);
  EXPECT_THAT(order.wait_for[4], ElementsAre(1));
  // The non-deferrable cycle is the only warning.
  const std::vector<std::string> warnings = CycleWarnings(order, {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("among tables f, g (fg, gf)"));
}

TEST(LoadOrderTest, LongChainsDoNotRecurse) {
  // 200,000 tables in one chain, then closed into one cycle: no stack overflow.
  const int n = 200000;
  std::vector<int64_t> bytes(n, 1);
  std::vector<ForeignKeyEdge> edges;
  for (int i = 1; i < n; ++i) edges.push_back(Fk(i, i - 1));
  LoadOrder order = PlanLoadOrder(bytes, edges);
  EXPECT_EQ(order.chain_bytes[0], n);
  EXPECT_THAT(order.wait_for[n - 1], ElementsAre(n - 2));
  edges.push_back(Fk(0, n - 1));
  order = PlanLoadOrder(bytes, edges);
  ASSERT_EQ(order.cycles.size(), 1u);
  EXPECT_EQ(order.cycles[0].tables.size(), static_cast<size_t>(n));
  EXPECT_THAT(order.wait_for[n - 1], IsEmpty());
}

TEST(LoadOrderTest, EdgesOutsideTheTableListAreIgnored) {
  const LoadOrder order = PlanLoadOrder({1, 1}, {Fk(0, 5), Fk(-1, 0), Fk(1, 0)});
  EXPECT_THAT(order.wait_for[0], IsEmpty());
  EXPECT_THAT(order.wait_for[1], ElementsAre(0));
}

}  // namespace
}  // namespace pgark::engine::restore
