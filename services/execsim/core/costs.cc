#include "execsim/core/costs.h"

#include <algorithm>

#include "execsim/core/book.h"
#include "tp/core/fixed_point.h"

namespace tp::execsim {

void Atr::on_bar(int64_t high, int64_t low, int64_t close) {
  int64_t hi = high, lo = low;
  if (prev_close_ > 0) {
    hi = std::max(hi, prev_close_);
    lo = std::min(lo, prev_close_);
  }
  ranges_.push_back(hi - lo);
  sum_ += hi - lo;
  while (static_cast<int64_t>(ranges_.size()) > n_) {
    sum_ -= ranges_.front();
    ranges_.pop_front();
  }
  prev_close_ = close;
}

int64_t Atr::value() const {
  if (ranges_.empty()) return 0;
  return mul_div(sum_, 1, static_cast<int64_t>(ranges_.size()));
}

void Atr::restore(std::deque<int64_t> ranges, int64_t previous_close) {
  ranges_ = std::move(ranges);
  while (static_cast<int64_t>(ranges_.size()) > n_) ranges_.pop_front();
  sum_ = 0;
  for (int64_t r : ranges_) sum_ += r;
  prev_close_ = previous_close;
}

int64_t sqrt_ratio_e8(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0) return 0;
  // sqrt(a / b) * 1e8 = sqrt(a * 1e16 / b)
  const unsigned __int128 x =
      static_cast<unsigned __int128>(a) * 10'000'000'000'000'000ULL / static_cast<unsigned __int128>(b);
  // Integer square root (floor) by Newton's method, then round to nearest:
  // r + 1 when x - r^2 > r (i.e. x >= (r + 0.5)^2, never a tie for integers).
  unsigned __int128 r = static_cast<unsigned __int128>(
      static_cast<uint64_t>(__builtin_sqrt(static_cast<double>(x))));
  while (r * r > x) --r;
  while ((r + 1) * (r + 1) <= x) ++r;
  if (x - r * r > r) ++r;
  return static_cast<int64_t>(r);
}

Slippage slippage(const FillModel& m, int64_t reference, int64_t atr, int64_t qty,
                  int64_t bar_volume) {
  Slippage s;
  s.fixed_e8 = fixed::apply_bps(reference, m.slippage_bps);
  s.atr_e8 = atr;
  if (m.slippage_atr_fraction_e8 > 0) s.vol_e8 = fixed::mul(m.slippage_atr_fraction_e8, atr);
  if (m.impact_coefficient_e8 > 0 && bar_volume > 0) {
    s.sqrt_ratio_e8 = sqrt_ratio_e8(qty, bar_volume);
    s.impact_e8 = fixed::mul(fixed::mul(m.impact_coefficient_e8, atr), s.sqrt_ratio_e8);
  }
  return s;
}

int64_t FeeVolume::trailing(int64_t day, int64_t window) const {
  int64_t total = 0;
  for (const auto& [d, n] : days_)
    if (window == 0 || (d > day - window && d <= day)) total += n;
  return total;
}

void FeeVolume::add(int64_t day, int64_t notional, int64_t window) {
  if (window == 0) {
    if (days_.empty()) days_.emplace_back(0, 0);
    days_.back().second += notional;
    return;
  }
  if (days_.empty() || days_.back().first != day)
    days_.emplace_back(day, 0);
  days_.back().second += notional;
  while (!days_.empty() && days_.front().first <= day - window) days_.pop_front();
}

int64_t fee_at(int64_t notional, int64_t bps_e8) {
  if (bps_e8 == 0) return 0;
  return mul_div(notional, bps_e8, 1'000'000'000'000LL);  // / (10'000 bps x 1e8)
}

size_t tier_for(const std::vector<FeeTier>& tiers, int64_t traded) {
  size_t t = 0;
  for (size_t i = 0; i < tiers.size(); ++i)
    if (traded >= tiers[i].min_volume_e8) t = i;
  return t;
}

}  // namespace tp::execsim
