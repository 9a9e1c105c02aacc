#include "engine/ops/notify/notifier.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "format/base/logging.h"
#include "format/base/status_util.h"
#include "nlohmann/json.hpp"

namespace pgark::ops::notify {
namespace {

constexpr int kColorOk = 0x2EB886;
constexpr int kColorFailed = 0xD00000;

std::string Truncate(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  // Cut on a UTF-8 boundary and mark the cut.
  size_t cut = limit - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

class WebhookNotifier : public Notifier {
 public:
  enum class Kind { kSlack, kDiscord, kGeneric };
  WebhookNotifier(Kind kind, std::string url, HttpTransport* http, absl::Duration timeout)
      : kind_(kind), url_(std::move(url)), http_(http), timeout_(timeout) {}
  std::string channel() const override {
    return kind_ == Kind::kSlack ? "slack" : kind_ == Kind::kDiscord ? "discord" : "webhook";
  }
  absl::Status Send(const RunSummary& summary) override {
    std::string body = kind_ == Kind::kSlack     ? SlackPayload(summary)
                       : kind_ == Kind::kDiscord ? DiscordPayload(summary)
                                                 : SummaryToJson(summary);
    return http_->Post(url_, "application/json", body, timeout_);
  }

 private:
  Kind kind_;
  std::string url_;
  HttpTransport* http_;
  absl::Duration timeout_;
};

class EmailNotifier : public Notifier {
 public:
  EmailNotifier(MailEnvelope envelope, MailTransport* mail, absl::Duration timeout)
      : envelope_(std::move(envelope)), mail_(mail), timeout_(timeout) {}
  std::string channel() const override { return "email"; }
  absl::Status Send(const RunSummary& summary) override {
    return mail_->Send(envelope_,
                       EmailMessage(summary, envelope_.from, envelope_.to, absl::Now()), timeout_);
  }

 private:
  MailEnvelope envelope_;
  MailTransport* mail_;
  absl::Duration timeout_;
};

std::string DefaultFrom() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "pgark@localhost";
  return absl::StrCat("pgark@", host);
}

}  // namespace

std::string SlackPayload(const RunSummary& summary) {
  // Slack: "text" is the notification line; the attachment carries the details with a
  // colour bar. Slack caps text around 40k characters.
  nlohmann::json json = {
      {"text", NotificationSubject(summary)},
      {"attachments",
       {{{"color", summary.ok() ? "#2eb886" : "#d00000"},
         {"text", Truncate(absl::StrCat("```", NotificationText(summary), "```"), 30000)}}}}};
  return json.dump();
}

std::string DiscordPayload(const RunSummary& summary) {
  // Discord: "content" is capped at 2000 characters, an embed description at 4096.
  nlohmann::json json = {
      {"username", "pgark"},
      {"content", Truncate(NotificationSubject(summary), 2000)},
      {"embeds",
       {{{"title", Truncate(absl::StrCat("backup of ", summary.name, summary.ok() ? ": ok" : ": FAILED"), 256)},
         {"description", Truncate(absl::StrCat("```\n", NotificationText(summary), "```"), 4096)},
         {"color", summary.ok() ? kColorOk : kColorFailed}}}}};
  return json.dump();
}

std::string EmailMessage(const RunSummary& summary, const std::string& from,
                         const std::vector<std::string>& to, absl::Time date) {
  std::string subject = NotificationSubject(summary);
  // Header values must not contain line breaks (header injection via an error message).
  for (char& c : subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  std::string message = absl::StrCat(
      "From: ", from, "\r\nTo: ", absl::StrJoin(to, ", "), "\r\nSubject: ", Truncate(subject, 200),
      "\r\nDate: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", date, absl::UTCTimeZone()),
      "\r\nMessage-ID: <pgark.", absl::ToUnixNanos(date), ".", getpid(), "@",
      from.substr(from.find('@') + 1),
      ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
  for (absl::string_view line : absl::StrSplit(NotificationText(summary), '\n')) {
    absl::StrAppend(&message, line, "\r\n");
  }
  return message;
}

std::string UrlHost(absl::string_view url) {
  size_t scheme = url.find("://");
  absl::string_view rest = scheme == absl::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

std::vector<std::unique_ptr<Notifier>> MakeNotifiers(const BackupConfig& config,
                                                     HttpTransport* http, MailTransport* mail) {
  std::vector<std::unique_ptr<Notifier>> notifiers;
  absl::Duration timeout = absl::Seconds(config.notify_timeout_seconds);
  using Kind = WebhookNotifier::Kind;
  if (!config.slack_url.empty()) {
    notifiers.push_back(std::make_unique<WebhookNotifier>(Kind::kSlack, config.slack_url, http, timeout));
  }
  if (!config.discord_url.empty()) {
    notifiers.push_back(
        std::make_unique<WebhookNotifier>(Kind::kDiscord, config.discord_url, http, timeout));
  }
  if (!config.webhook_url.empty()) {
    notifiers.push_back(
        std::make_unique<WebhookNotifier>(Kind::kGeneric, config.webhook_url, http, timeout));
  }
  if (!config.email_to.empty() && !config.smtp_url.empty()) {
    MailEnvelope envelope{config.smtp_url, config.smtp_user, config.smtp_password,
                          config.email_from.empty() ? DefaultFrom() : config.email_from,
                          config.email_to, config.smtp_require_tls, config.smtp_ca_file};
    notifiers.push_back(std::make_unique<EmailNotifier>(std::move(envelope), mail, timeout));
  }
  return notifiers;
}

std::vector<NotificationRecord> NotifyAll(const std::vector<std::unique_ptr<Notifier>>& notifiers,
                                          const RunSummary& summary, NotifyOn notify_on) {
  std::vector<NotificationRecord> records;
  if (summary.ok() && notify_on == NotifyOn::kFailure) return records;
  for (const auto& notifier : notifiers) {
    absl::Status status = notifier->Send(summary);
    NotificationRecord record{notifier->channel(), status.ok(), std::string(status.message())};
    if (!status.ok()) {
      PGARK_LOG(kWarning) << "notification via " << record.channel << " failed: " << record.error;
    } else {
      PGARK_LOG(kInfo) << "notification via " << record.channel << " sent";
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace pgark::ops::notify
