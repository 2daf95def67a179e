// Risk statistics of an equity series (docs/services/tradectl.md,
// "Summary formulas").
//
//   auto p = tp::tradectl::compute_performance(equity_e8_per_bar);
//   // p.sharpe = mean(r) / stdev(r) * sqrt(525600), r_t = E_t / E_(t-1) - 1
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tp::tradectl {

// One-minute bars per year (365 days): the annualisation factor is its root.
inline constexpr double kMinuteBarsPerYear = 525'600.0;

struct Performance {
  size_t bars = 0;             // points of the series
  double total_return = 0.0;   // E_last / E_first - 1
  // Annualised Sharpe ratio of per-bar simple returns (risk-free rate 0,
  // sample standard deviation). Empty with fewer than two returns, a zero
  // standard deviation, or a non-positive equity.
  std::optional<double> sharpe;
  // Largest peak-to-trough fall relative to the running peak, in [0, 1].
  double max_drawdown = 0.0;
};

Performance compute_performance(std::span<const int64_t> equity_e8,
                                double periods_per_year = kMinuteBarsPerYear);

}  // namespace tp::tradectl

namespace tp::tradectl {

// One sleeve's equity after one bar (execsim_position_history).
struct EquityPoint {
  int64_t bar_time_ns = 0;
  std::string sleeve;  // e.g. the strategy id
  int64_t equity_e8 = 0;
};

// The instrument's total equity per bar: the sum over sleeves, each carried
// forward from its last point, starting at the first bar where every sleeve
// has a point. `points` must be sorted by bar_time_ns.
std::vector<int64_t> combined_equity(std::span<const EquityPoint> points);

}  // namespace tp::tradectl
