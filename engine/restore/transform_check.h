#pragma once
// Whether a role that is not a superuser may create the archive's transforms, checked before
// the restore changes anything (docs/restore.md "As a non-superuser"). CheckSuperuserOnlyObjects
// (restoring_role.h) puts the refusals into its one message.
//
// CREATE TRANSFORM FOR t LANGUAGE l (FROM SQL WITH FUNCTION f, TO SQL WITH FUNCTION g) needs
// (PostgreSQL's CreateTransform, as read in the 15 source; the same checks since 9.5): the
// ownership of t and USAGE on it, USAGE on l, and the ownership of f and g and EXECUTE on them. Ownership counts through role
// membership with INHERIT (pg_has_role(owner, 'USAGE')). An object that does not exist on the
// server is one the restore creates, so the role's (or the statement fails for anyone and is
// left to its own error). In practice f and g take `internal` and are written in C, so they
// come with an extension or were created by a superuser, and t is often a type of an
// extension or a built-in one: those are the cases refused here.
// Thread-safety: a plain function; it uses only the connection it is given.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog/catalog_objects.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

// One refused transform: why ("creating a transform needs ...") and the item.
using TransformRefusal = std::pair<std::string, const catalog::CatalogItem*>;

// The transforms of `items` (kind kTransform) that `role_name`, connected as `conn` and not a
// superuser, may not create, in archive order. At most one query (none without transforms);
// changes nothing. A transform whose statement is not pgark's "CREATE TRANSFORM FOR t
// LANGUAGE l (...)" is left to its own error.
absl::StatusOr<std::vector<TransformRefusal>> TransformRefusals(pg::Connection& conn, const std::string& role_name,
                                                                const std::vector<const catalog::CatalogItem*>& items);

}  // namespace pgark::engine::restore
