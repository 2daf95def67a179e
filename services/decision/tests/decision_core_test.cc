#include "decision/core/decision_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "tp/core/fixed_point.h"

namespace tp::decision {
namespace {

namespace v1 = trading::v1;
using bus::HandleResult;

constexpr int64_t kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr int64_t kStep = 60LL * kNanosPerSecond;

int64_t e8(const char* text) { return fixed::from_string(text).value(); }

StrategyLimits limits(const char* max_position, const char* max_notional, const char* lot) {
  return {{{"binance-us", "BTCUSDT"}}, e8(max_position), e8(max_notional), e8(lot)};
}

DecisionConfig one_strategy(StrategyLimits l = limits("0.5", "20000", "0.0001")) {
  DecisionConfig c;
  c.strategies["momo"] = std::move(l);
  c.chop_scale_e8 = e8("0.5");
  return c;
}

DecisionConfig two_strategies() {
  DecisionConfig c = one_strategy();
  c.strategies["meanrev"] = limits("1", "50000", "0.001");
  return c;
}

std::string bar_id(int64_t t) {
  return "bar:binance-us:BTCUSDT:1m:" + std::to_string(t / kNanosPerSecond);
}

v1::Instrument btc() {
  v1::Instrument i;
  i.set_venue("binance-us");
  i.set_symbol("BTCUSDT");
  return i;
}

v1::Signal signal(const std::string& strategy, int64_t t, v1::Direction d, double strength,
                  const char* close = "30000", uint32_t flags = 0) {
  v1::Signal s;
  s.set_strategy(strategy);
  *s.mutable_instrument() = btc();
  s.set_direction(d);
  s.set_strength(strength);
  s.set_bar_close_e8(e8(close));
  s.set_bar_quality_flags(flags);
  s.set_decision_id("choice-" + strategy + "-7");
  s.mutable_trace()->set_correlation_id(bar_id(t));
  s.mutable_trace()->set_event_time_ns(t);
  return s;
}

v1::RegimePosterior regime(int64_t t, v1::RegimeLabel label = v1::REGIME_BULL) {
  v1::RegimePosterior r;
  *r.mutable_instrument() = btc();
  r.set_timeframe("1m");
  r.set_most_likely(label);
  r.mutable_trace()->set_correlation_id(bar_id(t));
  r.mutable_trace()->set_event_time_ns(t);
  return r;
}

v1::Position position(const std::string& strategy, int64_t t, const char* qty = "0") {
  v1::Position p;
  *p.mutable_instrument() = btc();
  p.set_strategy(strategy);
  p.set_quantity_e8(e8(qty));
  p.mutable_trace()->set_correlation_id(bar_id(t));
  p.mutable_trace()->set_event_time_ns(t);
  return p;
}

// Feeds one bar's inputs for one strategy; returns everything emitted.
std::vector<runtime::Outbox::Item> feed_single(DecisionCore& core, const v1::Signal& s,
                                               const v1::RegimePosterior& r,
                                               const v1::Position& p) {
  runtime::Outbox out;
  EXPECT_EQ(core.on_signal(s, "", out).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.on_regime(r, out).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.on_position(p, out).kind(), HandleResult::Kind::kOk);
  return out.take();
}

v1::OrderIntent intent_of(const runtime::Outbox::Item& item) {
  EXPECT_EQ(item.message_type, "trading.v1.OrderIntent");
  v1::OrderIntent i;
  EXPECT_TRUE(i.ParseFromString(item.payload));
  return i;
}

v1::DecisionRejection rejection_of(const runtime::Outbox::Item& item) {
  EXPECT_EQ(item.message_type, "trading.v1.DecisionRejection");
  v1::DecisionRejection r;
  EXPECT_TRUE(r.ParseFromString(item.payload));
  return r;
}

// One decision for momo at kT0 with the given inputs.
std::vector<runtime::Outbox::Item> decide(DecisionCore& core, const v1::Signal& s,
                                          const char* have = "0",
                                          v1::RegimeLabel label = v1::REGIME_BULL) {
  return feed_single(core, s, regime(kT0, label), position("momo", kT0, have));
}

TEST(DecisionCore, LongSignalBecomesAMarketOrderSizedByStrength) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].subject, "orders.intent.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "decision:momo:binance-us:BTCUSDT:1700000000");
  EXPECT_EQ(items[0].correlation_id, "bar:binance-us:BTCUSDT:1m:1700000000");
  auto intent = intent_of(items[0]);
  const auto& o = intent.order();
  EXPECT_EQ(o.client_order_id(), "momo-binance-us-BTCUSDT-1700000000");
  EXPECT_EQ(o.side(), v1::SIDE_BUY);
  EXPECT_EQ(o.type(), v1::ORDER_TYPE_MARKET);
  EXPECT_EQ(o.time_in_force(), v1::TIME_IN_FORCE_IOC);
  EXPECT_EQ(o.quantity_e8(), 25'000'000);
  EXPECT_EQ(o.strategy(), "momo");
  EXPECT_EQ(o.instrument().venue(), "binance-us");
  EXPECT_EQ(o.trace().correlation_id(), "bar:binance-us:BTCUSDT:1m:1700000000");
  EXPECT_EQ(o.trace().event_time_ns(), kT0);
  EXPECT_EQ(o.trace().decision_id(), "choice-momo-7");
  EXPECT_EQ(intent.signal_id(), "sig:momo:binance-us:BTCUSDT:1700000000");
  EXPECT_EQ(intent.regime_label(), "REGIME_BULL");
  EXPECT_EQ(intent.sizing_reason(), "target 0.25 = LONG strength 0.5 x max_position 0.5; "
                                    "position 0; buy 0.25");
}

TEST(DecisionCore, ShortSignalAgainstALongSellsTheDifference) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_SHORT, 0.8), "0.1");
  ASSERT_EQ(items.size(), 1u);
  auto intent = intent_of(items[0]);
  EXPECT_EQ(intent.order().side(), v1::SIDE_SELL);
  EXPECT_EQ(intent.order().quantity_e8(), 50'000'000);  // -0.4 - 0.1
  EXPECT_EQ(intent.sizing_reason(), "target -0.4 = SHORT strength 0.8 x max_position 0.5; "
                                    "position 0.1; sell 0.5");
}

TEST(DecisionCore, FlatClosesThePosition) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_FLAT, 0.0), "-0.3");
  auto intent = intent_of(items.at(0));
  EXPECT_EQ(intent.order().side(), v1::SIDE_BUY);
  EXPECT_EQ(intent.order().quantity_e8(), 30'000'000);
  EXPECT_EQ(intent.sizing_reason(), "target 0 = FLAT; position -0.3; buy 0.3");
}

TEST(DecisionCore, TargetIsRoundedTowardZeroToTheLotSize) {
  DecisionCore core(one_strategy());
  // 0.33333 x 0.5 = 0.166665 -> 0.1666; short side rounds toward zero too.
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_SHORT, 0.33333));
  auto intent = intent_of(items.at(0));
  EXPECT_EQ(intent.order().quantity_e8(), 16'660'000);
  EXPECT_EQ(intent.sizing_reason(), "target -0.1666 = SHORT strength 0.33333 x max_position "
                                    "0.5; position 0; sell 0.1666");
}

TEST(DecisionCore, ChopRegimeScalesTheTarget) {
  DecisionCore core(one_strategy());
  auto items =
      decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "0", v1::REGIME_CHOP);
  auto intent = intent_of(items.at(0));
  EXPECT_EQ(intent.order().quantity_e8(), 12'500'000);
  EXPECT_EQ(intent.regime_label(), "REGIME_CHOP");
  EXPECT_EQ(intent.sizing_reason(), "target 0.125 = LONG strength 0.5 x max_position 0.5 x "
                                    "chop_scale 0.5 (regime CHOP); position 0; buy 0.125");
}

TEST(DecisionCore, NoChangeBelowOneLot) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "0.24995");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].subject, "orders.reject.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "decision:momo:binance-us:BTCUSDT:1700000000");
  auto r = rejection_of(items[0]);
  EXPECT_EQ(r.reason(), v1::REJECT_NO_CHANGE);
  EXPECT_EQ(r.text(), "order quantity 0.00005 is below lot size 0.0001 (target 0.25, position "
                      "0.24995)");
  EXPECT_EQ(r.strategy(), "momo");
  EXPECT_EQ(r.signal_id(), "sig:momo:binance-us:BTCUSDT:1700000000");
  EXPECT_EQ(r.trace().event_time_ns(), kT0);
  EXPECT_EQ(r.trace().decision_id(), "choice-momo-7");
}

TEST(DecisionCore, FlaggedBarIsRejected) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5, "30000",
                                   v1::BAR_QUALITY_ZERO_VOLUME | v1::BAR_QUALITY_GAP_BEFORE));
  auto r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_FLAGGED_BAR);
  EXPECT_EQ(r.text(), "bar quality flags 5 (ZERO_VOLUME|GAP_BEFORE): no trading on a flagged bar");
}

TEST(DecisionCore, OversizedOrderIsClippedToMaxOrderNotional) {
  DecisionCore core(one_strategy(limits("0.5", "10000", "0.0001")));
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 1.0));
  auto intent = intent_of(items.at(0));
  EXPECT_EQ(intent.order().quantity_e8(), 33'330'000);  // 10000 / 30000 = 0.33333333 -> 0.3333
  EXPECT_EQ(intent.sizing_reason(),
            "target 0.5 = LONG strength 1 x max_position 0.5; position 0; buy 0.3333 (clipped "
            "from 0.5 by max_order_notional 10000 at price 30000)");
}

TEST(DecisionCore, MaxNotionalRejectsWhenNotEvenOneLotFits) {
  DecisionCore core(one_strategy(limits("0.5", "1", "0.0001")));
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_SHORT, 1.0, "30000"));
  auto r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_MAX_NOTIONAL);
  EXPECT_EQ(r.text(), "max_order_notional 1 at price 30000 allows less than one lot 0.0001 "
                      "(wanted -0.5)");
}

TEST(DecisionCore, MissingPriceIsRejected) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 1.0, "0"));
  auto r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_NO_PRICE);
  EXPECT_EQ(r.text(), "signal carries no bar close price (bar_close_e8 0)");
}

TEST(DecisionCore, InvalidSignalsAreRejectedNotDropped) {
  DecisionCore core(one_strategy());
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 1.5));
  auto r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_INVALID_ORDER);
  EXPECT_EQ(r.text(), "signal strength 1.5 is outside [0, 1]");

  runtime::Outbox out;
  auto s = signal("momo", kT0 + kStep, v1::DIRECTION_UNSPECIFIED, 0.5);
  items = feed_single(core, s, regime(kT0 + kStep), position("momo", kT0 + kStep));
  r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_INVALID_ORDER);
  EXPECT_EQ(r.text(), "signal direction DIRECTION_UNSPECIFIED is not LONG, SHORT or FLAT");
}

TEST(DecisionCore, KillSwitchRejectsUntilReleased) {
  DecisionCore core(one_strategy());
  v1::KillSwitch ks;
  ks.set_engaged(true);
  ks.set_scope("BTCUSDT");
  ASSERT_EQ(core.on_kill_switch(ks).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.engaged_kill_switches(), std::set<std::string>{"BTCUSDT"});
  auto items = decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5));
  auto r = rejection_of(items.at(0));
  EXPECT_EQ(r.reason(), v1::REJECT_KILL_SWITCH);
  EXPECT_EQ(r.text(), "kill switch engaged (scope 'BTCUSDT')");

  ks.set_scope("*");
  ASSERT_EQ(core.on_kill_switch(ks).kind(), HandleResult::Kind::kOk);
  ks.set_engaged(false);
  ks.set_scope("BTCUSDT");
  ASSERT_EQ(core.on_kill_switch(ks).kind(), HandleResult::Kind::kOk);
  items = feed_single(core, signal("momo", kT0 + kStep, v1::DIRECTION_LONG, 0.5),
                      regime(kT0 + kStep), position("momo", kT0 + kStep));
  EXPECT_EQ(rejection_of(items.at(0)).text(), "kill switch engaged (scope '*')");

  ks.set_scope("*");
  ASSERT_EQ(core.on_kill_switch(ks).kind(), HandleResult::Kind::kOk);
  EXPECT_TRUE(core.engaged_kill_switches().empty());
  items = feed_single(core, signal("momo", kT0 + 2 * kStep, v1::DIRECTION_LONG, 0.5),
                      regime(kT0 + 2 * kStep), position("momo", kT0 + 2 * kStep));
  EXPECT_EQ(intent_of(items.at(0)).order().quantity_e8(), 25'000'000);

  ks.set_scope("");
  auto bad = core.on_kill_switch(ks);
  EXPECT_EQ(bad.kind(), HandleResult::Kind::kReject);
  EXPECT_EQ(bad.detail(), "kill switch scope is empty (use \"*\", a strategy id or a symbol)");
}

TEST(DecisionCore, KillSwitchByStrategyOnlyHitsThatStrategy) {
  DecisionCore core(two_strategies());
  v1::KillSwitch ks;
  ks.set_engaged(true);
  ks.set_scope("meanrev");
  ASSERT_EQ(core.on_kill_switch(ks).kind(), HandleResult::Kind::kOk);
  runtime::Outbox out;
  (void)core.on_signal(signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  (void)core.on_signal(signal("meanrev", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  (void)core.on_regime(regime(kT0), out);
  (void)core.on_position(position("momo", kT0), out);
  EXPECT_TRUE(out.empty());
  (void)core.on_position(position("meanrev", kT0), out);
  ASSERT_EQ(out.size(), 2u);
  // Strategies in name order: meanrev, then momo.
  EXPECT_EQ(rejection_of(out.items()[0]).text(), "kill switch engaged (scope 'meanrev')");
  EXPECT_EQ(intent_of(out.items()[1]).order().strategy(), "momo");
}

TEST(DecisionCore, MaxNotionalTotalCapsGrossExposureAcrossStrategies) {
  DecisionConfig cfg = two_strategies();
  cfg.max_notional_total_e8 = e8("10000");
  DecisionCore core(cfg);
  runtime::Outbox out;
  // meanrev wants 0.2 (6000), momo wants 0.25 (7500): momo would make 13500.
  (void)core.on_signal(signal("meanrev", kT0, v1::DIRECTION_LONG, 0.2), "", out);
  (void)core.on_signal(signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  (void)core.on_regime(regime(kT0), out);
  (void)core.on_position(position("meanrev", kT0), out);
  (void)core.on_position(position("momo", kT0), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(intent_of(out.items()[0]).order().quantity_e8(), 20'000'000);
  auto r = rejection_of(out.items()[1]);
  EXPECT_EQ(r.reason(), v1::REJECT_MAX_NOTIONAL);
  EXPECT_EQ(r.text(), "gross notional 13500 of binance-us/BTCUSDT across strategies would exceed "
                      "risk.max_notional_total 10000");
}

TEST(DecisionCore, NothingIsDecidedUntilEveryInputOfTheBarIsPresent) {
  DecisionCore core(two_strategies());
  runtime::Outbox out;
  (void)core.on_signal(signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  (void)core.on_regime(regime(kT0), out);
  (void)core.on_position(position("momo", kT0), out);
  (void)core.on_position(position("meanrev", kT0), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(core.pending_bars(), 1u);
  (void)core.on_signal(signal("meanrev", kT0, v1::DIRECTION_FLAT, 0), "", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(rejection_of(out.items()[0]).reason(), v1::REJECT_NO_CHANGE);
  EXPECT_EQ(intent_of(out.items()[1]).order().quantity_e8(), 25'000'000);
  EXPECT_EQ(core.pending_bars(), 0u);
}

TEST(DecisionCore, LaterBarWaitsForItsPosition) {
  // Signals and posteriors may run ahead; Position(t1) exists only after
  // execsim saw decision(t0), so bars are decided in order.
  DecisionCore core(one_strategy());
  runtime::Outbox out;
  const int64_t t1 = kT0 + kStep;
  (void)core.on_signal(signal("momo", t1, v1::DIRECTION_LONG, 1.0), "", out);
  (void)core.on_regime(regime(t1), out);
  (void)core.on_signal(signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  (void)core.on_regime(regime(kT0), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(core.pending_bars(), 2u);
  (void)core.on_position(position("momo", kT0), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.items()[0].message_id, "decision:momo:binance-us:BTCUSDT:1700000000");
  (void)core.on_position(position("momo", t1, "0.25"), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.items()[1].message_id, "decision:momo:binance-us:BTCUSDT:1700000060");
  EXPECT_EQ(intent_of(out.items()[1]).order().quantity_e8(), 25'000'000);  // 0.5 - 0.25
}

TEST(DecisionCore, StaleAndUnknownInputsAreRejectedWithReasons) {
  DecisionCore core(one_strategy());
  decide(core, signal("momo", kT0, v1::DIRECTION_LONG, 0.5));
  runtime::Outbox out;
  auto late = core.on_signal(signal("momo", kT0, v1::DIRECTION_LONG, 0.5), "", out);
  EXPECT_EQ(late.kind(), HandleResult::Kind::kReject);
  EXPECT_EQ(late.reason(), "stale");
  EXPECT_EQ(late.detail(), "signal for event time 1700000000000000000 ns is not after the last "
                           "decided bar 1700000000000000000 ns");
  auto unknown = core.on_signal(signal("nope", kT0 + kStep, v1::DIRECTION_LONG, 0.5), "", out);
  EXPECT_EQ(unknown.reason(), "unknown_strategy");
  EXPECT_EQ(unknown.detail(), "strategy 'nope' is not configured for binance-us/BTCUSDT");
  // A repeated identical signal is idempotent; a different one is a conflict.
  auto s = signal("momo", kT0 + kStep, v1::DIRECTION_LONG, 0.5);
  EXPECT_EQ(core.on_signal(s, "", out).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.on_signal(s, "", out).kind(), HandleResult::Kind::kOk);
  s.set_strength(0.6);
  auto conflict = core.on_signal(s, "", out);
  EXPECT_EQ(conflict.reason(), "conflict");
  EXPECT_EQ(conflict.detail(), "a different signal of 'momo' for binance-us/BTCUSDT at "
                               "1700000060000000000 ns was already received");
  // Out-of-order bars are not part of the series: acknowledged, nothing kept.
  auto ooo = signal("momo", kT0 + 5 * kStep, v1::DIRECTION_LONG, 0.5, "30000",
                    v1::BAR_QUALITY_OUT_OF_ORDER);
  EXPECT_EQ(core.on_signal(ooo, "", out).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.pending_bars(), 1u);
  EXPECT_TRUE(out.empty());
  // Regimes of untraded instruments are ignored.
  auto other = regime(kT0 + kStep);
  other.mutable_instrument()->set_symbol("ETHUSDT");
  EXPECT_EQ(core.on_regime(other, out).kind(), HandleResult::Kind::kOk);
  EXPECT_EQ(core.pending_bars(), 1u);
}

// All inputs of three bars for two strategies (positions are what execsim
// would report; the join itself does not care).
struct Input {
  int bar;
  bool is_position;
  std::function<HandleResult(DecisionCore&, runtime::Outbox&)> apply;
};

std::vector<Input> three_bars() {
  std::vector<Input> in;
  const v1::Direction dirs[] = {v1::DIRECTION_LONG, v1::DIRECTION_SHORT, v1::DIRECTION_FLAT};
  const char* have[] = {"0", "0.25", "-0.4"};
  for (int i = 0; i < 3; ++i) {
    const int64_t t = kT0 + i * kStep;
    for (const char* s : {"momo", "meanrev"}) {
      auto sig = signal(s, t, dirs[i], 0.5 + 0.1 * i);
      in.push_back({i, false, [sig](DecisionCore& c, runtime::Outbox& o) {
                      return c.on_signal(sig, "", o);
                    }});
      auto pos = position(s, t, have[i]);
      in.push_back({i, true, [pos](DecisionCore& c, runtime::Outbox& o) {
                      return c.on_position(pos, o);
                    }});
    }
    auto r = regime(t, i == 1 ? v1::REGIME_CHOP : v1::REGIME_BULL);
    in.push_back({i, false, [r](DecisionCore& c, runtime::Outbox& o) { return c.on_regime(r, o); }});
  }
  return in;
}

// A random arrival order that respects causality only: Position(t_k) is
// published after execsim saw every decision of bar k-1, i.e. after every
// input of bar k-1 arrived. Signals and posteriors may come at any time.
std::vector<size_t> causal_order(const std::vector<Input>& in, uint64_t& seed) {
  std::vector<size_t> order;
  std::vector<bool> done(in.size(), false);
  while (order.size() < in.size()) {
    std::vector<size_t> available;
    for (size_t i = 0; i < in.size(); ++i) {
      if (done[i]) continue;
      bool ok = true;
      if (in[i].is_position)
        for (size_t j = 0; j < in.size(); ++j)
          if (in[j].bar == in[i].bar - 1 && !done[j]) ok = false;
      if (ok) available.push_back(i);
    }
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t pick = available[(seed >> 33) % available.size()];
    done[pick] = true;
    order.push_back(pick);
  }
  return order;
}

std::string render(const std::vector<runtime::Outbox::Item>& items) {
  std::string s;
  for (const auto& i : items) s += i.subject + "|" + i.message_id + "|" + i.payload + "\n";
  return s;
}

TEST(DecisionCore, OutputsDoNotDependOnArrivalOrder) {
  auto inputs = three_bars();
  std::string reference;
  {
    DecisionCore core(two_strategies());
    runtime::Outbox out;
    for (auto& f : inputs) ASSERT_EQ(f.apply(core, out).kind(), HandleResult::Kind::kOk);
    EXPECT_EQ(out.size(), 6u);
    reference = render(out.take());
  }
  uint64_t seed = 12345;
  for (int round = 0; round < 300; ++round) {
    DecisionCore core(two_strategies());
    runtime::Outbox out;
    for (size_t i : causal_order(inputs, seed))
      ASSERT_EQ(inputs[i].apply(core, out).kind(), HandleResult::Kind::kOk) << "round " << round;
    ASSERT_EQ(render(out.take()), reference) << "round " << round;
  }
}

TEST(DecisionCore, SnapshotRestoreMidStreamGivesIdenticalOutputs) {
  auto inputs = three_bars();
  DecisionCore whole(two_strategies());
  runtime::Outbox whole_out;
  for (auto& f : inputs) (void)f.apply(whole, whole_out);

  for (size_t cut = 0; cut <= inputs.size(); ++cut) {
    DecisionCore first(two_strategies());
    v1::KillSwitch ks;
    ks.set_engaged(true);
    ks.set_scope("nothing-traded");
    (void)first.on_kill_switch(ks);
    runtime::Outbox out;
    for (size_t i = 0; i < cut; ++i) (void)inputs[i].apply(first, out);
    const std::string snap = first.snapshot();
    DecisionCore second(two_strategies());
    ASSERT_TRUE(second.restore(snap).has_value());
    EXPECT_EQ(second.snapshot(), snap);
    EXPECT_EQ(second.engaged_kill_switches(), std::set<std::string>{"nothing-traded"});
    for (size_t i = cut; i < inputs.size(); ++i) (void)inputs[i].apply(second, out);
    ASSERT_EQ(render(out.items()), render(whole_out.items())) << "cut " << cut;
  }
}

TEST(DecisionCore, RestoreRejectsGarbage) {
  DecisionCore core(one_strategy());
  auto s = core.restore("not cbor");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace tp::decision
