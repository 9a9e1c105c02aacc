#pragma once
// The S3-compatible server S3 integration tests talk to: tests/s3/server.js (s3rver behind
// a SigV4-verifying, fault-injecting proxy) started on a free 127.0.0.1 port with a temp
// directory, once per test process, and stopped when the process exits. Bucket
// "pgark-test" exists; credentials are S3RVER/S3RVER. Tests isolate themselves by key
// prefix (UniquePrefix()), so processes may share nothing and run in parallel.
//
// PGARK_TEST_S3_ENDPOINT points the tests at an already running server instead.
// If node or tests/s3/node_modules is missing, Get() aborts the program with a message
// (tools/test installs it with `npm ci --prefix tests/s3`): S3 tests never skip silently.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/storage/s3/s3_options.h"

namespace pgark::testing {

class S3TestServer {
 public:
  static S3TestServer& Get();
  ~S3TestServer();

  const std::string& endpoint() const { return endpoint_; }  // "http://127.0.0.1:PORT"
  static constexpr const char* kBucket = "pgark-test";
  // Options reaching the server: path-style, test credentials, 64 KiB parts, fast retries.
  storage::s3::S3Options Options() const;
  // Environment for `aws` and `pgark` subprocesses (credentials, region, endpoint, part size).
  std::map<std::string, std::string> Env() const;
  // A key prefix unique to this process and call ("t-<pid>-<n>").
  static std::string UniquePrefix();

  // Adds faults (see tests/s3/server.js), e.g.
  // R"([{"match":"partNumber=2","status":503,"code":"SlowDown","times":1}])".
  void InjectFaults(const std::string& json);
  // Request log lines "METHOD URL STATUS" containing `match`.
  std::vector<std::string> RequestLog(const std::string& match);

  // Holds requests unanswered until ReleaseHeld() (see tests/s3/server.js), e.g. the next
  // ranged GET of a key that starts at byte 4096:
  // R"([{"match":"GET /pgark-test/t-1-0/a.pgark","range_start":4096,"times":1}])".
  // A held request is not in RequestLog() until it is released and answered.
  void HoldRequests(const std::string& json);
  // The requests held so far ("METHOD URL bytes=A-B") containing `match`, once there is at
  // least one, polling every 10 ms; empty if none was held within `timeout`.
  std::vector<std::string> WaitForHeld(const std::string& match, absl::Duration timeout);
  // Forwards every held request whose client is still connected to the server.
  void ReleaseHeld();

 private:
  S3TestServer() = default;
  bool Start(std::string* error);

  std::string endpoint_;
  std::string dir_;
  int pid_ = -1;
};

}  // namespace pgark::testing
