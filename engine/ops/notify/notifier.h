#pragma once
// engine/ops/notify: telling people how a backup run went.
//
// Channels: Slack incoming webhook, Discord webhook (each in its own JSON shape), a generic
// webhook (the run's JSON summary as a POST), and e-mail over SMTP/SMTPS. Transports are
// interfaces so unit tests can capture payloads; curl_transport.cc implements them with
// libcurl (the only libcurl user in engine/ops).
//
// Secrets: webhook URLs embed tokens and SMTP URLs may embed passwords. No error message,
// log line or record produced here contains a URL path, user or password: only the channel
// and the host.
//
// A notifier failure never changes the backup's result; NotifyAll() returns one record per
// channel for the summary.
//
// Thread-safety: a Notifier is used by one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/ops/config.h"
#include "engine/ops/run_summary.h"

namespace pgark::ops::notify {

// POSTs bodies over HTTP(S).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body` with `content_type` to `url`. OK only for a 2xx answer. Errors:
  // kUnavailable (network, timeout, 5xx), kPermissionDenied (401/403), kNotFound (404),
  // kInvalidArgument (other 4xx). Messages name the host only.
  virtual absl::Status Post(const std::string& url, absl::string_view content_type,
                            absl::string_view body, absl::Duration timeout) = 0;
};

struct MailEnvelope {
  std::string url;       // smtp://host[:port] or smtps://..., may hold user:password@
  std::string user;      // overrides the URL's user when not empty
  std::string password;  // overrides the URL's password when not empty
  std::string from;
  std::vector<std::string> to;
  bool require_tls = false;  // smtp://: fail unless the server upgrades with STARTTLS
  std::string ca_file;       // "" = system CAs; else the PEM file that signed the server's certificate
};

// Sends one RFC 5322 message through SMTP.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Errors: kUnavailable (connection, timeout, 4xx replies), kUnauthenticated (login
  // rejected), kInvalidArgument (recipient refused). Messages name the host only.
  virtual absl::Status Send(const MailEnvelope& envelope, absl::string_view message,
                            absl::Duration timeout) = 0;
};

// libcurl implementations (curl_transport.cc).
std::unique_ptr<HttpTransport> NewCurlHttpTransport();
std::unique_ptr<MailTransport> NewCurlMailTransport();

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual std::string channel() const = 0;  // "slack", "discord", "webhook", "email"
  virtual absl::Status Send(const RunSummary& summary) = 0;
};

// Payload builders (exposed for tests).
std::string SlackPayload(const RunSummary& summary);
std::string DiscordPayload(const RunSummary& summary);
// The e-mail: headers (From, To, Subject, Date, Message-ID, MIME) and the text body, CRLF
// line ends, dot-safe is left to the transport.
std::string EmailMessage(const RunSummary& summary, const std::string& from,
                         const std::vector<std::string>& to, absl::Time date);

// The host of a URL, for messages ("hooks.slack.com"); never the path or user info.
std::string UrlHost(absl::string_view url);

// The notifiers `config` asks for. The transports must outlive the notifiers.
std::vector<std::unique_ptr<Notifier>> MakeNotifiers(const BackupConfig& config,
                                                     HttpTransport* http, MailTransport* mail);

// Sends to every notifier when `summary` failed, or always with NotifyOn::kAlways. Logs each
// failure as a warning and returns one record per channel tried.
std::vector<NotificationRecord> NotifyAll(const std::vector<std::unique_ptr<Notifier>>& notifiers,
                                          const RunSummary& summary, NotifyOn notify_on);

}  // namespace pgark::ops::notify
