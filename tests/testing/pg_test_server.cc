#include "tests/testing/pg_test_server.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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
  auto conn = pg::Connection::Open(conninfo, {.connect_timeout_seconds = 5});
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
  std::string force = conn->server_version() >= 130000 ? " WITH (FORCE)" : "";
  absl::Status status =
      conn->Execute(absl::StrCat("DROP DATABASE IF EXISTS ", conn->QuoteIdentifier(name_), force));
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
