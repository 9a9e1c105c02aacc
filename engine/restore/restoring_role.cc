#include "engine/restore/restoring_role.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/restore/transform_check.h"
#include "format/base/status_macros.h"

namespace pgark::engine::restore {

using catalog::CatalogItem;
using catalog::ObjectKind;

absl::StatusOr<RestoringRole> DescribeRestoringRole(pg::Connection& conn) {
  PGARK_ASSIGN_OR_RETURN(pg::Result r, conn.Query("SELECT current_user, rolsuper FROM pg_catalog.pg_roles "
                                                  "WHERE rolname OPERATOR(pg_catalog.=) current_user"));
  RestoringRole role;
  if (r.rows() == 0) return role;  // cannot happen: the session's own role is in pg_roles
  role.name = std::string(r.Get(0, 0));
  role.superuser = r.GetBool(0, 1);
  return role;
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  // Every element double-quoted, \ and " escaped.
  return absl::StrCat("{", absl::StrJoin(values, ",", [](std::string* out, const std::string& value) {
                        out->push_back('"');
                        for (char c : value) {
                          if (c == '"' || c == '\\') out->push_back('\\');
                          out->push_back(c);
                        }
                        out->push_back('"');
                      }),
                      "}");
}

std::string SettingName(absl::string_view statement) {
  static const std::regex kSetting(
      "^ALTER (?:DATABASE|ROLE .*? IN DATABASE) .*? SET ([A-Za-z_][A-Za-z0-9_.$]*) TO ");
  std::match_results<absl::string_view::const_iterator> match;
  if (!std::regex_search(statement.begin(), statement.end(), match, kSetting)) return "";
  return match[1].str();
}

std::vector<std::string> SkipSuperuserOnly(const RestoringRole& role, std::vector<const CatalogItem*>& items) {
  std::vector<std::string> warnings;
  if (role.superuser) return warnings;
  std::vector<const CatalogItem*> kept;
  kept.reserve(items.size());
  for (const CatalogItem* item : items) {
    if (item->kind == ObjectKind::kEventTrigger) {
      warnings.push_back(absl::StrCat(item->id, " is not restored: creating an event trigger needs a superuser and ",
                                      role.name, " is not one (restore as a superuser to include it)"));
      continue;
    }
    kept.push_back(item);
  }
  items.swap(kept);
  return warnings;
}

absl::Status CheckSubscriptions(pg::Connection& conn, const RestoringRole& role,
                                const std::vector<const CatalogItem*>& items) {
  if (role.superuser) return absl::OkStatus();
  const CatalogItem* first = nullptr;
  int count = 0;
  for (const CatalogItem* item : items) {
    if (item->kind != ObjectKind::kSubscription) continue;
    if (first == nullptr) first = item;
    ++count;
  }
  if (first == nullptr) return absl::OkStatus();
  const bool v16 = conn.server_version() >= 160000;
  if (v16) {
    PGARK_ASSIGN_OR_RETURN(pg::Result r, conn.Query("SELECT pg_catalog.pg_has_role('pg_create_subscription', 'USAGE')"));
    if (r.GetBool(0, 0)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot restore ", first->id, count > 1 ? absl::StrCat(" (and ", count - 1, " more)") : "",
      ": creating a subscription needs a superuser", v16 ? " or membership in pg_create_subscription" : "",
      " and ", role.name, " has neither; nothing was changed (restore with --no-subscriptions to leave them out)"));
}

namespace {

// Of `names`: those that do not exist, and those `role` may not act for (member of them;
// PostgreSQL 16+: may SET ROLE to them), as ALTER ... OWNER TO and ALTER DEFAULT PRIVILEGES
// FOR ROLE require.
struct RoleAccess {
  std::vector<std::string> missing, foreign;
};

absl::StatusOr<RoleAccess> CheckRoles(pg::Connection& conn, const std::vector<std::string>& names) {
  const char* privilege = conn.server_version() >= 160000 ? "SET" : "MEMBER";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams(absl::StrCat("SELECT o.name, r.oid IS NOT NULL, r.oid IS NOT NULL AND "
                                    "pg_catalog.pg_has_role(r.oid, '", privilege, "') "
                                    "FROM pg_catalog.unnest($1::text[]) AS o(name) "
                                    "LEFT JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.name "
                                    "ORDER BY o.name"),
                       {TextArrayLiteral(names)}));
  RoleAccess access;
  for (int row = 0; row < r.rows(); ++row) {
    std::string name(r.Get(row, 0));
    if (!r.GetBool(row, 1)) {
      access.missing.push_back(name);
    } else if (!r.GetBool(row, 2)) {
      access.foreign.push_back(name);
    }
  }
  return access;
}

// A role that does not exist is a state to fix first (exit 4); roles that exist but that the
// restoring role may not act for are a permission problem (exit 7).
absl::StatusCode NotAllowed(const RoleAccess& access) {
  return access.missing.empty() ? absl::StatusCode::kPermissionDenied : absl::StatusCode::kFailedPrecondition;
}

// "A, B, C, ... (N objects)"
std::string Examples(const std::vector<std::string>& ids) {
  std::string text = absl::StrJoin(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 3), ", ");
  if (ids.size() > 3) absl::StrAppend(&text, ", ... (", ids.size(), " objects)");
  return text;
}

std::string MembershipNeeded(pg::Connection& conn) {
  return conn.server_version() >= 160000 ? "the right to SET ROLE to" : "membership in";
}

}  // namespace

namespace {

// The language of a function item from pg_get_functiondef's "\n LANGUAGE name\n" line; "" if
// there is none (the statement is not pg_get_functiondef's).
std::string FunctionLanguage(const std::string& sql) {
  const std::string marker = "\n LANGUAGE ";
  size_t start = sql.find(marker);
  if (start == std::string::npos) return "";
  start += marker.size();
  if (start < sql.size() && sql[start] == '"') {  // a quoted identifier: "" stands for "
    std::string name;
    for (size_t i = start + 1; i < sql.size(); ++i) {
      if (sql[i] != '"') {
        name.push_back(sql[i]);
      } else if (i + 1 < sql.size() && sql[i + 1] == '"') {
        name.push_back('"');
        ++i;
      } else {
        return name;
      }
    }
    return "";
  }
  const size_t end = sql.find_first_of(" \n", start);
  return sql.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

absl::Status CheckLanguages(pg::Connection& conn, const RestoringRole& role,
                            const std::vector<const CatalogItem*>& items) {
  if (role.superuser) return absl::OkStatus();
  std::map<std::string, std::vector<std::string>> functions;  // language -> function item ids
  for (const CatalogItem* item : items) {
    if (item->kind != ObjectKind::kFunction) continue;
    std::string language = FunctionLanguage(item->create_sql);
    if (!language.empty()) functions[language].push_back(item->id);
  }
  if (functions.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [language, ids] : functions) names.push_back(language);
  // A language missing on the target fails for a superuser too: left to the item's own error.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams("SELECT l.lanname, l.lanpltrusted FROM pg_catalog.pg_language l "
                       "WHERE l.lanname OPERATOR(pg_catalog.=) ANY($1::text[]) AND (NOT l.lanpltrusted OR "
                       "NOT pg_catalog.has_language_privilege(l.oid, 'USAGE')) ORDER BY 1",
                       {TextArrayLiteral(names)}));
  if (r.rows() == 0) return absl::OkStatus();
  const std::string language(r.Get(0, 0));
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot restore ", Examples(functions[language]), ": ",
      r.GetBool(0, 1) ? absl::StrCat(role.name, " has no USAGE privilege on language ", language)
                      : absl::StrCat("language ", language, " is untrusted: only a superuser can create functions in it"),
      r.rows() > 1 ? absl::StrCat(" (also language ", r.Get(1, 0), ")") : "",
      "; nothing was changed (restore as a superuser, or leave the schema out with -N)"));
}

// How -L leaves items out, for the messages.
constexpr absl::string_view kCommentOut = " (comment out their lines of 'pgark restore -l')";

absl::Status CheckExtensions(pg::Connection& conn, const RestoringRole& role,
                             const std::vector<const CatalogItem*>& items) {
  std::map<std::string, std::string> extensions;  // name -> item id
  for (const CatalogItem* item : items) {
    if (item->kind == ObjectKind::kExtension) extensions.emplace(item->name, item->id);
  }
  if (extensions.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [name, id] : extensions) names.push_back(name);
  // CREATE EXTENSION without VERSION installs the default version: its flags decide. The
  // trusted flag is PostgreSQL 13+; before, every superuser extension needed a superuser.
  const char* trusted = conn.server_version() >= 130000 ? "v.trusted" : "false";
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams(absl::StrCat("SELECT x.name, a.name IS NOT NULL, "
                                    "COALESCE(NOT v.superuser OR ", trusted, ", false), "
                                    "EXISTS (SELECT 1 FROM pg_catalog.pg_roles m WHERE m.rolname OPERATOR(pg_catalog.=) "
                                    "ANY ('{rds_superuser,cloudsqlsuperuser,azure_pg_admin}'::text[]) "
                                    "AND pg_catalog.pg_has_role(m.oid, 'MEMBER')) "
                                    "FROM pg_catalog.unnest($1::text[]) AS x(name) "
                                    "LEFT JOIN pg_catalog.pg_available_extensions a ON a.name OPERATOR(pg_catalog.=) x.name "
                                    "LEFT JOIN pg_catalog.pg_available_extension_versions v ON v.name "
                                    "OPERATOR(pg_catalog.=) a.name AND v.version OPERATOR(pg_catalog.=) a.default_version "
                                    "ORDER BY 1"),
                       {TextArrayLiteral(names)}));
  std::vector<std::string> missing, untrusted;
  for (int row = 0; row < r.rows(); ++row) {
    const std::string& id = extensions[std::string(r.Get(row, 0))];
    if (!r.GetBool(row, 1)) {
      missing.push_back(id);
    } else if (!role.superuser && !r.GetBool(row, 2) && !r.GetBool(row, 3)) {
      untrusted.push_back(id);
    }
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot restore ", Examples(missing), ": not available on the target server (no such extension in "
        "pg_available_extensions); nothing was changed (install the extension's package on the server first)"));
  }
  if (untrusted.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot restore ", Examples(untrusted), ": ", untrusted.size() > 1 ? "these extensions are" : "the extension is",
      " not trusted, so only a superuser can create ", untrusted.size() > 1 ? "them" : "it", ", and ", role.name,
      " is not one; nothing was changed (restore as a superuser, or leave ", untrusted.size() > 1 ? "them" : "it",
      " out with -L", kCommentOut, ")"));
}

namespace {

// What PostgreSQL lets only a superuser create ("must be superuser to create ..."), "" for
// anything else.
absl::string_view SuperuserOnlyWhat(const CatalogItem& item) {
  switch (item.kind) {
    case ObjectKind::kLanguage: return "a procedural language";
    case ObjectKind::kShellType: return "a base type";  // CREATE TYPE x; is refused like the type
    case ObjectKind::kType:  // enum, composite and range types are anyone's; base types have I/O functions
      return absl::StrContains(item.create_sql, "\n    INPUT = ") ? "a base type" : "";
    case ObjectKind::kCast:
      return absl::StrContains(item.create_sql, " WITHOUT FUNCTION") ? "a cast WITHOUT FUNCTION" : "";
    case ObjectKind::kOperatorClass: return "an operator class";
    case ObjectKind::kOperatorFamily: return "an operator family";
    case ObjectKind::kTextSearchParser: return "a text search parser";
    case ObjectKind::kTextSearchTemplate: return "a text search template";
    case ObjectKind::kForeignDataWrapper: return "a foreign-data wrapper";
    case ObjectKind::kAccessMethod: return "an access method";
    default: return "";
  }
}

// `schema` as a -N argument a shell passes on unchanged: as is when it is a plain lower-case
// name, else double-quoted (a pattern then matches it literally) inside single quotes.
std::string SchemaPatternArgument(const std::string& schema) {
  const bool plain = !schema.empty() && !absl::ascii_isdigit(schema[0]) &&
                     std::all_of(schema.begin(), schema.end(), [](char c) {
                       return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
                     });
  if (plain) return schema;
  std::string quoted = "\"";
  for (char c : schema) absl::StrAppend(&quoted, c == '"' ? "\"\"" : c == '\'' ? "'\\''" : std::string(1, c));
  return absl::StrCat("'", quoted, "\"'");
}

}  // namespace

absl::Status CheckSuperuserOnlyObjects(pg::Connection& conn, const RestoringRole& role,
                                       const std::vector<const CatalogItem*>& items) {
  if (role.superuser) return absl::OkStatus();
  // Why -> the refused items, in archive order of the first of each.
  std::vector<std::pair<std::string, std::vector<const CatalogItem*>>> refused;
  auto refuse = [&refused](const std::string& why, const CatalogItem* item) {
    auto it = std::find_if(refused.begin(), refused.end(), [&](const auto& group) { return group.first == why; });
    if (it == refused.end()) it = refused.insert(refused.end(), {why, {}});
    it->second.push_back(item);
  };
  std::vector<const CatalogItem*> casts;
  std::vector<std::string> sources, targets;
  for (const CatalogItem* item : items) {
    const absl::string_view what = SuperuserOnlyWhat(*item);
    if (!what.empty()) {
      refuse(absl::StrCat("creating ", what, " needs a superuser"), item);
      continue;
    }
    if (item->kind != ObjectKind::kCast) continue;
    // The tag is "(source AS target)"; a type name holding " AS " is left to the item's error.
    absl::string_view tag = item->name;
    if (!absl::ConsumePrefix(&tag, "(") || !absl::ConsumeSuffix(&tag, ")")) continue;
    const std::vector<std::string> types = absl::StrSplit(tag, " AS ");
    if (types.size() != 2) continue;
    casts.push_back(item);
    sources.push_back(types[0]);
    targets.push_back(types[1]);
  }
  if (!casts.empty()) {
    // A type missing on the server is one this restore creates (the role's), or the cast
    // fails for anyone; existing types must be the role's (membership counts, as for owners).
    PGARK_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.QueryParams("SELECT c.n FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) "
                         "WITH ORDINALITY AS c(source, target, n) "
                         "WHERE pg_catalog.to_regtype(c.source) IS NOT NULL AND pg_catalog.to_regtype(c.target) "
                         "IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid "
                         "OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.to_regtype(c.source), "
                         "pg_catalog.to_regtype(c.target)]::pg_catalog.oid[]) AND "
                         "pg_catalog.pg_has_role(t.typowner, 'USAGE')) ORDER BY c.n",
                         {TextArrayLiteral(sources), TextArrayLiteral(targets)}));
    for (int row = 0; row < r.rows(); ++row) {
      const size_t n = std::stoul(std::string(r.Get(row, 0)));  // 1-based, from WITH ORDINALITY
      if (n < 1 || n > casts.size()) continue;
      refuse(absl::StrCat("creating a cast needs the ownership of its source or target type, and ", role.name,
                          " owns neither"),
             casts[n - 1]);
    }
  }
  PGARK_ASSIGN_OR_RETURN(std::vector<TransformRefusal> transforms, TransformRefusals(conn, role.name, items));
  for (const auto& [why, item] : transforms) refuse(why, item);
  if (refused.empty()) return absl::OkStatus();
  std::string message = absl::StrCat("cannot restore as ", role.name, ", which is not a superuser: ");
  std::set<std::string> schemas;
  bool all_in_schemas = true;
  for (size_t i = 0; i < refused.size(); ++i) {
    std::vector<std::string> ids;
    for (const CatalogItem* item : refused[i].second) {
      ids.push_back(item->id);
      if (item->schema.empty()) all_in_schemas = false;
      schemas.insert(item->schema);
    }
    absl::StrAppend(&message, i == 0 ? "" : "; ", Examples(ids), " (", refused[i].first, ")");
  }
  absl::StrAppend(&message, "; nothing was changed (restore as a superuser, or leave them out with -L", kCommentOut);
  if (all_in_schemas) {
    absl::StrAppend(&message, " or ", schemas.size() > 1 ? "their schemas" : "the schema", " with",
                    absl::StrJoin(schemas, "", [](std::string* out, const std::string& schema) {
                      absl::StrAppend(out, " -N ", SchemaPatternArgument(schema));
                    }));
  }
  return absl::PermissionDeniedError(absl::StrCat(message, ")"));
}

std::string SettingsWayOut(CreatedBy created_by) {
  if (created_by == CreatedBy::kReplace) {
    // No option leaves them out: --replace creates the database as -C does, settings included.
    return "(--replace gives the new database the archive's settings, as -C does: run it as a superuser or as a "
           "role that may set them; or, to do without them, restore without --replace into a database created "
           "first, which leaves its settings out)";
  }
  return "(restore as a superuser, or create the database first and restore into it without -C, which leaves its "
         "settings out)";
}

absl::Status CheckDatabaseSettings(pg::Connection& conn, const RestoringRole& role, const std::string& database,
                                   const std::string& settings_sql, CreatedBy created_by) {
  if (role.superuser || settings_sql.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(settings_sql, '\n')) {
    std::string name = SettingName(line);
    if (!name.empty()) names.push_back(std::move(name));
  }
  if (names.empty()) return absl::OkStatus();
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams(absl::StrCat("SELECT DISTINCT s.name FROM pg_catalog.unnest($1::text[]) AS x(name) "
                                    "JOIN pg_catalog.pg_settings s ON s.name OPERATOR(pg_catalog.=) "
                                    "pg_catalog.lower(x.name) WHERE s.context OPERATOR(pg_catalog.=) 'superuser'",
                                    conn.server_version() >= 150000
                                        ? " AND NOT pg_catalog.has_parameter_privilege(s.name, 'SET')"
                                        : "",
                                    " ORDER BY 1"),
                       {TextArrayLiteral(names)}));
  if (r.rows() == 0) return absl::OkStatus();
  std::vector<std::string> refused;
  for (int row = 0; row < r.rows(); ++row) refused.push_back(std::string(r.Get(row, 0)));
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot restore the settings of database '", database, "': only a superuser",
      conn.server_version() >= 150000 ? " (or a role granted SET on the parameter)" : "", " may set ",
      absl::StrJoin(refused, ", "), " and ", role.name, " may not; nothing was changed ",
      SettingsWayOut(created_by)));
}

absl::Status CheckOwners(pg::Connection& conn, const RestoringRole& role, const std::vector<const CatalogItem*>& items,
                         const std::string& database_owner) {
  if (role.superuser) return absl::OkStatus();
  std::map<std::string, std::vector<std::string>> objects;  // owner -> ids of the items it owns
  if (!database_owner.empty()) objects[database_owner].push_back("the database");
  for (const CatalogItem* item : items) {
    if (!item->owner_sql.empty() && !item->owner.empty()) objects[item->owner].push_back(item->id);
  }
  if (objects.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [owner, ids] : objects) names.push_back(owner);
  PGARK_ASSIGN_OR_RETURN(RoleAccess access, CheckRoles(conn, names));
  if (access.missing.empty() && access.foreign.empty()) return absl::OkStatus();
  const std::string& first = !access.missing.empty() ? access.missing.front() : access.foreign.front();
  std::string problem;
  if (!access.missing.empty()) {
    absl::StrAppend(&problem, "the owner role(s) ", absl::StrJoin(access.missing, ", "), " do not exist on the target");
  }
  if (!access.foreign.empty()) {
    absl::StrAppend(&problem, problem.empty() ? "" : ", and ", role.name, " may not give objects to ",
                    absl::StrJoin(access.foreign, ", "), " (ALTER ... OWNER TO needs ", MembershipNeeded(conn),
                    " the new owner, or a superuser)");
  }
  return absl::Status(NotAllowed(access), absl::StrCat(
      "cannot restore ownership: ", problem, "; ", first, " owns ", Examples(objects[first]),
      "; nothing was changed (restore with -O/--no-owner to make ", role.name, " the owner of everything",
      access.missing.empty() ? "" : ", or create the roles first (--globals)", ")"));
}

absl::Status CheckDefaultPrivileges(pg::Connection& conn, const RestoringRole& role,
                                    const std::vector<const CatalogItem*>& items) {
  if (role.superuser) return absl::OkStatus();
  std::map<std::string, std::vector<std::string>> objects;  // role -> its DEFAULT ACL items
  for (const CatalogItem* item : items) {
    if (item->kind != ObjectKind::kDefaultAcl) continue;
    // The tag is "<role> <TABLES|SEQUENCES|...>": the role is all before the last space.
    const size_t space = item->name.rfind(' ');
    if (space == std::string::npos || space == 0) continue;
    objects[item->name.substr(0, space)].push_back(item->id);
  }
  if (objects.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [name, ids] : objects) names.push_back(name);
  PGARK_ASSIGN_OR_RETURN(RoleAccess access, CheckRoles(conn, names));
  std::vector<std::string> refused = access.missing;
  refused.insert(refused.end(), access.foreign.begin(), access.foreign.end());
  if (refused.empty()) return absl::OkStatus();
  return absl::Status(NotAllowed(access), absl::StrCat(
      "cannot restore the default privileges of role(s) ", absl::StrJoin(refused, ", "), " (",
      Examples(objects[refused.front()]), "): ALTER DEFAULT PRIVILEGES FOR ROLE needs ", MembershipNeeded(conn),
      " the role, which ", role.name, " lacks", access.missing.empty() ? "" : " (or the role does not exist)",
      "; nothing was changed (restore with -x/--no-acl to leave privileges out, or as a superuser)"));
}

}  // namespace pgark::engine::restore
