#include "tests/testing/pg_test_server.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/match.h"
#include "tests/testing/subprocess.h"

#ifndef PGARK_SOURCE_DIR
#error "PGARK_SOURCE_DIR must be defined by the build"
#endif

namespace pgark::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "pgark tests: PostgreSQL test server unavailable: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

// Reads the KEY=VALUE lines tools/pg-sandbox writes to DIR/env.
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (!kv.first.empty()) values[kv.first] = kv.second;
  }
  return values;
}

std::string SandboxConninfo(const std::map<std::string, std::string>& env) {
  auto get = [&](const char* key) {
    auto it = env.find(key);
    return it == env.end() ? std::string() : it->second;
  };
  return absl::StrCat("host=", get("PGHOST"), " port=", get("PGPORT"), " user=", get("PGUSER"));
}

bool CanConnect(const std::string& conninfo, int* version) {
  pg::ConnectOptions options;
  options.connect_timeout_seconds = 5;
  auto conn = pg::Connection::Open(conninfo, options);
  if (!conn.ok()) return false;
  *version = (*conn)->server_version();
  return true;
}

}  // namespace

PgTestServer* g_server = nullptr;

PgTestServer& PgTestServer::Get() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_server = new PgTestServer();
    std::string error;
    if (!g_server->Start(&error)) Die(error);
    g_server->FindClientPrograms();
    // Stops a private sandbox when the process exits normally.
    std::atexit([] { delete g_server; });
  });
  return *g_server;
}

bool PgTestServer::Start(std::string* error) {
  if (const char* external = std::getenv("PGARK_TEST_CONNINFO"); external && *external) {
    base_conninfo_ = external;
    maintenance_db_ = "";  // the conninfo's own database
    if (const char* bindir = std::getenv("PGARK_PG_BINDIR")) bindir_ = bindir;
    if (!CanConnect(base_conninfo_, &server_version_)) {
      *error = "cannot connect to PGARK_TEST_CONNINFO";
      return false;
    }
    return true;
  }
  std::string dir;
  if (const char* env_dir = std::getenv("PGARK_TEST_SANDBOX_DIR"); env_dir && *env_dir) {
    dir = env_dir;
  }
#ifdef PGARK_SANDBOX_DIR
  if (dir.empty()) dir = PGARK_SANDBOX_DIR;
#endif
  if (!dir.empty() && access((dir + "/env").c_str(), R_OK) == 0) {
    auto env = ReadEnvFile(dir + "/env");
    base_conninfo_ = SandboxConninfo(env);
    bindir_ = env["PGARK_PG_BINDIR"];
    if (CanConnect(base_conninfo_ + " dbname=postgres", &server_version_)) return true;
  }
  // Start a sandbox of our own.
  char templ[] = "/tmp/pgark-test-sandbox.XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  private_sandbox_dir_ = templ;
  std::string command = absl::StrCat(PGARK_SOURCE_DIR, "/tools/pg-sandbox start ",
                                     private_sandbox_dir_, " >/dev/null");
  if (std::system(command.c_str()) != 0) {
    *error = absl::StrCat("'", command, "' failed");
    return false;
  }
  auto env = ReadEnvFile(private_sandbox_dir_ + "/env");
  base_conninfo_ = SandboxConninfo(env);
  bindir_ = env["PGARK_PG_BINDIR"];
  if (!CanConnect(base_conninfo_ + " dbname=postgres", &server_version_)) {
    *error = "the private sandbox started but does not accept connections";
    return false;
  }
  return true;
}

void PgTestServer::FindClientPrograms() {
  auto has_pg_dump = [](const std::string& dir) {
    return !dir.empty() && access((dir + "/pg_dump").c_str(), X_OK) == 0;
  };
  if (has_pg_dump(bindir_)) {
    client_bindir_ = bindir_;
  } else if (const char* env = std::getenv("PGARK_PG_CLIENT_BINDIR"); env && has_pg_dump(env)) {
    client_bindir_ = env;
  } else {
    // The newest Debian client programs (sort -V puts 9 before 10).
    FILE* ls = popen("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V", "r");
    char line[4096];
    while (ls != nullptr && std::fgets(line, sizeof line, ls) != nullptr) {
      std::string dir(absl::StripTrailingAsciiWhitespace(line));
      if (has_pg_dump(dir)) client_bindir_ = dir;
    }
    if (ls != nullptr) pclose(ls);
  }
  if (client_bindir_.empty()) return;
  FILE* version = popen(absl::StrCat("'", client_bindir_, "/pg_dump' --version").c_str(), "r");
  char line[256];
  if (version != nullptr && std::fgets(line, sizeof line, version) != nullptr) {
    // "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
    std::string text(line);
    size_t digit = text.find_first_of("0123456789");
    if (digit != std::string::npos) client_major_ = std::atoi(text.c_str() + digit);
  }
  if (version != nullptr) pclose(version);
}

PgTestServer::~PgTestServer() {
  if (!private_sandbox_dir_.empty()) {
    std::string command = absl::StrCat(PGARK_SOURCE_DIR, "/tools/pg-sandbox stop ",
                                       private_sandbox_dir_, " >/dev/null 2>&1");
    private_sandbox_dir_.clear();
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "pgark tests: could not stop the private sandbox\n");
    }
  }
}

std::string PgTestServer::Conninfo(const std::string& dbname) const {
  // A later dbname keyword overrides one inside base_conninfo_.
  return absl::StrCat(base_conninfo_, " dbname='", dbname, "'");
}

std::unique_ptr<pg::Connection> PgTestServer::ConnectMaintenance() const {
  pg::ConnectOptions options;
  options.dbname = maintenance_db_;
  auto conn = pg::Connection::Open(base_conninfo_, options);
  if (!conn.ok()) Die(std::string(conn.status().message()));
  return std::move(conn).value();
}

std::string SchemaOf(const std::string& conninfo, const std::vector<std::string>& pg_dump_options) {
  const PgTestServer& server = PgTestServer::Get();
  std::vector<std::string> argv;
  if (server.SchemaRefereeIsPgDump()) {
    argv = {server.client_bindir() + "/pg_dump", "-s"};
    argv.insert(argv.end(), pg_dump_options.begin(), pg_dump_options.end());
    argv.insert(argv.end(), {"-d", conninfo});
  } else {
    argv = {std::string(PGARK_SOURCE_DIR) + "/tools/schema-describe", conninfo};
  }
  CommandResult result = RunCommand(argv);
  const bool describe = !server.SchemaRefereeIsPgDump();
  const bool no_comments =
      std::find(pg_dump_options.begin(), pg_dump_options.end(), "--no-comments") != pg_dump_options.end();
  std::string out;
  for (absl::string_view line : absl::StrSplit(result.out, '\n')) {
    if (line.empty() || absl::StartsWith(line, "--") || absl::StartsWith(line, "\\restrict") ||
        absl::StartsWith(line, "\\unrestrict")) {
      continue;
    }
    if (describe) {
      // The description shows what `pg_dump -s` cannot, so these tests never compared it:
      // the database's own properties (pg_dump prints them only with -C), large objects,
      // a materialized view's populated state (-s prints WITH NO DATA for all), an
      // extension's owner (no statement sets it: it is whoever restores it); and comments
      // under --no-comments.
      if (absl::StartsWith(line, "database |") || absl::StartsWith(line, "large object ") ||
          absl::StrContains(line, "| populated: ") || (no_comments && absl::StrContains(line, "| comment: "))) {
        continue;
      }
      if (absl::StartsWith(line, "extension ") && absl::StrContains(line, "| extension: ")) {
        std::string text(line);
        size_t owner = text.find(" owner ");
        if (owner != std::string::npos) {
          size_t end = text.find(' ', owner + 7);
          text.erase(owner, end == std::string::npos ? std::string::npos : end - owner);
        }
        absl::StrAppend(&out, text, "\n");
        continue;
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  if (result.exit_code != 0) absl::StrAppend(&out, argv[0], " failed: ", result.err);
  return out;
}

ScratchDatabase::ScratchDatabase(const std::string& label) {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("pgark_", label, "_", getpid(), "_", counter.fetch_add(1));
  auto conn = PgTestServer::Get().ConnectMaintenance();
  absl::Status status = conn->Execute(
      absl::StrCat("CREATE DATABASE ", conn->QuoteIdentifier(name_), " TEMPLATE template0"));
  if (!status.ok()) Die(absl::StrCat("creating database ", name_, ": ", status.message()));
}

ScratchDatabase::~ScratchDatabase() {
  // DROP DATABASE refuses while the database has subscriptions (the corpus creates some,
  // with connect = false): detach their slots and drop them first.
  if (auto db = pg::Connection::Open(conninfo()); db.ok()) {
    auto subs = (*db)->Query(
        "SELECT pg_catalog.quote_ident(subname) FROM pg_catalog.pg_subscription WHERE subdbid = "
        "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())");
    for (int row = 0; subs.ok() && row < subs->rows(); ++row) {
      std::string name(subs->Get(row, 0));
      for (const char* step : {" DISABLE", " SET (slot_name = NONE)"}) {
        (void)(*db)->Execute(absl::StrCat("ALTER SUBSCRIPTION ", name, step));
      }
      (void)(*db)->Execute(absl::StrCat("DROP SUBSCRIPTION ", name));
    }
  }
  auto conn = PgTestServer::Get().ConnectMaintenance();
  absl::Status status = conn->DropDatabase(name_, /*force=*/true);  // a template too
  if (!status.ok()) {
    std::fprintf(stderr, "pgark tests: dropping %s: %s\n", name_.c_str(),
                 std::string(status.message()).c_str());
  }
}

std::unique_ptr<pg::Connection> ScratchDatabase::Connect() const {
  auto conn = pg::Connection::Open(conninfo());
  if (!conn.ok()) Die(absl::StrCat("connecting to ", name_, ": ", conn.status().message()));
  return std::move(conn).value();
}

}  // namespace pgark::testing
