#pragma once
// A PostgreSQL server of one test's own (tools/pg-sandbox in a temp directory), for faults
// that would disturb every other test on the shared server: restarting it mid-restore.
//
// Thread-compatible. The destructor stops the server and removes its directory.

#include <memory>
#include <string>

#include "engine/pg/connection.h"

namespace pgark::testing {

class PrivatePgServer {
 public:
  // Starts the server with extra postgresql.conf lines `settings` ("name = value\n...");
  // ok() says whether it runs (error() says why not).
  explicit PrivatePgServer(const std::string& settings = "");
  ~PrivatePgServer();
  PrivatePgServer(const PrivatePgServer&) = delete;
  PrivatePgServer& operator=(const PrivatePgServer&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Conninfo for `dbname` on this server.
  std::string Conninfo(const std::string& dbname) const;
  // A connection to `dbname`; an error status if the server is down.
  absl::StatusOr<std::unique_ptr<pg::Connection>> Connect(const std::string& dbname) const;
  // pg_ctl restart -m fast on the same port: every session is terminated. Blocks until the
  // server accepts connections again. Returns false (with error()) if it does not.
  bool Restart();

 private:
  std::string dir_, bindir_, base_conninfo_, error_;
};

}  // namespace pgark::testing
