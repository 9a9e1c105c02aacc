#pragma once
// Minimal real servers on 127.0.0.1 for notification tests: an HTTP/1.1 server that records
// each request and answers with a chosen status, and an SMTP server that speaks enough ESMTP
// (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT) for libcurl and records each message.
//
// Each server listens on an ephemeral port from construction and serves connections one at
// a time on its own thread until destroyed. Accessors are thread-safe.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgark::testing {

class LoopbackServer {
 public:
  virtual ~LoopbackServer();
  int port() const { return port_; }

 protected:
  LoopbackServer();
  void Start();  // call from the derived constructor, after its members are set up
  void Stop();   // call from the derived destructor
  virtual void Serve(int fd) = 0;

  // Reads one CRLF-terminated line (without the CRLF); false on EOF/timeout.
  static bool ReadLine(int fd, std::string* buffer, std::string* line);
  static bool ReadExact(int fd, std::string* buffer, size_t n, std::string* out);
  static void WriteAll(int fd, const std::string& data);

 private:
  void Loop();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct HttpRequest {
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
};

class HttpTestServer : public LoopbackServer {
 public:
  // Answers every request with `status` (e.g. 200, 500).
  explicit HttpTestServer(int status = 200);
  ~HttpTestServer() override;
  std::string Url(const std::string& path) const;
  std::vector<HttpRequest> requests() const;

 private:
  void Serve(int fd) override;
  const int status_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

struct SmtpMessage {
  std::string auth_user;      // decoded from AUTH PLAIN/LOGIN, "" if none
  std::string auth_password;
  std::string mail_from;      // the MAIL FROM address, without <>
  std::vector<std::string> rcpt_to;
  std::string data;           // the message as received, dot-unstuffed, CRLF line ends
};

class SmtpTestServer : public LoopbackServer {
 public:
  // With `accept_password` non-empty, logins with another password get 535.
  explicit SmtpTestServer(std::string accept_password = "");
  ~SmtpTestServer() override;
  std::string Url() const;  // smtp://127.0.0.1:<port>
  std::vector<SmtpMessage> messages() const;

 private:
  void Serve(int fd) override;
  const std::string accept_password_;
  mutable std::mutex mu_;
  std::vector<SmtpMessage> messages_;
};

// Decodes standard base64 ("" on malformed input).
std::string DecodeBase64(const std::string& text);

}  // namespace pgark::testing
