#include "signal/core/strategies.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tp::signal {
namespace {

using trading::v1::Direction;

// Shortest text that reads back as the same double ("2.5", "1000").
std::string number_text(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

std::string direction_name(Direction d) {
  switch (d) {
    case trading::v1::DIRECTION_LONG: return "LONG";
    case trading::v1::DIRECTION_SHORT: return "SHORT";
    default: return "FLAT";
  }
}

Error invalid(std::string_view preset_id, const std::string& what) {
  return Error{ErrorCode::kInvalidArgument, "preset \"" + std::string(preset_id) + "\": " + what};
}

// Reads an integer parameter in [lo, hi].
Result<int> window_value(std::string_view preset_id, const std::string& name, double v, int lo,
                         int hi) {
  if (!std::isfinite(v) || v != std::floor(v) || v < lo || v > hi)
    return std::unexpected(invalid(preset_id, name + " must be an integer in [" +
                                                  std::to_string(lo) + ", " + std::to_string(hi) +
                                                  "], got " + number_text(v)));
  return static_cast<int>(v);
}

Status expect_names(std::string_view preset_id, std::string_view algorithm,
                    const std::map<std::string, double>& values,
                    std::initializer_list<const char*> names) {
  std::string list;
  for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  for (const auto& [name, value] : values) {
    if (std::find_if(names.begin(), names.end(), [&](const char* n) { return name == n; }) ==
        names.end())
      return std::unexpected(invalid(preset_id, "unknown value \"" + name + "\" (" +
                                                    std::string(algorithm) + " takes " + list +
                                                    ")"));
  }
  for (const char* n : names)
    if (!values.contains(n))
      return std::unexpected(invalid(preset_id, "missing value \"" + std::string(n) + "\""));
  return ok();
}

// Mean of the last n closes, from an exact integer sum.
double sma(const PriceHistory& history, size_t n) {
  __int128 sum = 0;
  for (size_t i = history.size() - n; i < history.size(); ++i) sum += history[i].close_e8;
  return static_cast<double>(sum) / static_cast<double>(n) / 1e8;
}

View evaluate_ma(const MaTrendParams& p, const PriceHistory& history) {
  const size_t slow = static_cast<size_t>(p.slow);
  if (history.size() < slow)
    return {trading::v1::DIRECTION_FLAT, 0.0,
            "warming up: " + std::to_string(history.size()) + " of " + std::to_string(slow) +
                " closes for slow SMA(" + std::to_string(slow) + ")"};
  const double fast = sma(history, static_cast<size_t>(p.fast));
  const double slow_ma = sma(history, slow);
  const std::string f = "fast SMA(" + std::to_string(p.fast) + ") " + format_price(fast);
  const std::string s = "slow SMA(" + std::to_string(p.slow) + ") " + format_price(slow_ma);
  if (fast == slow_ma) return {trading::v1::DIRECTION_FLAT, 0.0, f + " = " + s};
  const double strength = std::min(1.0, std::fabs(fast - slow_ma) / slow_ma / p.scale);
  if (fast > slow_ma) return {trading::v1::DIRECTION_LONG, strength, f + " > " + s};
  return {trading::v1::DIRECTION_SHORT, strength, f + " < " + s};
}

View evaluate_donchian(const DonchianParams& p, const PriceHistory& history, const View& previous) {
  const size_t window = static_cast<size_t>(p.window);
  if (history.size() < window + 1)
    return {trading::v1::DIRECTION_FLAT, 0.0,
            "warming up: " + std::to_string(history.size() == 0 ? 0 : history.size() - 1) +
                " of " + std::to_string(window) + " prior bars"};
  int64_t upper = history[history.size() - 1 - window].high_e8;
  int64_t lower = history[history.size() - 1 - window].low_e8;
  for (size_t i = history.size() - window; i + 1 < history.size(); ++i) {
    upper = std::max(upper, history[i].high_e8);
    lower = std::min(lower, history[i].low_e8);
  }
  const int64_t close = history.back().close_e8;
  const double width = static_cast<double>(upper - lower);
  const std::string n = std::to_string(window);
  const std::string close_text = "close " + format_price(static_cast<double>(close) / 1e8);
  if (close > upper) {
    const double strength =
        width > 0 ? std::min(1.0, static_cast<double>(close - upper) / width) : 1.0;
    return {trading::v1::DIRECTION_LONG, strength,
            close_text + " > prior " + n + "-bar high " +
                format_price(static_cast<double>(upper) / 1e8)};
  }
  if (close < lower) {
    const double strength =
        width > 0 ? std::min(1.0, static_cast<double>(lower - close) / width) : 1.0;
    return {trading::v1::DIRECTION_SHORT, strength,
            close_text + " < prior " + n + "-bar low " +
                format_price(static_cast<double>(lower) / 1e8)};
  }
  return {previous.direction, previous.strength,
          close_text + " inside prior " + n + "-bar channel [" +
              format_price(static_cast<double>(lower) / 1e8) + ", " +
              format_price(static_cast<double>(upper) / 1e8) + "]: holding " +
              direction_name(previous.direction)};
}

}  // namespace

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (name == "ma_trend") return Algorithm::kMaTrend;
  if (name == "donchian") return Algorithm::kDonchian;
  return std::nullopt;
}

std::string_view to_string(Algorithm algorithm) {
  return algorithm == Algorithm::kMaTrend ? "ma_trend" : "donchian";
}

Result<StrategyParams> parse_params(Algorithm algorithm, std::string_view preset_id,
                                    const std::map<std::string, double>& values, int max_window) {
  if (algorithm == Algorithm::kMaTrend) {
    if (auto s = expect_names(preset_id, "ma_trend", values, {"fast", "slow", "scale"}); !s)
      return std::unexpected(s.error());
    auto fast = window_value(preset_id, "fast", values.at("fast"), 1, max_window);
    if (!fast) return std::unexpected(fast.error());
    auto slow = window_value(preset_id, "slow", values.at("slow"), 2, max_window);
    if (!slow) return std::unexpected(slow.error());
    if (*slow <= *fast)
      return std::unexpected(invalid(preset_id, "slow (" + std::to_string(*slow) +
                                                    ") must be greater than fast (" +
                                                    std::to_string(*fast) + ")"));
    const double scale = values.at("scale");
    if (!std::isfinite(scale) || scale <= 0)
      return std::unexpected(
          invalid(preset_id, "scale must be a positive finite number, got " + number_text(scale)));
    return MaTrendParams{*fast, *slow, scale};
  }
  if (auto s = expect_names(preset_id, "donchian", values, {"window"}); !s)
    return std::unexpected(s.error());
  auto window = window_value(preset_id, "window", values.at("window"), 1, max_window);
  if (!window) return std::unexpected(window.error());
  return DonchianParams{*window};
}

size_t bars_needed(const StrategyParams& params) {
  if (const auto* ma = std::get_if<MaTrendParams>(&params)) return static_cast<size_t>(ma->slow);
  return static_cast<size_t>(std::get<DonchianParams>(params).window) + 1;
}

View evaluate(const StrategyParams& params, const PriceHistory& history, const View& previous) {
  if (const auto* ma = std::get_if<MaTrendParams>(&params)) return evaluate_ma(*ma, history);
  return evaluate_donchian(std::get<DonchianParams>(params), history, previous);
}

std::string format_price(double price) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", price);
  return buf;
}

}  // namespace tp::signal
