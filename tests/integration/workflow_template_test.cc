// The database-backup workflow template (.github/workflows/database-backup.yml) as teams copy
// it: its "Dump" and "Verify and restore-test" steps are taken from the YAML and run by bash
// here, as the GitHub runner would, with the built pgark on PATH, against the test server.
// tools/check-workflows proves that the YAML is valid and that every flag exists; this proves
// that the commands work as written (with and without the optional passphrase secret).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace pgark {
namespace {

using ::pgark::testing::PgTestServer;
using ::pgark::testing::RunCommand;
using ::pgark::testing::RunShell;
using ::pgark::testing::ScratchDatabase;
using ::testing::HasSubstr;

constexpr char kWorkflow[] = PGARK_SOURCE_DIR "/.github/workflows/database-backup.yml";

// {step name: run script} of the workflow's only job, read with a real YAML parser.
nlohmann::json StepScripts() {
  auto parsed = RunCommand({"python3", "-c",
                            "import json, sys, yaml\n"
                            "doc = yaml.safe_load(open(sys.argv[1]))\n"
                            "steps = doc['jobs']['backup']['steps']\n"
                            "print(json.dumps({s['name']: s.get('run', '') for s in steps if 'name' in s}))",
                            kWorkflow});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  return parsed.exit_code == 0 ? nlohmann::json::parse(parsed.out) : nlohmann::json::object();
}

TEST(WorkflowTemplateTest, DumpAndRestoreTestStepsRunAsWritten) {
  nlohmann::json steps = StepScripts();
  ASSERT_TRUE(steps.contains("Dump")) << steps.dump();
  ASSERT_TRUE(steps.contains("Verify and restore-test the fresh archive")) << steps.dump();
  const std::string dump_script = steps["Dump"];
  const std::string verify_script = steps["Verify and restore-test the fresh archive"];

  ScratchDatabase source("wf_src");
  ASSERT_OK(source.Connect()->Execute(
      "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 3000) g"));
  std::string bindir = PGARK_BINARY;
  bindir.resize(bindir.rfind('/'));

  for (const std::string passphrase : {"workflow passphrase", ""}) {
    char tmpl[] = "/tmp/pgark-workflow-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string work = tmpl;
    const std::string output_file = work + "/github_output";
    std::map<std::string, std::string> env = {
        {"PATH", absl::StrCat(bindir, ":", getenv("PATH"))},
        {"PGARK_DATABASE_URL", source.conninfo()},
        {"PGARK_PASSPHRASE", passphrase},
        {"RUNNER_TEMP", work},
        {"GITHUB_OUTPUT", output_file},
        {"RESTORE_TARGET", PgTestServer::Get().Conninfo("postgres")}};
    // GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail FILE` in the workspace.
    auto run_step = [&](const std::string& script) {
      std::string path = work + "/step.sh";
      std::ofstream(path) << "cd '" << work << "'\n" << script;
      return RunCommand({"bash", "--noprofile", "--norc", "-eo", "pipefail", path}, env);
    };

    auto dump = run_step(dump_script);
    ASSERT_EQ(dump.exit_code, 0) << dump.out << dump.err;
    std::ifstream in(output_file);
    std::string line;
    std::getline(in, line);
    ASSERT_TRUE(absl::StartsWith(line, "name=")) << line;
    const std::string name = line.substr(5);
    EXPECT_THAT(name, ::testing::MatchesRegex("backup_[0-9]{8}_[0-9]{6}\\.pgark"));
    struct stat st;
    EXPECT_EQ(stat((work + "/out/" + name).c_str(), &st), 0);
    EXPECT_EQ(stat((work + "/out/" + name + ".sha256").c_str(), &st), 0);
    // Encrypted with the passphrase secret when it is set, in the clear when it is not.
    auto inspect = RunCommand({PGARK_BINARY, "inspect", "--json", work + "/out/" + name});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    nlohmann::json slots = nlohmann::json::parse(inspect.out)["key_slots"];
    ASSERT_EQ(slots.size(), passphrase.empty() ? 0u : 1u) << inspect.out;
    if (!passphrase.empty()) {
      EXPECT_EQ(slots[0]["type"], "passphrase");
    }

    auto verify = run_step(absl::StrReplaceAll(verify_script, {{"${{ steps.dump.outputs.name }}", name}}));
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_THAT(verify.out, HasSubstr(": OK"));      // sha256sum -c
    EXPECT_THAT(verify.out, HasSubstr("dropped"));   // the restore test's scratch database
    RunShell("rm -rf '" + work + "'");
  }
}

}  // namespace
}  // namespace pgark
