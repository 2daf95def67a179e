// Trade statistics, hand-computed.
#include "execsim/core/portfolio_stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

int64_t e8(const char* text) { return fixed::from_string(text).value(); }
constexpr int64_t kMin = 60LL * 1'000'000'000LL;

TEST(PortfolioStats, CombinesSleevesCarryingTheLastValueForward) {
  std::vector<EquityPoint> p = {{0, "a", e8("100"), 0},  {kMin, "a", e8("110"), 1},
                                {kMin, "b", e8("50"), 0}, {2 * kMin, "b", e8("40"), 0}};
  auto s = combine_sleeves(p);
  ASSERT_EQ(s.size(), 2u);  // starts when both sleeves have a point
  EXPECT_EQ(s[0].equity_e8, e8("160"));
  EXPECT_TRUE(s[0].exposed);
  EXPECT_EQ(s[1].equity_e8, e8("150"));  // a carried at 110
  EXPECT_TRUE(s[1].exposed);
}

TEST(PortfolioStats, HandComputedStatistics) {
  StatsInput in;
  // Equity 100, 110, 99, 108.9 on 1-minute bars: returns +10%, -10%, +10%.
  const char* eq[] = {"100", "110", "99", "108.9"};
  for (int i = 0; i < 4; ++i) in.points.push_back({i * kMin, "a", e8(eq[i]), i == 2 ? 0 : e8("1")});
  in.trades = {{e8("12"), e8("10")}, {e8("-4"), e8("-5")}, {e8("1"), e8("0")}, {e8("22"), e8("20")}};
  in.turnover_e8 = e8("417.9");
  in.fees_e8 = e8("3");
  in.fills = 7;
  const auto s = compute_trade_stats(in);
  EXPECT_EQ(s.trades(), 4u);
  EXPECT_EQ(s.wins(), 2u);
  EXPECT_EQ(s.losses(), 1u);  // the break-even trade is neither
  EXPECT_DOUBLE_EQ(s.win_rate(), 0.5);
  EXPECT_EQ(s.average_win_e8(), e8("15"));
  EXPECT_EQ(s.average_loss_e8(), e8("-5"));
  EXPECT_DOUBLE_EQ(s.profit_factor(), 6.0);  // 30 / 5
  EXPECT_EQ(s.realized_pnl_e8(), e8("31"));
  EXPECT_EQ(s.net_pnl_e8(), e8("25"));
  EXPECT_EQ(s.fees_e8(), e8("3"));
  EXPECT_EQ(s.bars(), 4u);
  EXPECT_DOUBLE_EQ(s.periods_per_year(), 525600.0);
  EXPECT_NEAR(s.max_drawdown(), 0.1, 1e-12);  // 110 -> 99
  EXPECT_NEAR(s.total_return(), 0.089, 1e-12);
  EXPECT_DOUBLE_EQ(s.exposure(), 0.75);
  // mean = 0.1/3; sample sd of (0.1, -0.1, 0.1) = sqrt(((2/30)^2 * 2 + (4/30)^2) / 2)
  const double mean = 0.1 / 3, sd = std::sqrt((2 * std::pow(0.2 / 3, 2) + std::pow(0.4 / 3, 2)) / 2);
  const double dd = std::sqrt(0.01 / 3);  // downside: one -10% of three returns
  EXPECT_NEAR(s.sharpe(), mean / sd * std::sqrt(525600.0), 1e-6);
  EXPECT_NEAR(s.sortino(), mean / dd * std::sqrt(525600.0), 1e-6);
  EXPECT_NEAR(s.volatility(), sd * std::sqrt(525600.0), 1e-6);
  EXPECT_NEAR(s.turnover_ratio(), 417.9 / ((100 + 110 + 99 + 108.9) / 4), 1e-9);
}

TEST(PortfolioStats, UndefinedRatiosAreNaN) {
  StatsInput in;
  in.points.push_back({0, "a", e8("100"), 0});
  auto s = compute_trade_stats(in);
  EXPECT_TRUE(std::isnan(s.win_rate()));
  EXPECT_TRUE(std::isnan(s.profit_factor()));
  EXPECT_TRUE(std::isnan(s.sharpe()));
  EXPECT_TRUE(std::isnan(s.sortino()));
  in.trades = {{e8("1"), e8("1")}};
  EXPECT_TRUE(std::isinf(compute_trade_stats(in).profit_factor()));
}

}  // namespace
}  // namespace tp::execsim
