// Execution costs of the paper venue, in exact fixed point: slippage
// (fixed bps + volatility-scaled + square-root impact), fees (maker/taker
// bps by volume tier, per-order minimum) and the volatility estimate they
// use (average true range of previous bars).
//
//   Atr atr(14);            atr.on_bar(high, low, close);   // after each tradable bar
//   Slippage s = slippage(model, reference_e8, atr.value(), qty_e8, bar_volume_e8);
//   FeeVolume v;            int64_t traded = v.trailing(day, window_days);
//
// Pure values; not thread-safe (plain data).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "execsim/core/execsim_config.h"

namespace tp::execsim {

// Average true range over the last `n` bars fed (a simple mean, rounded
// half away from zero); 0 before the first bar.
class Atr {
 public:
  explicit Atr(int64_t n = 14) : n_(n) {}
  void on_bar(int64_t high, int64_t low, int64_t close);
  int64_t value() const;
  // State, for snapshots.
  const std::deque<int64_t>& ranges() const { return ranges_; }
  int64_t previous_close() const { return prev_close_; }
  void restore(std::deque<int64_t> ranges, int64_t previous_close);

 private:
  int64_t n_;
  std::deque<int64_t> ranges_;
  int64_t sum_ = 0;
  int64_t prev_close_ = 0;  // 0 = none yet
};

// sqrt(a / b) in 1e-8 units, rounded to nearest; b > 0.
int64_t sqrt_ratio_e8(int64_t a_e8, int64_t b_e8);

struct Slippage {
  int64_t fixed_e8 = 0;   // apply_bps(reference, slippage_bps)
  int64_t vol_e8 = 0;     // slippage_atr_fraction x ATR
  int64_t impact_e8 = 0;  // impact_coefficient x ATR x sqrt(qty / bar volume)
  int64_t atr_e8 = 0;
  int64_t sqrt_ratio_e8 = 0;
  int64_t total() const { return fixed_e8 + vol_e8 + impact_e8; }
};
Slippage slippage(const FillModel& model, int64_t reference_e8, int64_t atr_e8, int64_t qty_e8,
                  int64_t bar_volume_e8);

// Traded notional per UTC day, for the fee tiers.
class FeeVolume {
 public:
  // Notional traded in the `window_days` days up to and including `day`
  // (window 0 = everything).
  int64_t trailing(int64_t day, int64_t window_days) const;
  void add(int64_t day, int64_t notional_e8, int64_t window_days);
  const std::deque<std::pair<int64_t, int64_t>>& days() const { return days_; }
  void restore(std::deque<std::pair<int64_t, int64_t>> days) { days_ = std::move(days); }

 private:
  std::deque<std::pair<int64_t, int64_t>> days_;  // (UTC day number, notional), oldest first
};

inline int64_t utc_day(int64_t t_ns) {
  constexpr int64_t kDay = 86'400LL * 1'000'000'000LL;
  return t_ns >= 0 ? t_ns / kDay : -((-t_ns + kDay - 1) / kDay);
}

// fee = notional x bps / 10000, rounded half away from zero (bps in 1e-8).
int64_t fee_at(int64_t notional_e8, int64_t bps_e8);
// Index of the tier that applies at `traded_e8` of trailing volume.
size_t tier_for(const std::vector<FeeTier>& tiers, int64_t traded_e8);

}  // namespace tp::execsim
