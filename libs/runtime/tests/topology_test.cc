#include "tp/runtime/topology.h"

#include <gtest/gtest.h>

#include "tp/signing/key_ring.h"

namespace tp::runtime {
namespace {

constexpr int64_t kT = 1'677'628'800LL * kNanosPerSecond;  // 2023-03-01 00:00 UTC

TEST(Topology, SubjectsFollowTheDocumentedHierarchy) {
  EXPECT_EQ(subjects::bar("binance-us", "BTCUSDT", "1m"), "md.bar.binance-us.BTCUSDT.1m");
  EXPECT_EQ(subjects::regime("binance-us", "BTCUSDT", "1m"), "regime.binance-us.BTCUSDT.1m");
  EXPECT_EQ(subjects::param_choice("ma_trend", "BTCUSDT"), "params.choice.ma_trend.BTCUSDT");
  EXPECT_EQ(subjects::param_outcome("ma_trend", "BTCUSDT"), "params.outcome.ma_trend.BTCUSDT");
  EXPECT_EQ(subjects::signal("donchian", "BTCUSDC"), "sig.donchian.BTCUSDC");
  EXPECT_EQ(subjects::order_intent("BTCUSDT"), "orders.intent.BTCUSDT");
  EXPECT_EQ(subjects::order_reject("BTCUSDT"), "orders.reject.BTCUSDT");
  EXPECT_EQ(subjects::exec_report("BTCUSDT"), "exec.report.BTCUSDT");
  EXPECT_EQ(subjects::exec_position("BTCUSDT"), "exec.position.BTCUSDT");
}

TEST(Topology, IdsAreDeterministicPerBar) {
  EXPECT_EQ(ids::bar("binance-us", "BTCUSDT", "1m", kT), "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(ids::signal("ma_trend", "binance-us", "BTCUSDT", kT + 60 * kNanosPerSecond),
            "sig:ma_trend:binance-us:BTCUSDT:1677628860");
  EXPECT_EQ(ids::client_order("ma_trend", "binance-us", "BTCUSDT", kT),
            "ma_trend-binance-us-BTCUSDT-1677628800");
  EXPECT_EQ(ids::exec_report("ma_trend-binance-us-BTCUSDT-1677628800", 2),
            "exec:ma_trend-binance-us-BTCUSDT-1677628800:2");
  EXPECT_EQ(ids::outcome("d-17"), "outcome:d-17");
}

TEST(Topology, EveryStreamCapturesItsSubjectsAndNoOther) {
  auto streams = topology::streams();
  ASSERT_EQ(streams.size(), 8u);
  auto owner = [&](const std::string& subject) {
    std::string found;
    for (const auto& s : streams)
      for (const auto& p : s.subjects)
        if (signing::subject_matches(p, subject)) {
          EXPECT_TRUE(found.empty()) << subject << " captured twice";
          found = s.name;
        }
    return found;
  };
  EXPECT_EQ(owner(subjects::bar("v", "S", "1m")), "MD");
  EXPECT_EQ(owner(subjects::regime("v", "S", "1m")), "REGIME");
  EXPECT_EQ(owner(subjects::param_outcome("x", "S")), "PARAMS");
  EXPECT_EQ(owner(subjects::signal("x", "S")), "SIG");
  EXPECT_EQ(owner(subjects::order_cancel("S")), "ORDERS");
  EXPECT_EQ(owner(subjects::exec_position("S")), "EXEC");
  EXPECT_EQ(owner(std::string(subjects::kKillSwitch)), "CTL");
  EXPECT_EQ(owner("dlq.MD.signal-bars"), "DLQ");
  for (const auto& s : streams) EXPECT_EQ(s.duplicate_window_ns, 120 * kNanosPerSecond);
}

TEST(Topology, SubjectTokensRejectWildcardsAndSeparators) {
  EXPECT_TRUE(valid_subject_token("BTCUSDT"));
  EXPECT_TRUE(valid_subject_token("binance-us"));
  EXPECT_FALSE(valid_subject_token(""));
  EXPECT_FALSE(valid_subject_token("BTC.USDT"));
  EXPECT_FALSE(valid_subject_token("BTC*"));
  EXPECT_FALSE(valid_subject_token(">"));
  EXPECT_FALSE(valid_subject_token("BTC USDT"));
}

}  // namespace
}  // namespace tp::runtime
