#include "execsim/core/portfolio_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "execsim/core/book.h"

namespace tp::execsim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kYearNs = 365.0 * 86'400.0 * 1e9;
}  // namespace

std::vector<SeriesPoint> combine_sleeves(const std::vector<EquityPoint>& points) {
  std::set<std::string> sleeves;
  for (const auto& p : points) sleeves.insert(p.sleeve);
  std::map<std::string, std::pair<int64_t, int64_t>> last;  // equity, quantity
  std::vector<SeriesPoint> out;
  size_t i = 0;
  while (i < points.size()) {
    const int64_t t = points[i].t_ns;
    for (; i < points.size() && points[i].t_ns == t; ++i)
      last[points[i].sleeve] = {points[i].equity_e8, points[i].quantity_e8};
    if (last.size() < sleeves.size()) continue;
    SeriesPoint s{t, 0, false};
    for (const auto& [sleeve, v] : last) {
      s.equity_e8 += v.first;
      s.exposed = s.exposed || v.second != 0;
    }
    out.push_back(s);
  }
  return out;
}

double periods_per_year(const std::vector<SeriesPoint>& series) {
  if (series.size() < 2) return 0;
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < series.size(); ++i) gaps.push_back(series[i].t_ns - series[i - 1].t_ns);
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  const int64_t median = gaps[gaps.size() / 2];
  return median > 0 ? kYearNs / static_cast<double>(median) : 0;
}

trading::v1::TradeStats compute_trade_stats(const StatsInput& in) {
  trading::v1::TradeStats s;
  // Trades.
  int64_t gross_profit = 0, gross_loss = 0, realized = 0, net = 0;
  uint64_t wins = 0, losses = 0;
  for (const auto& t : in.trades) {
    realized += t.gross_pnl_e8;
    net += t.net_pnl_e8;
    if (t.net_pnl_e8 > 0) {
      ++wins;
      gross_profit += t.net_pnl_e8;
    } else if (t.net_pnl_e8 < 0) {
      ++losses;
      gross_loss += t.net_pnl_e8;
    }
  }
  s.set_trades(in.trades.size());
  s.set_wins(wins);
  s.set_losses(losses);
  s.set_win_rate(in.trades.empty() ? kNaN
                                   : static_cast<double>(wins) / static_cast<double>(in.trades.size()));
  s.set_average_win_e8(wins ? mul_div(gross_profit, 1, static_cast<int64_t>(wins)) : 0);
  s.set_average_loss_e8(losses ? mul_div(gross_loss, 1, static_cast<int64_t>(losses)) : 0);
  s.set_gross_profit_e8(gross_profit);
  s.set_gross_loss_e8(gross_loss);
  s.set_profit_factor(gross_loss < 0 ? static_cast<double>(gross_profit) / static_cast<double>(-gross_loss)
                      : gross_profit > 0 ? std::numeric_limits<double>::infinity()
                                         : kNaN);
  s.set_realized_pnl_e8(realized);
  s.set_net_pnl_e8(net);
  s.set_fees_e8(in.fees_e8);
  s.set_turnover_e8(in.turnover_e8);
  s.set_fills(in.fills);

  // Equity curve.
  const std::vector<SeriesPoint> series = combine_sleeves(in.points);
  s.set_bars(series.size());
  s.set_sharpe(kNaN);
  s.set_sortino(kNaN);
  s.set_volatility(kNaN);
  s.set_total_return(kNaN);
  s.set_turnover_ratio(kNaN);
  s.set_exposure(kNaN);
  if (series.empty()) return s;
  const double ppy = periods_per_year(series);
  s.set_periods_per_year(ppy);
  s.set_start_equity_e8(series.front().equity_e8);
  s.set_end_equity_e8(series.back().equity_e8);
  size_t exposed = 0;
  double peak = static_cast<double>(series.front().equity_e8), drawdown = 0, equity_sum = 0;
  bool positive = true;
  for (const auto& p : series) {
    const double e = static_cast<double>(p.equity_e8);
    exposed += p.exposed ? 1 : 0;
    equity_sum += e;
    positive = positive && p.equity_e8 > 0;
    peak = std::max(peak, e);
    if (peak > 0) drawdown = std::max(drawdown, (peak - e) / peak);
  }
  s.set_exposure(static_cast<double>(exposed) / static_cast<double>(series.size()));
  s.set_max_drawdown(drawdown);
  const double mean_equity = equity_sum / static_cast<double>(series.size());
  if (mean_equity > 0) s.set_turnover_ratio(static_cast<double>(in.turnover_e8) / mean_equity);
  if (!positive) return s;
  s.set_total_return(static_cast<double>(series.back().equity_e8) /
                         static_cast<double>(series.front().equity_e8) - 1.0);
  const size_t n = series.size() - 1;
  if (n < 2) return s;
  std::vector<double> r;
  r.reserve(n);
  for (size_t i = 1; i < series.size(); ++i)
    r.push_back(static_cast<double>(series[i].equity_e8) /
                    static_cast<double>(series[i - 1].equity_e8) - 1.0);
  double mean = 0;
  for (double x : r) mean += x;
  mean /= static_cast<double>(n);
  double ss = 0, down = 0;
  for (double x : r) {
    ss += (x - mean) * (x - mean);
    if (x < 0) down += x * x;
  }
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  const double dd = std::sqrt(down / static_cast<double>(n));
  const double ann = std::sqrt(ppy);
  s.set_volatility(sd * ann);
  if (sd > 0) s.set_sharpe(mean / sd * ann);
  if (dd > 0) s.set_sortino(mean / dd * ann);
  return s;
}

}  // namespace tp::execsim
