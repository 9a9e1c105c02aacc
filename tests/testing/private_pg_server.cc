#include "tests/testing/private_pg_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pgark::testing {
namespace {

std::string Quote(const std::string& word) { return absl::StrCat("'", word, "'"); }

}  // namespace

PrivatePgServer::PrivatePgServer(const std::string& settings) {
  char templ[] = "/tmp/pgark-private-pg.XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = templ;
  std::string start = absl::StrCat("PGARK_PG_SETTINGS=", Quote(settings), " ", PGARK_SOURCE_DIR,
                                   "/tools/pg-sandbox start ", Quote(dir_), " >/dev/null");
  if (std::system(start.c_str()) != 0) {
    error_ = absl::StrCat("'", start, "' failed");
    return;
  }
  std::map<std::string, std::string> env;
  std::ifstream in(dir_ + "/env");
  std::string line;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    env[kv.first] = kv.second;
  }
  bindir_ = env["PGARK_PG_BINDIR"];
  base_conninfo_ = absl::StrCat("host=", env["PGHOST"], " port=", env["PGPORT"], " user=", env["PGUSER"]);
}

PrivatePgServer::~PrivatePgServer() {
  if (dir_.empty()) return;
  std::string stop = absl::StrCat(PGARK_SOURCE_DIR, "/tools/pg-sandbox stop ", Quote(dir_), " >/dev/null 2>&1");
  (void)std::system(stop.c_str());
}

std::string PrivatePgServer::Conninfo(const std::string& dbname) const {
  return absl::StrCat(base_conninfo_, " dbname='", dbname, "'");
}

absl::StatusOr<std::unique_ptr<pg::Connection>> PrivatePgServer::Connect(const std::string& dbname) const {
  pg::ConnectOptions options;
  options.connect_timeout_seconds = 5;
  return pg::Connection::Open(Conninfo(dbname), options);
}

bool PrivatePgServer::Restart() {
  // As the data directory's owner, like tools/pg-sandbox (postgres when we are root).
  std::string pg_ctl = absl::StrCat(Quote(bindir_ + "/pg_ctl"), " -D ", Quote(dir_ + "/data"),
                                    " -l ", Quote(dir_ + "/server.log"), " -m fast -w -t 60 restart >/dev/null 2>&1");
  std::string command = getuid() == 0 ? absl::StrCat("runuser -u postgres -- ", pg_ctl) : pg_ctl;
  if (std::system(command.c_str()) != 0) {
    error_ = absl::StrCat("'", command, "' failed");
    return false;
  }
  return true;
}

}  // namespace pgark::testing
