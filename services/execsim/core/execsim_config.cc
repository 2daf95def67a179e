#include "execsim/core/execsim_config.h"

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

}  // namespace

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
  cfg.fills.slippage_bps = r.integer("execution.slippage_bps", {.min = 0, .max = 1000, .default_value = 0});
  cfg.fills.taker_fee_bps = r.integer("execution.taker_fee_bps", {.min = 0, .max = 1000, .default_value = 0});
  cfg.fills.maker_fee_bps = r.integer("execution.maker_fee_bps", {.min = 0, .max = 1000, .default_value = 0});
  cfg.fills.max_volume_share_e8 = read_decimal(r, "execution.max_volume_share", "0.1");
  if (cfg.fills.max_volume_share_e8 <= 0 || cfg.fills.max_volume_share_e8 > fixed::kScale)
    r.add_error("execution.max_volume_share", "must be greater than 0 and at most 1");
  cfg.finished_order_memory =
      r.integer("execution.finished_order_memory", {.min = 1, .max = 1'000'000, .default_value = 4096});
  return cfg;
}

}  // namespace tp::execsim
