#pragma once
// Whether a role that is not a superuser may apply the archive's role settings in the
// database -C re-creates (ALTER ROLE r IN DATABASE d SET name TO value), checked before
// CREATE DATABASE (docs/restore.md "As a non-superuser"). Before, the first refused
// statement failed after CREATE DATABASE and left the new database behind.
//
// What PostgreSQL requires (AlterRoleSet and the parameter check of ALTER ... SET):
//   - r a superuser: only a superuser may change its settings.
//   - otherwise the restoring role is r itself, or has CREATEROLE (PostgreSQL 16+: CREATEROLE
//     and ADMIN OPTION on r, pg_has_role(r, 'MEMBER WITH ADMIN OPTION'); untested here, the
//     test server is 15). CREATEROLE is the role's own attribute, not inherited.
//   - and the parameter is user-settable (pg_settings.context 'user'); one of context
//     'superuser', or a custom name the server does not know (a placeholder such as
//     "app.tenant" or a setting of a library not loaded), needs a superuser or, 15+,
//     GRANT SET ON PARAMETER. Other contexts fail for a superuser too: left to the statement.
// A setting of a role missing on the target is not checked: the restore skips it with a
// warning (restore with --globals to create the role).
// Thread-safety: a plain function; it uses only the connection it is given.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/pg/connection.h"
#include "engine/restore/restoring_role.h"

namespace pgark::engine::restore {

// Fails with kPermissionDenied (exit 7) when `role` is not a superuser and may not apply
// some of `role_settings` (DatabaseInfo::role_settings_sql: role name, "ALTER ROLE r IN
// DATABASE d SET name TO value;\n") on the server of `conn`; the message names every refused
// role and parameter, why, and the ways out (SettingsWayOut: -C's or --replace's). `database`
// is the name the message gives (--replace: the database replaced). One query (none for a
// superuser or without settings); changes nothing.
absl::Status CheckRoleSettings(pg::Connection& conn, const RestoringRole& role, const std::string& database,
                               const std::vector<std::pair<std::string, std::string>>& role_settings,
                               CreatedBy created_by = CreatedBy::kCreate);

}  // namespace pgark::engine::restore
