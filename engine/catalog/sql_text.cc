#include "engine/catalog/sql_text.h"

#include <algorithm>
#include <regex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/base/status_macros.h"

namespace pgark::catalog {
namespace {

// `text` between two `quote` characters, each of them inside doubled.
std::string Enclosed(absl::string_view text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

absl::string_view PrivilegeName(char letter) {
  switch (letter) {
    case 'r': return "SELECT";
    case 'w': return "UPDATE";
    case 'a': return "INSERT";
    case 'd': return "DELETE";
    case 'D': return "TRUNCATE";
    case 'x': return "REFERENCES";
    case 't': return "TRIGGER";
    case 'X': return "EXECUTE";
    case 'U': return "USAGE";
    case 'C': return "CREATE";
    case 'c': return "CONNECT";
    case 'T': return "TEMPORARY";
    case 'm': return "MAINTAIN";
    case 's': return "SET";
    case 'A': return "ALTER SYSTEM";
  }
  return "";
}

// Reads one possibly double-quoted role name of an aclitem starting at *pos.
std::string ReadAclName(absl::string_view text, size_t* pos) {
  std::string name;
  if (*pos < text.size() && text[*pos] == '"') {
    ++*pos;
    while (*pos < text.size()) {
      char c = text[*pos];
      if (c == '"') {
        if (*pos + 1 < text.size() && text[*pos + 1] == '"') {
          name.push_back('"');
          *pos += 2;
          continue;
        }
        ++*pos;
        break;
      }
      name.push_back(c);
      ++*pos;
    }
    return name;
  }
  while (*pos < text.size() && text[*pos] != '=' && text[*pos] != '/' && text[*pos] != ',' &&
         text[*pos] != '}') {
    name.push_back(text[*pos]);
    ++*pos;
  }
  return name;
}

// Splits a privilege string into GRANT lists without and with grant option.
void SplitPrivileges(absl::string_view privileges, std::string* plain, std::string* grantable,
                     absl::string_view columns) {
  for (size_t pos = 0; pos < privileges.size(); ++pos) {
    absl::string_view name = PrivilegeName(privileges[pos]);
    bool with_grant = pos + 1 < privileges.size() && privileges[pos + 1] == '*';
    if (with_grant) ++pos;
    if (name.empty()) continue;
    std::string* target = with_grant ? grantable : plain;
    absl::StrAppend(target, target->empty() ? "" : ",", name, columns);
  }
}

// The privilege letters of an aclitem's privileges, without grant options, sorted.
std::string SortedPrivileges(absl::string_view privileges) {
  std::string letters;
  for (char c : privileges) {
    if (c != '*') letters.push_back(c);
  }
  std::sort(letters.begin(), letters.end());
  return letters;
}

// pg_dump's variable_is_guc_list_quote(): settings whose value is a list of names, each
// quoted on its own (ALTER ROLE r SET search_path TO 'a', 'b').
bool IsListSetting(absl::string_view name) {
  return name == "local_preload_libraries" || name == "search_path" ||
         name == "session_preload_libraries" || name == "shared_preload_libraries" ||
         name == "temp_tablespaces" || name == "unix_socket_directories";
}

// Splits a GUC list value as the server stores it ("\"$user\", public") into its names.
std::vector<std::string> SplitGucList(absl::string_view value) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',')) ++i;
    if (i >= value.size()) break;
    std::string item;
    if (value[i] == '"') {
      for (++i; i < value.size(); ++i) {
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            item.push_back('"');
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          item.push_back(value[i]);
        }
      }
    } else {
      while (i < value.size() && value[i] != ',') item.push_back(value[i++]);
      while (!item.empty() && item.back() == ' ') item.pop_back();
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string Quoter::Ident(absl::string_view name) const {
  bool safe = !name.empty() && (name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'));
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
  }
  if (safe && keywords_.count(std::string(name)) == 0) return std::string(name);
  return Enclosed(name, '"');
}

std::string Quoter::Qualified(absl::string_view schema, absl::string_view name) const {
  if (schema.empty()) return Ident(name);
  return absl::StrCat(Ident(schema), ".", Ident(name));
}

std::string Literal(absl::string_view value) { return Enclosed(value, '\''); }

std::string InTablespace(absl::string_view tablespace, absl::string_view sql) {
  if (tablespace.empty()) return std::string(sql);
  return absl::StrCat("SET default_tablespace = ", Literal(tablespace), ";\n", sql, "SET default_tablespace = '';\n");
}

bool ParseAcl(absl::string_view text, std::vector<AclEntry>* out) {
  out->clear();
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  size_t pos = 1;
  while (pos < text.size() - 1) {
    // Array elements containing special characters are themselves double-quoted.
    bool quoted_element = text[pos] == '"';
    std::string element;
    if (quoted_element) {
      ++pos;
      while (pos < text.size() && text[pos] != '"') {
        if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
        element.push_back(text[pos++]);
      }
      ++pos;  // closing quote
    } else {
      while (pos < text.size() - 1 && text[pos] != ',') element.push_back(text[pos++]);
    }
    if (pos < text.size() - 1 && text[pos] == ',') ++pos;
    AclEntry entry;
    size_t epos = 0;
    entry.grantee = ReadAclName(element, &epos);
    if (epos >= element.size() || element[epos] != '=') return false;
    ++epos;
    while (epos < element.size() && element[epos] != '/') entry.privileges.push_back(element[epos++]);
    if (epos >= element.size()) return false;
    ++epos;
    entry.grantor = ReadAclName(element, &epos);
    out->push_back(std::move(entry));
  }
  return true;
}

std::string AclSql(const Quoter& quoter, absl::string_view object, absl::string_view owner,
                   absl::string_view acl, absl::string_view default_acl, absl::string_view columns) {
  if (acl.empty() || acl == default_acl) return "";
  std::vector<AclEntry> entries;
  if (!ParseAcl(acl, &entries)) return "";
  // Every privilege of a relation: the owner's entry of its default ACL. An entry that holds
  // them all is granted as ALL, which a server of another major reads as its own full set: 17
  // added MAINTAIN to relations, and a 17 owner's full set listed letter by letter fails on 16
  // ("unrecognized privilege type"), while 16's full set granted letter by letter into 17 would
  // leave MAINTAIN out. Other objects' sets are the same on every major: listed, as pg_dumpall
  // prints them.
  std::string full;
  std::vector<AclEntry> defaults;
  if (columns.empty() && absl::StartsWith(object, "TABLE ") && ParseAcl(default_acl, &defaults)) {
    for (const AclEntry& entry : defaults) {
      if (entry.grantee == owner) full = SortedPrivileges(entry.privileges);
    }
  }
  std::string sql;
  if (columns.empty()) {
    // Start from an empty ACL, then grant in the original order.
    absl::StrAppend(&sql, "REVOKE ALL ON ", object, " FROM PUBLIC;\n");
    absl::StrAppend(&sql, "REVOKE ALL ON ", object, " FROM ", quoter.Ident(owner), ";\n");
  }
  for (const AclEntry& entry : entries) {
    std::string plain, grantable;
    SplitPrivileges(entry.privileges, &plain, &grantable, columns);
    if (!full.empty() && SortedPrivileges(entry.privileges) == full) {
      // All of them: with grant option for all, or for none.
      if (grantable.empty()) plain = "ALL";
      if (plain.empty()) grantable = "ALL";
    }
    std::string grantee = entry.grantee.empty() ? "PUBLIC" : quoter.Ident(entry.grantee);
    bool switch_user = entry.grantor != owner;
    if (switch_user) absl::StrAppend(&sql, "SET SESSION AUTHORIZATION ", quoter.Ident(entry.grantor), ";\n");
    if (!plain.empty()) absl::StrAppend(&sql, "GRANT ", plain, " ON ", object, " TO ", grantee, ";\n");
    if (!grantable.empty()) {
      absl::StrAppend(&sql, "GRANT ", grantable, " ON ", object, " TO ", grantee,
                      " WITH GRANT OPTION;\n");
    }
    if (switch_user) absl::StrAppend(&sql, "RESET SESSION AUTHORIZATION;\n");
  }
  return sql;
}

std::string ColumnAclDeltaSql(const Quoter& quoter, absl::string_view object, absl::string_view owner,
                              absl::string_view acl, absl::string_view initial_acl,
                              absl::string_view columns) {
  if (acl == initial_acl) return "";
  std::vector<AclEntry> initial;
  if (!ParseAcl(initial_acl, &initial)) return "";
  std::string sql;
  for (const AclEntry& entry : initial) {
    std::string grantee = entry.grantee.empty() ? "PUBLIC" : quoter.Ident(entry.grantee);
    // A superuser's REVOKE acts as the owner: only the grantor's own session revokes its grants.
    bool switch_user = entry.grantor != owner;
    if (switch_user) absl::StrAppend(&sql, "SET SESSION AUTHORIZATION ", quoter.Ident(entry.grantor), ";\n");
    absl::StrAppend(&sql, "REVOKE ALL", columns, " ON ", object, " FROM ", grantee, ";\n");
    if (switch_user) absl::StrAppend(&sql, "RESET SESSION AUTHORIZATION;\n");
  }
  absl::StrAppend(&sql, AclSql(quoter, object, owner, acl, "{}", columns));
  return sql;
}

std::string DefaultAclSql(const Quoter& quoter, absl::string_view role, absl::string_view schema,
                          absl::string_view objtype_keyword, absl::string_view acl,
                          absl::string_view base_acl) {
  std::vector<AclEntry> entries, base;
  if (!ParseAcl(acl, &entries)) return "";
  if (!base_acl.empty() && !ParseAcl(base_acl, &base)) return "";
  std::string prefix = absl::StrCat("ALTER DEFAULT PRIVILEGES FOR ROLE ", quoter.Ident(role));
  if (!schema.empty()) absl::StrAppend(&prefix, " IN SCHEMA ", quoter.Ident(schema));
  std::string sql;
  // Revoke what the built-in default grants but the row does not, then grant the rest.
  for (const AclEntry& b : base) {
    bool kept = false;
    for (const AclEntry& e : entries) kept |= e.grantee == b.grantee && e.privileges == b.privileges;
    if (kept) continue;
    std::string grantee = b.grantee.empty() ? "PUBLIC" : quoter.Ident(b.grantee);
    absl::StrAppend(&sql, prefix, " REVOKE ALL ON ", objtype_keyword, " FROM ", grantee, ";\n");
  }
  for (const AclEntry& e : entries) {
    bool in_base = false;
    for (const AclEntry& b : base) in_base |= e.grantee == b.grantee && e.privileges == b.privileges;
    if (in_base) continue;
    std::string plain, grantable;
    SplitPrivileges(e.privileges, &plain, &grantable, "");
    std::string grantee = e.grantee.empty() ? "PUBLIC" : quoter.Ident(e.grantee);
    if (!plain.empty()) {
      absl::StrAppend(&sql, prefix, " GRANT ", plain, " ON ", objtype_keyword, " TO ", grantee, ";\n");
    }
    if (!grantable.empty()) {
      absl::StrAppend(&sql, prefix, " GRANT ", grantable, " ON ", objtype_keyword, " TO ", grantee,
                      " WITH GRANT OPTION;\n");
    }
  }
  return sql;
}

NamePattern ParseNamePattern(absl::string_view pattern) {
  // Like processSQLNamePattern: '.' outside quotes separates schema and name; outside
  // quotes text is lowercased, * -> .*, ? -> .; everything else matches literally.
  std::vector<std::string> parts(1);
  bool in_quotes = false;
  for (size_t pos = 0; pos < pattern.size(); ++pos) {
    char c = pattern[pos];
    if (c == '"') {
      if (in_quotes && pos + 1 < pattern.size() && pattern[pos + 1] == '"') {
        parts.back() += "\"";
        ++pos;
      } else {
        in_quotes = !in_quotes;
      }
    } else if (!in_quotes && c == '.') {
      parts.emplace_back();
    } else if (!in_quotes && c == '*') {
      parts.back() += ".*";
    } else if (!in_quotes && c == '?') {
      parts.back() += ".";
    } else {
      char lowered = in_quotes ? c : absl::ascii_tolower(static_cast<unsigned char>(c));
      if (std::string("\\^$.|?*+()[]{}").find(lowered) != std::string::npos) parts.back() += "\\";
      parts.back().push_back(lowered);
    }
  }
  NamePattern out;
  if (parts.size() >= 2) {
    out.schema_regex = parts[parts.size() - 2];
    out.name_regex = parts.back();
  } else {
    out.name_regex = parts.back();
  }
  return out;
}

bool MatchesRegex(const std::string& regex, const std::string& name) {
  try {
    return std::regex_match(name, std::regex(regex));
  } catch (const std::regex_error&) {
    return false;
  }
}

std::string AlterConfigSql(absl::string_view target, absl::string_view entry) {
  size_t eq = entry.find('=');
  absl::string_view name = entry.substr(0, eq);
  absl::string_view value = eq == absl::string_view::npos ? "" : entry.substr(eq + 1);
  std::string sql = absl::StrCat("ALTER ", target, " SET ", name, " TO ");
  if (IsListSetting(name)) {
    std::vector<std::string> parts;
    for (const std::string& part : SplitGucList(value)) parts.push_back(Literal(part));
    absl::StrAppend(&sql, parts.empty() ? "''" : absl::StrJoin(parts, ", "));
  } else {
    absl::StrAppend(&sql, Literal(value));
  }
  return absl::StrCat(sql, ";\n");
}

namespace {

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         (static_cast<unsigned char>(c) & 0x80) != 0;
}

// The token at `*pos` of `sql`: a quoted identifier (decoded into *name), a literal, a word
// (*name = its text) or one other character. Advances *pos past it; returns its text.
absl::string_view NextToken(absl::string_view sql, size_t* pos, std::string* name, char* kind) {
  const size_t start = *pos;
  name->clear();
  const char c = sql[start];
  if (c == '"' || c == '\'') {
    *kind = c;
    size_t i = start + 1;
    while (i < sql.size()) {
      if (sql[i] == c) {
        if (i + 1 < sql.size() && sql[i + 1] == c) {
          name->push_back(c);
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      name->push_back(sql[i++]);
    }
    *pos = i;
  } else if (IsWordChar(c)) {
    *kind = 'w';
    size_t i = start;
    while (i < sql.size() && IsWordChar(sql[i])) ++i;
    *name = std::string(sql.substr(start, i - start));
    *pos = i;
  } else {
    *kind = c;
    *pos = start + 1;
  }
  return sql.substr(start, *pos - start);
}

}  // namespace

absl::StatusOr<std::string> RetargetDatabaseSql(absl::string_view sql, absl::string_view from,
                                                absl::string_view to) {
  std::string out;
  // Per statement: its first two words, whether DATABASE `from` was replaced, whether the
  // next token names the database.
  std::vector<std::string> words;
  bool retargeted = false, after_keyword = false;
  size_t statement_start = 0;
  auto end_statement = [&](size_t end) -> absl::Status {
    const bool empty = words.empty();
    const bool authorization = words.size() >= 2 && (words[0] == "SET" || words[0] == "RESET") &&
                               words[1] == "SESSION";
    if (!empty && !retargeted && !authorization) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot apply the archive's database properties to another database: the statement \"",
          sql.substr(statement_start, std::min<size_t>(end - statement_start, 80)), "\" does not name database \"",
          from, "\""));
    }
    words.clear();
    retargeted = after_keyword = false;
    statement_start = end + 1;
    return absl::OkStatus();
  };
  size_t pos = 0;
  std::string name;
  char kind = 0;
  while (pos < sql.size()) {
    const absl::string_view token = NextToken(sql, &pos, &name, &kind);
    if (kind == ' ' || kind == '\n' || kind == '\t' || kind == '\r') {
      out.append(token.data(), token.size());
      continue;
    }
    if (kind == ';') {
      PGARK_RETURN_IF_ERROR(end_statement(pos - 1));
      out.push_back(';');
      continue;
    }
    if (kind == 'w' && words.size() < 2) words.push_back(name);
    if (after_keyword && (kind == 'w' || kind == '"') && name == from) {
      absl::StrAppend(&out, Enclosed(to, '"'));
      retargeted = true;
      after_keyword = false;
      continue;
    }
    after_keyword = !retargeted && kind == 'w' && name == "DATABASE";
    out.append(token.data(), token.size());
  }
  PGARK_RETURN_IF_ERROR(end_statement(sql.size()));
  return out;
}

std::string DatabaseLimitsSql(absl::string_view quoted_database, std::optional<int> connection_limit,
                              bool is_template) {
  std::string sql;
  if (connection_limit.value_or(-1) >= 0) {
    absl::StrAppend(&sql, "ALTER DATABASE ", quoted_database, " CONNECTION LIMIT ", *connection_limit, ";");
  }
  if (is_template) absl::StrAppend(&sql, "ALTER DATABASE ", quoted_database, " IS_TEMPLATE true;");
  return sql;
}

}  // namespace pgark::catalog
