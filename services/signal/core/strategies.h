// The strategy algorithms of the signal service: parameter validation and
// one evaluation step over a bounded price history.
//
//   auto params = tp::signal::parse_params(Algorithm::kMaTrend, "ma_trend/10_50",
//                                          {{"fast", 10}, {"slow", 50}, {"scale", 0.01}}, 1000);
//   View v = tp::signal::evaluate(*params, history, previous_view);
//   // v.direction LONG, v.reason "fast SMA(10) 23105.27 > slow SMA(50) 23080.10"
//
// Pure functions; any thread. Prices are e8 integers in the history; the
// indicators are computed in doubles (they are not accounting) from exact
// integer sums, so a given history always yields the same bits.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tp/core/error.h"
#include "trading/v1/signals.pb.h"

namespace tp::signal {

enum class Algorithm { kMaTrend, kDonchian };

// "ma_trend" / "donchian"; nullopt for anything else.
std::optional<Algorithm> parse_algorithm(std::string_view name);
std::string_view to_string(Algorithm algorithm);

// One bar of the price history (e8 fixed point).
struct PricePoint {
  int64_t high_e8 = 0;
  int64_t low_e8 = 0;
  int64_t close_e8 = 0;
  bool operator==(const PricePoint&) const = default;
};

// Oldest first; the last element is the bar being evaluated.
using PriceHistory = std::deque<PricePoint>;

// Fast/slow simple moving averages of closes.
struct MaTrendParams {
  int fast = 0;
  int slow = 0;
  double scale = 0;  // strength = min(1, |fast - slow| / slow / scale)
};

// Breakout of the prior `window` bars' high/low channel.
struct DonchianParams {
  int window = 0;
};

using StrategyParams = std::variant<MaTrendParams, DonchianParams>;

// Checks a preset's values for `algorithm`. Windows must be integers in
// [1, max_window] (slow in [2, max_window] and greater than fast); unknown
// or missing names are errors. Error texts (kInvalidArgument), e.g.:
//   preset "ma_trend/x": missing value "slow"
//   preset "ma_trend/x": unknown value "slwo" (ma_trend takes fast, slow, scale)
//   preset "ma_trend/x": fast must be an integer in [1, 1000], got 2.5
//   preset "ma_trend/x": slow (10) must be greater than fast (10)
//   preset "ma_trend/x": scale must be a positive finite number, got 0
//   preset "donchian/x": window must be an integer in [1, 1000], got 0
[[nodiscard]] Result<StrategyParams> parse_params(Algorithm algorithm, std::string_view preset_id,
                                                  const std::map<std::string, double>& values,
                                                  int max_window);

// How many bars of history `params` needs to leave warm-up.
size_t bars_needed(const StrategyParams& params);

// A strategy's view after one bar.
struct View {
  trading::v1::Direction direction = trading::v1::DIRECTION_FLAT;
  double strength = 0;  // in [0, 1]
  std::string reason;
};

// One evaluation. `history` ends with the current bar; `previous` is the
// view after the previous bar (donchian holds it inside the channel).
View evaluate(const StrategyParams& params, const PriceHistory& history, const View& previous);

// "23105.27": a price with two decimals, for reasons.
std::string format_price(double price);

}  // namespace tp::signal
