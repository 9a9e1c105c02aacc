#pragma once
// Pure text helpers of the catalog reader: identifier and literal quoting, ACL rendering,
// name patterns. No database access; safe to use from any thread.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::catalog {

// Quotes identifiers the way quote_ident() does on the source server: kept as is only
// when made of lowercase letters, digits and underscores, not starting with a digit,
// and not a keyword other than an unreserved one.
class Quoter {
 public:
  // `keywords`: the non-unreserved keywords (pg_get_keywords() catcode <> 'U').
  explicit Quoter(std::set<std::string> keywords = {}) : keywords_(std::move(keywords)) {}
  std::string Ident(absl::string_view name) const;
  // "schema"."name"; just the name when schema is empty.
  std::string Qualified(absl::string_view schema, absl::string_view name) const;

 private:
  std::set<std::string> keywords_;
};

// A string literal for a session with standard_conforming_strings = on.
std::string Literal(absl::string_view value);

// `sql` run with `tablespace` as default_tablespace, as pg_dump places tables and indexes:
// "SET default_tablespace = '<tablespace>';\n<sql>SET default_tablespace = '';\n" (the
// session runs with default_tablespace = '', the database's own). Just `sql` when
// `tablespace` is empty.
std::string InTablespace(absl::string_view tablespace, absl::string_view sql);

// One entry of an aclitem[] ("grantee=privs/grantor"; empty grantee = PUBLIC).
struct AclEntry {
  std::string grantee;  // unquoted role name; "" for PUBLIC
  std::string grantor;  // unquoted role name
  std::string privileges;  // letters, each optionally followed by '*' (grant option)
};

// Parses the text form of an aclitem[] ("{a=r/b,=X/b}"). Returns false on malformed text.
bool ParseAcl(absl::string_view text, std::vector<AclEntry>* out);

// GRANT/REVOKE statements that turn the default privileges of an object owned by `owner`
// into `acl` (text form of the object's aclitem[]). `object` is the GRANT target
// ("TABLE s.t", "FUNCTION s.f(integer)"), `columns` ("(a)") for column privileges, where
// the default is empty. Returns "" when acl is empty text (NULL) or equals `default_acl`.
// Entries are re-granted in their original order so the restored aclitem[] is identical. On a
// relation ("TABLE ..."), an entry holding every privilege of the owner's entry in `default_acl`
// is granted as ALL, so a server of another major (17 added MAINTAIN) grants its own full set.
std::string AclSql(const Quoter& quoter, absl::string_view object, absl::string_view owner,
                   absl::string_view acl, absl::string_view default_acl,
                   absl::string_view columns = "");

// Column privileges of an extension member: GRANT/REVOKE that turn `initial_acl` (the
// column's pg_init_privs entry, "{}" when it has none) into `acl` ("{}" for a NULL attacl).
// Every grantee of the initial ACL first loses all its privileges on the column (REVOKE ALL
// run as that entry's grantor), then the current entries are granted in their order, so the
// restored attacl is identical. `columns` is "(col)". Returns "" when the two are equal.
std::string ColumnAclDeltaSql(const Quoter& quoter, absl::string_view object, absl::string_view owner,
                              absl::string_view acl, absl::string_view initial_acl,
                              absl::string_view columns);

// pg_dump's makeAlterConfigCommand() for one "name=value" entry of a setconfig array:
// "ALTER <target> SET name TO value;\n", list settings (search_path, ...) quoted item by
// item. `target` is already quoted: "ROLE r", "DATABASE d", "ROLE r IN DATABASE d".
std::string AlterConfigSql(absl::string_view target, absl::string_view entry);

// DatabaseInfo's statements about database `from` (ALTER DATABASE d SET, ALTER ROLE r IN
// DATABASE d SET, COMMENT ON DATABASE d, GRANT/REVOKE ... ON DATABASE d, and the SET/RESET
// SESSION AUTHORIZATION around a grant), made about database `to` instead (--replace applies
// the archive's properties to its temporary database). In each statement the name after the
// first DATABASE keyword outside literals and quoted identifiers is replaced by `to`, always
// double-quoted; literals (a setting's value, the comment) are kept byte for byte.
// kInvalidArgument when a statement other than SET/RESET SESSION AUTHORIZATION does not name
// DATABASE `from` there: text the catalog reader did not write is not guessed at.
absl::StatusOr<std::string> RetargetDatabaseSql(absl::string_view sql, absl::string_view from,
                                                absl::string_view to);

// The ALTER DATABASE statements a restore runs last for DatabaseInfo's connection limit (none
// when unset or -1) and template flag, about `quoted_database` (already quoted); "" when
// neither applies. -C and --replace both set them once everything else is done.
std::string DatabaseLimitsSql(absl::string_view quoted_database, std::optional<int> connection_limit,
                              bool is_template);

// ALTER DEFAULT PRIVILEGES statements for one pg_default_acl row.
// `objtype_keyword`: TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS.
std::string DefaultAclSql(const Quoter& quoter, absl::string_view role, absl::string_view schema,
                          absl::string_view objtype_keyword, absl::string_view acl,
                          absl::string_view base_acl);

// A pg_dump-style name pattern ("s.t*", "\"My\".x?"), split into schema and name parts
// (each "" when absent). Matching is anchored; unquoted text is lowercased.
struct NamePattern {
  std::string schema_regex;  // "" = any schema
  std::string name_regex;
};
NamePattern ParseNamePattern(absl::string_view pattern);
// True when `name` matches the anchored regex built by ParseNamePattern.
bool MatchesRegex(const std::string& regex, const std::string& name);

}  // namespace pgark::catalog
