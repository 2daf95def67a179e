#include "tp/observability/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tp/core/clock.h"

namespace tp::log {
namespace {

// 2024-05-01T12:34:56.789012345Z
constexpr int64_t kTs = 1'714'566'896'789'012'345;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    init("decision", Level::kInfo, sink_, &clock_);
  }
  void TearDown() override { init("", Level::kInfo); }  // back to stderr

  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  ManualClock clock_{kTs};
};

TEST_F(LogTest, WritesOneExactJsonObjectPerLine) {
  const std::string id = "bar-BTCUSD-1714566896";
  info("order accepted", {{"correlation_id", id},
                          {"qty", "0.5"},
                          {"attempt", 2},
                          {"seq", uint64_t{18446744073709551615u}},
                          {"ratio", 0.25},
                          {"paper", true}});
  clock_.advance_ns(1'000);
  warn("slow handler");
  EXPECT_EQ(out_.str(),
            R"({"ts":"2024-05-01T12:34:56.789012Z","level":"info","service":"decision",)"
            R"("msg":"order accepted","correlation_id":"bar-BTCUSD-1714566896","qty":"0.5",)"
            R"("attempt":2,"seq":18446744073709551615,"ratio":0.25,"paper":true})"
            "\n"
            R"({"ts":"2024-05-01T12:34:56.789013Z","level":"warn","service":"decision",)"
            R"("msg":"slow handler"})"
            "\n");
}

TEST_F(LogTest, EscapesQuotesNewlinesAndControlCharacters) {
  error("bad \"input\"\nline two", {{"path", "C:\\tmp\\x"}, {"raw", std::string_view("a\tb\x01", 4)},
                                     {"we\"ird key", "v"}});
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            R"({"ts":"2024-05-01T12:34:56.789012Z","level":"error","service":"decision",)"
            R"("msg":"bad \"input\"\nline two","path":"C:\\tmp\\x","raw":"a\tb\u0001",)"
            R"("we\"ird key":"v"})");
  const auto parsed = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(parsed["msg"], "bad \"input\"\nline two");
  EXPECT_EQ(parsed["path"], "C:\\tmp\\x");
}

TEST_F(LogTest, InvalidUtf8IsReplacedNotDropped) {
  info("bytes", {{"payload", std::string_view("ok\xff\xfe", 4)}});
  const auto parsed = nlohmann::json::parse(lines_of(out_.str()).at(0));
  EXPECT_EQ(parsed["payload"], "ok\xEF\xBF\xBD\xEF\xBF\xBD");  // two U+FFFD
}

TEST_F(LogTest, CallerFieldsCannotOverwriteTheEnvelope) {
  info("hello", {{"msg", "spoof"}, {"level", "critical"}, {"ts", 0}, {"service", "other"}});
  EXPECT_EQ(lines_of(out_.str()).at(0),
            R"({"ts":"2024-05-01T12:34:56.789012Z","level":"info","service":"decision",)"
            R"("msg":"hello","field_msg":"spoof","field_level":"critical","field_ts":0,)"
            R"("field_service":"other"})");
}

TEST_F(LogTest, NonFiniteNumbersBecomeNull) {
  info("nan", {{"x", std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_EQ(nlohmann::json::parse(lines_of(out_.str()).at(0))["x"], nullptr);
}

TEST_F(LogTest, LevelFiltersLines) {
  debug("hidden");
  set_level(Level::kDebug);
  EXPECT_TRUE(enabled(Level::kDebug));
  EXPECT_FALSE(enabled(Level::kTrace));
  debug("shown");
  trace("hidden too");
  set_level(Level::kOff);
  critical("even this is off");
  EXPECT_FALSE(enabled(Level::kCritical));
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "shown");
  EXPECT_EQ(nlohmann::json::parse(lines[0])["level"], "debug");
}

TEST_F(LogTest, LinesFromManyThreadsNeverInterleave) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        info("tick", {{"thread", t}, {"i", i}, {"pad", std::string(100, 'x')}});
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::pair<int, int>> seen;
  for (const auto& line : lines) {
    const auto parsed = nlohmann::json::parse(line);  // throws (fails) on a torn line
    EXPECT_EQ(parsed["service"], "decision");
    seen.emplace(parsed["thread"].get<int>(), parsed["i"].get<int>());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(LogFormatTest, TimestampIsRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(kTs), "2024-05-01T12:34:56.789012Z");
  EXPECT_EQ(format_timestamp(951'782'400'000'001'000), "2000-02-29T00:00:00.000001Z");
  EXPECT_EQ(format_timestamp(-1'000), "1969-12-31T23:59:59.999999Z");
}

TEST(LogFormatTest, RenderLineMatchesWhatTheLoggerWrites) {
  EXPECT_EQ(render_line(0, Level::kCritical, "svc", "m", {{"k", -3}}),
            R"({"ts":"1970-01-01T00:00:00.000000Z","level":"critical","service":"svc",)"
            R"("msg":"m","k":-3})");
}

TEST(LogLevelTest, ParsesConfigNames) {
  EXPECT_EQ(parse_level("warn").value(), Level::kWarn);
  EXPECT_EQ(parse_level("off").value(), Level::kOff);
  EXPECT_EQ(to_string(Level::kError), "error");
  const auto bad = parse_level("verbose");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().to_string(),
            "invalid_argument: unknown log level 'verbose' (expected trace, debug, info, warn, "
            "error, critical or off)");
}

}  // namespace
}  // namespace tp::log
