#include "engine/catalog/globals.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/catalog/sql_text.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::catalog {
namespace {

using Json = nlohmann::json;
using Kind = GlobalItem::Kind;

absl::StatusOr<pg::Result> Run(pg::Connection& conn, absl::string_view what, const std::string& sql) {
  auto result = conn.Query(sql);
  if (!result.ok()) return base::Annotate(result.status(), absl::StrCat("reading ", what));
  return result;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kRole: return "role";
    case Kind::kRoleSetting: return "role_setting";
    case Kind::kMembership: return "membership";
    case Kind::kTablespace: return "tablespace";
    case Kind::kTablespaceProperties: return "tablespace_properties";
    case Kind::kParameterPrivileges: return "parameter_privileges";
  }
  return "role";
}

// The rows of the memberships query (role, member, admin_option, grantor, inherit, set,
// grantor is superuser) in an order the target accepts. PostgreSQL 16+ lets a grant name a
// grantor only if that grantor holds ADMIN OPTION on the role already (superusers always
// may), so, as pg_dumpall's dumpRoleMembership(), the grants of each role go in passes: a
// pass takes those whose grantor may grant by then, and every ADMIN OPTION it grants makes
// its member a grantor for the next. What no pass can take (the grantor's right comes through
// another role's membership) follows in query order; the target then judges it.
std::vector<int> MembershipGrantOrder(const pg::Result& members) {
  std::vector<int> order;
  int first = 0;
  while (first < members.rows()) {
    int end = first;
    while (end < members.rows() && members.Get(end, 0) == members.Get(first, 0)) ++end;
    std::set<std::string> admins;  // members holding ADMIN OPTION on this role so far
    std::vector<int> pending;
    for (int row = first; row < end; ++row) pending.push_back(row);
    bool progress = true;
    while (!pending.empty() && progress) {
      progress = false;
      std::vector<int> later;
      for (int row : pending) {
        const bool may_grant = members.IsNull(row, 3) || members.GetBool(row, 6) ||
                               admins.count(std::string(members.Get(row, 3))) > 0;
        if (!may_grant) {
          later.push_back(row);
          continue;
        }
        order.push_back(row);
        if (members.GetBool(row, 2)) admins.emplace(members.Get(row, 1));
        progress = true;
      }
      pending = std::move(later);
    }
    order.insert(order.end(), pending.begin(), pending.end());
    first = end;
  }
  return order;
}

}  // namespace

absl::StatusOr<Globals> ReadGlobals(pg::Connection& conn, const GlobalsOptions& options) {
  Globals globals;
  globals.server_version = conn.server_version();
  const int version = globals.server_version;
  PGARK_ASSIGN_OR_RETURN(pg::Result words,
                         Run(conn, "keywords", "SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'"));
  std::set<std::string> keywords;
  for (int row = 0; row < words.rows(); ++row) keywords.emplace(words.Get(row, 0));
  Quoter quoter(std::move(keywords));

  // Roles, as pg_dumpall's dumpRoles(): CREATE ROLE, then ALTER ROLE ... WITH every
  // attribute (so an existing role would get them too), then the comment. pg_roles hides
  // the password; pg_authid (superuser only) has it.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result roles,
      Run(conn, "roles",
          absl::StrCat("SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, "
                       "r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit, ",
                       options.role_passwords ? "r.rolpassword" : "NULL::text",
                       ", r.rolvaliduntil, pg_catalog.shobj_description(r.oid, 'pg_authid') "
                       "FROM ",
                       options.role_passwords ? "pg_catalog.pg_authid" : "pg_catalog.pg_roles",
                       " r WHERE r.rolname !~ '^pg_' ORDER BY 1")));
  std::vector<std::string> role_names;
  for (int row = 0; row < roles.rows(); ++row) {
    std::string name(roles.Get(row, 0));
    std::string q = quoter.Ident(name);
    std::string sql = absl::StrCat("CREATE ROLE ", q, ";\nALTER ROLE ", q, " WITH");
    const std::pair<int, const char*> flags[] = {{1, "SUPERUSER"},  {2, "INHERIT"},   {3, "CREATEROLE"},
                                                  {4, "CREATEDB"},   {5, "LOGIN"},     {6, "REPLICATION"},
                                                  {7, "BYPASSRLS"}};
    for (const auto& [column, flag] : flags) {
      absl::StrAppend(&sql, roles.GetBool(row, column) ? " " : " NO", flag);
    }
    if (roles.Get(row, 8) != "-1") absl::StrAppend(&sql, " CONNECTION LIMIT ", roles.Get(row, 8));
    if (!roles.IsNull(row, 9)) absl::StrAppend(&sql, " PASSWORD ", Literal(roles.Get(row, 9)));
    if (!roles.IsNull(row, 10)) absl::StrAppend(&sql, " VALID UNTIL '", roles.Get(row, 10), "'");
    absl::StrAppend(&sql, ";\n");
    if (!roles.IsNull(row, 11)) {
      absl::StrAppend(&sql, "COMMENT ON ROLE ", q, " IS ", Literal(roles.Get(row, 11)), ";\n");
    }
    globals.items.push_back({Kind::kRole, name, "", std::move(sql)});
    role_names.push_back(std::move(name));
  }

  // Per-role settings (ALTER ROLE ... SET), after all roles: a value may name another role.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result settings,
      Run(conn, "role settings",
          "SELECT r.rolname, c.setting FROM pg_catalog.pg_db_role_setting s "
          "JOIN pg_catalog.pg_roles r ON r.oid = s.setrole "
          "CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, n) "
          "WHERE s.setdatabase = 0 AND r.rolname !~ '^pg_' ORDER BY r.rolname, c.n"));
  for (int row = 0; row < settings.rows(); ++row) {
    std::string name(settings.Get(row, 0));
    globals.items.push_back({Kind::kRoleSetting, name, "", AlterConfigSql(absl::StrCat("ROLE ", quoter.Ident(name)), settings.Get(row, 1))});
  }

  // Memberships, as dumpRoleMembership(): GRANT role TO member [WITH ...] [GRANTED BY g].
  const bool options16 = version >= 160000;
  PGARK_ASSIGN_OR_RETURN(
      pg::Result members,
      Run(conn, "role memberships",
          absl::StrCat("SELECT ur.rolname, um.rolname, a.admin_option, ug.rolname, ",
                       options16 ? "a.inherit_option, a.set_option, " : "true, true, ",
                       "coalesce(ug.rolsuper, true) "
                       "FROM pg_catalog.pg_auth_members a "
                       "JOIN pg_catalog.pg_roles ur ON ur.oid = a.roleid "
                       "JOIN pg_catalog.pg_roles um ON um.oid = a.member "
                       "LEFT JOIN pg_catalog.pg_roles ug ON ug.oid = a.grantor "
                       "WHERE NOT (ur.rolname ~ '^pg_' AND um.rolname ~ '^pg_') ORDER BY 1, 2, 3")));
  for (int row : MembershipGrantOrder(members)) {
    std::string role(members.Get(row, 0)), member(members.Get(row, 1));
    std::string sql = absl::StrCat("GRANT ", quoter.Ident(role), " TO ", quoter.Ident(member));
    std::vector<std::string> with;
    if (members.GetBool(row, 2)) with.push_back("ADMIN OPTION");
    if (options16) {
      with.push_back(members.GetBool(row, 4) ? "INHERIT TRUE" : "INHERIT FALSE");
      with.push_back(members.GetBool(row, 5) ? "SET TRUE" : "SET FALSE");
    }
    if (!with.empty()) absl::StrAppend(&sql, " WITH ", absl::StrJoin(with, ", "));
    if (!members.IsNull(row, 3)) absl::StrAppend(&sql, " GRANTED BY ", quoter.Ident(members.Get(row, 3)));
    absl::StrAppend(&sql, ";\n");
    globals.items.push_back({Kind::kMembership, role, member, std::move(sql)});
  }

  // Privileges on parameters (15+), as dumpRoleGUCPrivs(): the bootstrap superuser owns them.
  if (version >= 150000) {
    PGARK_ASSIGN_OR_RETURN(
        pg::Result params,
        Run(conn, "parameter privileges",
            "SELECT p.parname, pg_catalog.pg_get_userbyid(10), p.paracl::text, "
            "pg_catalog.acldefault('p', 10)::text FROM pg_catalog.pg_parameter_acl p ORDER BY 1"));
    for (int row = 0; row < params.rows(); ++row) {
      std::string sql = AclSql(quoter, absl::StrCat("PARAMETER ", quoter.Ident(params.Get(row, 0))),
                               params.Get(row, 1), params.Get(row, 2), params.Get(row, 3));
      if (!sql.empty()) globals.items.push_back({Kind::kParameterPrivileges, std::string(params.Get(row, 0)), "", std::move(sql)});
    }
  }

  // Tablespaces, as dumpTablespaces(): CREATE (alone: it cannot run in a transaction
  // block), then options, privileges and the comment.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result spaces,
      Run(conn, "tablespaces",
          "SELECT t.spcname, pg_catalog.pg_get_userbyid(t.spcowner), pg_catalog.pg_tablespace_location(t.oid), "
          "t.spcacl::text, pg_catalog.acldefault('t', t.spcowner)::text, "
          "pg_catalog.array_to_string(t.spcoptions, ', '), pg_catalog.shobj_description(t.oid, 'pg_tablespace') "
          "FROM pg_catalog.pg_tablespace t WHERE t.spcname !~ '^pg_' ORDER BY t.oid"));
  for (int row = 0; row < spaces.rows(); ++row) {
    std::string name(spaces.Get(row, 0));
    std::string q = quoter.Ident(name);
    globals.items.push_back({Kind::kTablespace, name, "",
                             absl::StrCat("CREATE TABLESPACE ", q, " OWNER ", quoter.Ident(spaces.Get(row, 1)),
                                          " LOCATION ", Literal(spaces.Get(row, 2)), ";\n")});
    std::string more;
    if (!spaces.Get(row, 5).empty()) absl::StrAppend(&more, "ALTER TABLESPACE ", q, " SET (", spaces.Get(row, 5), ");\n");
    if (!spaces.IsNull(row, 3)) {
      absl::StrAppend(&more, AclSql(quoter, absl::StrCat("TABLESPACE ", q), spaces.Get(row, 1), spaces.Get(row, 3),
                                    spaces.Get(row, 4)));
    }
    if (!spaces.IsNull(row, 6)) absl::StrAppend(&more, "COMMENT ON TABLESPACE ", q, " IS ", Literal(spaces.Get(row, 6)), ";\n");
    if (!more.empty()) globals.items.push_back({Kind::kTablespaceProperties, name, "", std::move(more)});
  }

  // What this reader does not reproduce: say so.
  PGARK_ASSIGN_OR_RETURN(
      pg::Result labels,
      Run(conn, "shared security labels",
          "SELECT count(*) FROM pg_catalog.pg_shseclabel WHERE classoid IN "
          "('pg_catalog.pg_authid'::regclass, 'pg_catalog.pg_tablespace'::regclass)"));
  if (labels.Get(0, 0) != "0") {
    globals.warnings.push_back(absl::StrCat(labels.Get(0, 0),
                                            " security label(s) on roles or tablespaces are not dumped"));
  }
  return globals;
}

std::string GlobalsSql(const Globals& globals) {
  std::string sql;
  for (const GlobalItem& item : globals.items) sql += item.sql;
  return sql;
}

std::string GlobalsToJson(const Globals& globals) {
  Json items = Json::array();
  for (const GlobalItem& item : globals.items) {
    Json j = {{"kind", KindName(item.kind)}, {"name", item.name}, {"sql", item.sql}};
    if (!item.member.empty()) j["member"] = item.member;
    items.push_back(std::move(j));
  }
  Json j = {{"server_version", globals.server_version}, {"items", std::move(items)},
            {"warnings", globals.warnings}};
  return j.dump();
}

absl::StatusOr<Globals> GlobalsFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array()) {
    return absl::DataLossError("globals.json is not a valid globals record");
  }
  Globals globals;
  globals.server_version = j.value("server_version", 0);
  for (const Json& item : j["items"]) {
    if (!item.is_object() || !item.contains("kind") || !item["kind"].is_string() || !item.contains("sql") ||
        !item["sql"].is_string() || !item.contains("name") || !item["name"].is_string()) {
      return absl::DataLossError("globals.json holds a malformed item");
    }
    GlobalItem parsed;
    const std::string kind = item["kind"].get<std::string>();
    bool known = false;
    for (Kind k : {Kind::kRole, Kind::kRoleSetting, Kind::kMembership, Kind::kTablespace,
                   Kind::kTablespaceProperties, Kind::kParameterPrivileges}) {
      if (kind == KindName(k)) {
        parsed.kind = k;
        known = true;
      }
    }
    if (!known) return absl::DataLossError(absl::StrCat("globals.json: unknown item kind '", kind, "'"));
    parsed.name = item["name"].get<std::string>();
    parsed.member = item.value("member", "");
    parsed.sql = item["sql"].get<std::string>();
    globals.items.push_back(std::move(parsed));
  }
  if (j.contains("warnings") && j["warnings"].is_array()) {
    for (const Json& w : j["warnings"]) {
      if (w.is_string()) globals.warnings.push_back(w.get<std::string>());
    }
  }
  return globals;
}

absl::StatusOr<ApplyGlobalsResult> ApplyGlobals(pg::Connection& conn, const Globals& globals) {
  ApplyGlobalsResult result;
  std::set<std::string> skipped_roles, skipped_spaces;
  auto exists = [&](const char* sql, const std::vector<std::optional<std::string>>& params) -> absl::StatusOr<bool> {
    PGARK_ASSIGN_OR_RETURN(pg::Result r, conn.QueryParams(sql, params));
    return r.rows() > 0;
  };
  for (const GlobalItem& item : globals.items) {
    std::string what;
    switch (item.kind) {
      case Kind::kRole: {
        what = absl::StrCat("role \"", item.name, "\"");
        PGARK_ASSIGN_OR_RETURN(bool found, exists("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {item.name}));
        if (found) {
          skipped_roles.insert(item.name);
          result.notices.push_back(absl::StrCat(what, " already exists: skipped (its attributes are unchanged)"));
          continue;
        }
        ++result.created;
        break;
      }
      case Kind::kRoleSetting:
        if (skipped_roles.count(item.name)) continue;
        what = absl::StrCat("the settings of role \"", item.name, "\"");
        break;
      case Kind::kMembership: {
        what = absl::StrCat("the membership of \"", item.member, "\" in role \"", item.name, "\"");
        PGARK_ASSIGN_OR_RETURN(
            bool found,
            exists("SELECT 1 FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles r ON r.oid = a.roleid "
                   "JOIN pg_catalog.pg_roles m ON m.oid = a.member WHERE r.rolname = $1 AND m.rolname = $2",
                   {item.name, item.member}));
        if (found) continue;
        ++result.memberships;
        break;
      }
      case Kind::kTablespace: {
        what = absl::StrCat("tablespace \"", item.name, "\"");
        PGARK_ASSIGN_OR_RETURN(bool found,
                               exists("SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1", {item.name}));
        if (found) {
          skipped_spaces.insert(item.name);
          result.notices.push_back(absl::StrCat(what, " already exists: skipped"));
          continue;
        }
        ++result.created;
        break;
      }
      case Kind::kParameterPrivileges:
        // GRANT is idempotent: granted again onto what the target already has.
        what = absl::StrCat("the privileges on parameter \"", item.name, "\"");
        break;
      case Kind::kTablespaceProperties:
        if (skipped_spaces.count(item.name)) continue;
        what = absl::StrCat("the options, privileges or comment of tablespace \"", item.name, "\"");
        break;
    }
    absl::Status status = conn.Execute(item.sql);
    if (!status.ok()) return base::Annotate(status, absl::StrCat("creating ", what));
  }
  return result;
}

}  // namespace pgark::catalog
