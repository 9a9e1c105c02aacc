#include "tests/testing/s3_test_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/storage/http/http_client.h"
#include "nlohmann/json.hpp"

#ifndef PGARK_SOURCE_DIR
#define PGARK_SOURCE_DIR "."
#endif

namespace pgark::testing {

S3TestServer& S3TestServer::Get() {
  static S3TestServer* server = [] {
    auto* s = new S3TestServer();
    std::string error;
    if (!s->Start(&error)) {
      std::fprintf(stderr, "S3 test server: %s\n", error.c_str());
      std::abort();
    }
    // Stop the child when the process exits normally.
    std::atexit([] { delete &Get(); });
    return s;
  }();
  return *server;
}

bool S3TestServer::Start(std::string* error) {
  if (const char* external = std::getenv("PGARK_TEST_S3_ENDPOINT"); external && *external) {
    endpoint_ = external;
    return true;
  }
  std::string source = PGARK_SOURCE_DIR;
  std::string script = source + "/tests/s3/server.js";
  if (!std::filesystem::exists(source + "/tests/s3/node_modules/s3rver")) {
    *error = "tests/s3/node_modules is missing: run `npm ci --prefix tests/s3` (tools/test does)";
    return false;
  }
  char tmpl[] = "/tmp/pgark-s3-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  dir_ = tmpl;
  int fds[2];
  if (pipe(fds) != 0) {
    *error = "pipe failed";
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has in its
    // legacy provider.
    execlp("node", "node", "--openssl-legacy-provider", script.c_str(), dir_.c_str(),
           static_cast<char*>(nullptr));
    std::perror("exec node");
    _exit(127);
  }
  close(fds[1]);
  pid_ = pid;
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fds[0]);
  int port = 0;
  if (!absl::SimpleAtoi(line, &port) || port <= 0) {
    *error = absl::StrCat("node ", script, " did not report a port (is node installed?)");
    return false;
  }
  endpoint_ = absl::StrCat("http://127.0.0.1:", port);
  return true;
}

S3TestServer::~S3TestServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

storage::s3::S3Options S3TestServer::Options() const {
  storage::s3::S3Options o;
  o.access_key_id = "S3RVER";
  o.secret_access_key = "S3RVER";
  o.region = "us-east-1";
  o.endpoint = endpoint_;
  o.addressing = storage::s3::Addressing::kPath;
  o.part_size = 64 << 10;
  o.upload_concurrency = 3;
  o.initial_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(100);
  return o;
}

std::map<std::string, std::string> S3TestServer::Env() const {
  return {{"AWS_ACCESS_KEY_ID", "S3RVER"},
          {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
          {"AWS_REGION", "us-east-1"},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_ENDPOINT_URL", endpoint_},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"PGARK_S3_ADDRESSING", "path"},
          {"PGARK_S3_PART_SIZE", "65536"}};
}

std::string S3TestServer::UniquePrefix() {
  static std::atomic<int> counter{0};
  return absl::StrCat("t-", getpid(), "-", counter++);
}

namespace {

// POSTs `body` to the server's control path `path` ("/__pgark/..."); aborts on failure, as a
// test that cannot set up its server cannot run.
void Control(const std::string& endpoint, const std::string& path, const std::string& body) {
  auto client = storage::http::NewCurlHttpClient({});
  storage::http::HttpRequest request{"POST", endpoint + path, {}, body};
  auto response = client->Send(request);
  if (!response.ok() || response->status != 200) {
    std::fprintf(stderr, "S3 test server: POST %s failed\n", path.c_str());
    std::abort();
  }
}

// `text` percent-encoded for a query value (a match holds spaces: "GET /bucket/key").
std::string QueryValue(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

void S3TestServer::InjectFaults(const std::string& json) { Control(endpoint_, "/__pgark/faults", json); }

void S3TestServer::HoldRequests(const std::string& json) { Control(endpoint_, "/__pgark/hold", json); }

void S3TestServer::ReleaseHeld() { Control(endpoint_, "/__pgark/release", ""); }

std::vector<std::string> S3TestServer::WaitForHeld(const std::string& match, absl::Duration timeout) {
  auto client = storage::http::NewCurlHttpClient({});
  storage::http::HttpRequest request{"GET", endpoint_ + "/__pgark/held?match=" + QueryValue(match), {}, {}};
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto response = client->Send(request);
    if (response.ok() && response->status == 200) {
      auto held = nlohmann::json::parse(response->body).get<std::vector<std::string>>();
      if (!held.empty()) return held;
    }
    if (absl::Now() >= deadline) return {};
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::vector<std::string> S3TestServer::RequestLog(const std::string& match) {
  auto client = storage::http::NewCurlHttpClient({});
  storage::http::HttpRequest request{"GET", endpoint_ + "/__pgark/log?match=" + QueryValue(match), {}, {}};
  auto response = client->Send(request);
  if (!response.ok()) return {};
  return nlohmann::json::parse(response->body).get<std::vector<std::string>>();
}

}  // namespace pgark::testing
