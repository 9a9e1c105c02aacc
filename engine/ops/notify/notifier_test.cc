#include "engine/ops/notify/notifier.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pgark::ops::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunSummary FailedSummary() {
  RunSummary summary;
  summary.name = "shop";
  summary.file_name = "shop_20240301_020000.pgark";
  summary.root = "file:///backups";
  summary.started = absl::FromUnixSeconds(1709258400);
  summary.finished = summary.started + absl::Seconds(42);
  summary.status = absl::UnavailableError("dump step: connection to server lost");
  summary.failed_step = "dump";
  summary.size_bytes = 3 * 1024 * 1024;
  summary.steps = {{"lock", "ok", 0, 0, ""}, {"dump", "failed", 41.5, 0, "connection to server lost"}};
  return summary;
}

TEST(NotifierPayloadTest, SlackShape) {
  nlohmann::json json = nlohmann::json::parse(SlackPayload(FailedSummary()));
  EXPECT_THAT(json["text"].get<std::string>(), HasSubstr("pgark backup of shop FAILED at dump"));
  ASSERT_TRUE(json["attachments"].is_array());
  EXPECT_EQ(json["attachments"][0]["color"], "#d00000");
  std::string details = json["attachments"][0]["text"];
  EXPECT_THAT(details, HasSubstr("size: 3.0 MiB"));
  EXPECT_THAT(details, HasSubstr("duration: 42.0 s"));
  EXPECT_THAT(details, HasSubstr("error: dump step: connection to server lost"));
}

TEST(NotifierPayloadTest, DiscordShapeRespectsLimits) {
  RunSummary summary = FailedSummary();
  summary.status = absl::UnavailableError(std::string(5000, 'e'));
  nlohmann::json json = nlohmann::json::parse(DiscordPayload(summary));
  EXPECT_EQ(json["username"], "pgark");
  EXPECT_LE(json["content"].get<std::string>().size(), 2000u);
  ASSERT_TRUE(json["embeds"].is_array());
  EXPECT_LE(json["embeds"][0]["description"].get<std::string>().size(), 4096u);
  EXPECT_EQ(json["embeds"][0]["color"], 0xD00000);
  EXPECT_EQ(json["embeds"][0]["title"], "backup of shop: FAILED");
}

TEST(NotifierPayloadTest, EmailHasHeadersAndNoHeaderInjection) {
  RunSummary summary = FailedSummary();
  summary.status = absl::UnavailableError("line one\r\nBcc: victim@example.com");
  std::string message = EmailMessage(summary, "pgark@host", {"a@x", "b@x"}, summary.finished);
  size_t body = message.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  std::string headers = message.substr(0, body);
  EXPECT_THAT(headers, HasSubstr("From: pgark@host\r\nTo: a@x, b@x\r\nSubject: pgark backup of shop FAILED"));
  EXPECT_THAT(headers, HasSubstr("Date: Fri, 01 Mar 2024 02:00:42 +0000"));
  EXPECT_THAT(headers, Not(HasSubstr("\r\nBcc:")));
}

TEST(UrlHostTest, NeverIncludesPathOrCredentials) {
  EXPECT_EQ(UrlHost("https://hooks.slack.com/services/T000/B000/XXXX"), "hooks.slack.com");
  EXPECT_EQ(UrlHost("smtps://user:secret@mail.example:465"), "mail.example:465");
}

}  // namespace
}  // namespace pgark::ops::notify
