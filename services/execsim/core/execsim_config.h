// The paper venue's configuration: which (strategy, instrument) books exist,
// their starting cash, the fill model's parameters (every fill assumption
// is one key here; docs/services/execsim.md, "Configuration") and the
// buying-power limit.
//
//   tp::config::Reader r(doc);
//   tp::execsim::ExecsimConfig cfg = tp::execsim::read_execsim_config(r);
//
// Owned by the execsim service. Thread safety: pure functions and plain values.
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

// The order in which a bar's prices are visited inside the bar.
enum class IntrabarPath {
  kNearerExtremeFirst,  // open -> the extreme nearer the open -> the other -> close (tie: high first)
  kHighFirst,           // open -> high -> low -> close
  kLowFirst,            // open -> low -> high -> close
  kBarDirection,        // close >= open: open -> low -> high -> close; else open -> high -> low -> close
};

// What a stop (or a resting limit) the market opens beyond executes at.
enum class GapFill {
  kOpen,        // the open: worse than the stop, better than the limit (default)
  kOrderPrice,  // the stop / limit price itself (optimistic for stops; for comparisons only)
};

// When a resting limit order fills.
enum class LimitFill {
  kTradeThrough,  // only when the price goes strictly beyond the limit (back of the queue; default)
  kTouch,         // as soon as the price reaches the limit (front of the queue)
};

// One fee tier: applies once the sleeve's trailing traded notional reaches min_volume.
struct FeeTier {
  std::string name;
  int64_t min_volume_e8 = 0;  // quote notional over fee_tier_window_days
  int64_t maker_bps_e8 = 0;   // basis points x 1e8 (fractional bps allowed, e.g. 7.5)
  int64_t taker_bps_e8 = 0;
};

// What the engine applies: the fill assumptions and the buying-power limit.
struct FillModel {
  // Slippage of taker executions, added up, each part against the trader:
  int64_t slippage_bps = 0;             // fixed: bps of the reference price
  int64_t slippage_atr_fraction_e8 = 0; // volatility-scaled: fraction of ATR(atr_bars)
  int64_t impact_coefficient_e8 = 0;    // square-root impact: coeff x ATR x sqrt(qty / bar volume)
  int64_t atr_bars = 14;                // bars in the average true range (previous bars only)
  // Fees: one tier from maker/taker_fee_bps unless fee_tiers are given.
  int64_t taker_fee_bps = 0;
  int64_t maker_fee_bps = 0;
  std::vector<FeeTier> fee_tiers;       // sorted by min_volume_e8, first at 0
  int64_t fee_tier_window_days = 30;    // trailing window of the tier volume; 0 = lifetime
  int64_t min_fee_per_order_e8 = 0;     // cumulative fees of an order are at least this (once it fills)
  // Fill assumptions.
  int64_t max_volume_share_e8 = 10'000'000;  // share of a bar's volume fillable, (0, 1]
  IntrabarPath path = IntrabarPath::kNearerExtremeFirst;
  GapFill gap_fill = GapFill::kOpen;
  LimitFill limit_fill = LimitFill::kTradeThrough;
  int64_t iceberg_slices_per_bar = 1;   // displayed slices of an iceberg that can fill per bar
  int64_t latency_ns = 0;               // order (and cancel) sent at the bar open, arrives this later
  int64_t session_end_ns = 0;           // DAY orders expire at this time of the UTC day (ns after 00:00)
  uint32_t no_fill_flags = 1 | 2 | 4 | 16;  // bar quality flags on which nothing triggers or fills
  // Buying power: an opening order is accepted while the sleeve's gross
  // exposure stays within max_leverage x its equity (1 = cash account); 0 = no check.
  int64_t max_leverage_e8 = 100'000'000;

  // The tier list actually used (fee_tiers, or one tier from maker/taker_fee_bps).
  std::vector<FeeTier> tiers() const;
};

struct ExecsimConfig {
  std::map<std::string, StrategyAccount> strategies;
  FillModel fills;
  // Finished orders remembered per instrument for cancel-report numbering
  // and duplicate detection.
  int64_t finished_order_memory = 4096;
  std::string grpc_address = "127.0.0.1:50065";  // PortfolioService; "" = no gRPC server
};

// Reads strategies.*, execution.*, account.max_leverage and grpc.address (errors are
// recorded in the reader).
ExecsimConfig read_execsim_config(config::Reader& reader);

}  // namespace tp::execsim
