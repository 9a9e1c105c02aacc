#include "engine/dump/read_access.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/status_macros.h"

namespace pgark::engine {
namespace {

// "a, b, c, d, e and 3 more"
std::string FirstFew(const pg::Result& r, int column) {
  std::vector<std::string> names;
  for (int row = 0; row < r.rows() && row < 5; ++row) names.push_back(std::string(r.Get(row, column)));
  std::string text = absl::StrJoin(names, ", ");
  if (r.rows() > 5) absl::StrAppend(&text, " and ", r.rows() - 5, " more");
  return text;
}

}  // namespace

absl::Status CheckReadAccess(pg::Connection& conn, const std::vector<uint32_t>& relations, bool large_objects) {
  PGARK_ASSIGN_OR_RETURN(pg::Result role, conn.Query("SELECT current_user, rolsuper OR rolbypassrls, "
                                                     "pg_catalog.current_setting('lo_compat_privileges')::bool "
                                                     "FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) "
                                                     "current_user"));
  if (role.rows() == 0) return absl::OkStatus();
  const std::string name(role.Get(0, 0));
  const std::string oids = absl::StrCat("{", absl::StrJoin(relations, ","), "}");
  if (!relations.empty()) {
    // A superuser passes both tests; row_security_active() tells whether policies would
    // apply (the dump's row_security = off turns that into an error for each COPY).
    PGARK_ASSIGN_OR_RETURN(
        pg::Result denied,
        conn.QueryParams("SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), "
                         "pg_catalog.pg_get_userbyid(c.relowner), "
                         "pg_catalog.has_table_privilege(c.oid, 'SELECT') "
                         "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND (NOT pg_catalog.has_table_privilege(c.oid, "
                         "'SELECT') OR pg_catalog.row_security_active(c.oid)) ORDER BY 1",
                         {oids}));
    int no_select = 0;
    for (int row = 0; row < denied.rows(); ++row) no_select += denied.GetBool(row, 2) ? 0 : 1;
    if (no_select > 0) {
      for (int row = 0; row < denied.rows(); ++row) {
        if (denied.GetBool(row, 2)) continue;
        return absl::PermissionDeniedError(absl::StrCat(
            "cannot dump table ", denied.Get(row, 0), " (owner ", denied.Get(row, 1), "): role ", name,
            " has no SELECT privilege on it", no_select > 1 ? absl::StrCat(" (nor on ", no_select - 1, " more)") : "",
            "; grant SELECT, leave it out with -T/-N, or dump as a role that can read it"));
      }
    }
    if (denied.rows() > 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot dump ", FirstFew(denied, 0), ": row-level security applies to role ", name,
          " (FORCE ROW LEVEL SECURITY on a table it owns, or policies on another role's table), so the "
          "dump would miss the rows the policies hide; dump as a superuser or a role with BYPASSRLS, or "
          "ALTER TABLE ... NO FORCE ROW LEVEL SECURITY while the dump runs"));
    }
  }
  if (large_objects && !role.GetBool(0, 1) && !role.GetBool(0, 2)) {
    // lo_compat_privileges off (the default): reading another role's large object needs
    // SELECT granted on it (to the role, a role it inherits, or PUBLIC).
    PGARK_ASSIGN_OR_RETURN(
        pg::Result denied,
        conn.Query("SELECT l.oid::text || ' (owner ' || pg_catalog.pg_get_userbyid(l.lomowner) || ')' "
                   "FROM pg_catalog.pg_largeobject_metadata l WHERE NOT pg_catalog.pg_has_role(l.lomowner, "
                   "'USAGE') AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(COALESCE(l.lomacl, "
                   "pg_catalog.acldefault('L', l.lomowner))) a WHERE a.privilege_type = 'SELECT' AND "
                   "(a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'USAGE'))) ORDER BY l.oid"));
    if (denied.rows() > 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot dump large object ", FirstFew(denied, 0), ": role ", name,
          " has no SELECT privilege on it (lo_compat_privileges is off); GRANT SELECT ON LARGE OBJECT, "
          "dump as a superuser, or leave large objects out (-n/-t or --schema-only select no large objects)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace pgark::engine
