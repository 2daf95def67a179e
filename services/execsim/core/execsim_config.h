// The paper venue's configuration: which (strategy, instrument) books exist,
// their starting cash, and the fill model's parameters.
//
//   tp::config::Reader r(doc);
//   tp::execsim::ExecsimConfig cfg = tp::execsim::read_execsim_config(r);
//
// docs/services/execsim.md lists the keys. Owned by the execsim service.
// Thread safety: pure functions and plain values.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tp/config/reader.h"

namespace tp::execsim {

// venue/symbol, e.g. binance-us/BTCUSDT.
struct InstrumentKey {
  std::string venue;
  std::string symbol;
  auto operator<=>(const InstrumentKey&) const = default;
  std::string to_string() const { return venue + "/" + symbol; }
};

struct StrategyAccount {
  std::vector<InstrumentKey> instruments;
  int64_t initial_cash_e8 = 0;  // quote; every (strategy, instrument) sleeve starts with it
};

struct FillModel {
  int64_t slippage_bps = 0;        // market orders: buys pay up, sells receive less
  int64_t taker_fee_bps = 0;       // market orders
  int64_t maker_fee_bps = 0;       // limit orders
  int64_t max_volume_share_e8 = 10'000'000;  // share of a bar's volume fillable, (0, 1]
};

struct ExecsimConfig {
  std::map<std::string, StrategyAccount> strategies;
  FillModel fills;
  // Finished orders remembered per instrument for cancel-report numbering.
  int64_t finished_order_memory = 4096;
};

// Reads strategies.* and execution.* (errors are recorded in the reader).
ExecsimConfig read_execsim_config(config::Reader& reader);

}  // namespace tp::execsim
