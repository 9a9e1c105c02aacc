#pragma once
// What the role a restore connects as may do, checked before the restore changes anything
// (docs/restore.md "As a non-superuser").
//
// A superuser restores everything. Any other role (the database owner on managed PostgreSQL,
// an application role in CI) can create what it will own, but:
//   - ALTER ... OWNER TO r needs r to exist and the role to be a member of r (PostgreSQL 16+:
//     to be allowed to SET ROLE r). CheckOwners fails before any change, naming the roles and
//     suggesting -O, instead of failing at the first such item with a half-restored target.
//   - CREATE SUBSCRIPTION needs a superuser (PostgreSQL 16+: membership in
//     pg_create_subscription). CheckSubscriptions fails before any change, suggesting
//     --no-subscriptions.
//   - functions in an untrusted language are superuser only: CheckLanguages.
//   - extensions: CheckExtensions (not available on the server: for any role; not trusted:
//     superuser only). Procedural languages, base types, casts WITHOUT FUNCTION or on types
//     the role does not own, operator classes and families, text search parsers and templates,
//     foreign-data wrappers and access methods: CheckSuperuserOnlyObjects; it also refuses
//     transforms on types or functions of other roles (transform_check.h).
//   - with -C, database settings only a superuser may set: CheckDatabaseSettings; a role's
//     settings in the database (ALTER ROLE r IN DATABASE d SET): CheckRoleSettings
//     (role_settings_check.h).
//   - CREATE EVENT TRIGGER is superuser only, and no grant makes it possible. SkipSuperuserOnly
//     takes the archive's event triggers out of the restore with one warning each (as pg_dump
//     leaves out subscriptions it cannot read): a schema-level hook, no data.
// Thread-safety: plain functions; each uses only the connection it is given.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

struct RestoringRole {
  std::string name;        // current_user
  bool superuser = false;  // rolsuper
};

// `values` as a text[] literal for a query parameter: {"a","b"}, every element quoted.
std::string TextArrayLiteral(const std::vector<std::string>& values);

// The parameter a setting statement of the archive sets: "name" of "ALTER DATABASE d SET name
// TO ..." or "ALTER ROLE r IN DATABASE d SET name TO ..."; "" for any other text (a quoted
// name included: the statement's own error then tells). A parameter name has no spaces, so
// the first " SET <name> TO " names it.
std::string SettingName(absl::string_view statement);

// Who creates the database whose settings the checks below look at: `restore -C`, or
// `restore --replace` (its temporary database, created as -C creates it).
enum class CreatedBy { kCreate, kReplace };

// The ways out the settings checks suggest (after "nothing was changed"), in parentheses.
// -C: restore as a superuser, or into a database created first without -C (no settings);
// --replace always creates: as a superuser or a role that may set them, or without --replace.
std::string SettingsWayOut(CreatedBy created_by);

// current_user and whether it is a superuser, on `conn`.
absl::StatusOr<RestoringRole> DescribeRestoringRole(pg::Connection& conn);

// Removes from `items` the items `role` cannot create at all (event triggers, for a role that
// is not a superuser) and returns one warning line per removed item. Superuser: no change.
std::vector<std::string> SkipSuperuserOnly(const RestoringRole& role,
                                           std::vector<const catalog::CatalogItem*>& items);

// Fails with kPermissionDenied (exit 7), naming the first subscription, when `items` hold
// subscriptions `role` may not create. Changes nothing.
absl::Status CheckSubscriptions(pg::Connection& conn, const RestoringRole& role,
                                const std::vector<const catalog::CatalogItem*>& items);

// Fails before any change when `items` hold extensions the server cannot create: one that is
// not available on it (no control file: kFailedPrecondition, exit 4, for a superuser too), or,
// for a role that is not a superuser, one whose default version is not trusted
// (pg_available_extension_versions; kPermissionDenied, exit 7). Members of a managed service's
// administrator role (rds_superuser, cloudsqlsuperuser, azure_pg_admin) are not refused
// untrusted extensions: those services allow some through their own hooks, so the item's own
// error decides. One query; changes nothing.
absl::Status CheckExtensions(pg::Connection& conn, const RestoringRole& role,
                             const std::vector<const catalog::CatalogItem*>& items);

// Fails with kPermissionDenied (exit 7), naming the items, when `role` is not a superuser and
// `items` hold what PostgreSQL lets only a superuser create: procedural languages (CREATE
// LANGUAGE), base and shell types, casts WITHOUT FUNCTION, operator classes and families, text
// search parsers and templates, foreign-data wrappers, access methods; or a cast between two
// types that exist on the server of `conn` and that `role` owns neither of (CREATE CAST needs
// one of them; types the restore creates are the role's); or a transform on a type or with
// functions of another role (TransformRefusals). At most two queries (the casts', the
// transforms'); changes nothing. Superuser: OK without a query.
absl::Status CheckSuperuserOnlyObjects(pg::Connection& conn, const RestoringRole& role,
                                       const std::vector<const catalog::CatalogItem*>& items);

// Fails with kPermissionDenied (exit 7), naming the parameters, when `settings_sql` (the
// archive's "ALTER DATABASE d SET name TO value;" lines, applied by -C) sets parameters only a
// superuser may set (pg_settings.context 'superuser'; PostgreSQL 15+: unless the role was
// granted SET on them) and `role` is not a superuser. Before, -C failed after CREATE DATABASE,
// leaving the new database behind. `database` is the name the message gives (--replace: the
// database replaced); `created_by` picks the advice (SettingsWayOut). One query; changes nothing.
absl::Status CheckDatabaseSettings(pg::Connection& conn, const RestoringRole& role, const std::string& database,
                                   const std::string& settings_sql, CreatedBy created_by = CreatedBy::kCreate);

// Fails when an owner the restore would assign (the owner of
// each item with owner_sql, and `database_owner` when not empty) does not exist on the server
// of `conn` or cannot be assigned by `role`. Changes nothing; call it only when ownership is
// restored (not with -O). The message lists the roles, the objects of the first, and the fix.
// kFailedPrecondition (exit 4) when a role is missing, else kPermissionDenied (exit 7).
absl::Status CheckOwners(pg::Connection& conn, const RestoringRole& role,
                         const std::vector<const catalog::CatalogItem*>& items, const std::string& database_owner);

// Fails with kPermissionDenied (exit 7), naming the functions, when `items` hold functions
// in a language `role` may not use: an untrusted one (C, internal, plpython3u: superuser
// only) or a trusted one without USAGE. Changes nothing.
absl::Status CheckLanguages(pg::Connection& conn, const RestoringRole& role,
                            const std::vector<const catalog::CatalogItem*>& items);

// Fails when `items` hold default privileges (DEFAULT ACL)
// of a role `role` may not act for (ALTER DEFAULT PRIVILEGES FOR ROLE r needs membership, 16+:
// SET ROLE) or that does not exist. Changes nothing; call it only when privileges are restored
// (not with -x). Without it the restore failed in the ACL pass, after all the data. Exit codes
// as CheckOwners'.
absl::Status CheckDefaultPrivileges(pg::Connection& conn, const RestoringRole& role,
                                    const std::vector<const catalog::CatalogItem*>& items);

}  // namespace pgark::engine::restore
