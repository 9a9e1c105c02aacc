#include "engine/catalog/catalog_reader.h"

#include "absl/strings/str_cat.h"
#include "format/base/status_macros.h"

namespace pgark::catalog {

absl::Status PrepareDumpSession(pg::Connection& conn) {
  PGARK_RETURN_IF_ERROR(conn.Execute(
      "SELECT pg_catalog.set_config('search_path', '', false);"
      "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3;"
      "SET synchronize_seqscans = off; SET statement_timeout = 0; SET lock_timeout = 0;"
      "SET idle_in_transaction_session_timeout = 0; SET row_security = off;"));
  if (conn.server_version() >= 170000) PGARK_RETURN_IF_ERROR(conn.Execute("SET transaction_timeout = 0"));
  // The GUC arrived in minor releases (Aug 2024): set it only where it exists.
  return conn.Execute(
      "SELECT pg_catalog.set_config(name, 'view, foreign-table', false) FROM pg_catalog.pg_settings "
      "WHERE name = 'restrict_nonsystem_relation_kind'");
}

absl::StatusOr<Catalog> ReadCatalog(pg::Connection& conn, const ReadOptions& options) {
  return absl::UnimplementedError("catalog reader: in progress");
}

absl::StatusOr<std::string> ReadSequenceSetSql(pg::Connection& conn, const CatalogItem& item) {
  return absl::UnimplementedError("catalog reader: in progress");
}

}  // namespace pgark::catalog
