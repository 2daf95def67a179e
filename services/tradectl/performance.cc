#include "performance.h"

#include <algorithm>
#include <cmath>

namespace tp::tradectl {

Performance compute_performance(std::span<const int64_t> equity, double periods_per_year) {
  Performance p;
  p.bars = equity.size();
  if (equity.empty()) return p;
  bool positive = std::all_of(equity.begin(), equity.end(), [](int64_t e) { return e > 0; });

  double peak = static_cast<double>(equity[0]);
  for (int64_t e : equity) {
    const double v = static_cast<double>(e);
    peak = std::max(peak, v);
    if (peak > 0) p.max_drawdown = std::max(p.max_drawdown, (peak - v) / peak);
  }
  if (!positive) return p;
  p.total_return = static_cast<double>(equity.back()) / static_cast<double>(equity.front()) - 1.0;
  const size_t n = equity.size() - 1;  // returns
  if (n < 2) return p;
  double mean = 0.0;
  for (size_t i = 1; i < equity.size(); ++i)
    mean += static_cast<double>(equity[i]) / static_cast<double>(equity[i - 1]) - 1.0;
  mean /= static_cast<double>(n);
  double ss = 0.0;
  for (size_t i = 1; i < equity.size(); ++i) {
    const double r = static_cast<double>(equity[i]) / static_cast<double>(equity[i - 1]) - 1.0;
    ss += (r - mean) * (r - mean);
  }
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  if (sd > 0) p.sharpe = mean / sd * std::sqrt(periods_per_year);
  return p;
}

}  // namespace tp::tradectl

#include <map>
#include <set>

namespace tp::tradectl {

std::vector<int64_t> combined_equity(std::span<const EquityPoint> points) {
  std::set<std::string> sleeves;
  for (const auto& p : points) sleeves.insert(p.sleeve);
  std::map<std::string, int64_t> last;
  std::vector<int64_t> out;
  size_t i = 0;
  while (i < points.size()) {
    const int64_t t = points[i].bar_time_ns;
    for (; i < points.size() && points[i].bar_time_ns == t; ++i) last[points[i].sleeve] = points[i].equity_e8;
    if (last.size() < sleeves.size()) continue;
    int64_t total = 0;
    for (const auto& [sleeve, e] : last) total += e;
    out.push_back(total);
  }
  return out;
}

}  // namespace tp::tradectl
