#pragma once
// The PostgreSQL server integration tests talk to, and scratch databases on it.
//
// Where the server comes from, in order:
//   1. PGARK_TEST_CONNINFO: an external server (e.g. a CI service container); the conninfo
//      must reach a superuser, and its database is used for maintenance connections.
//   2. PGARK_TEST_SANDBOX_DIR (or the build's default sandbox directory), when it holds the
//      `env` file of a running tools/pg-sandbox: the one CTest's fixture started.
//   3. Otherwise a private sandbox started with tools/pg-sandbox for this process and
//      stopped when it exits (running a test binary by hand).
// If none works, Get() aborts the test program with a message: a test that needs
// PostgreSQL never skips silently.
//
// Thread-safety: Get() is thread-safe; ScratchDatabase objects are independent.

#include <memory>
#include <string>

#include "engine/pg/connection.h"

namespace pgark::testing {

class PgTestServer {
 public:
  // The process-wide server, started on first use.
  static PgTestServer& Get();

  // Conninfo for database `dbname` on the server (keyword/value form).
  std::string Conninfo(const std::string& dbname) const;
  // Directory with the server's binaries (pg_dump for schema comparison), or "" if unknown.
  const std::string& bindir() const { return bindir_; }
  // Server version number (e.g. 150004).
  int server_version() const { return server_version_; }
  // A maintenance connection to the server's default database.
  std::unique_ptr<pg::Connection> ConnectMaintenance() const;

  ~PgTestServer();

 private:
  PgTestServer() = default;
  bool Start(std::string* error);

  std::string base_conninfo_;   // host/port/user without dbname
  std::string maintenance_db_ = "postgres";
  std::string bindir_;
  std::string private_sandbox_dir_;  // set when this process started its own sandbox
  int server_version_ = 0;
};

// A fresh, empty database created for one test and dropped when the object dies.
// Names are unique across processes (pid + counter), so tests may run in parallel.
class ScratchDatabase {
 public:
  // REQUIRES: the server is reachable (aborts the test program otherwise).
  explicit ScratchDatabase(const std::string& label = "t");
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string conninfo() const { return PgTestServer::Get().Conninfo(name_); }
  // A new connection to this database; aborts the test program on failure.
  std::unique_ptr<pg::Connection> Connect() const;

 private:
  std::string name_;
};

}  // namespace pgark::testing
