#include "execsim/core/execsim_config.h"

#include <algorithm>

#include "tp/core/clock.h"
#include "tp/core/fixed_point.h"
#include "tp/runtime/topology.h"

namespace tp::execsim {

namespace {

int64_t read_decimal(config::Reader& r, const std::string& path,
                     std::optional<std::string> default_value) {
  std::string text = r.string(path, {.default_value = std::move(default_value)});
  if (text.empty()) return 0;
  auto value = fixed::from_string(text);
  if (!value) {
    r.add_error(path, "must be a decimal string with at most 8 decimals, e.g. \"0.5\" (got \"" +
                          text + "\")");
    return 0;
  }
  return *value;
}

int64_t read_non_negative_decimal(config::Reader& r, const std::string& path,
                                  const std::string& default_value) {
  int64_t v = read_decimal(r, path, default_value);
  if (v < 0) r.add_error(path, "must not be negative");
  return v;
}

// "HH:MM" -> ns after midnight.
std::optional<int64_t> parse_hhmm(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0u, 1u, 3u, 4u})
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return (h * 3600LL + m * 60LL) * kNanosPerSecond;
}

uint32_t flag_bit(const std::string& name) {
  if (name == "ZERO_VOLUME") return 1;
  if (name == "OUTLIER") return 2;
  if (name == "GAP_BEFORE") return 4;
  if (name == "INCONSISTENT") return 16;
  return 0;
}

}  // namespace

std::vector<FeeTier> FillModel::tiers() const {
  if (!fee_tiers.empty()) return fee_tiers;
  return {FeeTier{"default", 0, maker_fee_bps * fixed::kScale, taker_fee_bps * fixed::kScale}};
}

ExecsimConfig read_execsim_config(config::Reader& r) {
  ExecsimConfig cfg;
  auto names = r.object_keys("strategies");
  if (names.empty()) r.add_error("strategies", "at least one strategy is required");
  for (const auto& name : names) {
    const std::string base = "strategies." + name;
    if (!runtime::valid_subject_token(name))
      r.add_error(base, "strategy id must be one subject token (no '.', '*', '>' or spaces)");
    StrategyAccount account;
    for (const auto& item : r.string_list(base + ".instruments", {.allow_empty_list = false})) {
      auto slash = item.find('/');
      InstrumentKey key;
      if (slash != std::string::npos) key = {item.substr(0, slash), item.substr(slash + 1)};
      if (slash == std::string::npos || !runtime::valid_subject_token(key.venue) ||
          !runtime::valid_subject_token(key.symbol) || key.symbol.find('/') != std::string::npos) {
        r.add_error(base + ".instruments",
                    "\"" + item + "\" is not \"venue/symbol\", e.g. \"binance-us/BTCUSDT\"");
        continue;
      }
      account.instruments.push_back(std::move(key));
    }
    account.initial_cash_e8 = read_decimal(r, base + ".initial_cash", std::nullopt);
    if (account.initial_cash_e8 < 0)
      r.add_error(base + ".initial_cash", "must not be negative");
    cfg.strategies[name] = std::move(account);
  }
  FillModel& f = cfg.fills;
  f.slippage_bps = r.integer("execution.slippage_bps", {.min = 0, .max = 1000, .default_value = 0});
  f.slippage_atr_fraction_e8 =
      read_non_negative_decimal(r, "execution.slippage_atr_fraction", "0");
  f.impact_coefficient_e8 = read_non_negative_decimal(r, "execution.impact_coefficient", "0");
  f.atr_bars = r.integer("execution.atr_bars", {.min = 1, .max = 10'000, .default_value = 14});
  f.taker_fee_bps = r.integer("execution.taker_fee_bps", {.min = 0, .max = 1000, .default_value = 0});
  f.maker_fee_bps = r.integer("execution.maker_fee_bps", {.min = 0, .max = 1000, .default_value = 0});
  for (const auto& tier : r.object_keys("execution.fee_tiers")) {
    const std::string base = "execution.fee_tiers." + tier;
    FeeTier t;
    t.name = tier;
    t.min_volume_e8 = read_non_negative_decimal(r, base + ".min_volume", "0");
    t.maker_bps_e8 = read_decimal(r, base + ".maker_bps", std::nullopt);
    t.taker_bps_e8 = read_decimal(r, base + ".taker_bps", std::nullopt);
    for (const char* field : {".maker_bps", ".taker_bps"}) {
      const int64_t v = std::string(field) == ".maker_bps" ? t.maker_bps_e8 : t.taker_bps_e8;
      if (v < 0 || v > 1000 * fixed::kScale) r.add_error(base + field, "must be between 0 and 1000");
    }
    f.fee_tiers.push_back(std::move(t));
  }
  std::sort(f.fee_tiers.begin(), f.fee_tiers.end(),
            [](const FeeTier& a, const FeeTier& b) { return a.min_volume_e8 < b.min_volume_e8; });
  if (!f.fee_tiers.empty()) {
    if (f.fee_tiers.front().min_volume_e8 != 0)
      r.add_error("execution.fee_tiers", "one tier must have min_volume \"0\"");
    for (size_t i = 1; i < f.fee_tiers.size(); ++i)
      if (f.fee_tiers[i].min_volume_e8 == f.fee_tiers[i - 1].min_volume_e8)
        r.add_error("execution.fee_tiers", "tiers " + f.fee_tiers[i - 1].name + " and " +
                                               f.fee_tiers[i].name + " have the same min_volume");
  }
  f.fee_tier_window_days =
      r.integer("execution.fee_tier_window_days", {.min = 0, .max = 3650, .default_value = 30});
  f.min_fee_per_order_e8 = read_non_negative_decimal(r, "execution.min_fee_per_order", "0");
  f.max_volume_share_e8 = read_decimal(r, "execution.max_volume_share", "0.1");
  if (f.max_volume_share_e8 <= 0 || f.max_volume_share_e8 > fixed::kScale)
    r.add_error("execution.max_volume_share", "must be greater than 0 and at most 1");
  const std::string path = r.one_of(
      "execution.intrabar_path", {"nearer_extreme_first", "high_first", "low_first", "bar_direction"},
      "nearer_extreme_first");
  f.path = path == "high_first"      ? IntrabarPath::kHighFirst
           : path == "low_first"     ? IntrabarPath::kLowFirst
           : path == "bar_direction" ? IntrabarPath::kBarDirection
                                     : IntrabarPath::kNearerExtremeFirst;
  f.gap_fill = r.one_of("execution.gap_fill", {"open", "order_price"}, "open") == "order_price"
                   ? GapFill::kOrderPrice
                   : GapFill::kOpen;
  f.limit_fill = r.one_of("execution.limit_fill", {"trade_through", "touch"}, "trade_through") ==
                         "touch"
                     ? LimitFill::kTouch
                     : LimitFill::kTradeThrough;
  f.iceberg_slices_per_bar =
      r.integer("execution.iceberg_slices_per_bar", {.min = 1, .max = 1000, .default_value = 1});
  f.latency_ns = r.duration_ms("execution.latency", {.max = std::chrono::hours(24),
                                                     .default_value = std::chrono::milliseconds(0)})
                     .count() *
                 kNanosPerMilli;
  const std::string session = r.string("execution.session_end_utc", {.default_value = "00:00"});
  if (auto ns = parse_hhmm(session))
    f.session_end_ns = *ns;
  else
    r.add_error("execution.session_end_utc", "must be \"HH:MM\" (UTC), got \"" + session + "\"");
  const auto flags = r.string_list(
      "execution.no_fill_flags",
      {.default_value = std::vector<std::string>{"ZERO_VOLUME", "OUTLIER", "GAP_BEFORE",
                                                 "INCONSISTENT"}});
  f.no_fill_flags = 0;
  for (const auto& name : flags) {
    const uint32_t bit = flag_bit(name);
    if (bit == 0)
      r.add_error("execution.no_fill_flags",
                  "\"" + name + "\" is not one of ZERO_VOLUME, OUTLIER, GAP_BEFORE, INCONSISTENT");
    f.no_fill_flags |= bit;
  }
  f.max_leverage_e8 = read_non_negative_decimal(r, "account.max_leverage", "1");
  cfg.finished_order_memory =
      r.integer("execution.finished_order_memory", {.min = 1, .max = 1'000'000, .default_value = 4096});
  cfg.grpc_address = r.string("grpc.address", {.default_value = "127.0.0.1:50065", .allow_empty = true});
  return cfg;
}

}  // namespace tp::execsim
