#include "signal/core/strategies.h"

#include <gtest/gtest.h>

namespace tp::signal {
namespace {

using trading::v1::DIRECTION_FLAT;
using trading::v1::DIRECTION_LONG;
using trading::v1::DIRECTION_SHORT;

constexpr int64_t kE8 = 100'000'000;

PricePoint close_only(double c) {
  const int64_t v = static_cast<int64_t>(c * kE8);
  return {v, v, v};
}

std::string error_of(Algorithm a, const std::map<std::string, double>& values) {
  auto r = parse_params(a, "p", values, 100);
  return r ? "" : r.error().message;
}

TEST(StrategyParams, MaTrendValidationTexts) {
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 2}, {"scale", 1}}),
            "preset \"p\": missing value \"slow\"");
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 2}, {"slwo", 5}, {"scale", 1}}),
            "preset \"p\": unknown value \"slwo\" (ma_trend takes fast, slow, scale)");
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 2.5}, {"slow", 5}, {"scale", 1}}),
            "preset \"p\": fast must be an integer in [1, 100], got 2.5");
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 2}, {"slow", 101}, {"scale", 1}}),
            "preset \"p\": slow must be an integer in [2, 100], got 101");
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 10}, {"slow", 10}, {"scale", 1}}),
            "preset \"p\": slow (10) must be greater than fast (10)");
  EXPECT_EQ(error_of(Algorithm::kMaTrend, {{"fast", 1}, {"slow", 10}, {"scale", 0}}),
            "preset \"p\": scale must be a positive finite number, got 0");
  auto ok = parse_params(Algorithm::kMaTrend, "p", {{"fast", 3}, {"slow", 7}, {"scale", 0.5}}, 100);
  ASSERT_TRUE(ok);
  const auto& ma = std::get<MaTrendParams>(*ok);
  EXPECT_EQ(ma.fast, 3);
  EXPECT_EQ(ma.slow, 7);
  EXPECT_EQ(ma.scale, 0.5);
  EXPECT_EQ(bars_needed(*ok), 7u);
}

TEST(StrategyParams, DonchianValidationTexts) {
  EXPECT_EQ(error_of(Algorithm::kDonchian, {{"window", 0}}),
            "preset \"p\": window must be an integer in [1, 100], got 0");
  EXPECT_EQ(error_of(Algorithm::kDonchian, {}), "preset \"p\": missing value \"window\"");
  EXPECT_EQ(error_of(Algorithm::kDonchian, {{"window", 3}, {"fast", 1}}),
            "preset \"p\": unknown value \"fast\" (donchian takes window)");
  auto ok = parse_params(Algorithm::kDonchian, "p", {{"window", 20}}, 100);
  ASSERT_TRUE(ok);
  EXPECT_EQ(bars_needed(*ok), 21u);
  EXPECT_EQ(parse_algorithm("donchian"), Algorithm::kDonchian);
  EXPECT_EQ(parse_algorithm("momentum"), std::nullopt);
}

TEST(MaTrend, WarmUpThenCrossings) {
  const StrategyParams p = MaTrendParams{2, 3, 0.01};
  PriceHistory h{close_only(100), close_only(101)};
  View v = evaluate(p, h, {});
  EXPECT_EQ(v.direction, DIRECTION_FLAT);
  EXPECT_EQ(v.strength, 0.0);
  EXPECT_EQ(v.reason, "warming up: 2 of 3 closes for slow SMA(3)");

  h.push_back(close_only(102));  // fast (101+102)/2 = 101.5, slow 101
  v = evaluate(p, h, v);
  EXPECT_EQ(v.direction, DIRECTION_LONG);
  EXPECT_DOUBLE_EQ(v.strength, 0.5 / 101.0 / 0.01);
  EXPECT_EQ(v.reason, "fast SMA(2) 101.50 > slow SMA(3) 101.00");

  h.push_back(close_only(90));  // fast 96, slow (101+102+90)/3 = 97.666..
  v = evaluate(p, h, v);
  EXPECT_EQ(v.direction, DIRECTION_SHORT);
  EXPECT_EQ(v.strength, 1.0);  // clipped
  EXPECT_EQ(v.reason, "fast SMA(2) 96.00 < slow SMA(3) 97.67");

  PriceHistory flat{close_only(5), close_only(5), close_only(5)};
  v = evaluate(p, flat, v);
  EXPECT_EQ(v.direction, DIRECTION_FLAT);
  EXPECT_EQ(v.reason, "fast SMA(2) 5.00 = slow SMA(3) 5.00");
}

TEST(Donchian, BreakoutHoldAndReverse) {
  const StrategyParams p = DonchianParams{2};
  auto pt = [](double h, double l, double c) {
    return PricePoint{static_cast<int64_t>(h * kE8), static_cast<int64_t>(l * kE8),
                      static_cast<int64_t>(c * kE8)};
  };
  PriceHistory h{pt(101, 99, 100), pt(102, 98, 100)};
  View v = evaluate(p, h, {});
  EXPECT_EQ(v.direction, DIRECTION_FLAT);
  EXPECT_EQ(v.reason, "warming up: 1 of 2 prior bars");

  h.push_back(pt(103, 100, 103.5));  // prior high 102, low 98
  v = evaluate(p, h, v);
  EXPECT_EQ(v.direction, DIRECTION_LONG);
  EXPECT_DOUBLE_EQ(v.strength, 0.375);
  EXPECT_EQ(v.reason, "close 103.50 > prior 2-bar high 102.00");

  h.push_back(pt(104, 101, 102));  // prior: high 103, low 98
  v = evaluate(p, h, v);
  EXPECT_EQ(v.direction, DIRECTION_LONG);
  EXPECT_DOUBLE_EQ(v.strength, 0.375);
  EXPECT_EQ(v.reason, "close 102.00 inside prior 2-bar channel [98.00, 103.00]: holding LONG");

  h.push_back(pt(100, 95, 96));  // prior: high 104, low 100
  v = evaluate(p, h, v);
  EXPECT_EQ(v.direction, DIRECTION_SHORT);
  EXPECT_EQ(v.strength, 1.0);
  EXPECT_EQ(v.reason, "close 96.00 < prior 2-bar low 100.00");
}

}  // namespace
}  // namespace tp::signal
