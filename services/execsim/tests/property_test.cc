// Property tests on random (seeded) order streams: every order type, time
// in force, flag and contingent group, cancels and replaces, flagged bars,
// random fill assumptions. Invariants checked at every report and every
// position:
//   position = sum of signed fills; cash = initial - sum of signed notional
//   - sum of fees; equity = cash + quantity x mark; realized - fees +
//   unrealized = equity - initial; every order follows the state machine;
//   cumulative quantities and fees add up; nothing fills on a flagged bar;
//   fill prices are inside the bar (makers) or on the right side of it
//   (takers); books replayed from the fills alone equal the venue's books;
//   a snapshot/restore at any point changes nothing; the buying power the
//   engine keeps reserved for working orders (incrementally) equals what
//   the working orders hold, recomputed from them.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>

#include "execsim/core/execsim_core.h"
#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

namespace v1 = trading::v1;
using bus::HandleResult;

constexpr int64_t kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr int64_t kStep = 60LL * kNanosPerSecond;
const InstrumentKey kBtc{"binance-us", "BTCUSDT"};
const int64_t kInitial = 100'000LL * fixed::kScale;

v1::Instrument btc() {
  v1::Instrument i;
  i.set_venue("binance-us");
  i.set_symbol("BTCUSDT");
  return i;
}

ExecsimConfig random_config(uint64_t seed) {
  std::mt19937_64 rng(seed * 7919);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ExecsimConfig c;
  c.strategies["meanrev"] = {{kBtc}, kInitial};
  c.strategies["momo"] = {{kBtc}, kInitial};
  FillModel& f = c.fills;
  f.slippage_bps = pick(0, 20);
  f.taker_fee_bps = 10;
  f.maker_fee_bps = 2;
  f.max_volume_share_e8 = pick(1, 10) * 10'000'000;
  f.path = static_cast<IntrabarPath>(pick(0, 3));
  f.gap_fill = pick(0, 1) ? GapFill::kOpen : GapFill::kOrderPrice;
  f.limit_fill = pick(0, 1) ? LimitFill::kTradeThrough : LimitFill::kTouch;
  f.iceberg_slices_per_bar = pick(1, 3);
  f.latency_ns = pick(0, 1) ? 0 : pick(1, 90) * kNanosPerSecond;
  if (pick(0, 1)) {
    f.slippage_atr_fraction_e8 = pick(0, 50) * 1'000'000;
    f.impact_coefficient_e8 = pick(0, 50) * 1'000'000;
    f.atr_bars = pick(1, 20);
  }
  if (pick(0, 1)) {
    f.fee_tiers = {{"base", 0, 2 * fixed::kScale, 10 * fixed::kScale},
                   {"vip", 200'000 * fixed::kScale, 75'000'000, 5 * fixed::kScale}};
    f.min_fee_per_order_e8 = pick(0, 3) * fixed::kScale;
  }
  f.session_end_ns = pick(0, 23) * 3600 * kNanosPerSecond;
  const int64_t leverage[] = {0, 50'000'000, 100'000'000, 300'000'000};  // 0, 0.5, 1, 3
  f.max_leverage_e8 = leverage[pick(0, 3)];
  return c;
}

struct Stream {
  std::vector<v1::Bar> bars;
  // Decision outputs and cancels, in the order decision publishes them.
  std::vector<std::function<HandleResult(ExecsimCore&, runtime::Outbox&)>> orders;
};

Stream random_stream(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  Stream s;
  int64_t price = 30'000 * fixed::kScale;
  std::vector<std::string> ids;
  int serial = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t t = kT0 + i * kStep;
    const int64_t open = pick(0, 9) == 0 ? price + pick(-800, 800) * fixed::kScale : price;  // gaps
    const int64_t close = open + pick(-300, 300) * fixed::kScale;
    const int64_t high = std::max(open, close) + pick(0, 150) * fixed::kScale;
    const int64_t low = std::min(open, close) - pick(0, 150) * fixed::kScale;
    price = close;
    v1::Bar b;
    *b.mutable_instrument() = btc();
    b.set_timeframe("1m");
    b.set_open_time_ns(t);
    b.set_close_time_ns(t + kStep);
    b.set_open_e8(open);
    b.set_high_e8(high);
    b.set_low_e8(low);
    b.set_close_e8(close);
    b.set_volume_e8(pick(0, 400) * 1'000'000);
    const int64_t f = pick(0, 14);
    b.set_quality_flags(f == 0 ? v1::BAR_QUALITY_GAP_BEFORE : f == 1 ? v1::BAR_QUALITY_OUTLIER : 0);
    s.bars.push_back(b);
    for (const char* strategy : {"meanrev", "momo"}) {
      // Cancels and replaces of earlier orders, sent before the decision output.
      if (!ids.empty() && pick(0, 3) == 0) {
        v1::CancelRequest c;
        c.set_client_order_id(ids[pick(0, static_cast<int64_t>(ids.size()) - 1)]);
        *c.mutable_instrument() = btc();
        c.mutable_trace()->set_event_time_ns(t);
        if (pick(0, 1)) {
          v1::Order& r = *c.mutable_replacement();
          r.set_quantity_e8(pick(1, 200) * 1'000'000);
          r.set_limit_price_e8(pick(0, 1) ? close + pick(-300, 300) * fixed::kScale : 0);
          r.set_stop_price_e8(pick(0, 2) == 0 ? close + pick(-300, 300) * fixed::kScale : 0);
          r.set_time_in_force(v1::TIME_IN_FORCE_GTC);
        }
        s.orders.push_back([c](ExecsimCore& core, runtime::Outbox& o) { return core.on_cancel(c, o); });
      }
      if (pick(0, 2) == 0) {
        v1::DecisionRejection r;
        r.set_strategy(strategy);
        *r.mutable_instrument() = btc();
        r.set_reason(v1::REJECT_NO_CHANGE);
        r.mutable_trace()->set_event_time_ns(t);
        s.orders.push_back([r](ExecsimCore& core, runtime::Outbox& o) { return core.on_rejection(r, o); });
        continue;
      }
      auto make = [&](v1::Side side) {
        v1::Order o;
        o.set_client_order_id(std::string(strategy) + "-" + std::to_string(serial++));
        *o.mutable_instrument() = btc();
        o.set_side(side);
        o.set_strategy(strategy);
        o.set_quantity_e8(pick(1, 150) * 1'000'000);
        const int64_t k = pick(0, 9);
        const int64_t off = pick(-300, 300) * fixed::kScale;
        if (k <= 2) {
          o.set_type(v1::ORDER_TYPE_MARKET);
        } else if (k <= 5) {
          o.set_type(v1::ORDER_TYPE_LIMIT);
          o.set_limit_price_e8(close + off);
          if (pick(0, 4) == 0) o.set_display_quantity_e8(std::max<int64_t>(1, o.quantity_e8() / pick(2, 4)));
          if (pick(0, 4) == 0) o.set_post_only(true);
        } else if (k == 6) {
          o.set_type(v1::ORDER_TYPE_STOP);
          o.set_stop_price_e8(close + off);
        } else if (k == 7) {
          o.set_type(v1::ORDER_TYPE_STOP_LIMIT);
          o.set_stop_price_e8(close + off);
          o.set_limit_price_e8(close + off + pick(-100, 100) * fixed::kScale);
        } else {
          o.set_type(v1::ORDER_TYPE_TRAILING_STOP);
          if (pick(0, 1))
            o.set_trail_amount_e8(pick(1, 300) * fixed::kScale);
          else
            o.set_trail_bps(static_cast<int32_t>(pick(1, 100)));
        }
        const int64_t tif = pick(0, 9);
        const bool simple = o.type() == v1::ORDER_TYPE_MARKET || o.type() == v1::ORDER_TYPE_LIMIT;
        if (tif <= 1 && simple && !o.post_only() && o.display_quantity_e8() == 0)
          o.set_time_in_force(tif == 0 ? v1::TIME_IN_FORCE_IOC : v1::TIME_IN_FORCE_FOK);
        else if (tif == 2)
          o.set_time_in_force(v1::TIME_IN_FORCE_DAY);
        else if (tif == 3) {
          o.set_time_in_force(v1::TIME_IN_FORCE_GTD);
          o.set_expire_time_ns(t + pick(-30, 300) * kNanosPerSecond);
        } else
          o.set_time_in_force(v1::TIME_IN_FORCE_GTC);
        if (pick(0, 5) == 0) o.set_reduce_only(true);
        if (pick(0, 30) == 0) o.set_quantity_e8(0);  // invalid now and then
        o.mutable_trace()->set_event_time_ns(t);
        o.mutable_trace()->set_decision_id("d-" + o.client_order_id());
        ids.push_back(o.client_order_id());
        return o;
      };
      v1::OrderIntent in;
      const v1::Side side = pick(0, 1) ? v1::SIDE_BUY : v1::SIDE_SELL;
      const v1::Side other = side == v1::SIDE_BUY ? v1::SIDE_SELL : v1::SIDE_BUY;
      *in.mutable_order() = make(side);
      const int64_t g = pick(0, 9);
      if (g == 0) {  // OCO
        in.mutable_order()->set_contingency(v1::CONTINGENCY_OCO);
        *in.add_legs() = make(side);
      } else if (g == 1) {  // OTO
        in.mutable_order()->set_contingency(v1::CONTINGENCY_OTO);
        *in.add_legs() = make(other);
      } else if (g == 2) {  // bracket
        v1::Order& e = *in.mutable_order();
        e.set_contingency(v1::CONTINGENCY_BRACKET);
        e.set_time_in_force(v1::TIME_IN_FORCE_GTC);
        const int64_t d = pick(50, 400) * fixed::kScale;
        const bool long_entry = side == v1::SIDE_BUY;
        v1::Order tp = make(other), sl = make(other);
        for (v1::Order* leg : {&tp, &sl}) {
          leg->set_quantity_e8(e.quantity_e8());
          leg->set_time_in_force(v1::TIME_IN_FORCE_GTC);
          leg->set_expire_time_ns(0);
          leg->clear_display_quantity_e8();
          leg->set_post_only(false);
          leg->set_trail_amount_e8(0);
          leg->set_trail_bps(0);
          leg->set_stop_price_e8(0);
          leg->set_limit_price_e8(0);
        }
        tp.set_type(v1::ORDER_TYPE_LIMIT);
        tp.set_limit_price_e8(long_entry ? close + d : close - d);
        sl.set_type(v1::ORDER_TYPE_STOP);
        sl.set_stop_price_e8(long_entry ? close - d : close + d);
        if (e.limit_price_e8() != 0) e.set_limit_price_e8(close);
        *in.add_legs() = tp;
        *in.add_legs() = sl;
      }
      s.orders.push_back([in](ExecsimCore& core, runtime::Outbox& o) { return core.on_intent(in, o); });
    }
  }
  return s;
}

std::string render(const std::vector<runtime::Outbox::Item>& items) {
  std::string s;
  for (const auto& i : items) s += i.subject + "|" + i.message_id + "|" + i.payload + "\n";
  return s;
}

void feed(const Stream& s, uint64_t seed, ExecsimCore& core, runtime::Outbox& out, size_t from = 0,
          size_t to = SIZE_MAX) {
  std::mt19937_64 rng(seed);
  size_t b = 0, o = 0, n = 0;
  while (b < s.bars.size() || o < s.orders.size()) {
    const bool take_bar = o >= s.orders.size() || (b < s.bars.size() && (seed == 0 || rng() % 2 == 0));
    if (n >= from && n < to) {
      HandleResult r = take_bar ? core.on_bar(s.bars[b], "", out) : s.orders[o](core, out);
      EXPECT_EQ(r.kind(), HandleResult::Kind::kOk) << r.reason() << ": " << r.detail();
    }
    take_bar ? ++b : ++o;
    ++n;
  }
}

bool terminal(v1::OrderStatus s) {
  return s == v1::ORDER_STATUS_FILLED || s == v1::ORDER_STATUS_CANCELED ||
         s == v1::ORDER_STATUS_EXPIRED || s == v1::ORDER_STATUS_REJECTED;
}

// The documented state machine (docs/services/execsim.md): which order
// status may follow which, per exec type.
bool legal(v1::OrderStatus from, v1::ExecType type, v1::OrderStatus to) {
  using S = v1::OrderStatus;
  const bool live = from == v1::ORDER_STATUS_NEW || from == v1::ORDER_STATUS_TRIGGERED ||
                    from == v1::ORDER_STATUS_PARTIALLY_FILLED;
  const bool open = live || from == v1::ORDER_STATUS_PENDING_NEW || from == v1::ORDER_STATUS_INACTIVE;
  switch (type) {
    case v1::EXEC_ACK:
      return from == v1::ORDER_STATUS_PENDING_NEW &&
             (to == v1::ORDER_STATUS_NEW || to == v1::ORDER_STATUS_INACTIVE);
    case v1::EXEC_REJECTED:
      return (from == v1::ORDER_STATUS_PENDING_NEW && to == v1::ORDER_STATUS_REJECTED) ||
             (open && to == from);  // a rejected replace leaves the order as it was
    case v1::EXEC_TRIGGERED:
      return (from == v1::ORDER_STATUS_NEW && to == v1::ORDER_STATUS_TRIGGERED) ||
             (from == v1::ORDER_STATUS_INACTIVE && to == v1::ORDER_STATUS_NEW);
    case v1::EXEC_PARTIAL_FILL:
      return live && to == v1::ORDER_STATUS_PARTIALLY_FILLED;
    case v1::EXEC_FILL:
      return live && to == v1::ORDER_STATUS_FILLED;
    case v1::EXEC_CANCELED:
      return open && to == v1::ORDER_STATUS_CANCELED;
    case v1::EXEC_EXPIRED:
      return open && from != v1::ORDER_STATUS_PENDING_NEW && to == v1::ORDER_STATUS_EXPIRED;
    case v1::EXEC_REPLACED:
      return open && to == from;
    case v1::EXEC_RESTATED:
      return from == v1::ORDER_STATUS_NEW && to == S::ORDER_STATUS_NEW;
    default:
      return false;
  }
}

struct Checked {
  int fills = 0;
  int positions = 0;
  std::set<v1::ExecType> types;
  std::set<v1::RejectReason> reasons;
};

// Walks the outputs, checking every invariant on the way.
Checked check_stream(const Stream& s, const ExecsimConfig& config,
                     const std::vector<runtime::Outbox::Item>& items, const ExecsimCore& core) {
  Checked c;
  std::map<int64_t, const v1::Bar*> bars;
  for (const auto& b : s.bars) bars[b.open_time_ns()] = &b;
  std::map<std::string, int64_t> qty, notional, fees;
  std::map<std::string, Book> replay;
  for (const auto& [name, a] : config.strategies) replay[name].cash_e8 = a.initial_cash_e8;
  struct OrderTrack {
    v1::OrderStatus status = v1::ORDER_STATUS_PENDING_NEW;
    int64_t cum = 0;
    int64_t fees = 0;
  };
  std::map<std::string, OrderTrack> orders;
  std::set<std::string> exec_ids;
  for (const auto& item : items) {
    if (item.message_type == "trading.v1.ExecutionReport") {
      v1::ExecutionReport r;
      EXPECT_TRUE(r.ParseFromString(item.payload));
      EXPECT_TRUE(exec_ids.insert(r.exec_id()).second) << "duplicate exec id " << r.exec_id();
      c.types.insert(r.exec_type());
      c.reasons.insert(r.reject_reason());
      EXPECT_GE(r.leaves_quantity_e8(), 0);
      EXPECT_FALSE(r.text().empty()) << r.exec_id();
      if (r.exec_type() == v1::EXEC_REJECTED) {
        EXPECT_NE(r.reject_reason(), v1::REJECT_REASON_UNSPECIFIED) << r.exec_id() << " " << r.text();
      }
      if (r.order_status() == v1::ORDER_STATUS_UNSPECIFIED) {  // about a request for an unknown order
        EXPECT_EQ(r.exec_type(), v1::EXEC_REJECTED);
        EXPECT_EQ(r.reject_reason(), v1::REJECT_UNKNOWN_ORDER);
        continue;
      }
      OrderTrack& o = orders[r.client_order_id()];
      EXPECT_TRUE(legal(o.status, r.exec_type(), r.order_status()))
          << r.exec_id() << ": " << v1::OrderStatus_Name(o.status) << " -"
          << v1::ExecType_Name(r.exec_type()) << "-> " << v1::OrderStatus_Name(r.order_status())
          << " (" << r.text() << ")";
      o.status = r.order_status();
      if (r.exec_type() == v1::EXEC_FILL || r.exec_type() == v1::EXEC_PARTIAL_FILL) {
        ++c.fills;
        const v1::Bar& bar = *bars.at(r.transact_time_ns());
        EXPECT_EQ(bar.quality_flags() & (1 | 2 | 4 | 16), 0u) << "fill on a flagged bar";
        EXPECT_GT(r.last_quantity_e8(), 0);
        EXPECT_GT(r.last_price_e8(), 0);
        EXPECT_GE(r.fee_e8(), 0);
        const bool buy = r.side() == v1::SIDE_BUY;
        if (config.fills.gap_fill == GapFill::kOrderPrice) {
          // the optimistic convention may price a gapped order outside the bar
        } else if (r.liquidity() == v1::LIQUIDITY_MAKER) {
          EXPECT_GE(r.last_price_e8(), bar.low_e8()) << r.text();
          EXPECT_LE(r.last_price_e8(), bar.high_e8()) << r.text();
        } else if (buy) {
          EXPECT_GE(r.last_price_e8(), bar.low_e8()) << r.text();
        } else {
          EXPECT_LE(r.last_price_e8(), bar.high_e8()) << r.text();
        }
        o.cum += r.last_quantity_e8();
        o.fees += r.fee_e8();
        const int64_t sign = buy ? 1 : -1;
        const int64_t n = fixed::mul(r.last_quantity_e8(), r.last_price_e8());
        qty[r.strategy()] += sign * r.last_quantity_e8();
        notional[r.strategy()] += sign * n;
        fees[r.strategy()] += r.fee_e8();
        apply_fill(replay[r.strategy()], r.side(), r.last_quantity_e8(), n, r.fee_e8());
      }
      EXPECT_EQ(r.cumulative_quantity_e8(), o.cum) << r.exec_id();
      EXPECT_EQ(r.cumulative_fees_e8(), o.fees) << r.exec_id();
      if (!terminal(r.order_status())) {
        EXPECT_EQ(r.cumulative_quantity_e8() + r.leaves_quantity_e8(), r.order_quantity_e8())
            << r.exec_id();
      }
      else
        EXPECT_EQ(r.leaves_quantity_e8(), 0);
      if (r.order_status() == v1::ORDER_STATUS_FILLED) {
        EXPECT_EQ(r.cumulative_quantity_e8(), r.order_quantity_e8());
      }
      if (o.cum > 0) { EXPECT_GE(o.fees, config.fills.min_fee_per_order_e8) << r.exec_id(); }
    } else if (item.message_type == "trading.v1.Position") {
      v1::Position p;
      EXPECT_TRUE(p.ParseFromString(item.payload));
      ++c.positions;
      const std::string& st = p.strategy();
      EXPECT_EQ(p.quantity_e8(), qty[st]);
      EXPECT_EQ(p.cash_e8(), kInitial - notional[st] - fees[st]);
      EXPECT_EQ(p.fees_e8(), fees[st]);
      EXPECT_EQ(p.equity_e8(), p.cash_e8() + fixed::mul(p.quantity_e8(), p.mark_price_e8()));
      EXPECT_EQ(p.realized_pnl_e8() - p.fees_e8() + p.unrealized_pnl_e8(), p.equity_e8() - kInitial);
      const Book& b = replay[st];
      EXPECT_EQ(b.quantity_e8, p.quantity_e8());
      EXPECT_EQ(b.realized_pnl_e8, p.realized_pnl_e8());
      EXPECT_EQ(average_cost_e8(b), p.average_cost_e8());
    }
  }
  // Books rebuilt from the fills alone equal the venue's.
  for (const auto& [name, b] : replay) {
    const Book* live = core.book(name, kBtc);
    EXPECT_EQ(live->quantity_e8, b.quantity_e8);
    EXPECT_EQ(live->cost_e8, b.cost_e8);
    EXPECT_EQ(live->open_fees_e8, b.open_fees_e8);
    EXPECT_EQ(live->realized_pnl_e8, b.realized_pnl_e8);
    EXPECT_EQ(live->fees_e8, b.fees_e8);
    EXPECT_EQ(live->cash_e8, b.cash_e8);
  }
  return c;
}

TEST(ExecsimProperties, InvariantsHoldOnRandomOrderStreams) {
  std::set<v1::ExecType> seen;
  std::set<v1::RejectReason> reasons;
  int fills = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ExecsimConfig config = random_config(seed);
    const Stream s = random_stream(seed, 120);
    ExecsimCore core(config);
    runtime::Outbox out;
    feed(s, seed, core, out);
    EXPECT_EQ(core.waiting_bars(), 0u);
    const Checked c = check_stream(s, config, out.items(), core);
    EXPECT_EQ(c.positions, 2 * 120);
    fills += c.fills;
    seen.insert(c.types.begin(), c.types.end());
    reasons.insert(c.reasons.begin(), c.reasons.end());
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_TRUE(reasons.contains(v1::REJECT_INSUFFICIENT_FUNDS));  // the check binds now and then
  EXPECT_GT(fills, 1000);  // the streams really trade
  for (auto t : {v1::EXEC_ACK, v1::EXEC_REJECTED, v1::EXEC_TRIGGERED, v1::EXEC_PARTIAL_FILL,
                 v1::EXEC_FILL, v1::EXEC_CANCELED, v1::EXEC_EXPIRED, v1::EXEC_REPLACED,
                 v1::EXEC_RESTATED})
    EXPECT_TRUE(seen.contains(t)) << v1::ExecType_Name(t) << " never happened";
}

// What the working orders of a strategy hold of its buying power on one
// side, recomputed from them: leaves of the live orders that are not
// reduce-only, at the limit (LIMIT, STOP_LIMIT) or the stop (STOP not
// triggered), or else at the current price (floating).
Reservation recomputed(const Engine& engine, const std::string& strategy, bool buy) {
  Reservation r;
  for (const LiveOrder* o : engine.orders()) {
    if (o->spec.strategy != strategy || o->spec.buy() != buy || o->spec.reduce_only) continue;
    if (o->status != v1::ORDER_STATUS_NEW && o->status != v1::ORDER_STATUS_TRIGGERED &&
        o->status != v1::ORDER_STATUS_PARTIALLY_FILLED)
      continue;
    r.quantity_e8 += o->leaves();
    const v1::OrderType t = o->spec.type;
    if (t == v1::ORDER_TYPE_LIMIT || t == v1::ORDER_TYPE_STOP_LIMIT)
      r.priced_e16 += static_cast<__int128>(o->leaves()) * o->spec.limit_e8;
    else if (t == v1::ORDER_TYPE_STOP && !o->triggered)
      r.priced_e16 += static_cast<__int128>(o->leaves()) * o->spec.stop_e8;
    else
      r.floating_e8 += o->leaves();
  }
  return r;
}

TEST(ExecsimProperties, ReservedBuyingPowerMatchesTheWorkingOrders) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ExecsimConfig config = random_config(seed);
    if (config.fills.max_leverage_e8 == 0) config.fills.max_leverage_e8 = fixed::kScale;
    const Stream s = random_stream(seed + 200, 80);
    ExecsimCore core(config);
    runtime::Outbox out;
    const size_t total = s.bars.size() + s.orders.size();
    for (size_t n = 0; n < total; ++n) {
      feed(s, seed, core, out, n, n + 1);
      ExecsimCore restored(config);  // rebuilds the reservations from the snapshot's orders
      ASSERT_TRUE(restored.restore(core.snapshot()).has_value());
      for (const auto& [name, account] : config.strategies)
        for (bool buy : {true, false}) {
          const Reservation want = recomputed(*core.engine(kBtc), name, buy);
          for (const ExecsimCore* c : {&core, &restored}) {
            const Reservation got = c->engine(kBtc)->reserved(name, buy);
            const std::string where = name + (buy ? " buys" : " sells") + ", message " +
                                      std::to_string(n) + (c == &core ? "" : ", restored");
            ASSERT_EQ(got.quantity_e8, want.quantity_e8) << where;
            ASSERT_TRUE(got.priced_e16 == want.priced_e16) << where;
            ASSERT_EQ(got.floating_e8, want.floating_e8) << where;
          }
          checked += want.quantity_e8 > 0;
        }
    }
    out.take();
  }
  EXPECT_GT(checked, 1000);  // orders really work
}

TEST(ExecsimProperties, OutputsDoNotDependOnInterleavingOrRestarts) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ExecsimConfig config = random_config(seed);
    const Stream s = random_stream(seed + 100, 60);
    std::string reference;
    {
      ExecsimCore core(config);
      runtime::Outbox out;
      feed(s, 0, core, out);  // all bars first
      reference = render(out.items());
    }
    for (uint64_t mix = 1; mix <= 3; ++mix) {
      ExecsimCore core(config);
      runtime::Outbox out;
      feed(s, mix, core, out);
      EXPECT_EQ(render(out.items()), reference) << "interleaving " << mix;
    }
    // Restart (snapshot, restore into a fresh core) every 17 messages.
    const size_t total = s.bars.size() + s.orders.size();
    runtime::Outbox out;
    std::string snap;
    for (size_t from = 0; from < total; from += 17) {
      ExecsimCore core(config);
      if (!snap.empty()) {
        ASSERT_TRUE(core.restore(snap).has_value());
        EXPECT_EQ(core.snapshot(), snap);
      }
      feed(s, 5, core, out, from, from + 17);
      snap = core.snapshot();
    }
    ExecsimCore whole(config);
    runtime::Outbox whole_out;
    feed(s, 5, whole, whole_out);
    EXPECT_EQ(render(out.items()), render(whole_out.items()));
  }
}

}  // namespace
}  // namespace tp::execsim
