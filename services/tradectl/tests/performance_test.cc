#include "performance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tp::tradectl {
namespace {

constexpr int64_t k = 100'000'000;  // 1.0 in e8

TEST(Performance, SharpeAndDrawdownOfAKnownSeries) {
  // Equity 100, 110, 99, 108.9: returns +10%, -10%, +10%.
  const std::vector<int64_t> e = {100 * k, 110 * k, 99 * k, 10890 * k / 100};
  auto p = compute_performance(e);
  EXPECT_EQ(p.bars, 4u);
  EXPECT_NEAR(p.total_return, 0.089, 1e-12);
  // mean = 0.1/3, sample sd = sqrt(((2/30)^2*2 + (4/30)^2)/2) = 0.11547005...
  const double mean = 0.1 / 3.0;
  const double sd = std::sqrt((2 * std::pow(0.2 / 3.0, 2) + std::pow(0.4 / 3.0, 2)) / 2.0);
  ASSERT_TRUE(p.sharpe);
  EXPECT_NEAR(*p.sharpe, mean / sd * std::sqrt(525600.0), 1e-9);
  EXPECT_NEAR(*p.sharpe, 0.28867513459481287 * std::sqrt(525600.0), 1e-9);
  EXPECT_NEAR(p.max_drawdown, 0.1, 1e-12);  // 110 -> 99
}

TEST(Performance, UndefinedSharpe) {
  EXPECT_FALSE(compute_performance(std::vector<int64_t>{}).sharpe);
  EXPECT_FALSE(compute_performance(std::vector<int64_t>{k, 2 * k}).sharpe);  // one return
  EXPECT_FALSE(compute_performance(std::vector<int64_t>{k, k, k}).sharpe);   // zero sd
  auto p = compute_performance(std::vector<int64_t>{k, 0, k});               // non-positive
  EXPECT_FALSE(p.sharpe);
  EXPECT_DOUBLE_EQ(p.max_drawdown, 1.0);
}

TEST(Performance, CombinedEquityCarriesSleevesForward) {
  std::vector<EquityPoint> pts = {
      {1, "a", 10}, {2, "a", 11}, {2, "b", 20}, {3, "b", 21}, {4, "a", 12}, {4, "b", 22}};
  // t=1: only a -> skipped; t=2: 11+20; t=3: 11 (carried) + 21; t=4: 12+22
  EXPECT_EQ(combined_equity(pts), (std::vector<int64_t>{31, 32, 34}));
}

}  // namespace
}  // namespace tp::tradectl
