#pragma once
// Test helper: a column type's shape in the JSON form the dump records in dump/plan.json
// ({"kind", "oid", "schema", "name", "children"}), read from pg_type.

#include <string>

#include "engine/pg/connection.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pgark::testing {

inline nlohmann::json TypeShapeJson(pg::Connection& conn, uint32_t oid, int depth = 0) {
  EXPECT_LT(depth, 20);
  // pg_range.rngmultitypid (multiranges) is 14+.
  const std::string multirange_of = conn.server_version() >= 140000
                                        ? "(SELECT rngtypid FROM pg_range WHERE rngmultitypid = t.oid)"
                                        : "NULL::oid";
  auto r = conn.QueryParams(
      "SELECT t.typtype, t.typelem, t.typbasetype, t.typrelid, n.nspname, t.typname, "
      "  (SELECT rngsubtype FROM pg_range WHERE rngtypid = t.oid), " + multirange_of + ", t.typcategory "
      "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1",
      {std::to_string(oid)});
  EXPECT_TRUE(r.ok() && r->rows() == 1) << oid;
  if (!r.ok() || r->rows() != 1) return nlohmann::json();
  nlohmann::json shape = {{"kind", "base"}, {"oid", oid}, {"schema", std::string(r->Get(0, 4))},
                          {"name", std::string(r->Get(0, 5))}};
  auto child = [&](absl::string_view text_oid) {
    return TypeShapeJson(conn, std::stoul(std::string(text_oid)), depth + 1);
  };
  // json::array({x}), not {x}: for a one-element brace list clang picks the copy constructor
  // (the child itself, not an array of it); gcc builds the array.
  char typtype = r->Get(0, 0)[0];
  if (typtype == 'd') {
    shape["kind"] = "domain";
    shape["children"] = nlohmann::json::array({child(r->Get(0, 2))});
  } else if (typtype == 'e') {
    shape["kind"] = "enum";
  } else if (typtype == 'p') {
    shape["kind"] = "pseudo";
  } else if (typtype == 'r') {
    shape["kind"] = "range";
    shape["children"] = nlohmann::json::array({child(r->Get(0, 6))});
  } else if (typtype == 'm') {
    shape["kind"] = "multirange";
    shape["children"] = nlohmann::json::array({child(r->Get(0, 7))});
  } else if (typtype == 'c') {
    shape["kind"] = "composite";
    auto attrs = conn.QueryParams(
        "SELECT atttypid FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT "
        "attisdropped ORDER BY attnum",
        {std::string(r->Get(0, 3))});
    EXPECT_TRUE(attrs.ok());
    shape["children"] = nlohmann::json::array();
    for (int i = 0; attrs.ok() && i < attrs->rows(); ++i) shape["children"].push_back(child(attrs->Get(i, 0)));
  } else if (r->Get(0, 1) != "0" && r->Get(0, 8) == "A") {
    shape["kind"] = "array";
    shape["children"] = nlohmann::json::array({child(r->Get(0, 1))});
  }
  return shape;
}

}  // namespace pgark::testing
