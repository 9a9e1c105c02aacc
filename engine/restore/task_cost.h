#pragma once
// Estimated server work of the restore's post-data items, for the main-pass scheduler's
// critical-path priorities (docs/restore.md "Where the CPU goes"). Only the relative sizes
// matter: with -j N the longest chains start first, and the last items to start should be
// the short ones, so that no connection finishes long before the others.
//
// The model, fitted to PostgreSQL 15 on the benchmark machine (CREATE INDEX alone, no
// parallel workers, maintenance_work_mem 64 MB):
//   - every build and FK validation scans the table: ~0.85 ns per byte;
//   - a btree build then sorts the rows; the cost per row depends on the leading key column:
//     ~100 ns for integers, dates and timestamps (usually already in physical order: serial
//     keys, insertion times), ~300 ns for other fixed-size types, uuid and numeric (random
//     order), ~1500 ns for strings (collation-aware comparisons of whole values) and
//     expressions; each further key column adds a fifth of its own class;
//   - GIN, GiST and SP-GiST builds cost ~5 times a btree of the same table (the old flat
//     135 ns per row);
//   - an FK validation adds ~20 ns per row; any other item is a catalog change (~1 ms).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/catalog/catalog_objects.h"

namespace pgark::engine::restore {

// CREATE INDEX, or a PRIMARY KEY / UNIQUE / EXCLUDE constraint (not CHECK).
bool BuildsIndex(const catalog::CatalogItem& item);

// A build far costlier than a btree on the same rows: USING gin/gist/spgist, in
// pg_get_indexdef's or pg_get_constraintdef's spelling.
bool IsSlowIndexBuild(absl::string_view create_sql);

// The key columns of an index build statement (CREATE INDEX ... USING am (keys) or ADD
// CONSTRAINT ... PRIMARY KEY/UNIQUE (keys)), unquoted; "" for an expression key. Empty when
// the statement has no recognisable key list.
std::vector<std::string> IndexKeyColumns(absl::string_view create_sql);

// Sort work per row of a btree build on `keys` (IndexKeyColumns) of a table with `columns`,
// in ns. A key not found among the columns counts as an expression.
int64_t BtreeSortNsPerRow(const std::vector<std::string>& keys, const std::vector<catalog::ColumnInfo>& columns);

// Estimated server work of a post-data item, ns. `table` describes the table the item is on
// (nullptr if unknown); `table_bytes` is its size; `rows` its row count (<= 0: unknown,
// estimated as one per 100 bytes).
int64_t EstimatedPostDataCost(const catalog::CatalogItem& item, const catalog::TableInfo* table, int64_t table_bytes,
                              int64_t rows);

}  // namespace pgark::engine::restore
