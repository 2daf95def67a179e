// The decision service's own configuration: per-strategy limits and the
// risk rules, with every decimal parsed exactly (tp::fixed::from_string).
//
//   tp::config::Reader r(doc);
//   tp::decision::DecisionConfig cfg = tp::decision::read_decision_config(r);
//   if (auto done = r.finish(); !done) ...  // every problem, by path
//
// docs/services/decision.md lists the keys. Owned by the decision service.
// Thread safety: pure functions and plain values.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tp/config/reader.h"

namespace tp::decision {

// venue/symbol, e.g. binance-us/BTCUSDT.
struct InstrumentKey {
  std::string venue;
  std::string symbol;
  auto operator<=>(const InstrumentKey&) const = default;
  std::string to_string() const { return venue + "/" + symbol; }
};

struct StrategyLimits {
  std::vector<InstrumentKey> instruments;
  int64_t max_position_e8 = 0;        // base quantity, > 0
  int64_t max_order_notional_e8 = 0;  // quote, > 0
  int64_t lot_size_e8 = 0;            // base quantity, > 0
};

struct DecisionConfig {
  std::map<std::string, StrategyLimits> strategies;
  // Gross notional of one instrument across all strategies after a bar's
  // orders (quote); unset = no limit.
  std::optional<int64_t> max_notional_total_e8;
  // Multiplier on targets when the regime's most likely label is CHOP, in [0, 1].
  int64_t chop_scale_e8 = 100'000'000;
};

// Reads strategies.* and risk.* (errors are recorded in the reader).
DecisionConfig read_decision_config(config::Reader& reader);

}  // namespace tp::decision
