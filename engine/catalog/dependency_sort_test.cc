#include "engine/catalog/dependency_sort.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::catalog {
namespace {

int Add(std::vector<SortNode>& nodes, ObjectKind kind, const std::string& name,
        std::vector<int> deps = {}, Section section = Section::kPreData) {
  SortNode node;
  node.kind = kind;
  node.schema = "s";
  node.name = name;
  node.id = absl::StrCat(ObjectKindName(kind), " s.", name);
  node.deps = std::move(deps);
  node.section = section;
  nodes.push_back(std::move(node));
  return static_cast<int>(nodes.size()) - 1;
}

int Pos(const SortResult& result, int idx) {
  auto it = std::find(result.order.begin(), result.order.end(), idx);
  return it == result.order.end() ? -1 : static_cast<int>(it - result.order.begin());
}

TEST(DependencySortTest, PreSortOrderWhenNoDependencies) {
  std::vector<SortNode> nodes;
  int table_b = Add(nodes, ObjectKind::kTable, "b");
  int index = Add(nodes, ObjectKind::kIndex, "i", {}, Section::kPostData);
  int table_a = Add(nodes, ObjectKind::kTable, "a");
  int schema = Add(nodes, ObjectKind::kSchema, "s");
  int func = Add(nodes, ObjectKind::kFunction, "f");
  SortResult result = SortNodes(nodes);
  EXPECT_THAT(result.order, ::testing::ElementsAre(schema, func, table_a, table_b, index));
  EXPECT_TRUE(result.warnings.empty());
}

TEST(DependencySortTest, DependenciesOverridePreSort) {
  std::vector<SortNode> nodes;
  int func = Add(nodes, ObjectKind::kFunction, "f");
  int table = Add(nodes, ObjectKind::kTable, "t");
  nodes[func].deps = {table};  // a function whose argument is the table's rowtype
  SortResult result = SortNodes(nodes);
  EXPECT_LT(Pos(result, table), Pos(result, func));
}

TEST(DependencySortTest, DataBetweenSections) {
  std::vector<SortNode> nodes;
  int index = Add(nodes, ObjectKind::kIndex, "i", {}, Section::kPostData);
  int data = Add(nodes, ObjectKind::kTableData, "t", {}, Section::kData);
  int table = Add(nodes, ObjectKind::kTable, "t");
  SortResult result = SortNodes(nodes);
  EXPECT_THAT(result.order, ::testing::ElementsAre(table, data, index));
}

TEST(DependencySortTest, InlineCheckInLongLoopIsSeparatedToPostData) {
  std::vector<SortNode> nodes;
  int table = Add(nodes, ObjectKind::kTable, "t");
  int func = Add(nodes, ObjectKind::kFunction, "f", {table});  // BEGIN ATOMIC reading t
  int check = Add(nodes, ObjectKind::kConstraint, "t c", {func, table});
  nodes[check].inline_parent = table;
  nodes[table].deps = {check};
  SortResult result = SortNodes(nodes);
  EXPECT_TRUE(nodes[check].separated);
  EXPECT_EQ(nodes[check].section, Section::kPostData);
  EXPECT_LT(Pos(result, table), Pos(result, func));
  EXPECT_LT(Pos(result, func), Pos(result, check));
  EXPECT_TRUE(result.warnings.empty());
}

TEST(DependencySortTest, InlineCheckInTwoLoopStaysInline) {
  std::vector<SortNode> nodes;
  int table = Add(nodes, ObjectKind::kTable, "t");
  int check = Add(nodes, ObjectKind::kConstraint, "t c", {table});
  nodes[check].inline_parent = table;
  nodes[table].deps = {check};
  SortResult result = SortNodes(nodes);
  EXPECT_FALSE(nodes[check].separated);
  EXPECT_THAT(result.order, ::testing::ElementsAre(table));
}

TEST(DependencySortTest, SeparatedDefaultStaysPreData) {
  std::vector<SortNode> nodes;
  int table = Add(nodes, ObjectKind::kTable, "t");
  int func = Add(nodes, ObjectKind::kFunction, "f", {table});
  int def = Add(nodes, ObjectKind::kDefault, "t c", {func});
  nodes[def].inline_parent = table;
  nodes[table].deps = {def};
  SortResult result = SortNodes(nodes);
  EXPECT_TRUE(nodes[def].separated);
  EXPECT_EQ(nodes[def].section, Section::kPreData);
  EXPECT_LT(Pos(result, func), Pos(result, def));
}

TEST(DependencySortTest, BaseTypeLoopUsesShellType) {
  std::vector<SortNode> nodes;
  int type = Add(nodes, ObjectKind::kType, "t");
  nodes[type].shellable = true;
  int in = Add(nodes, ObjectKind::kFunction, "t_in", {type});
  int out = Add(nodes, ObjectKind::kFunction, "t_out", {type});
  nodes[type].deps = {in, out};
  SortResult result = SortNodes(nodes);
  ASSERT_GE(nodes[type].shell_type, 0);
  int shell = nodes[type].shell_type;
  EXPECT_EQ(nodes[shell].kind, ObjectKind::kShellType);
  EXPECT_LT(Pos(result, shell), Pos(result, in));
  EXPECT_LT(Pos(result, shell), Pos(result, out));
  EXPECT_LT(Pos(result, in), Pos(result, type));
  EXPECT_LT(Pos(result, out), Pos(result, type));
  EXPECT_TRUE(result.warnings.empty());
}

TEST(DependencySortTest, FunctionNeedingPrimaryKeyIsPostponed) {
  std::vector<SortNode> nodes;
  int table = Add(nodes, ObjectKind::kTable, "t");
  int pk = Add(nodes, ObjectKind::kConstraint, "t t_pkey", {table}, Section::kPostData);
  int func = Add(nodes, ObjectKind::kFunction, "f", {table, pk});
  int matview = Add(nodes, ObjectKind::kMaterializedView, "m", {table, pk});
  SortResult result = SortNodes(nodes);
  EXPECT_TRUE(nodes[func].postponed);
  EXPECT_TRUE(nodes[matview].postponed);
  EXPECT_EQ(nodes[func].section, Section::kPostData);
  EXPECT_LT(Pos(result, pk), Pos(result, func));
  EXPECT_LT(Pos(result, pk), Pos(result, matview));
}

TEST(DependencySortTest, ViewFunctionLoopGetsDummyView) {
  std::vector<SortNode> nodes;
  int view = Add(nodes, ObjectKind::kView, "v");
  int func = Add(nodes, ObjectKind::kFunction, "f", {view});
  nodes[view].deps = {func};
  SortResult result = SortNodes(nodes);
  ASSERT_TRUE(nodes[view].dummy_view);
  int definition = nodes[view].view_definition;
  ASSERT_GE(definition, 0);
  EXPECT_EQ(nodes[definition].definition_of, view);
  EXPECT_EQ(nodes[definition].section, Section::kPostData);
  EXPECT_LT(Pos(result, view), Pos(result, func));
  EXPECT_LT(Pos(result, func), Pos(result, definition));
  EXPECT_TRUE(result.warnings.empty());
}

TEST(DependencySortTest, UnrepairableLoopIsBrokenWithWarning) {
  std::vector<SortNode> nodes;
  int a = Add(nodes, ObjectKind::kTable, "a");
  int b = Add(nodes, ObjectKind::kTable, "b", {a});
  nodes[a].deps = {b};
  SortResult result = SortNodes(nodes);
  EXPECT_EQ(result.order.size(), 2u);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_THAT(result.warnings[0], ::testing::HasSubstr("could not resolve dependency loop"));
}

TEST(DependencySortTest, SelfDependencyIsIgnored) {
  std::vector<SortNode> nodes;
  int table = Add(nodes, ObjectKind::kTable, "t");
  nodes[table].deps = {table};
  SortResult result = SortNodes(nodes);
  EXPECT_THAT(result.order, ::testing::ElementsAre(table));
  EXPECT_TRUE(result.warnings.empty());
}

}  // namespace
}  // namespace pgark::catalog
