#include "engine/restore/transform_check.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "engine/restore/restoring_role.h"
#include "format/base/status_macros.h"

namespace pgark::engine::restore {

using catalog::CatalogItem;
using catalog::ObjectKind;

namespace {

// The parts of "CREATE TRANSFORM FOR <type> LANGUAGE <language> (\n    FROM SQL WITH FUNCTION
// <f>,\n    TO SQL WITH FUNCTION <g>\n);\n" (catalog_reader.cc), each as written there: the
// type as format_type gives it, the language quoted, the functions as regprocedure text.
struct TransformParts {
  std::string type, language, from_sql, to_sql;
};

bool ParseTransform(absl::string_view sql, TransformParts* parts) {
  constexpr absl::string_view kFor = "CREATE TRANSFORM FOR ", kLanguage = " LANGUAGE ", kOpen = " (\n";
  if (!absl::ConsumePrefix(&sql, kFor)) return false;
  const size_t open = sql.find(kOpen);
  if (open == absl::string_view::npos) return false;
  const absl::string_view signature = sql.substr(0, open);
  const size_t language = signature.rfind(kLanguage);
  if (language == absl::string_view::npos) return false;
  parts->type = std::string(signature.substr(0, language));
  parts->language = std::string(signature.substr(language + kLanguage.size()));
  for (absl::string_view line : absl::StrSplit(sql.substr(open + kOpen.size()), '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, ",");
    if (absl::ConsumePrefix(&line, "FROM SQL WITH FUNCTION ")) parts->from_sql = std::string(line);
    if (absl::ConsumePrefix(&line, "TO SQL WITH FUNCTION ")) parts->to_sql = std::string(line);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<TransformRefusal>> TransformRefusals(pg::Connection& conn, const std::string& role_name,
                                                                const std::vector<const CatalogItem*>& items) {
  std::vector<const CatalogItem*> transforms;
  std::vector<std::string> types, languages, from_sql, to_sql;
  for (const CatalogItem* item : items) {
    TransformParts parts;
    if (item->kind != ObjectKind::kTransform || !ParseTransform(item->create_sql, &parts)) continue;
    transforms.push_back(item);
    types.push_back(parts.type);
    languages.push_back(parts.language);
    from_sql.push_back(parts.from_sql);
    to_sql.push_back(parts.to_sql);
  }
  std::vector<TransformRefusal> refused;
  if (transforms.empty()) return refused;
  // Per transform, what the role lacks, as "type integer", "language sql", "function f(internal)";
  // objects missing on the server are the restore's own and lack nothing.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams(
          "SELECT x.n, pg_catalog.array_to_string(ARRAY["
          "CASE WHEN t.oid IS NOT NULL AND NOT (pg_catalog.pg_has_role(t.typowner, 'USAGE') AND "
          "pg_catalog.has_type_privilege(t.oid, 'USAGE')) THEN 'type ' OPERATOR(pg_catalog.||) x.type END, "
          "CASE WHEN l.oid IS NOT NULL AND NOT pg_catalog.has_language_privilege(l.oid, 'USAGE') "
          "THEN 'language ' OPERATOR(pg_catalog.||) l.lanname END, "
          "CASE WHEN f.oid IS NOT NULL AND NOT (pg_catalog.pg_has_role(f.proowner, 'USAGE') AND "
          "pg_catalog.has_function_privilege(f.oid, 'EXECUTE')) THEN 'function ' OPERATOR(pg_catalog.||) x.f END, "
          "CASE WHEN g.oid IS NOT NULL AND NOT (pg_catalog.pg_has_role(g.proowner, 'USAGE') AND "
          "pg_catalog.has_function_privilege(g.oid, 'EXECUTE')) THEN 'function ' OPERATOR(pg_catalog.||) x.g END"
          "], ', ') FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]), "
          "pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::text[])) WITH ORDINALITY AS x(type, lang, f, g, n) "
          "LEFT JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) pg_catalog.to_regtype(x.type) "
          "LEFT JOIN pg_catalog.pg_language l ON pg_catalog.quote_ident(l.lanname) OPERATOR(pg_catalog.=) x.lang "
          "LEFT JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) CASE WHEN x.f OPERATOR(pg_catalog.<>) '' "
          "THEN pg_catalog.to_regprocedure(x.f) END "
          "LEFT JOIN pg_catalog.pg_proc g ON g.oid OPERATOR(pg_catalog.=) CASE WHEN x.g OPERATOR(pg_catalog.<>) '' "
          "THEN pg_catalog.to_regprocedure(x.g) END ORDER BY x.n",
          {TextArrayLiteral(types), TextArrayLiteral(languages), TextArrayLiteral(from_sql),
           TextArrayLiteral(to_sql)}));
  for (int row = 0; row < r.rows(); ++row) {
    const size_t n = std::stoul(std::string(r.Get(row, 0)));  // 1-based, from WITH ORDINALITY
    const absl::string_view lacks = r.Get(row, 1);
    if (n < 1 || n > transforms.size() || lacks.empty()) continue;
    refused.emplace_back(absl::StrCat("creating a transform needs the ownership of its type and functions (and USAGE "
                                      "on its language), which ", role_name, " lacks for ", lacks),
                         transforms[n - 1]);
  }
  return refused;
}

}  // namespace pgark::engine::restore
