// Trade statistics of a portfolio (docs/services/execsim.md, "Trade
// statistics"): from the equity curve (execsim_position_history), the closed
// trades (execsim_trades) and the fills in a time range. Pure, so the
// formulas are unit-tested without a database; PortfolioService and
// tradectl both use it.
//
//   StatsInput in;  in.points = {...};  in.trades = {...};
//   trading::v1::TradeStats s = compute_trade_stats(in);
//
// Undefined ratios are NaN (e.g. Sharpe with fewer than two returns).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trading/v1/services.pb.h"

namespace tp::execsim {

// One sleeve's state after one bar.
struct EquityPoint {
  int64_t t_ns = 0;
  std::string sleeve;  // "strategy/venue/symbol"
  int64_t equity_e8 = 0;
  int64_t quantity_e8 = 0;
};

// The combined series: per bar time, the sum over sleeves of their latest
// equity (a sleeve without a row at t carries its last value), starting
// once every sleeve has a row; exposed when any sleeve holds a position.
struct SeriesPoint {
  int64_t t_ns = 0;
  int64_t equity_e8 = 0;
  bool exposed = false;
};
std::vector<SeriesPoint> combine_sleeves(const std::vector<EquityPoint>& points_sorted_by_time);

struct TradeResult {
  int64_t gross_pnl_e8 = 0;
  int64_t net_pnl_e8 = 0;
};

struct StatsInput {
  std::vector<EquityPoint> points;   // sorted by t_ns
  std::vector<TradeResult> trades;   // closing fills in the range
  int64_t turnover_e8 = 0;           // sum of fill notionals in the range
  int64_t fees_e8 = 0;               // sum of fill fees in the range
  uint64_t fills = 0;
};

// 365 days / the median spacing of the series (0 with fewer than two points).
double periods_per_year(const std::vector<SeriesPoint>& series);

trading::v1::TradeStats compute_trade_stats(const StatsInput& input);

}  // namespace tp::execsim
