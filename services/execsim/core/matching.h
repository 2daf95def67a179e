// The paper venue's order model: which orders it accepts, and how a working
// order fills against one bar. Each order type has one rule here; a new type
// (STOP, STOP_LIMIT, TRAILING_STOP, ...) is a new case in accept_problem()
// and in fill_rule(), nothing else changes (the volume cap, time in force,
// reports and accounting are shared by all types in ExecsimCore).
//
//   if (auto why = accept_problem(order)) reject(*why);
//   if (auto rule = fill_rule(order, bar, model)) fill at rule->price_e8 ...
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "execsim/core/execsim_config.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/orders.pb.h"

namespace tp::execsim {

// Why the venue refuses an order at acceptance (EXEC_REJECTED text), or
// nullopt when it accepts it. Instrument and strategy are checked by the core.
std::optional<std::string> accept_problem(const trading::v1::Order& order);

// The price and liquidity at which `order` trades on `bar`, before the
// volume cap; nullopt when the bar does not reach the order.
struct FillRule {
  int64_t price_e8 = 0;
  trading::v1::Liquidity liquidity = trading::v1::LIQUIDITY_UNSPECIFIED;
  int64_t fee_bps = 0;
  std::string text;  // how the price came about, for the execution report
};
std::optional<FillRule> fill_rule(const trading::v1::Order& order, const trading::v1::Bar& bar,
                                  const FillModel& model);

// GTC (and UNSPECIFIED, treated as GTC) keep working; IOC and FOK get one bar.
bool single_bar(const trading::v1::Order& order);

}  // namespace tp::execsim
