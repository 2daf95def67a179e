// Connect-with-retry against a loopback port nobody listens on: real libpq,
// no server, and an injected sleep so the test does not wait.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tp/store/database.h"
#include "tp/testing/free_port.h"

namespace tp::store {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct Recorder {
  std::vector<milliseconds> sleeps;
  SleepFunction function() {
    return [this](milliseconds d) { sleeps.push_back(d); };
  }
};

std::string closed_port_conninfo(std::string extra = "") {
  return "host=127.0.0.1 port=" + std::to_string(testing::free_loopback_port()) +
         " user=tp dbname=nothing" + extra;
}

TEST(DatabaseRetryTest, GivesUpAfterMaxAttemptsWithBackoffAndTheLastError) {
  Recorder recorder;
  const std::string conninfo = closed_port_conninfo();
  auto db = Database::connect({.connection_string = conninfo,
                               .retry = {.max_attempts = 4,
                                         .initial_backoff = milliseconds(100),
                                         .max_backoff = milliseconds(250),
                                         .multiplier = 2.0},
                               .sleep = recorder.function()});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(db.error().message,
              StartsWith("cannot connect to PostgreSQL at " + conninfo + " after 4 attempts: "));
  EXPECT_THAT(db.error().message, HasSubstr("Connection refused"));
  EXPECT_THAT(recorder.sleeps, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(250)));
}

TEST(DatabaseRetryTest, OneAttemptMeansNoSleep) {
  Recorder recorder;
  auto db = Database::connect({.connection_string = closed_port_conninfo(),
                               .retry = {.max_attempts = 1},
                               .sleep = recorder.function()});
  ASSERT_FALSE(db);
  EXPECT_THAT(db.error().message, HasSubstr(" after 1 attempt: "));
  EXPECT_THAT(recorder.sleeps, IsEmpty());
}

TEST(DatabaseRetryTest, AMalformedConnectionStringIsNotRetried) {
  Recorder recorder;
  const std::string conninfo = closed_port_conninfo(" no_such_option=1");
  auto db = Database::connect({.connection_string = conninfo, .sleep = recorder.function()});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().to_string(), "invalid_argument: cannot connect to PostgreSQL at " +
                                        conninfo + ": invalid connection option \"no_such_option\"");
  EXPECT_THAT(recorder.sleeps, IsEmpty());
}

TEST(DatabaseRetryTest, PasswordsNeverAppearInErrors) {
  Recorder recorder;
  uint16_t port = testing::free_loopback_port();
  auto keyword = Database::connect(
      {.connection_string = "host=127.0.0.1 port=" + std::to_string(port) +
                            " user=tp password='hunter 2' dbname=x",
       .retry = {.max_attempts = 1},
       .sleep = recorder.function()});
  ASSERT_FALSE(keyword);
  EXPECT_THAT(keyword.error().message, Not(HasSubstr("hunter")));
  EXPECT_THAT(keyword.error().message,
              StartsWith("cannot connect to PostgreSQL at host=127.0.0.1 port=" +
                         std::to_string(port) + " user=tp password=*** dbname=x after 1 attempt: "));

  auto uri = Database::connect(
      {.connection_string = "postgresql://tp:hunter2@127.0.0.1:" + std::to_string(port) + "/x",
       .retry = {.max_attempts = 1},
       .sleep = recorder.function()});
  ASSERT_FALSE(uri);
  EXPECT_THAT(uri.error().message, Not(HasSubstr("hunter")));
  EXPECT_THAT(uri.error().message,
              StartsWith("cannot connect to PostgreSQL at postgresql://tp:***@127.0.0.1:" +
                         std::to_string(port) + "/x after 1 attempt: "));
}

TEST(DatabaseRetryTest, RejectsAnInvalidPolicy) {
  auto zero = Database::connect({.connection_string = "host=127.0.0.1", .retry = {.max_attempts = 0}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().to_string(), "invalid_argument: retry.max_attempts must be at least 1, got 0");

  auto inverted = Database::connect(
      {.connection_string = "host=127.0.0.1",
       .retry = {.initial_backoff = milliseconds(500), .max_backoff = milliseconds(100)}});
  ASSERT_FALSE(inverted);
  EXPECT_EQ(inverted.error().to_string(),
            "invalid_argument: retry backoff must satisfy 0 <= initial_backoff <= max_backoff, "
            "got 500 ms and 100 ms");
}

}  // namespace
}  // namespace tp::store
