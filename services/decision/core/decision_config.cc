#include "decision/core/decision_config.h"

#include "tp/core/fixed_point.h"
#include "tp/runtime/topology.h"

namespace tp::decision {

namespace {

// A decimal string read exactly; `positive` requires > 0.
int64_t read_decimal(config::Reader& r, const std::string& path,
                     std::optional<std::string> default_value, bool positive) {
  std::string text = r.string(path, {.default_value = std::move(default_value)});
  if (text.empty()) return 0;  // the reader already recorded why
  auto value = fixed::from_string(text);
  if (!value) {
    r.add_error(path, "must be a decimal string with at most 8 decimals, e.g. \"0.5\" (got \"" +
                          text + "\")");
    return 0;
  }
  if (positive && *value <= 0) {
    r.add_error(path, "must be greater than 0 (got \"" + text + "\")");
    return 0;
  }
  return *value;
}

}  // namespace

DecisionConfig read_decision_config(config::Reader& r) {
  DecisionConfig cfg;
  auto names = r.object_keys("strategies");
  if (names.empty()) r.add_error("strategies", "at least one strategy is required");
  for (const auto& name : names) {
    const std::string base = "strategies." + name;
    if (!runtime::valid_subject_token(name))
      r.add_error(base, "strategy id must be one subject token (no '.', '*', '>' or spaces)");
    StrategyLimits limits;
    for (const auto& item :
         r.string_list(base + ".instruments", {.allow_empty_list = false})) {
      auto slash = item.find('/');
      InstrumentKey key;
      if (slash != std::string::npos) key = {item.substr(0, slash), item.substr(slash + 1)};
      if (slash == std::string::npos || !runtime::valid_subject_token(key.venue) ||
          !runtime::valid_subject_token(key.symbol) ||
          key.symbol.find('/') != std::string::npos) {
        r.add_error(base + ".instruments",
                    "\"" + item + "\" is not \"venue/symbol\", e.g. \"binance-us/BTCUSDT\"");
        continue;
      }
      limits.instruments.push_back(std::move(key));
    }
    limits.max_position_e8 = read_decimal(r, base + ".max_position", std::nullopt, true);
    limits.max_order_notional_e8 =
        read_decimal(r, base + ".max_order_notional", std::nullopt, true);
    limits.lot_size_e8 = read_decimal(r, base + ".lot_size", std::nullopt, true);
    cfg.strategies[name] = std::move(limits);
  }
  if (r.has("risk.max_notional_total"))
    cfg.max_notional_total_e8 = read_decimal(r, "risk.max_notional_total", std::nullopt, true);
  cfg.chop_scale_e8 = read_decimal(r, "risk.chop_scale", "1", false);
  if (cfg.chop_scale_e8 < 0 || cfg.chop_scale_e8 > fixed::kScale)
    r.add_error("risk.chop_scale", "must be between 0 and 1");
  return cfg;
}

}  // namespace tp::decision
