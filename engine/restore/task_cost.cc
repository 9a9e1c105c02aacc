#include "engine/restore/task_cost.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace pgark::engine::restore {
namespace {

using catalog::CatalogItem;
using catalog::ColumnInfo;
using catalog::ObjectKind;

constexpr int64_t kScanNsPer1000Bytes = 850;
constexpr int64_t kSlowBuildFactor = 5;
constexpr int64_t kSlowBuildBaseNsPerRow = 135;
constexpr int64_t kOrderedKeyNsPerRow = 100;
constexpr int64_t kScalarKeyNsPerRow = 300;
constexpr int64_t kStringKeyNsPerRow = 1500;
constexpr int64_t kForeignKeyNsPerRow = 20;
constexpr int64_t kCatalogChangeNs = 1000000;

// The comma-separated elements of the parenthesized list at `open` (commas inside nested
// parentheses, quoted identifiers and string literals do not split), whitespace-trimmed; empty
// when the list is empty or its parentheses do not balance.
std::vector<absl::string_view> ListElements(absl::string_view sql, size_t open) {
  std::vector<absl::string_view> elements;
  int depth = 0;
  char quote = 0;
  size_t start = open + 1;
  for (size_t i = open; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote reopens at once: same effect
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ',' && depth == 1) {
      elements.push_back(absl::StripAsciiWhitespace(sql.substr(start, i - start)));
      start = i + 1;
    } else if (c == ')' && --depth == 0) {
      const absl::string_view last = absl::StripAsciiWhitespace(sql.substr(start, i - start));
      if (!elements.empty() || !last.empty()) elements.push_back(last);
      return elements;
    }
  }
  return {};
}

// The column a key element names ("col DESC", "\"Col\" text_pattern_ops"), "" for an
// expression ("(a + b)", "lower(email)").
std::string KeyColumn(absl::string_view element) {
  std::string name;
  size_t i = 0;
  if (!element.empty() && element[0] == '"') {
    for (i = 1; i < element.size(); ++i) {
      if (element[i] == '"') {
        if (i + 1 < element.size() && element[i + 1] == '"') {
          name += '"';
          ++i;
          continue;
        }
        ++i;
        break;
      }
      name += element[i];
    }
  } else {
    while (i < element.size() && (std::isalnum(static_cast<unsigned char>(element[i])) || element[i] == '_' ||
                                  element[i] == '$')) {
      name += element[i++];
    }
  }
  while (i < element.size() && element[i] == ' ') ++i;
  if (name.empty() || (i < element.size() && element[i] == '(')) return "";  // a function call
  return name;
}

int64_t KeyClassNsPerRow(const std::string& key, const std::vector<ColumnInfo>& columns) {
  const auto column = key.empty() ? columns.end()
                                   : std::find_if(columns.begin(), columns.end(),
                                                  [&](const ColumnInfo& c) { return c.name == key; });
  if (column == columns.end()) {
    // An expression (a function of whole values) or, without column information, a column.
    return key.empty() || !columns.empty() ? kStringKeyNsPerRow : kScalarKeyNsPerRow;
  }
  const absl::string_view type = column->type;
  for (absl::string_view ordered : {"smallint", "integer", "bigint", "oid", "date", "timestamp"}) {
    if (absl::StartsWith(type, ordered)) return kOrderedKeyNsPerRow;
  }
  for (absl::string_view string : {"text", "character", "name", "bpchar"}) {
    if (absl::StartsWith(type, string)) return kStringKeyNsPerRow;
  }
  if (absl::EndsWith(type, "citext")) return kStringKeyNsPerRow;
  return kScalarKeyNsPerRow;
}

}  // namespace

bool IsSlowIndexBuild(absl::string_view create_sql) {
  return absl::StrContains(create_sql, " USING gin (") || absl::StrContains(create_sql, " USING gist (") ||
         absl::StrContains(create_sql, " USING spgist (");
}

bool BuildsIndex(const CatalogItem& item) {
  if (item.kind == ObjectKind::kIndex) return true;
  return item.kind == ObjectKind::kConstraint &&
         (absl::StrContains(item.create_sql, " PRIMARY KEY ") || absl::StrContains(item.create_sql, " UNIQUE ") ||
          absl::StrContains(item.create_sql, " EXCLUDE "));
}

std::vector<std::string> IndexKeyColumns(absl::string_view create_sql) {
  size_t open = absl::string_view::npos;
  const size_t constraint = create_sql.find(" ADD CONSTRAINT ");
  if (constraint != absl::string_view::npos) {
    // PRIMARY KEY (..), UNIQUE [NULLS NOT DISTINCT] (..), EXCLUDE USING am (..)
    for (absl::string_view marker : {" PRIMARY KEY ", " UNIQUE ", " EXCLUDE "}) {
      const size_t at = create_sql.find(marker, constraint);
      if (at != absl::string_view::npos) open = create_sql.find('(', at);
      if (open != absl::string_view::npos) break;
    }
  } else {
    const size_t on = create_sql.find(" ON ");
    const size_t using_am = on == absl::string_view::npos ? on : create_sql.find(" USING ", on);
    if (using_am != absl::string_view::npos) open = create_sql.find('(', using_am);
  }
  std::vector<std::string> keys;
  if (open == absl::string_view::npos) return keys;
  for (absl::string_view element : ListElements(create_sql, open)) keys.push_back(KeyColumn(element));
  return keys;
}

int64_t BtreeSortNsPerRow(const std::vector<std::string>& keys, const std::vector<ColumnInfo>& columns) {
  if (keys.empty()) return kScalarKeyNsPerRow;
  int64_t cost = KeyClassNsPerRow(keys[0], columns);
  for (size_t i = 1; i < keys.size(); ++i) cost += KeyClassNsPerRow(keys[i], columns) / 5;
  return cost;
}

int64_t EstimatedPostDataCost(const CatalogItem& item, const catalog::TableInfo* table, int64_t table_bytes,
                              int64_t rows) {
  if (rows <= 0) rows = table_bytes / 100;
  const int64_t scan = table_bytes / 1000 * kScanNsPer1000Bytes;
  if (BuildsIndex(item)) {
    if (IsSlowIndexBuild(item.create_sql)) return kSlowBuildFactor * (scan + rows * kSlowBuildBaseNsPerRow);
    static const std::vector<ColumnInfo> kNoColumns;
    return scan + rows * BtreeSortNsPerRow(IndexKeyColumns(item.create_sql),
                                           table != nullptr ? table->columns : kNoColumns);
  }
  if (item.kind == ObjectKind::kForeignKey) return scan + rows * kForeignKeyNsPerRow;
  return kCatalogChangeNs;
}

}  // namespace pgark::engine::restore
