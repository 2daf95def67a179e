// Hand-computed scenarios: each one a few bars, the orders decided between
// them, and every execution report expected on each bar with its exact
// quantity, price, fee and text. The arithmetic is in the comments; the
// rules are in docs/services/execsim.md.
//
// Defaults: one strategy "momo" with 100000 cash on binance-us/BTCUSDT,
// 1-minute bars, slippage 10 bps, taker fee 10 bps, maker fee 2 bps,
// max_volume_share 1, intrabar path nearer_extreme_first, no latency.
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "execsim/core/execsim_core.h"
#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

namespace v1 = trading::v1;

constexpr int64_t kStep = 60LL * kNanosPerSecond;
int64_t e8(const char* text) { return fixed::from_string(text).value(); }
const InstrumentKey kBtc{"binance-us", "BTCUSDT"};

v1::Instrument btc() {
  v1::Instrument i;
  i.set_venue("binance-us");
  i.set_symbol("BTCUSDT");
  return i;
}

// ------------------------------------------------------------------ orders

struct O {
  v1::Order o;
  O(const std::string& id, v1::Side side, const char* qty, v1::OrderType type) {
    o.set_client_order_id(id);
    *o.mutable_instrument() = btc();
    o.set_side(side);
    o.set_type(type);
    o.set_time_in_force(v1::TIME_IN_FORCE_GTC);
    o.set_quantity_e8(e8(qty));
    o.set_strategy("momo");
    o.mutable_trace()->set_decision_id("d-" + id);
  }
  O& limit(const char* p) { o.set_limit_price_e8(e8(p)); return *this; }
  O& stop(const char* p) { o.set_stop_price_e8(e8(p)); return *this; }
  O& trail(const char* amount) { o.set_trail_amount_e8(e8(amount)); return *this; }
  O& tif(v1::TimeInForce t) { o.set_time_in_force(t); return *this; }
  O& gtd(int64_t t) { o.set_time_in_force(v1::TIME_IN_FORCE_GTD); o.set_expire_time_ns(t); return *this; }
  O& display(const char* q) { o.set_display_quantity_e8(e8(q)); return *this; }
  O& reduce_only() { o.set_reduce_only(true); return *this; }
  O& post_only() { o.set_post_only(true); return *this; }
  O& contingency(v1::ContingencyType c) { o.set_contingency(c); return *this; }
};
O market(const std::string& id, v1::Side s, const char* q) { return O(id, s, q, v1::ORDER_TYPE_MARKET); }
O limit(const std::string& id, v1::Side s, const char* q, const char* p) {
  return O(id, s, q, v1::ORDER_TYPE_LIMIT).limit(p);
}
O stop(const std::string& id, v1::Side s, const char* q, const char* p) {
  return O(id, s, q, v1::ORDER_TYPE_STOP).stop(p);
}
constexpr v1::Side kBuy = v1::SIDE_BUY;
constexpr v1::Side kSell = v1::SIDE_SELL;

v1::OrderIntent group(std::vector<O> orders) {
  v1::OrderIntent in;
  *in.mutable_order() = orders[0].o;
  for (size_t i = 1; i < orders.size(); ++i) *in.add_legs() = orders[i].o;
  return in;
}

// ------------------------------------------------------------------ table

struct Expect {
  std::string id;
  v1::ExecType type;
  const char* qty = "0";    // last quantity (fills)
  const char* price = "0";  // last price (fills)
  const char* fee = "0";    // fee of the fill
  std::string text;         // exact; empty = not checked
  v1::RejectReason reason = v1::REJECT_REASON_UNSPECIFIED;
  uint64_t n = 0;  // event number in the exec id; 0 = not checked
};

struct BarSpec {
  const char *o, *h, *l, *c, *v;
  uint32_t flags = 0;
};

struct Step {
  BarSpec bar;
  std::vector<Expect> expect;                 // every report of this bar, in order
  std::optional<v1::OrderIntent> then;        // decided after the bar
  std::vector<v1::CancelRequest> cancels;     // sent after the bar
  std::optional<const char*> position;        // expected quantity after the bar
  std::optional<const char*> cash;            // expected cash after the bar
};

struct Scenario {
  std::string name;
  std::vector<Step> steps;
  std::function<void(ExecsimConfig&)> tweak = nullptr;
  int64_t t0 = 1'700'000'000LL * kNanosPerSecond;
};

v1::CancelRequest cancel(const std::string& id) {
  v1::CancelRequest c;
  c.set_client_order_id(id);
  *c.mutable_instrument() = btc();
  return c;
}
v1::CancelRequest replace(const std::string& id, O replacement) {
  v1::CancelRequest c = cancel(id);
  *c.mutable_replacement() = replacement.o;
  return c;
}

ExecsimConfig base_config() {
  ExecsimConfig c;
  c.strategies["momo"] = {{kBtc}, e8("100000")};
  c.fills.slippage_bps = 10;
  c.fills.taker_fee_bps = 10;
  c.fills.maker_fee_bps = 2;
  c.fills.max_volume_share_e8 = e8("1");
  return c;
}

std::string describe(const v1::ExecutionReport& r) {
  return r.client_order_id() + " " + v1::ExecType_Name(r.exec_type()) + " " +
         fixed::to_string(r.last_quantity_e8()) + " @ " + fixed::to_string(r.last_price_e8()) +
         " fee " + fixed::to_string(r.fee_e8()) + " [" + r.text() + "]";
}

void run(const Scenario& s) {
  SCOPED_TRACE(s.name);
  ExecsimConfig config = base_config();
  if (s.tweak) s.tweak(config);
  ExecsimCore core(config);
  runtime::Outbox out;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    SCOPED_TRACE("bar " + std::to_string(i));
    const Step& step = s.steps[i];
    const int64_t t = s.t0 + static_cast<int64_t>(i) * kStep;
    v1::Bar b;
    *b.mutable_instrument() = btc();
    b.set_timeframe("1m");
    b.set_open_time_ns(t);
    b.set_close_time_ns(t + kStep);
    b.set_open_e8(e8(step.bar.o));
    b.set_high_e8(e8(step.bar.h));
    b.set_low_e8(e8(step.bar.l));
    b.set_close_e8(e8(step.bar.c));
    b.set_volume_e8(e8(step.bar.v));
    b.set_quality_flags(step.bar.flags);
    ASSERT_EQ(core.on_bar(b, "", out).kind(), bus::HandleResult::Kind::kOk);
    std::vector<v1::ExecutionReport> reports;
    for (const auto& item : out.take())
      if (item.message_type == "trading.v1.ExecutionReport") {
        v1::ExecutionReport r;
        ASSERT_TRUE(r.ParseFromString(item.payload));
        reports.push_back(r);
      }
    std::string got;
    for (const auto& r : reports) got += "\n  " + describe(r);
    ASSERT_EQ(reports.size(), step.expect.size()) << "reports:" << got;
    for (size_t k = 0; k < reports.size(); ++k) {
      const auto& r = reports[k];
      const auto& x = step.expect[k];
      EXPECT_EQ(r.client_order_id(), x.id) << got;
      EXPECT_EQ(v1::ExecType_Name(r.exec_type()), v1::ExecType_Name(x.type)) << got;
      EXPECT_EQ(fixed::to_string(r.last_quantity_e8()), x.qty) << got;
      EXPECT_EQ(fixed::to_string(r.last_price_e8()), x.price) << got;
      EXPECT_EQ(fixed::to_string(r.fee_e8()), x.fee) << got;
      if (!x.text.empty()) { EXPECT_EQ(r.text(), x.text); }
      if (x.n != 0) {
        EXPECT_EQ(r.exec_id(), "exec:" + x.id + ":" + std::to_string(x.n));
      }
      if (x.reason != v1::REJECT_REASON_UNSPECIFIED) {
        EXPECT_EQ(v1::RejectReason_Name(r.reject_reason()), v1::RejectReason_Name(x.reason));
      }
    }
    const Book* book = core.book("momo", kBtc);
    if (step.position) { EXPECT_EQ(fixed::to_string(book->quantity_e8), *step.position); }
    if (step.cash) { EXPECT_EQ(fixed::to_string(book->cash_e8), *step.cash); }
    for (auto c : step.cancels) {
      c.mutable_trace()->set_event_time_ns(t);
      ASSERT_EQ(core.on_cancel(c, out).kind(), bus::HandleResult::Kind::kOk);
    }
    if (step.then) {
      v1::OrderIntent in = *step.then;
      in.mutable_order()->mutable_trace()->set_event_time_ns(t);
      ASSERT_EQ(core.on_intent(in, out).kind(), bus::HandleResult::Kind::kOk);
    } else {
      v1::DecisionRejection r;
      r.set_strategy("momo");
      *r.mutable_instrument() = btc();
      r.set_reason(v1::REJECT_NO_CHANGE);
      r.mutable_trace()->set_event_time_ns(t);
      ASSERT_EQ(core.on_rejection(r, out).kind(), bus::HandleResult::Kind::kOk);
    }
    out.take();
  }
}

using X = Expect;
constexpr auto ACK = v1::EXEC_ACK;
constexpr auto FILL = v1::EXEC_FILL;
constexpr auto PART = v1::EXEC_PARTIAL_FILL;
constexpr auto CXL = v1::EXEC_CANCELED;
constexpr auto REJ = v1::EXEC_REJECTED;
constexpr auto TRIG = v1::EXEC_TRIGGERED;
constexpr auto EXP = v1::EXEC_EXPIRED;
constexpr auto RESTATED = v1::EXEC_RESTATED;
constexpr auto REPLACED = v1::EXEC_REPLACED;

// A long of 1 bought at 30030 (open 30000 + 10 bps), fee 30.03, on bar 1.
std::vector<Step> long_one() {
  return {{{"30000", "30100", "29900", "30000", "10"}, {}, group({market("entry", kBuy, "1")})},
          {{"30000", "30100", "29950", "30050", "10"},
           {X{"entry", ACK}, X{"entry", FILL, "1", "30030", "30.03"}}}};
}

std::vector<Step> with(std::vector<Step> head, std::vector<Step> tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> all;

  // A sell stop 29500 under a long; bar 3 opens at 28500, below the stop:
  // it fills at the open, not at the stop: 28500 - 28.5 = 28471.5, fee 28.4715.
  // Cash: 100000 - 30030 - 30.03 + 28471.5 - 28.4715 = 98382.9985.
  {
    auto steps = long_one();
    steps[1].then = group({stop("sl", kSell, "1", "29500")});
    all.push_back({"gap through a stop fills at the open",
                   with(steps, {{{"30000", "30050", "29800", "29900", "10"}, {X{"sl", ACK}}},
                                {{"28500", "28700", "28400", "28600", "10"},
                                 {X{"sl", TRIG, "0", "0", "0",
                                    "STOP 29500 triggered: open 28500 is beyond it (gap)"},
                                  X{"sl", FILL, "1", "28471.5", "28.4715",
                                    "STOP 29500 gapped through: open 28500 - 10 bps slippage = "
                                    "28471.5; taker fee 10 bps"}},
                                 {}, {}, "0", "98382.9985"}})});
  }
  // The same with gap_fill "order_price" (the optimistic convention): at the
  // stop, 29500 - 29.5 = 29470.5, fee 29.4705.
  {
    auto steps = long_one();
    steps[1].then = group({stop("sl", kSell, "1", "29500")});
    all.push_back({"gap_fill order_price fills a gapped stop at the stop",
                   with(steps, {{{"28500", "28700", "28400", "28600", "10"},
                                 {X{"sl", ACK}, X{"sl", TRIG},
                                  X{"sl", FILL, "1", "29470.5", "29.4705"}}}}),
                   [](ExecsimConfig& c) { c.fills.gap_fill = GapFill::kOrderPrice; }});
  }
  // Trailing sell stop, 100 behind the high-water mark.
  // Bar 2 O30000 H30300 L29950 C30250, path O-L-H-C: arrives at 30000 (stop
  // 29900), the low 29950 stays above it, the high 30300 lifts it to 30200.
  // Bar 3 O30320 H30500 L30300 C30450, path O-L-H-C: lifted to 30400.
  // Bar 4 O30460 H30480 L30300 C30350, path O-H-L-C: the high 30480 stays
  // under the mark 30500; falling to 30300 crosses 30400: 30400 - 30.4 = 30369.6.
  {
    auto steps = long_one();
    O ts("ts", kSell, "1", v1::ORDER_TYPE_TRAILING_STOP);
    ts.trail("100");
    steps[1].then = group({ts});
    all.push_back(
        {"trailing stop ratchets then triggers",
         with(steps,
              {{{"30000", "30300", "29950", "30250", "10"},
                {X{"ts", ACK, "0", "0", "0", "accepted; trailing stop 29900 (high-water 30000 - 100)"},
                 X{"ts", RESTATED, "0", "0", "0",
                   "trailing stop moved 29900 -> 30200 (high-water 30300 - 100)"}}},
               {{"30320", "30500", "30300", "30450", "10"},
                {X{"ts", RESTATED, "0", "0", "0",
                   "trailing stop moved 30200 -> 30400 (high-water 30500 - 100)"}}},
               {{"30460", "30480", "30300", "30350", "10"},
                {X{"ts", TRIG, "0", "0", "0",
                   "TRAILING_STOP 30400 triggered (high-water 30500 - 100): the low 30300 reached it"},
                 X{"ts", FILL, "1", "30369.6", "30.3696",
                   "TRAILING_STOP 30400 triggered (low 30300): 30400 - 10 bps slippage = 30369.6; "
                   "taker fee 10 bps"}},
                {}, {}, "0"}})});
  }
  // OCO take-profit 30500 / stop-loss 29500 under the long. Bar 3 O30100
  // H30600 L30050 C30550 (path O-L-H-C) trades through 30500: maker fill
  // 30500, fee 6.1; the stop-loss is canceled.
  {
    auto steps = long_one();
    steps[1].then = group({limit("tp", kSell, "1", "30500").contingency(v1::CONTINGENCY_OCO),
                           stop("sl", kSell, "1", "29500")});
    all.push_back({"OCO: one leg fills, the other is canceled",
                   with(steps, {{{"30000", "30200", "29800", "30100", "10"},
                                 {X{"tp", ACK}, X{"sl", ACK}}},
                                {{"30100", "30600", "30050", "30550", "10"},
                                 {X{"tp", FILL, "1", "30500", "6.1",
                                    "LIMIT 30500 traded through (high 30600); maker fee 2 bps"},
                                  X{"sl", CXL, "0", "0", "0", "OCO: sibling tp filled"}},
                                 {}, {}, "0"}})});
  }
  // The intrabar path decides which OCO leg comes first: bar 3 O30000
  // H30600 L29400 reaches both legs. low_first visits the low first: the stop
  // triggers at 29500 (29500 - 29.5 = 29470.5) and the take-profit is canceled.
  {
    auto steps = long_one();
    steps[1].then = group({limit("tp", kSell, "1", "30500").contingency(v1::CONTINGENCY_OCO),
                           stop("sl", kSell, "1", "29500")});
    all.push_back({"OCO with low_first: the stop-loss leg wins",
                   with(steps, {{{"30000", "30600", "29400", "30000", "10"},
                                 {X{"tp", ACK}, X{"sl", ACK}, X{"sl", TRIG},
                                  X{"sl", FILL, "1", "29470.5", "29.4705"},
                                  X{"tp", CXL, "0", "0", "0", "OCO: sibling sl filled"}}}}),
                   [](ExecsimConfig& c) { c.fills.path = IntrabarPath::kLowFirst; }});
  }
  // Bracket: entry buy limit 29900, take-profit 30400, stop-loss 29600.
  // Bar 1: the entry rests, the legs wait. Bar 2 O30000 H30050 L29850 C30000
  // (path O-H-L-C) trades through 29900: entry filled at 29900, fee 5.98; the
  // legs activate. Bar 3 O30000 H30450 L29980 trades through 30400: fee 6.08;
  // the stop-loss is canceled. Realised 500, net 500 - 5.98 - 6.08 = 487.94.
  {
    Scenario s{"bracket: entry, take-profit and stop-loss lifecycle", {}};
    s.steps = {{{"30000", "30100", "29900", "30000", "10"},
                {},
                group({limit("b-entry", kBuy, "1", "29900").contingency(v1::CONTINGENCY_BRACKET),
                       limit("b-tp", kSell, "1", "30400"), stop("b-sl", kSell, "1", "29600")})},
               {{"30000", "30100", "29950", "30050", "10"},
                {X{"b-entry", ACK},
                 X{"b-tp", ACK, "0", "0", "0", "accepted; inactive until parent b-entry is filled"},
                 X{"b-sl", ACK}}},
               {{"30000", "30050", "29850", "30000", "10"},
                {X{"b-entry", FILL, "1", "29900", "5.98"},
                 X{"b-tp", TRIG, "0", "0", "0", "activated: parent b-entry filled"},
                 X{"b-sl", TRIG}},
                {}, {}, "1"},
               {{"30000", "30450", "29980", "30420", "10"},
                {X{"b-tp", FILL, "1", "30400", "6.08"},
                 X{"b-sl", CXL, "0", "0", "0", "OCO: sibling b-tp filled"}},
                {}, {}, "0", "100487.94"}};
    all.push_back(s);
  }
  // Canceling a bracket entry before it fills cancels the waiting legs.
  {
    Scenario s{"bracket entry canceled: its legs are canceled", {}};
    s.steps = {{{"30000", "30100", "29900", "30000", "10"},
                {},
                group({limit("b-entry", kBuy, "1", "29000").contingency(v1::CONTINGENCY_BRACKET),
                       limit("b-tp", kSell, "1", "30400"), stop("b-sl", kSell, "1", "28000")})},
               {{"30000", "30100", "29950", "30050", "10"},
                {X{"b-entry", ACK}, X{"b-tp", ACK}, X{"b-sl", ACK}},
                {},
                {cancel("b-entry")}},
               {{"30000", "30100", "29950", "30050", "10"},
                {X{"b-entry", CXL, "0", "0", "0", "canceled on request"},
                 X{"b-tp", CXL, "0", "0", "0", "parent b-entry was canceled without a fill"},
                 X{"b-sl", CXL}}}};
    all.push_back(s);
  }
  // IOC market buy 0.25 on a bar of volume 1 with max_volume_share 0.1:
  // 0.1 fills at 30100 + 30.1 = 30130.1 (fee 3.01301), the rest is canceled.
  {
    Scenario s{"IOC fills partially and the rest is canceled",
               {{{"30000", "30100", "29900", "30000", "10"},
                 {},
                 group({market("ioc", kBuy, "0.25").tif(v1::TIME_IN_FORCE_IOC)})},
                {{"30100", "30200", "30000", "30150", "1"},
                 {X{"ioc", ACK},
                  X{"ioc", PART, "0.1", "30130.1", "3.01301",
                    "MARKET at open 30100 + 10 bps slippage = 30130.1; taker fee 10 bps; capped at "
                    "max_volume_share 0.1 of bar volume 1"},
                  X{"ioc", CXL, "0", "0", "0",
                    "IOC remainder canceled: no volume left within max_volume_share 0.1"}},
                 group({limit("ioc2", kBuy, "0.1", "30000").tif(v1::TIME_IN_FORCE_IOC)}),
                 {},
                 "0.1"},
                {{"30100", "30200", "29900", "30150", "1"},
                 {X{"ioc2", ACK},
                  X{"ioc2", CXL, "0", "0", "0",
                    "IOC canceled: limit 30000 is not marketable at arrival price 30100"}}}},
               [](ExecsimConfig& c) { c.fills.max_volume_share_e8 = e8("0.1"); }};
    all.push_back(s);
  }
  // FOK buy 0.25 when only 0.1 is fillable: rejected outright; FOK 0.1 fills.
  {
    Scenario s{"FOK is rejected when it cannot fill entirely",
               {{{"30000", "30100", "29900", "30000", "10"},
                 {},
                 group({market("fok", kBuy, "0.25").tif(v1::TIME_IN_FORCE_FOK)})},
                {{"30100", "30200", "30000", "30150", "1"},
                 {X{"fok", REJ, "0", "0", "0",
                    "FOK rejected: only 0.1 of 0.25 fillable within max_volume_share 0.1 of bar "
                    "volume 1",
                    v1::REJECT_FOK_UNFILLABLE}},
                 group({market("fok2", kBuy, "0.1").tif(v1::TIME_IN_FORCE_FOK)})},
                {{"30100", "30200", "30000", "30150", "1"},
                 {X{"fok2", ACK}, X{"fok2", FILL, "0.1", "30130.1", "3.01301"}}}},
               [](ExecsimConfig& c) { c.fills.max_volume_share_e8 = e8("0.1"); }};
    all.push_back(s);
  }
  // Iceberg buy limit 29900, quantity 1, display 0.25: one slice per bar.
  // Each bar O29950 H29960 L29850 (path O-H-L-C) trades through 29900:
  // 0.25 at 29900, fee 0.25 x 29900 x 2 bps = 1.495; then the next slice.
  {
    const BarSpec through{"29950", "29960", "29850", "29900", "10"};
    auto slice = [&](const char* hidden, bool last) {
      return X{"ice", last ? FILL : PART, "0.25", "29900", "1.495",
               last ? "LIMIT 29900 traded through (low 29850); maker fee 2 bps"
                    : std::string("LIMIT 29900 traded through (low 29850); maker fee 2 bps; "
                                  "iceberg refilled: next slice 0.25 displayed, ") +
                          hidden + " hidden"};
    };
    Scenario s{"iceberg refills one slice per bar",
               {{{"30000", "30100", "29900", "30000", "10"},
                 {},
                 group({limit("ice", kBuy, "1", "29900").display("0.25")})},
                {{"30000", "30050", "29950", "30000", "10"}, {X{"ice", ACK}}},
                {through, {slice("0.5", false)}},
                {through, {slice("0.25", false)}},
                {through, {slice("0", false)}},
                {through, {slice("", true)}, {}, {}, "1"}}};
    all.push_back(s);
    Scenario two{"iceberg with two slices per bar",
                 {{{"30000", "30100", "29900", "30000", "10"},
                   {},
                   group({limit("ice", kBuy, "1", "29900").display("0.25")})},
                  {{"30000", "30050", "29950", "30000", "10"}, {X{"ice", ACK}}},
                  {through, {slice("0.5", false), slice("0.25", false)}},
                  {through, {slice("0", false), slice("", true)}, {}, {}, "1"}},
                 [](ExecsimConfig& c) { c.fills.iceberg_slices_per_bar = 2; }};
    all.push_back(two);
  }
  // Reduce-only sell 1.5 under a long of 1 would flip it: rejected. A
  // reduce-only sell 0.4 fills: 30000 - 30 = 29970, fee 11.988.
  {
    auto steps = long_one();
    steps[1].then = group({market("ro", kSell, "1.5").reduce_only()});
    all.push_back(
        {"reduce-only that would flip the position is rejected",
         with(steps, {{{"30000", "30100", "29900", "30000", "10"},
                       {X{"ro", REJ, "0", "0", "0", "reduce-only SELL 1.5 would flip the long 1",
                          v1::REJECT_REDUCE_ONLY}},
                       group({market("ro2", kSell, "0.4").reduce_only()})},
                      {{"30000", "30100", "29900", "30000", "10"},
                       {X{"ro2", ACK}, X{"ro2", FILL, "0.4", "29970", "11.988"}},
                       {}, {}, "0.6"}})});
  }
  // A resting reduce-only limit is capped by the position at fill time and
  // its remainder canceled once flat.
  {
    auto steps = long_one();
    steps[1].then = group({limit("ro-tp", kSell, "1", "31000").reduce_only()});
    steps.push_back({{"30000", "30100", "29900", "30000", "10"},
                     {X{"ro-tp", ACK}},
                     group({market("cut", kSell, "0.7")})});
    steps.push_back({{"30000", "30100", "29900", "30000", "10"},
                     {X{"cut", ACK}, X{"cut", FILL, "0.7", "29970", "20.979"}},
                     {}, {}, "0.3"});
    // High 31100 trades through 31000: 0.3 at 31000, maker fee 1.86.
    steps.push_back({{"30000", "31100", "29990", "31000", "10"},
                     {X{"ro-tp", PART, "0.3", "31000", "1.86",
                        "LIMIT 31000 traded through (high 31100); maker fee 2 bps; capped at the "
                        "position 0.3 (reduce-only)"},
                      X{"ro-tp", CXL, "0", "0", "0",
                        "reduce-only remainder canceled: position is flat", v1::REJECT_REDUCE_ONLY}},
                     {}, {}, "0"});
    all.push_back({"reduce-only is capped at the position when it fills", steps});
  }
  // Post-only buy limit 30200 arriving at 30100 would take liquidity: rejected.
  {
    Scenario s{"post-only that would cross is rejected",
               {{{"30000", "30100", "29900", "30000", "10"},
                 {},
                 group({limit("po", kBuy, "1", "30200").post_only()})},
                {{"30100", "30200", "30000", "30150", "10"},
                 {X{"po", REJ, "0", "0", "0",
                    "post-only BUY limit 30200 would cross: price at arrival 30100",
                    v1::REJECT_POST_ONLY}},
                 group({limit("po2", kBuy, "1", "30000").post_only()})},
                {{"30100", "30200", "30050", "30150", "10"}, {X{"po2", ACK}}, {}, {}, "0"}}};
    all.push_back(s);
  }
  // DAY buy limit decided at 23:58 UTC arrives at 23:59 and expires at the
  // session end 00:00; GTD orders expire inside the bar: the intrabar path is
  // timed (each leg a third of the bar), so a GTD ending at 00:00:30 expires
  // before the high (second leg) reaches its limit, one ending at 00:00:50
  // fills first. Bar 00:00 O30000 H30300 L29990 C30100 (path O-L-H-C): 30200
  // is crossed at 210/310 of the second leg, i.e. about 00:00:33.5.
  {
    const int64_t midnight = 1'700'006'400LL * kNanosPerSecond;  // 2023-11-15T00:00:00Z
    Scenario s{"DAY and GTD expiry", {}};
    s.t0 = midnight - 3 * kStep;
    s.steps = {{{"30000", "30100", "29900", "30000", "10"}, {}, group({limit("day", kBuy, "1", "29000").tif(v1::TIME_IN_FORCE_DAY)})},
               {{"30000", "30100", "29900", "30000", "10"}, {X{"day", ACK}}, group({limit("gtd1", kSell, "1", "30200").gtd(midnight + 30 * kNanosPerSecond)})},
               {{"30000", "30100", "29900", "30000", "10"}, {X{"gtd1", ACK}}, group({limit("gtd2", kSell, "1", "30200").gtd(midnight + 50 * kNanosPerSecond)})},
               {{"30000", "30300", "29990", "30100", "10"},
                {X{"day", EXP, "0", "0", "0", "DAY order expired at the session end 2023-11-15T00:00:00Z"},
                 X{"gtd2", ACK},
                 X{"gtd1", EXP, "0", "0", "0", "GTD order expired at 2023-11-15T00:00:30Z"},
                 X{"gtd2", FILL, "1", "30200", "6.04"}},
                {}, {}, "-1"}};
    all.push_back(s);
  }
  // Stop-limit sell 29600 / 29550: bar O29800 H29820 L29500 (path O-H-L-C)
  // triggers at 29600 where the limit is marketable: 29600 - 29.6 = 29570.4.
  {
    auto steps = long_one();
    steps[1].then = group({O("sll", kSell, "1", v1::ORDER_TYPE_STOP_LIMIT).stop("29600").limit("29550")});
    all.push_back({"stop-limit triggered and marketable",
                   with(steps, {{{"29800", "29820", "29500", "29700", "10"},
                                 {X{"sll", ACK}, X{"sll", TRIG},
                                  X{"sll", FILL, "1", "29570.4", "29.5704",
                                    "STOP_LIMIT 29600 limit 29550 marketable when triggered: 29600 "
                                    "- 10 bps slippage = 29570.4; taker fee 10 bps"}}}})});
  }
  // ... and when the bar gaps below the limit it triggers at the open but
  // rests as a limit, filling when the path comes back up through 29550.
  {
    auto steps = long_one();
    steps[1].then = group({O("sll", kSell, "1", v1::ORDER_TYPE_STOP_LIMIT).stop("29600").limit("29550")});
    all.push_back({"stop-limit gapped below its limit rests, then fills at the limit",
                   with(steps, {{{"29400", "29600", "29350", "29500", "10"},
                                 {X{"sll", ACK}, X{"sll", TRIG},
                                  X{"sll", FILL, "1", "29550", "5.91",
                                    "STOP_LIMIT 29600 limit 29550 traded through (high 29600); "
                                    "maker fee 2 bps"}}}})});
  }
  // Latency 30 s on 1-minute bars: the market order arrives half way
  // through the bar, on the second leg of O-L-H-C (29900 -> 30200): 30050.
  {
    Scenario s{"latency: a market order arrives mid-bar",
               {{{"30000", "30100", "29900", "30000", "10"}, {}, group({market("lat", kBuy, "1")})},
                {{"30000", "30200", "29900", "30100", "10"},
                 {X{"lat", ACK},
                  X{"lat", FILL, "1", "30080.05", "30.08005",
                    "MARKET at arrival price 30050 (latency 30000 ms) + 10 bps slippage = "
                    "30080.05; taker fee 10 bps"}}}},
               [](ExecsimConfig& c) { c.fills.latency_ns = 30 * kNanosPerSecond; }};
    all.push_back(s);
  }
  // Volatility-scaled and square-root impact slippage (fixed part 0):
  // ATR(2) after bar 0 = 200; bar 1 buy 1 of volume 4:
  // 0.5 x 200 + 0.1 x 200 x sqrt(1/4) = 100 + 10 = 110 -> 30110, fee 30.11.
  // ATR(2) after bar 1 = (200 + 400) / 2 = 300; bar 2 sell 1:
  // 150 + 0.1 x 300 x 0.5 = 165 -> 30100 - 165 = 29935, fee 29.935.
  {
    Scenario s{"slippage: volatility-scaled and square-root impact",
               {{{"30000", "30100", "29900", "30000", "4"}, {}, group({market("a", kBuy, "1")})},
                {{"30000", "30300", "29900", "30100", "4"},
                 {X{"a", ACK},
                  X{"a", FILL, "1", "30110", "30.11",
                    "MARKET at open 30000 + slippage 110 (0 bps 0, 0.5 x ATR 200 = 100, impact 0.1 "
                    "x ATR 200 x sqrt(1 / 4) = 10) = 30110; taker fee 10 bps"}},
                 group({market("b", kSell, "1")})},
                {{"30100", "30200", "30000", "30100", "4"},
                 {X{"b", ACK}, X{"b", FILL, "1", "29935", "29.935"}}, {}, {}, "0"}},
               [](ExecsimConfig& c) {
                 c.fills.slippage_bps = 0;
                 c.fills.slippage_atr_fraction_e8 = e8("0.5");
                 c.fills.impact_coefficient_e8 = e8("0.1");
                 c.fills.atr_bars = 2;
               }};
    all.push_back(s);
  }
  // Fee tiers by trailing 30-day volume and a per-order minimum of 20:
  // buy 1 at 30030 (base 10 bps: 30.03), sell 1 at 29970 (volume 30030 <
  // 50000: 29.97), buy 0.1 at 30030 (volume 60000: vip 5 bps = 1.5015,
  // raised to the minimum 20).
  {
    Scenario s{"fee tiers and the per-order minimum",
               {{{"30000", "30100", "29900", "30000", "10"}, {}, group({market("f1", kBuy, "1")})},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"f1", ACK}, X{"f1", FILL, "1", "30030", "30.03"}},
                 group({market("f2", kSell, "1")})},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"f2", ACK}, X{"f2", FILL, "1", "29970", "29.97"}},
                 group({market("f3", kBuy, "0.1")})},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"f3", ACK},
                  X{"f3", FILL, "0.1", "30030", "20",
                    "MARKET at open 30000 + 10 bps slippage = 30030; taker fee 5 bps (tier vip); "
                    "order minimum fee 20: charged 20 (fee at the rate 1.5015)"}}}},
               [](ExecsimConfig& c) {
                 c.fills.fee_tiers = {{"base", 0, e8("2"), e8("10")}, {"vip", e8("50000"), e8("1"), e8("5")}};
                 c.fills.min_fee_per_order_e8 = e8("20");
               }};
    all.push_back(s);
  }
  // Cancel/replace: a resting buy limit 29000 x 1 is replaced by 29950 x 2;
  // the bar (path O-H-L-C on a tie) trades through 29950: fee 11.98.
  {
    Scenario s{"cancel/replace changes price and quantity",
               {{{"30000", "30100", "29900", "30000", "10"}, {}, group({limit("r", kBuy, "1", "29000")})},
                {{"30000", "30100", "29950", "30000", "10"},
                 {X{"r", ACK}},
                 {},
                 {replace("r", limit("", kBuy, "2", "29950"))}},
                {{"30000", "30100", "29900", "30050", "10"},
                 {X{"r", REPLACED, "0", "0", "0", "replaced: quantity 1 -> 2, limit 29000 -> 29950"},
                  X{"r", FILL, "2", "29950", "11.98"}},
                 {},
                 {replace("r", limit("", kBuy, "3", "29950")), cancel("nope")},
                 "2"},
                {{"30000", "30100", "29900", "30050", "10"},
                 {X{"r", REJ, "0", "0", "0", "no working order r to replace", v1::REJECT_UNKNOWN_ORDER},
                  X{"nope", REJ, "0", "0", "0", "no working order nope to cancel", v1::REJECT_UNKNOWN_ORDER}}}}};
    all.push_back(s);
  }
  // limit_fill "touch": a buy limit 29950 fills when the low touches it.
  {
    Scenario s{"limit_fill touch fills at the touch",
               {{{"30000", "30100", "29900", "30000", "10"}, {}, group({limit("t", kBuy, "1", "29950")})},
                {{"30000", "30100", "29950", "30000", "10"},
                 {X{"t", ACK},
                  X{"t", FILL, "1", "29950", "5.99", "LIMIT 29950 touched (low 29950); maker fee 2 bps"}}}},
               [](ExecsimConfig& c) { c.fills.limit_fill = LimitFill::kTouch; }};
    all.push_back(s);
  }
  // A flagged bar (outlier low) neither triggers a stop nor fills.
  {
    auto steps = long_one();
    steps[1].then = group({stop("sl", kSell, "1", "29500")});
    all.push_back({"no trigger and no fill on a flagged bar",
                   with(steps, {{{"30000", "30100", "20000", "30000", "10", v1::BAR_QUALITY_OUTLIER},
                                 {X{"sl", ACK}}},
                                {{"30000", "30100", "29900", "30000", "10"}, {}, {}, {}, "1"}})});
  }
  // Group rules are checked before anything is accepted.
  {
    Scenario s{"a malformed bracket is rejected as a whole",
               {{{"30000", "30100", "29900", "30000", "10"},
                 {},
                 group({limit("b-entry", kBuy, "1", "29900").contingency(v1::CONTINGENCY_BRACKET),
                        limit("b-tp", kSell, "1", "29500"), stop("b-sl", kSell, "1", "29600")})},
                {{"30000", "30100", "29950", "30050", "10"},
                 {X{"b-entry", REJ, "0", "0", "0",
                    "rejected with its group: b-sl: bracket stop-loss 29600 is not below the "
                    "take-profit 29500",
                    v1::REJECT_INVALID_CONTINGENCY},
                  X{"b-tp", REJ},
                  X{"b-sl", REJ, "0", "0", "0", "bracket stop-loss 29600 is not below the take-profit 29500"}}}}};
    all.push_back(s);
  }
  // A second order with the id of a working order is rejected; exec ids
  // keep counting for that id, so none repeats.
  {
    Scenario s{"duplicate client_order_id of a working order",
               {{{"30000", "30100", "29900", "30000", "10"}, {}, group({limit("dup", kBuy, "1", "29000")})},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"dup", ACK, "0", "0", "0", "accepted", {}, 1}},
                 group({limit("dup", kBuy, "1", "29500")})},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"dup", REJ, "0", "0", "0", "duplicate client_order_id dup", v1::REJECT_DUPLICATE_ORDER, 2}},
                 {},
                 {cancel("dup")}},
                {{"30000", "30100", "29900", "30000", "10"},
                 {X{"dup", CXL, "0", "0", "0", "canceled on request", {}, 3}}}}};
    all.push_back(s);
  }
  return all;
}

// ------------------------------------------------------------ buying power

// Cash `cash`, account.max_leverage `leverage`, no slippage and no fees, so
// every price below is a bar price and cash moves by quantity x price.
std::function<void(ExecsimConfig&)> funds(const char* cash, const char* leverage) {
  return [=](ExecsimConfig& c) {
    c.strategies["momo"].initial_cash_e8 = e8(cash);
    c.fills.max_leverage_e8 = e8(leverage);
    c.fills.slippage_bps = 0;
    c.fills.taker_fee_bps = 0;
    c.fills.maker_fee_bps = 0;
  };
}

constexpr auto kFunds = v1::REJECT_INSUFFICIENT_FUNDS;

std::vector<Scenario> buying_power_scenarios() {
  std::vector<Scenario> all;
  const BarSpec flat{"30000", "30100", "29900", "30000", "10"};  // limits at 29000 do not fill
  // Cash 50000, leverage 1. Bar 1: buy 1 at the open 30000 needs 30000 of
  // 50000: filled; cash 20000. Bar 2 (open 30000): equity 20000 + 1 x 30000
  // = 50000; the long holds 30000, so 20000 is available: a buy limit 1 at
  // 29000 needs 29000 and is rejected; a buy limit 0.5 at 29000 needs 14500
  // and rests (bar 3). Bar 4: the resting 0.5 at 29000 holds 14500, 5500 is
  // left: a buy limit 0.25 at 29000 (7250) is rejected. Bar 5: once the
  // resting order is canceled, the same 0.25 is accepted.
  all.push_back(
      {"buying power: within fills, beyond is rejected, working orders hold theirs",
       {{flat, {}, group({market("a", kBuy, "1")})},
        {flat,
         {X{"a", ACK}, X{"a", FILL, "1", "30000", "0"}},
         group({limit("b", kBuy, "1", "29000")}), {}, "1", "20000"},
        {flat,
         {X{"b", REJ, "0", "0", "0",
            "insufficient buying power: BUY 1 at 29000 needs 29000 of exposure, 20000 available "
            "(equity 50000 x leverage 1, less the long 1 at 30000)",
            kFunds}},
         group({limit("c", kBuy, "0.5", "29000")})},
        {flat, {X{"c", ACK}}, group({limit("d", kBuy, "0.25", "29000")})},
        {flat,
         {X{"d", REJ, "0", "0", "0",
            "insufficient buying power: BUY 0.25 at 29000 needs 7250 of exposure, 5500 available "
            "(equity 50000 x leverage 1, less the long 1 at 30000 and working buys 14500)",
            kFunds}},
         group({limit("d2", kBuy, "0.25", "29000")}),
         {cancel("c")}},
        {flat, {X{"c", CXL, "0", "0", "0", "canceled on request"}, X{"d2", ACK}}, {}, {}, "1", "20000"}},
       funds("50000", "1")});
  // Cash 20000, leverage 2. Bar 1: buy 1 at 30000 needs 30000 of 40000:
  // filled, cash -10000; the bar closes at 18000. Bar 2 (open 18000):
  // equity -10000 + 18000 = 8000, limit 16000, the long holds 18000: -2000
  // available, a buy 0.1 (1800) is rejected. Bar 3: a sell 0.5 only reduces
  // the long: it passes although the sleeve is beyond its limit.
  all.push_back(
      {"buying power: a reducing order passes even beyond the limit",
       {{flat, {}, group({market("a", kBuy, "1")})},
        {{"30000", "30000", "18000", "18000", "10"},
         {X{"a", ACK}, X{"a", FILL, "1", "30000", "0"}},
         group({market("b", kBuy, "0.1")}), {}, "1", "-10000"},
        {{"18000", "18100", "17900", "18000", "10"},
         {X{"b", REJ, "0", "0", "0",
            "insufficient buying power: BUY 0.1 at 18000 needs 1800 of exposure, -2000 available "
            "(equity 8000 x leverage 2, less the long 1 at 18000)",
            kFunds}},
         group({market("c", kSell, "0.5")})},
        {{"18000", "18100", "17900", "18000", "10"},
         {X{"c", ACK}, X{"c", FILL, "0.5", "18000", "0"}}, {}, {}, "0.5", "-1000"}},
       funds("20000", "2")});
  // Cash 50000, leverage 1, long 1 bought at 30000 (cash 20000, equity
  // 50000). Bar 2: sell 3 closes the long 1 and opens a short 2: only the 2
  // count, 60000 > 50000: rejected. Bar 3: sell 2.5 opens 1.5 (45000):
  // filled; cash 20000 + 75000 = 95000, short 1.5. Bar 4: equity 95000 -
  // 1.5 x 30000 = 50000, the short holds 45000: a sell stop 0.25 at 29000
  // (valued at its stop: 7250) is rejected, 5000 available.
  all.push_back(
      {"buying power: a flip checks only its opening part",
       {{flat, {}, group({market("a", kBuy, "1")})},
        {flat, {X{"a", ACK}, X{"a", FILL, "1", "30000", "0"}}, group({market("b", kSell, "3")})},
        {flat,
         {X{"b", REJ, "0", "0", "0",
            "insufficient buying power: SELL 3 at 30000 (opening 2) needs 60000 of exposure, 50000 "
            "available (equity 50000 x leverage 1)",
            kFunds}},
         group({market("c", kSell, "2.5")})},
        {flat,
         {X{"c", ACK}, X{"c", FILL, "2.5", "30000", "0"}},
         group({stop("d", kSell, "0.25", "29000")}), {}, "-1.5", "95000"},
        {flat,
         {X{"d", REJ, "0", "0", "0",
            "insufficient buying power: SELL 0.25 at 29000 needs 7250 of exposure, 5000 available "
            "(equity 50000 x leverage 1, less the short 1.5 at 30000)",
            kFunds}}}},
       funds("50000", "1")});
  // OTO: parent buy 1 at 30000, child buy limit 1 at 29000. The child is
  // checked when the parent fills: equity 50000, the long holds 30000, the
  // child needs 29000: canceled (it was acknowledged INACTIVE).
  all.push_back(
      {"buying power: a contingent child is checked when it activates",
       {{flat,
         {},
         group({market("p", kBuy, "1").contingency(v1::CONTINGENCY_OTO),
                limit("k", kBuy, "1", "29000")})},
        {flat,
         {X{"p", ACK}, X{"k", ACK}, X{"p", FILL, "1", "30000", "0"},
          X{"k", CXL, "0", "0", "0",
            "activated by parent p but insufficient buying power: BUY 1 at 29000 needs 29000 of "
            "exposure, 20000 available (equity 50000 x leverage 1, less the long 1 at 30000)",
            kFunds}},
         {}, {}, "1", "20000"}},
       funds("50000", "1")});
  // Bracket, sell entry 1 at 30000 with cash 30000 (needs 30000 of 30000),
  // take-profit buy limit 29000, stop-loss buy stop 31000, not reduce-only.
  // At activation the take-profit only closes the short 1; the stop-loss
  // too, because its OCO sibling is left out (only one of them can fill).
  // Counted together they would open a long 1 at 31000 > 30000.
  all.push_back(
      {"buying power: bracket legs that close the entry pass",
       {{flat,
         {},
         group({market("e", kSell, "1").contingency(v1::CONTINGENCY_BRACKET),
                limit("tp", kBuy, "1", "29000"), stop("sl", kBuy, "1", "31000")})},
        {flat,
         {X{"e", ACK}, X{"tp", ACK}, X{"sl", ACK}, X{"e", FILL, "1", "30000", "0"},
          X{"tp", TRIG, "0", "0", "0", "activated: parent e filled"}, X{"sl", TRIG}},
         {}, {}, "-1", "60000"}},
       funds("30000", "1")});
  // A replace is checked like an arrival: quantity 0.5 -> 2 at 29000 needs
  // 58000 of 50000 (the order's own 14500 is not counted twice): rejected,
  // the order stays; 0.5 -> 1.5 (43500) is accepted.
  all.push_back(
      {"buying power: a replace that needs more is checked",
       {{flat, {}, group({limit("r", kBuy, "0.5", "29000")})},
        {flat, {X{"r", ACK}}, {}, {replace("r", limit("", kBuy, "2", "29000"))}},
        {flat,
         {X{"r", REJ, "0", "0", "0",
            "replace rejected: insufficient buying power: BUY 2 at 29000 needs 58000 of exposure, "
            "50000 available (equity 50000 x leverage 1)",
            kFunds}},
         {}, {replace("r", limit("", kBuy, "1.5", "29000"))}},
        {flat, {X{"r", REPLACED, "0", "0", "0", "replaced: quantity 0.5 -> 1.5"}}}},
       funds("50000", "1")});
  // Cash 20000, leverage 2: long 1 at 30000 (cash -10000) and a buy limit
  // 0.1 at 5000 accepted at 30000 (500 of 40000 - 30000). The price falls to
  // 18000: equity 8000, limit 16000, the long holds 18000: -2000 available.
  // Raising the order to 0.2 (1000) is rejected; shrinking it to 0.05 needs
  // less than the order did and passes.
  all.push_back(
      {"buying power: a replace that needs less always passes",
       {{flat, {}, group({market("a", kBuy, "1")})},
        {flat, {X{"a", ACK}, X{"a", FILL, "1", "30000", "0"}}, group({limit("r", kBuy, "0.1", "5000")})},
        {{"30000", "30000", "18000", "18000", "10"},
         {X{"r", ACK}}, {}, {replace("r", limit("", kBuy, "0.2", "5000"))}},
        {{"18000", "18100", "17900", "18000", "10"},
         {X{"r", REJ, "0", "0", "0",
            "replace rejected: insufficient buying power: BUY 0.2 at 5000 needs 1000 of exposure, "
            "-2000 available (equity 8000 x leverage 2, less the long 1 at 18000)",
            kFunds}},
         {}, {replace("r", limit("", kBuy, "0.05", "5000"))}},
        {{"18000", "18100", "17900", "18000", "10"},
         {X{"r", REPLACED, "0", "0", "0", "replaced: quantity 0.1 -> 0.05"}}}},
       funds("20000", "2")});
  // On a flagged bar a market order is valued at the last tradable close
  // (30000), not at the outlier's 40000.
  all.push_back(
      {"buying power: a market order on a flagged bar is valued at the last close",
       {{flat, {}, group({market("x", kBuy, "2")})},
        {{"40000", "40000", "40000", "40000", "10", v1::BAR_QUALITY_OUTLIER},
         {X{"x", REJ, "0", "0", "0",
            "insufficient buying power: BUY 2 at 30000 needs 60000 of exposure, 50000 available "
            "(equity 50000 x leverage 1)",
            kFunds}}}},
       funds("50000", "1")});
  // account.max_leverage 0: no check; cash goes negative.
  all.push_back({"buying power: leverage 0 turns the check off",
                 {{flat, {}, group({market("a", kBuy, "3")})},
                  {flat, {X{"a", ACK}, X{"a", FILL, "3", "30000", "0"}}, {}, {}, "3", "-40000"}},
                 funds("50000", "0")});
  return all;
}

TEST(Scenarios, BuyingPower) {
  for (const auto& s : buying_power_scenarios()) run(s);
}

// Orders that arrived but have not executed yet (IOC and FOK execute after
// every arrival at the same point) hold their buying power too. Only the
// engine can see two orders of one sleeve arrive together (the venue gets
// one intent per strategy and bar). Cash 50000, leverage 1: i1 holds 30000
// at the open 30000, i2 (30000 more) is rejected, then i1 executes.
TEST(Scenarios, BuyingPowerOfOrdersArrivingTogether) {
  FillModel model;  // leverage 1, no slippage, no fees
  model.max_volume_share_e8 = e8("1");
  Engine engine(model, {{"momo", e8("50000")}}, 64);
  auto ioc = [](const std::string& id) {
    OrderSpec s;
    s.id = id;
    s.strategy = "momo";
    s.side = v1::SIDE_BUY;
    s.type = v1::ORDER_TYPE_MARKET;
    s.tif = v1::TIME_IN_FORCE_IOC;
    s.quantity_e8 = e8("1");
    return s;
  };
  const int64_t t = 1'700'000'000LL * kNanosPerSecond;
  std::vector<Event> ev;
  engine.submit({ioc("i1")}, t, ev);
  engine.submit({ioc("i2")}, t, ev);
  ASSERT_TRUE(ev.empty());
  engine.on_bar({t, t + kStep, e8("30000"), e8("30100"), e8("29900"), e8("30000"), e8("10"), 0}, ev);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].order->spec.id, "i2");
  EXPECT_EQ(ev[0].type, v1::EXEC_REJECTED);
  EXPECT_EQ(ev[0].reason, v1::REJECT_INSUFFICIENT_FUNDS);
  EXPECT_EQ(ev[0].text,
            "insufficient buying power: BUY 1 at 30000 needs 30000 of exposure, 20000 available "
            "(equity 50000 x leverage 1, less working buys 30000)");
  EXPECT_EQ(ev[1].order->spec.id, "i1");
  EXPECT_EQ(ev[1].type, v1::EXEC_ACK);
  EXPECT_EQ(ev[2].type, v1::EXEC_FILL);
  EXPECT_EQ(ev[2].last_qty_e8, e8("1"));
  EXPECT_EQ(ev[2].last_price_e8, e8("30000"));
  EXPECT_EQ(engine.book("momo")->quantity_e8, e8("1"));
  EXPECT_EQ(engine.reserved("momo", true).quantity_e8, 0);  // nothing works any more
}

TEST(Scenarios, HandComputedFillsPricesAndFees) {
  for (const auto& s : scenarios()) run(s);
}

}  // namespace
}  // namespace tp::execsim
