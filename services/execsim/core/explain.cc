#include "execsim/core/explain.h"

#include <cstdio>

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

std::string dec(int64_t e8) { return fixed::to_string(e8); }

// Howard Hinnant's civil_from_days.
void civil(int64_t days, int64_t& y, unsigned& m, unsigned& d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

std::string order_name(const OrderSpec& s, int64_t stop_e8) {
  switch (s.type) {
    case v1::ORDER_TYPE_MARKET: return "MARKET";
    case v1::ORDER_TYPE_LIMIT: return "LIMIT " + dec(s.limit_e8);
    case v1::ORDER_TYPE_STOP: return "STOP " + dec(stop_e8);
    case v1::ORDER_TYPE_STOP_LIMIT: return "STOP_LIMIT " + dec(stop_e8) + " limit " + dec(s.limit_e8);
    case v1::ORDER_TYPE_TRAILING_STOP: return "TRAILING_STOP " + dec(stop_e8);
    default: return type_name(s.type);
  }
}

// "(high-water 30280 - 100)" / "(low-water 100 + 50 bps = 0.5)"
std::string water(const OrderSpec& s, int64_t mark) {
  const bool sell = !s.buy();
  std::string out = std::string("(") + (sell ? "high-water " : "low-water ") + dec(mark) +
                    (sell ? " - " : " + ");
  if (s.trail_amount_e8 > 0) return out + dec(s.trail_amount_e8) + ")";
  return out + std::to_string(s.trail_bps) + " bps = " +
         dec(trail_distance(mark, 0, s.trail_bps)) + ")";
}

std::string point_name(char c) {
  return c == 'H' ? "high" : c == 'L' ? "low" : c == 'O' ? "open" : "close";
}

std::string slippage_text(const Event& e, const FillModel& m, bool buy) {
  const std::string sign = buy ? " + " : " - ";
  const bool only_fixed = m.slippage_atr_fraction_e8 == 0 && m.impact_coefficient_e8 == 0;
  if (only_fixed)
    return sign + std::to_string(m.slippage_bps) + " bps slippage = " + dec(e.last_price_e8);
  std::string parts = std::to_string(m.slippage_bps) + " bps " + dec(e.slip.fixed_e8);
  if (m.slippage_atr_fraction_e8 > 0)
    parts += ", " + dec(m.slippage_atr_fraction_e8) + " x ATR " + dec(e.slip.atr_e8) + " = " +
             dec(e.slip.vol_e8);
  if (m.impact_coefficient_e8 > 0)
    parts += ", impact " + dec(m.impact_coefficient_e8) + " x ATR " + dec(e.slip.atr_e8) +
             " x sqrt(" + dec(e.last_qty_e8) + " / " + dec(e.bar_volume_e8) + ") = " +
             dec(e.slip.impact_e8);
  return sign + "slippage " + dec(e.slip.total()) + " (" + parts + ") = " + dec(e.last_price_e8);
}

std::string fill_text(const Event& e, const FillModel& m) {
  const LiveOrder& o = *e.order;
  const OrderSpec& s = o.spec;
  const bool buy = s.buy();
  const std::string name = order_name(s, e.stop_e8);
  const bool gap_at_order_price = m.gap_fill == GapFill::kOrderPrice;
  std::string t;
  switch (e.basis) {
    case Basis::kMarket:
      if (s.type == v1::ORDER_TYPE_MARKET)
        t = "MARKET at ";
      else
        t = name + " triggered earlier, as a market order at ";
      t += e.at_open ? "open " + dec(e.reference_e8)
                     : "arrival price " + dec(e.reference_e8) + " (latency " +
                           std::to_string(m.latency_ns / 1'000'000) + " ms)";
      t += slippage_text(e, m, buy);
      break;
    case Basis::kStop:
      t = name + " triggered (" + point_name(e.extreme) + " " + dec(e.extreme_e8) + "): " +
          dec(e.reference_e8) + slippage_text(e, m, buy);
      break;
    case Basis::kStopGap:
      t = name + (e.at_open ? " gapped through: open " + dec(e.path_price_e8)
                            : " already beyond when it became live: price " + dec(e.path_price_e8));
      if (gap_at_order_price) t += ", executed at the stop price (gap_fill order_price) " + dec(e.reference_e8);
      t += slippage_text(e, m, buy);
      break;
    case Basis::kLimitResting:
      t = name + (m.limit_fill == LimitFill::kTouch ? " touched (" : " traded through (") +
          point_name(e.extreme) + " " + dec(e.extreme_e8) + ")";
      break;
    case Basis::kLimitGap:
      t = name + ": open " + dec(e.path_price_e8) + " gapped through it, filled at the " +
          (gap_at_order_price ? "limit (gap_fill order_price)" : "open");
      break;
    case Basis::kLimitMarketable:
      t = name + " marketable " +
          (s.type == v1::ORDER_TYPE_STOP_LIMIT ? std::string("when triggered: ")
                                               : std::string(e.at_open ? "at the open: " : "when it became live: ")) +
          dec(e.reference_e8) + slippage_text(e, m, buy);
      if (e.limit_bound) t += ", held at the limit " + dec(s.limit_e8);
      break;
    case Basis::kNone:
      t = name;
      break;
  }
  const bool taker = e.liquidity == v1::LIQUIDITY_TAKER;
  t += std::string("; ") + (taker ? "taker" : "maker") + " fee " + dec(e.fee_bps_e8) + " bps";
  if (!m.fee_tiers.empty()) t += " (tier " + m.fee_tiers[e.tier].name + ")";
  if (e.fee_e8 != e.rate_fee_e8)
    t += "; order minimum fee " + dec(m.min_fee_per_order_e8) + ": charged " + dec(e.fee_e8) +
         " (fee at the rate " + dec(e.rate_fee_e8) + ")";
  switch (e.cap) {
    case Cap::kVolume:
      t += "; capped at max_volume_share " + dec(m.max_volume_share_e8) + " of bar volume " +
           dec(e.bar_volume_e8);
      break;
    case Cap::kReduceOnly:
      t += "; capped at the position " + dec(e.cap_e8) + " (reduce-only)";
      break;
    case Cap::kIcebergSlice:  // the displayed slice: said by the refill note
    case Cap::kNone:
      break;
  }
  if (e.next_slice_e8 > 0)
    t += "; iceberg refilled: next slice " + dec(e.next_slice_e8) + " displayed, " +
         dec(e.leaves_e8 - e.next_slice_e8) + " hidden";
  return t;
}

}  // namespace

std::string iso_utc(int64_t t_ns) {
  constexpr int64_t kSec = 1'000'000'000LL;
  int64_t secs = t_ns >= 0 ? t_ns / kSec : -((-t_ns + kSec - 1) / kSec);
  const int64_t frac = t_ns - secs * kSec;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned mo, d;
  civil(days, y, mo, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y),
                mo, d, static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  std::string s = buf;
  if (frac) {
    char f[32];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    s += fs;
  }
  return s + "Z";
}

std::string describe(const Event& e, const FillModel& m) {
  const LiveOrder& o = *e.order;
  const OrderSpec& s = o.spec;
  switch (e.type) {
    case v1::EXEC_FILL:
    case v1::EXEC_PARTIAL_FILL:
      return fill_text(e, m);
    default:
      break;
  }
  switch (e.why) {
    case Why::kAccepted:
      if (s.type == v1::ORDER_TYPE_TRAILING_STOP && e.stop_e8 != 0)
        return "accepted; trailing stop " + dec(e.stop_e8) + " " + water(s, e.water_mark_e8);
      return "accepted";
    case Why::kAcceptedInactive:
      return "accepted; inactive until parent " + e.other_id + " is filled";
    case Why::kActivated:
      return "activated: parent " + e.other_id + " filled";
    case Why::kActivatedResized:
      return "activated for " + dec(e.quantity_e8) + ": parent " + e.other_id + " filled " + e.text +
             " and ended";
    case Why::kCanceledOnRequest:
      return "canceled on request";
    case Why::kCanceledInFlight:
      return "canceled on request before it arrived";
    case Why::kOcoSibling:
      return "OCO: sibling " + e.other_id + " filled";
    case Why::kIocRemainder:
      return std::string(s.tif == v1::TIME_IN_FORCE_FOK ? "FOK" : "IOC") +
             (e.cum_e8 > 0 ? " remainder canceled: " : " canceled: ") + e.text;
    case Why::kDayExpired:
      return "DAY order expired at the session end " + iso_utc(o.expire_at_ns);
    case Why::kGtdExpired:
      return "GTD order expired at " + iso_utc(o.expire_at_ns);
    case Why::kTriggered:
    case Why::kTriggeredGap: {
      std::string t = order_name(s, e.stop_e8) + " triggered";
      if (s.type == v1::ORDER_TYPE_TRAILING_STOP) t += " " + water(s, e.water_mark_e8);
      if (e.why == Why::kTriggered)
        return t + ": the " + point_name(e.extreme) + " " + dec(e.extreme_e8) + " reached it";
      if (e.at_open) return t + ": open " + dec(e.path_price_e8) + " is beyond it (gap)";
      return t + ": price " + dec(e.path_price_e8) + " was already beyond it when it became live";
    }
    case Why::kTrailMoved:
      if (e.reference_e8 == 0)
        return "trailing stop set to " + dec(e.stop_e8) + " " + water(s, e.water_mark_e8);
      return "trailing stop moved " + dec(e.reference_e8) + " -> " + dec(e.stop_e8) + " " +
             water(s, e.water_mark_e8);
    case Why::kReplaced:
      return "replaced: " + e.text;
    case Why::kParentEnded:
    case Why::kReduceOnlyFlat:
    case Why::kText:
    case Why::kNone:
      return e.text;
  }
  return e.text;
}

}  // namespace tp::execsim
