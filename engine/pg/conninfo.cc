#include "engine/pg/conninfo.h"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <string_view>

#include <libpq-fe.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "format/base/status_macros.h"

namespace pgark::pg {
namespace {

constexpr char kMask[] = "********";

// libpq's messages end with a newline.
std::string CleanReason(absl::string_view message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message));
}

bool IsUri(absl::string_view s) {
  return absl::StartsWith(s, "postgresql://") || absl::StartsWith(s, "postgres://");
}

// postgresql://user:secret@host/db -> postgresql://user:********@host/db;
// also masks a password=... query parameter.
std::string RedactUri(absl::string_view uri) {
  std::string out(uri);
  size_t scheme_end = out.find("://") + 3;
  size_t authority_end = out.find_first_of("/?", scheme_end);
  if (authority_end == std::string::npos) authority_end = out.size();
  size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= scheme_end) {
    size_t colon = out.find(':', scheme_end);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kMask);
    }
  }
  size_t query = out.find('?');
  while (query != std::string::npos) {
    size_t key = query + 1;
    if (out.compare(key, 9, "password=") == 0) {
      size_t value = key + 9;
      size_t end = out.find('&', value);
      if (end == std::string::npos) end = out.size();
      out.replace(value, end - value, kMask);
    }
    query = out.find('&', key);
  }
  return out;
}

// key = 'quoted value' or key=value pairs; masks the value of "password".
std::string RedactKeyValue(absl::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) out.push_back(s[i++]);
    size_t key_start = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    absl::string_view key = s.substr(key_start, i - key_start);
    absl::StrAppend(&out, key);
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) out.push_back(s[i++]);
    if (i >= s.size() || s[i] != '=') continue;
    out.push_back(s[i++]);
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) out.push_back(s[i++]);
    size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i < s.size()) ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (key == "password") {
      out.append(kMask);
    } else {
      absl::StrAppend(&out, s.substr(value_start, i - value_start));
    }
  }
  return out;
}

}  // namespace

bool IsConninfoString(absl::string_view conninfo) {
  return IsUri(conninfo) || conninfo.find('=') != absl::string_view::npos;
}

std::string RedactConninfo(absl::string_view conninfo) {
  if (IsUri(conninfo)) return RedactUri(conninfo);
  if (conninfo.find('=') != absl::string_view::npos) return RedactKeyValue(conninfo);
  return std::string(conninfo);
}

}  // namespace pgark::pg

namespace pgark::pg {

namespace {

// The keywords `conninfo` sets, with their values, as libpq parses them (a bare name is
// dbname). Errors: kInvalidArgument for a string libpq cannot parse. libpq's reason can
// quote a piece of the string, so it is left out when the string may hold a password.
absl::StatusOr<std::map<std::string, std::string>> ParseConninfo(absl::string_view conninfo) {
  std::map<std::string, std::string> keys;
  if (conninfo.empty()) return keys;
  if (!IsConninfoString(conninfo)) {
    keys["dbname"] = std::string(conninfo);
    return keys;
  }
  std::string text(conninfo);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    std::string reason = error != nullptr ? CleanReason(error) : "out of memory";
    PQfreemem(error);
    const bool may_hold_secret = absl::StrContains(absl::AsciiStrToLower(conninfo), "password") ||
                                 (IsUri(conninfo) && absl::StrContains(conninfo, "@"));
    return absl::InvalidArgumentError(
        may_hold_secret ? "invalid connection string (libpq's reason is not shown: the string may hold a password)"
                        : absl::StrCat("invalid connection string: ", reason));
  }
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr) keys[option->keyword] = option->val;
  }
  PQconninfoFree(options);
  return keys;
}

std::string Lookup(const std::map<std::string, std::string>& keys, const std::string& key) {
  auto it = keys.find(key);
  return it == keys.end() ? std::string() : it->second;
}

// The conninfo's dbname, else PGDATABASE.
std::string ExplicitDatabase(const std::map<std::string, std::string>& keys) {
  std::string dbname = Lookup(keys, "dbname");
  if (dbname.empty() && getenv("PGDATABASE") != nullptr) dbname = getenv("PGDATABASE");
  return dbname;
}

}  // namespace

absl::StatusOr<std::string> ConninfoExplicitDatabase(absl::string_view conninfo) {
  PGARK_ASSIGN_OR_RETURN(auto keys, ParseConninfo(conninfo));
  return ExplicitDatabase(keys);
}

absl::StatusOr<std::string> ConninfoDatabase(absl::string_view conninfo) {
  PGARK_ASSIGN_OR_RETURN(auto keys, ParseConninfo(conninfo));
  std::string dbname = ExplicitDatabase(keys);
  if (dbname.empty()) dbname = Lookup(keys, "user");
  if (dbname.empty() && getenv("PGUSER") != nullptr) dbname = getenv("PGUSER");
  if (dbname.empty()) {
    struct passwd* pw = getpwuid(geteuid());
    if (pw != nullptr) dbname = pw->pw_name;
  }
  return dbname;
}

absl::Status CheckConninfoSyntax(absl::string_view conninfo) { return ParseConninfo(conninfo).status(); }

bool ConninfoHasPassword(absl::string_view conninfo) {
  absl::StatusOr<std::map<std::string, std::string>> keys = ParseConninfo(conninfo);
  return keys.ok() && !Lookup(*keys, "password").empty();
}

}  // namespace pgark::pg
