#include "engine/dump/name_pattern.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pgark::engine {
namespace {

struct PatternPart {
  std::string regex;    // unanchored
  std::string literal;  // the part as a plain name (quotes removed, case folded)
};

// Splits at unquoted dots and converts each part, following patternToSQLRegex.
std::vector<PatternPart> SplitPattern(absl::string_view pattern) {
  std::vector<PatternPart> parts(1);
  bool in_quotes = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    PatternPart& part = parts.back();
    if (c == '"') {
      if (in_quotes && i + 1 < pattern.size() && pattern[i + 1] == '"') {
        part.regex.push_back('"');
        part.literal.push_back('"');
        ++i;
      } else {
        in_quotes = !in_quotes;
      }
    } else if (!in_quotes && c == '.') {
      parts.emplace_back();
    } else if (!in_quotes && c == '*') {
      part.regex += ".*";
      part.literal.push_back('*');
    } else if (!in_quotes && c == '?') {
      part.regex.push_back('.');
      part.literal.push_back('?');
    } else if (!in_quotes && absl::ascii_isupper(static_cast<unsigned char>(c))) {
      char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
      part.regex.push_back(lower);
      part.literal.push_back(lower);
    } else if (c == '$') {
      part.regex += "\\$";
      part.literal.push_back(c);
    } else {
      // Inside quotes regular-expression characters are literal; outside they pass through,
      // which lets users write real regular expressions (pg_dump does the same).
      if (in_quotes && absl::string_view("|*+?()[]{}.^\\").find(c) != absl::string_view::npos) {
        part.regex.push_back('\\');
      } else if (c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ']') {
        part.regex.push_back('\\');
      }
      part.regex.push_back(c);
      part.literal.push_back(c);
    }
  }
  return parts;
}

std::string Anchor(const std::string& regex) {
  return absl::StrCat("^(", regex.empty() ? ".*" : regex, ")$");
}

absl::StatusOr<NamePattern> Parse(absl::string_view pattern, absl::string_view current_database,
                                  size_t max_parts, absl::string_view what) {
  if (pattern.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what, " pattern"));
  std::vector<PatternPart> parts = SplitPattern(pattern);
  if (parts.size() > max_parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("improper qualified name (too many dotted names): '", pattern, "'"));
  }
  if (parts.size() == max_parts) {
    // The first part names a database: it must be the one we are connected to.
    if (parts.front().literal != current_database) {
      return absl::InvalidArgumentError(
          absl::StrCat("cross-database references are not implemented: '", pattern, "'"));
    }
    parts.erase(parts.begin());
  }
  NamePattern result;
  result.name_regex = Anchor(parts.back().regex);
  if (parts.size() == 2) result.schema_regex = Anchor(parts.front().regex);
  return result;
}

}  // namespace

absl::StatusOr<NamePattern> ParseTablePattern(absl::string_view pattern,
                                              absl::string_view current_database) {
  return Parse(pattern, current_database, 3, "table");
}

absl::StatusOr<NamePattern> ParseSchemaPattern(absl::string_view pattern,
                                               absl::string_view current_database) {
  return Parse(pattern, current_database, 2, "schema");
}

}  // namespace pgark::engine
