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
#include <vector>

#include "engine/pg/connection.h"

namespace pgark::testing {

class PgTestServer {
 public:
  // The process-wide server, started on first use.
  static PgTestServer& Get();

  // Conninfo for database `dbname` on the server (keyword/value form).
  std::string Conninfo(const std::string& dbname) const;
  // Directory with the server's binaries (initdb, pg_ctl, postgres), or "" if unknown.
  const std::string& bindir() const { return bindir_; }
  // Directory with the client programs the tests run as referees and replayers (pg_dump,
  // pg_dumpall, psql): bindir() when it has pg_dump; else PGARK_PG_CLIENT_BINDIR; else the
  // newest /usr/lib/postgresql/*/bin with pg_dump. A server from tools/pg-fetch (npm) has no
  // client programs: the Debian 15 ones are used against it (docs/testing.md).
  const std::string& client_bindir() const { return client_bindir_; }
  // Major version of client_bindir()'s pg_dump (e.g. 15), 0 if unknown. pg_dump refuses a
  // server newer than itself: see SchemaRefereeIsPgDump().
  int client_major() const { return client_major_; }
  // True when pg_dump -s can describe this server (its major is at least the server's);
  // otherwise the schema referee is tools/schema-describe.
  bool SchemaRefereeIsPgDump() const { return client_major_ * 10000 >= server_version_ - server_version_ % 10000; }
  // Server version number (e.g. 150004).
  int server_version() const { return server_version_; }
  // A maintenance connection to the server's default database.
  std::unique_ptr<pg::Connection> ConnectMaintenance() const;

  ~PgTestServer();

 private:
  PgTestServer() = default;
  bool Start(std::string* error);
  void FindClientPrograms();

  std::string base_conninfo_;   // host/port/user without dbname
  std::string maintenance_db_ = "postgres";
  std::string bindir_;
  std::string client_bindir_;
  int client_major_ = 0;
  std::string private_sandbox_dir_;  // set when this process started its own sandbox
  int server_version_ = 0;
};

// The schema of the database `conninfo` names, as the referee sees it: `pg_dump -s` with
// `pg_dump_options` when client_bindir()'s pg_dump can describe the server (comment lines,
// blank lines and \restrict keys dropped: they differ between equal schemas); on a newer
// server (pg_dump 15 refuses 16+) tools/schema-describe, the catalog referee of
// tools/lib/compare.sh, left to what pg_dump -s shows (SchemaOf drops the database's own
// properties, large objects, matviews' populated state and extension owners from it, and its
// comments under --no-comments; other options are ignored). Equal schemas give equal text
// either way; a referee that fails makes the text say so (never an empty, equal text).
std::string SchemaOf(const std::string& conninfo,
                     const std::vector<std::string>& pg_dump_options = {});

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
