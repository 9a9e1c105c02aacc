// Option parsing of the real subcommand tables: a value that looks like a flag is never
// swallowed as a file name, and repeatable options take one value per occurrence.
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pgark::cli {
namespace {

// Parses `args` (no program name) with subcommand `name`'s flags; "" on success, else the
// CLI11 error's message.
std::string Parse(absl::string_view name, const std::string& args) {
  for (const Command& command : Commands()) {
    if (command.name != name) continue;
    CLI::App app;
    CommandRunner runner = command.setup(app);  // owns the flags the options write into
    try {
      app.parse(args, /*program_name_included=*/false);
    } catch (const CLI::ParseError& error) {
      return error.what();
    }
    return "";
  }
  return "no such command";
}

TEST(CliOptionsTest, KeygenPairRefusesAFlagAsAFileName) {
  EXPECT_THAT(Parse("keygen", "--x25519 -o rcpt"), ::testing::HasSubstr("'-o' looks like an option"));
  EXPECT_NE(Parse("keygen", "--x25519 pub -o"), "");  // -o without its value
  EXPECT_EQ(Parse("keygen", "--x25519 pub sec"), "");
  EXPECT_EQ(Parse("keygen", "--x25519 ./-o sec"), "");  // a file that starts with '-'
  EXPECT_NE(Parse("keygen", "--x25519 pub"), "");
  EXPECT_EQ(Parse("keygen", "-o key"), "");
}

TEST(CliOptionsTest, RepeatablePatternsTakeOneValueEach) {
  for (const char* command : {"dump", "restore"}) {
    SCOPED_TRACE(command);
    for (const char* flag : {"-n", "-N", "-t", "-T"}) {
      EXPECT_EQ(Parse(command, absl::StrCat(flag, " a ", flag, " b -d x")), "") << flag;
      EXPECT_THAT(Parse(command, absl::StrCat(flag, " a b c -d x")), ::testing::HasSubstr("not expected")) << flag;
    }
  }
  EXPECT_THAT(Parse("dump", "--recipient a b -d x"), ::testing::HasSubstr("not expected"));
}

// Every option of every subcommand that accepts several values must either take one per
// occurrence or a fixed count (then checked like --x25519): an open-ended multi-value
// option swallows the arguments after it.
void CheckOptions(const CLI::App& app, const std::string& path, std::vector<std::string>* offenders, int* checked) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_positional() || option->get_expected_max() <= 1) continue;
    ++*checked;
    bool fixed = option->get_expected_min() == option->get_expected_max();
    if (option->get_allow_extra_args() && !fixed) offenders->push_back(path + " " + option->get_name());
  }
  for (const CLI::App* sub : app.get_subcommands({})) CheckOptions(*sub, path + " " + sub->get_name(), offenders, checked);
}

TEST(CliOptionsTest, NoOpenEndedMultiValueOption) {
  std::vector<std::string> offenders;
  int checked = 0;
  for (const Command& command : Commands()) {
    CLI::App app;
    CommandRunner runner = command.setup(app);  // owns the flags the options write into
    CheckOptions(app, std::string(command.name), &offenders, &checked);
  }
  EXPECT_THAT(offenders, ::testing::IsEmpty());
  // dump: -n -N -t -T --recipient; restore: -n -N -t -T; keygen: --x25519 (the check is not vacuous).
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace pgark::cli
