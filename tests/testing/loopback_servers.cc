#include "tests/testing/loopback_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pgark::testing {

LoopbackServer::LoopbackServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 16) != 0) {
    std::cerr << "loopback server: cannot listen: " << strerror(errno) << "\n";
    abort();
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

LoopbackServer::~LoopbackServer() {
  if (listen_fd_ >= 0) close(listen_fd_);
}

void LoopbackServer::Start() { thread_ = std::thread([this] { Loop(); }); }

void LoopbackServer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void LoopbackServer::Loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    Serve(fd);
    close(fd);
  }
}

bool LoopbackServer::ReadLine(int fd, std::string* buffer, std::string* line) {
  while (true) {
    size_t end = buffer->find("\r\n");
    if (end != std::string::npos) {
      *line = buffer->substr(0, end);
      buffer->erase(0, end + 2);
      return true;
    }
    char chunk[4096];
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(got));
  }
}

bool LoopbackServer::ReadExact(int fd, std::string* buffer, size_t n, std::string* out) {
  while (buffer->size() < n) {
    char chunk[4096];
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(got));
  }
  *out = buffer->substr(0, n);
  buffer->erase(0, n);
  return true;
}

void LoopbackServer::WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t wrote = write(fd, data.data() + done, data.size() - done);
    if (wrote <= 0) return;
    done += static_cast<size_t>(wrote);
  }
}

HttpTestServer::HttpTestServer(int status) : status_(status) { Start(); }
HttpTestServer::~HttpTestServer() { Stop(); }

std::string HttpTestServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port(), path);
}

std::vector<HttpRequest> HttpTestServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void HttpTestServer::Serve(int fd) {
  std::string buffer, line;
  if (!ReadLine(fd, &buffer, &line)) return;
  HttpRequest request;
  size_t space = line.find(' ');
  request.method = line.substr(0, space);
  request.path = line.substr(space + 1, line.rfind(' ') - space - 1);
  size_t length = 0;
  while (ReadLine(fd, &buffer, &line) && !line.empty()) {
    std::string lower = absl::AsciiStrToLower(line);
    if (absl::StartsWith(lower, "content-length:")) {
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(lower.substr(15)), &length)) length = 0;
    } else if (absl::StartsWith(lower, "content-type:")) {
      request.content_type = std::string(absl::StripAsciiWhitespace(line.substr(13)));
    } else if (lower == "expect: 100-continue") {
      WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
  }
  if (!ReadExact(fd, &buffer, length, &request.body)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
  }
  WriteAll(fd, absl::StrCat("HTTP/1.1 ", status_, " Test\r\nContent-Length: 2\r\n"
                            "Connection: close\r\n\r\nok"));
}

SmtpTestServer::SmtpTestServer(std::string accept_password)
    : accept_password_(std::move(accept_password)) {
  Start();
}
SmtpTestServer::~SmtpTestServer() { Stop(); }

std::string SmtpTestServer::Url() const { return absl::StrCat("smtp://127.0.0.1:", port()); }

std::vector<SmtpMessage> SmtpTestServer::messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

void SmtpTestServer::Serve(int fd) {
  std::string buffer, line;
  SmtpMessage message;
  WriteAll(fd, "220 127.0.0.1 ESMTP pgark-test\r\n");
  auto check_login = [&]() {
    if (!accept_password_.empty() && message.auth_password != accept_password_) {
      WriteAll(fd, "535 5.7.8 authentication failed\r\n");
    } else {
      WriteAll(fd, "235 2.7.0 authenticated\r\n");
    }
  };
  while (ReadLine(fd, &buffer, &line)) {
    std::string upper = absl::AsciiStrToUpper(line);
    if (absl::StartsWith(upper, "EHLO")) {
      WriteAll(fd, "250-127.0.0.1\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n");
    } else if (absl::StartsWith(upper, "HELO")) {
      WriteAll(fd, "250 127.0.0.1\r\n");
    } else if (absl::StartsWith(upper, "AUTH PLAIN")) {
      std::string encoded = line.size() > 11 ? line.substr(11) : "";
      if (encoded.empty()) {
        WriteAll(fd, "334 \r\n");
        if (!ReadLine(fd, &buffer, &encoded)) return;
      }
      // authzid \0 authcid \0 password
      std::string decoded = DecodeBase64(encoded);
      size_t first = decoded.find('\0');
      size_t second = decoded.find('\0', first + 1);
      if (first != std::string::npos && second != std::string::npos) {
        message.auth_user = decoded.substr(first + 1, second - first - 1);
        message.auth_password = decoded.substr(second + 1);
      }
      check_login();
    } else if (absl::StartsWith(upper, "AUTH LOGIN")) {
      std::string user, password;
      if (line.size() > 11) {
        user = line.substr(11);
      } else {
        WriteAll(fd, "334 VXNlcm5hbWU6\r\n");
        if (!ReadLine(fd, &buffer, &user)) return;
      }
      WriteAll(fd, "334 UGFzc3dvcmQ6\r\n");
      if (!ReadLine(fd, &buffer, &password)) return;
      message.auth_user = DecodeBase64(user);
      message.auth_password = DecodeBase64(password);
      check_login();
    } else if (absl::StartsWith(upper, "MAIL FROM:")) {
      std::string from = line.substr(10);
      message.mail_from = from.substr(from.find('<') + 1, from.find('>') - from.find('<') - 1);
      WriteAll(fd, "250 2.1.0 ok\r\n");
    } else if (absl::StartsWith(upper, "RCPT TO:")) {
      std::string to = line.substr(8);
      message.rcpt_to.push_back(to.substr(to.find('<') + 1, to.find('>') - to.find('<') - 1));
      WriteAll(fd, "250 2.1.5 ok\r\n");
    } else if (upper == "DATA") {
      WriteAll(fd, "354 end with <CRLF>.<CRLF>\r\n");
      while (ReadLine(fd, &buffer, &line) && line != ".") {
        if (absl::StartsWith(line, "..")) line.erase(0, 1);
        absl::StrAppend(&message.data, line, "\r\n");
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        messages_.push_back(message);
      }
      message.data.clear();
      message.rcpt_to.clear();
      WriteAll(fd, "250 2.0.0 queued\r\n");
    } else if (upper == "QUIT") {
      WriteAll(fd, "221 2.0.0 bye\r\n");
      return;
    } else if (upper == "RSET" || upper == "NOOP") {
      WriteAll(fd, "250 ok\r\n");
    } else {
      WriteAll(fd, "502 5.5.2 not implemented\r\n");
    }
  }
}

std::string DecodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    size_t value = kAlphabet.find(c);
    if (value == std::string::npos) return "";
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace pgark::testing
