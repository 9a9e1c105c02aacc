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
//   - CREATE EVENT TRIGGER is superuser only, and no grant makes it possible. SkipSuperuserOnly
//     takes the archive's event triggers out of the restore with one warning each (as pg_dump
//     leaves out subscriptions it cannot read): a schema-level hook, no data.
// Thread-safety: plain functions; each uses only the connection it is given.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

struct RestoringRole {
  std::string name;        // current_user
  bool superuser = false;  // rolsuper
};

// current_user and whether it is a superuser, on `conn`.
absl::StatusOr<RestoringRole> DescribeRestoringRole(pg::Connection& conn);

// Removes from `items` the items `role` cannot create at all (event triggers, for a role that
// is not a superuser) and returns one warning line per removed item. Superuser: no change.
std::vector<std::string> SkipSuperuserOnly(const RestoringRole& role,
                                           std::vector<const catalog::CatalogItem*>& items);

// Fails with kFailedPrecondition (exit 4), naming the first subscription, when `items` hold
// subscriptions `role` may not create. Changes nothing.
absl::Status CheckSubscriptions(pg::Connection& conn, const RestoringRole& role,
                                const std::vector<const catalog::CatalogItem*>& items);

// Fails with kFailedPrecondition (exit 4) when an owner the restore would assign (the owner of
// each item with owner_sql, and `database_owner` when not empty) does not exist on the server
// of `conn` or cannot be assigned by `role`. Changes nothing; call it only when ownership is
// restored (not with -O). The message lists the roles, the objects of the first, and the fix.
absl::Status CheckOwners(pg::Connection& conn, const RestoringRole& role,
                         const std::vector<const catalog::CatalogItem*>& items, const std::string& database_owner);

// Fails with kFailedPrecondition (exit 4), naming the functions, when `items` hold functions
// in a language `role` may not use: an untrusted one (C, internal, plpython3u: superuser
// only) or a trusted one without USAGE. Changes nothing.
absl::Status CheckLanguages(pg::Connection& conn, const RestoringRole& role,
                            const std::vector<const catalog::CatalogItem*>& items);

// Fails with kFailedPrecondition (exit 4) when `items` hold default privileges (DEFAULT ACL)
// of a role `role` may not act for (ALTER DEFAULT PRIVILEGES FOR ROLE r needs membership, 16+:
// SET ROLE) or that does not exist. Changes nothing; call it only when privileges are restored
// (not with -x). Without it the restore failed in the ACL pass, after all the data.
absl::Status CheckDefaultPrivileges(pg::Connection& conn, const RestoringRole& role,
                                    const std::vector<const catalog::CatalogItem*>& items);

}  // namespace pgark::engine::restore
