#include "engine/restore/role_settings_check.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "format/base/status_macros.h"

namespace pgark::engine::restore {

absl::Status CheckRoleSettings(pg::Connection& conn, const RestoringRole& role, const std::string& database,
                               const std::vector<std::pair<std::string, std::string>>& role_settings,
                               CreatedBy created_by) {
  if (role.superuser || role_settings.empty()) return absl::OkStatus();
  std::vector<std::string> roles, names;
  for (const auto& [name, statement] : role_settings) {
    std::string parameter = SettingName(statement);
    if (parameter.empty()) continue;
    roles.push_back(name);
    names.push_back(std::move(parameter));
  }
  if (roles.empty()) return absl::OkStatus();
  const int version = conn.server_version();
  const std::string may_alter_others =
      version >= 160000 ? "c.rolcreaterole AND pg_catalog.pg_has_role(r.oid, 'MEMBER WITH ADMIN OPTION')"
                        : "c.rolcreaterole";
  const std::string granted =
      version >= 150000 ? "pg_catalog.has_parameter_privilege(pg_catalog.lower(x.name), 'SET')" : "false";
  // Per setting: its role is a superuser ('s'), or another role the restoring one may not
  // alter ('o'), or neither (''); and whether the parameter needs a superuser (or a grant).
  PGARK_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.QueryParams(
          absl::StrCat("SELECT x.role, x.name, CASE WHEN r.rolsuper THEN 's' WHEN r.rolname OPERATOR(pg_catalog.=) "
                       "c.rolname OR ", may_alter_others, " THEN '' ELSE 'o' END, "
                       "CASE WHEN s.name IS NULL AND pg_catalog.strpos(x.name, '.') OPERATOR(pg_catalog.>) 0 "
                       "OR s.context OPERATOR(pg_catalog.=) 'superuser' THEN NOT ", granted, " ELSE false END "
                       "FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) "
                       "WITH ORDINALITY AS x(role, name, n) "
                       "JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) x.role "
                       "JOIN pg_catalog.pg_roles c ON c.rolname OPERATOR(pg_catalog.=) CURRENT_USER "
                       "LEFT JOIN pg_catalog.pg_settings s ON s.name OPERATOR(pg_catalog.=) pg_catalog.lower(x.name) "
                       "ORDER BY x.n"),
          {TextArrayLiteral(roles), TextArrayLiteral(names)}));
  std::vector<std::string> refused;
  for (int row = 0; row < r.rows(); ++row) {
    const absl::string_view target = r.Get(row, 0), name = r.Get(row, 1), role_problem = r.Get(row, 2);
    std::vector<std::string> why;
    if (role_problem == "s") {
      why.push_back(absl::StrCat(target, " is a superuser, whose settings only a superuser may change"));
    } else if (role_problem == "o") {
      why.push_back(absl::StrCat("changing the settings of another role needs CREATEROLE",
                                 version >= 160000 ? absl::StrCat(" and ADMIN OPTION on ", target) : "", ", which ",
                                 role.name, " lacks"));
    }
    if (r.GetBool(row, 3)) {
      why.push_back(absl::StrCat("only a superuser", version >= 150000 ? " (or a role granted SET on the parameter)" : "",
                                 " may set ", name));
    }
    if (!why.empty()) {
      refused.push_back(absl::StrCat("ALTER ROLE ", target, " SET ", name, " (",
                                     absl::StrJoin(why, ", and "), ")"));
    }
  }
  if (refused.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot restore the role settings of database '", database, "' as ", role.name,
      ", which is not a superuser: ", absl::StrJoin(refused, "; "),
      "; nothing was changed ", SettingsWayOut(created_by)));
}

}  // namespace pgark::engine::restore
