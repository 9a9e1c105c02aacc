#pragma once
// Cluster-wide objects a database restore may need (like `pg_dumpall -g`): roles with their
// attributes, comments and per-role settings, role memberships, and tablespaces with
// options, privileges and comments. Read with `pgark dump --globals`, stored in the archive
// as the metadata record "globals.json" (its own section, outside the catalog), replayed
// by `pgark restore --globals` before pre-data. See docs/catalog.md "Globals".
//
// Passwords: role password hashes are read only when GlobalsOptions::role_passwords is set
// (reading them needs superuser, as pg_authid is not readable otherwise); by default the
// roles come back without a password, like `pg_dumpall -g --no-role-passwords`.
//
// Thread-safety: the functions use `conn` exclusively for their duration.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/pg/connection.h"

namespace pgark::catalog {

struct GlobalsOptions {
  bool role_passwords = false;  // include rolpassword (SCRAM/MD5 hashes); needs superuser
};

// One replayable unit. `sql` is one or more statements ending in ";\n", formatted as
// `pg_dumpall -g` formats them.
struct GlobalItem {
  // kTablespace is the CREATE TABLESPACE alone (it cannot run in a transaction block);
  // kTablespaceProperties its options, privileges and comment.
  // kParameterPrivileges: GRANT ... ON PARAMETER (15+) for one parameter.
  enum class Kind { kRole, kRoleSetting, kMembership, kTablespace, kTablespaceProperties, kParameterPrivileges };
  Kind kind = Kind::kRole;
  std::string name;    // role or tablespace name (unquoted); for memberships the role granted
  std::string member;  // memberships: the member role
  std::string sql;
};

struct Globals {
  int server_version = 0;
  // In replay order: roles (CREATE ROLE, ALTER ROLE ... WITH, COMMENT), then their
  // settings, then memberships (each role's grants ordered so that a named grantor holds
  // ADMIN OPTION before it grants, as 16+ requires), then privileges on parameters (15+),
  // then tablespaces (CREATE, SET options, ACL, COMMENT).
  std::vector<GlobalItem> items;
  std::vector<std::string> warnings;  // what could not be reproduced
};

// Reads the globals visible from `conn` (any database of the cluster). Roles named pg_*
// and tablespaces pg_default/pg_global are built in and skipped. Errors: as the server
// reports (e.g. permission denied for pg_authid with role_passwords), annotated.
absl::StatusOr<Globals> ReadGlobals(pg::Connection& conn, const GlobalsOptions& options);

// The whole script, items in order (what `pg_dumpall -g` prints, without its comments).
std::string GlobalsSql(const Globals& globals);

// JSON record form and back. FromJson: kDataLoss on malformed input.
std::string GlobalsToJson(const Globals& globals);
absl::StatusOr<Globals> GlobalsFromJson(const std::string& text);

struct ApplyGlobalsResult {
  int created = 0;                     // roles and tablespaces created
  int memberships = 0;                 // GRANT role TO member statements run
  std::vector<std::string> notices;    // "role \"x\" already exists: skipped", ...
};

// Replays `globals` on `conn` (autocommit: CREATE TABLESPACE cannot run in a transaction).
// A role or tablespace that already exists is skipped with a notice (its attributes,
// settings and privileges are left as they are); memberships are granted unless already
// present. Stops at the first error, naming the object; what ran before stays.
absl::StatusOr<ApplyGlobalsResult> ApplyGlobals(pg::Connection& conn, const Globals& globals);

}  // namespace pgark::catalog
