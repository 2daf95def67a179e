#include "execsim/core/execsim_core.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

namespace v1 = trading::v1;
using bus::HandleResult;

constexpr int64_t kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr int64_t kStep = 60LL * kNanosPerSecond;
int64_t T(int i) { return kT0 + i * kStep; }

int64_t e8(const char* text) { return fixed::from_string(text).value(); }

const InstrumentKey kBtc{"binance-us", "BTCUSDT"};

ExecsimConfig make_config(const char* share = "0.1", int64_t slippage = 10) {
  ExecsimConfig c;
  c.strategies["momo"] = {{kBtc}, e8("100000")};
  c.strategies["meanrev"] = {{kBtc}, e8("100000")};
  c.fills.slippage_bps = slippage;
  c.fills.taker_fee_bps = 10;
  c.fills.maker_fee_bps = 2;
  c.fills.max_volume_share_e8 = e8(share);
  return c;
}

v1::Instrument btc() {
  v1::Instrument i;
  i.set_venue("binance-us");
  i.set_symbol("BTCUSDT");
  return i;
}

std::string bar_id(int64_t t) {
  return "bar:binance-us:BTCUSDT:1m:" + std::to_string(t / kNanosPerSecond);
}

v1::Bar bar(int i, const char* open, const char* high, const char* low, const char* close,
            const char* volume, uint32_t flags = 0) {
  v1::Bar b;
  *b.mutable_instrument() = btc();
  b.set_timeframe("1m");
  b.set_open_time_ns(T(i));
  b.set_close_time_ns(T(i) + kStep);
  b.set_open_e8(e8(open));
  b.set_high_e8(e8(high));
  b.set_low_e8(e8(low));
  b.set_close_e8(e8(close));
  b.set_volume_e8(e8(volume));
  b.set_quality_flags(flags);
  b.mutable_trace()->set_correlation_id(bar_id(T(i)));
  b.mutable_trace()->set_event_time_ns(T(i));
  return b;
}

std::string cid(const std::string& strategy, int i) {
  return strategy + "-binance-us-BTCUSDT-" + std::to_string(T(i) / kNanosPerSecond);
}

v1::OrderIntent intent(const std::string& strategy, int i, v1::Side side, const char* qty,
                       v1::OrderType type = v1::ORDER_TYPE_MARKET, const char* limit = "0",
                       v1::TimeInForce tif = v1::TIME_IN_FORCE_GTC) {
  v1::OrderIntent in;
  v1::Order& o = *in.mutable_order();
  o.set_client_order_id(cid(strategy, i));
  *o.mutable_instrument() = btc();
  o.set_side(side);
  o.set_type(type);
  o.set_time_in_force(tif);
  o.set_quantity_e8(e8(qty));
  o.set_limit_price_e8(e8(limit));
  o.set_strategy(strategy);
  o.mutable_trace()->set_correlation_id(bar_id(T(i)));
  o.mutable_trace()->set_event_time_ns(T(i));
  o.mutable_trace()->set_decision_id("choice-" + strategy + "-" + std::to_string(i));
  return in;
}

v1::DecisionRejection rejection(const std::string& strategy, int i) {
  v1::DecisionRejection r;
  r.set_strategy(strategy);
  *r.mutable_instrument() = btc();
  r.set_reason(v1::REJECT_NO_CHANGE);
  r.mutable_trace()->set_event_time_ns(T(i));
  return r;
}

template <typename M>
std::vector<M> of_type(const std::vector<runtime::Outbox::Item>& items) {
  std::vector<M> out;
  for (const auto& item : items)
    if (item.message_type == M().GetTypeName()) {
      M m;
      EXPECT_TRUE(m.ParseFromString(item.payload));
      out.push_back(m);
    }
  return out;
}

void expect_ok(const HandleResult& r) {
  EXPECT_EQ(r.kind(), HandleResult::Kind::kOk) << r.reason() << ": " << r.detail();
}

struct Venue {
  ExecsimCore core;
  runtime::Outbox out;
  explicit Venue(ExecsimConfig c = make_config()) : core(std::move(c)) {}
  std::vector<runtime::Outbox::Item> on(const v1::Bar& b) {
    expect_ok(core.on_bar(b, bar_id(b.open_time_ns()), out));
    return out.take();
  }
  std::vector<runtime::Outbox::Item> on(const v1::OrderIntent& i) {
    expect_ok(core.on_intent(i, out));
    return out.take();
  }
  std::vector<runtime::Outbox::Item> on(const v1::DecisionRejection& r) {
    expect_ok(core.on_rejection(r, out));
    return out.take();
  }
};

TEST(ExecsimCore, FirstBarPublishesFlatPositionsForEveryStrategy) {
  Venue v;
  auto items = v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].subject, "exec.position.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "pos:meanrev:binance-us:BTCUSDT:1700000000");
  EXPECT_EQ(items[1].message_id, "pos:momo:binance-us:BTCUSDT:1700000000");
  EXPECT_EQ(items[1].correlation_id, bar_id(T(0)));
  auto p = of_type<v1::Position>(items)[1];
  EXPECT_EQ(p.strategy(), "momo");
  EXPECT_EQ(p.quantity_e8(), 0);
  EXPECT_EQ(p.cash_e8(), e8("100000"));
  EXPECT_EQ(p.equity_e8(), e8("100000"));
  EXPECT_EQ(p.mark_price_e8(), e8("30050"));
  EXPECT_EQ(p.as_of_ns(), T(1));
  EXPECT_EQ(p.trace().event_time_ns(), T(0));
  EXPECT_EQ(p.trace().correlation_id(), bar_id(T(0)));
}

TEST(ExecsimCore, MarketOrderFillsAtNextOpenWithSlippageAndTakerFee) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  // Bar 1 waits for both strategies' decisions about bar 0.
  EXPECT_TRUE(v.on(bar(1, "30100", "30200", "30000", "30150", "10")).empty());
  EXPECT_EQ(v.core.waiting_bars(), 1u);
  EXPECT_TRUE(v.on(intent("momo", 0, v1::SIDE_BUY, "0.25")).empty());
  auto items = v.on(rejection("meanrev", 0));
  EXPECT_EQ(v.core.waiting_bars(), 0u);
  ASSERT_EQ(items.size(), 4u);  // ACK, FILL, two positions
  auto reports = of_type<v1::ExecutionReport>(items);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(items[0].subject, "exec.report.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "exec:momo-binance-us-BTCUSDT-1700000000:1");
  EXPECT_EQ(items[0].correlation_id, bar_id(T(1)));
  EXPECT_EQ(reports[0].exec_type(), v1::EXEC_ACK);
  EXPECT_EQ(reports[0].leaves_quantity_e8(), e8("0.25"));
  EXPECT_EQ(reports[0].text(), "accepted");
  const auto& fill = reports[1];
  EXPECT_EQ(fill.exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:2");
  EXPECT_EQ(fill.exec_type(), v1::EXEC_FILL);
  EXPECT_EQ(fill.last_quantity_e8(), e8("0.25"));
  EXPECT_EQ(fill.last_price_e8(), e8("30130.1"));
  EXPECT_EQ(fill.cumulative_quantity_e8(), e8("0.25"));
  EXPECT_EQ(fill.leaves_quantity_e8(), 0);
  EXPECT_EQ(fill.average_price_e8(), e8("30130.1"));
  EXPECT_EQ(fill.fee_e8(), e8("7.532525"));
  EXPECT_EQ(fill.liquidity(), v1::LIQUIDITY_TAKER);
  EXPECT_EQ(fill.text(), "MARKET at open 30100 + 10 bps slippage = 30130.1; taker fee 10 bps");
  EXPECT_EQ(fill.transact_time_ns(), T(1));
  EXPECT_EQ(fill.strategy(), "momo");
  EXPECT_EQ(fill.trace().decision_id(), "choice-momo-0");
  auto pos = of_type<v1::Position>(items);
  ASSERT_EQ(pos.size(), 2u);
  const auto& p = pos[1];
  EXPECT_EQ(p.strategy(), "momo");
  EXPECT_EQ(p.quantity_e8(), e8("0.25"));
  EXPECT_EQ(p.average_cost_e8(), e8("30130.1"));
  EXPECT_EQ(p.realized_pnl_e8(), 0);
  EXPECT_EQ(p.unrealized_pnl_e8(), e8("4.975"));
  EXPECT_EQ(p.fees_e8(), e8("7.532525"));
  EXPECT_EQ(p.mark_price_e8(), e8("30150"));
  EXPECT_EQ(p.cash_e8(), e8("92459.942475"));
  EXPECT_EQ(p.equity_e8(), e8("99997.442475"));
  EXPECT_EQ(pos[0].quantity_e8(), 0);  // meanrev untouched
  EXPECT_EQ(pos[0].equity_e8(), e8("100000"));
}

TEST(ExecsimCore, SlippageRoundingGoesAgainstTheTraderOnBothSides) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  v.on(intent("momo", 0, v1::SIDE_BUY, "0.1"));
  v.on(intent("meanrev", 0, v1::SIDE_SELL, "0.1"));
  // Open 30000.000005: 10 bps is 30.000000005, a tie, rounded away from zero.
  auto items = v.on(bar(1, "30000.000005", "30100", "29900", "30050", "10"));
  auto reports = of_type<v1::ExecutionReport>(items);
  ASSERT_EQ(reports.size(), 4u);  // ACK meanrev, ACK momo, then fills in acceptance order
  EXPECT_EQ(reports[2].strategy(), "meanrev");
  EXPECT_EQ(reports[2].last_price_e8(), e8("29970.00000499"));
  EXPECT_EQ(reports[3].strategy(), "momo");
  EXPECT_EQ(reports[3].last_price_e8(), e8("30030.00000501"));
}

TEST(ExecsimCore, FeesAreRoundedHalfAwayFromZero) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  v.on(intent("momo", 0, v1::SIDE_BUY, "0.12345678"));
  v.on(rejection("meanrev", 0));
  auto reports = of_type<v1::ExecutionReport>(v.on(bar(1, "30100", "30200", "30000", "30150", "10")));
  ASSERT_EQ(reports.size(), 2u);
  // 0.12345678 x 30130.1 = 3719.765127078 -> 3719.76512708; fee 3.719765127 -> 3.71976513
  EXPECT_EQ(fixed::mul(reports[1].last_quantity_e8(), reports[1].last_price_e8()),
            e8("3719.76512708"));
  EXPECT_EQ(reports[1].fee_e8(), e8("3.71976513"));
}

// Decisions of both strategies for bar i (momo's order given, meanrev rejects).
void decide(Venue& v, int i, std::optional<v1::OrderIntent> momo = std::nullopt) {
  if (momo)
    v.on(*momo);
  else
    v.on(rejection("momo", i));
  v.on(rejection("meanrev", i));
}

TEST(ExecsimCore, PartialFillsAreCappedByBarVolumeAndKeepWorking) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "0.25"));
  auto r1 = of_type<v1::ExecutionReport>(v.on(bar(1, "30100", "30200", "30000", "30150", "1")));
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[1].exec_type(), v1::EXEC_PARTIAL_FILL);
  EXPECT_EQ(r1[1].last_quantity_e8(), e8("0.1"));
  EXPECT_EQ(r1[1].leaves_quantity_e8(), e8("0.15"));
  EXPECT_EQ(r1[1].fee_e8(), e8("3.01301"));
  EXPECT_EQ(r1[1].text(), "MARKET at open 30100 + 10 bps slippage = 30130.1; taker fee 10 bps; "
                          "capped at max_volume_share 0.1 of bar volume 1");
  decide(v, 1);
  auto r2 = of_type<v1::ExecutionReport>(v.on(bar(2, "30200", "30300", "30100", "30250", "1")));
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:3");
  EXPECT_EQ(r2[0].last_price_e8(), e8("30230.2"));
  EXPECT_EQ(r2[0].cumulative_quantity_e8(), e8("0.2"));
  EXPECT_EQ(r2[0].average_price_e8(), e8("30180.15"));
  decide(v, 2);
  auto items = v.on(bar(3, "30000", "30100", "29900", "30050", "10"));
  auto r3 = of_type<v1::ExecutionReport>(items);
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_EQ(r3[0].exec_type(), v1::EXEC_FILL);
  EXPECT_EQ(r3[0].last_quantity_e8(), e8("0.05"));
  EXPECT_EQ(r3[0].last_price_e8(), e8("30030"));
  EXPECT_EQ(r3[0].average_price_e8(), e8("30150.12"));
  EXPECT_EQ(r3[0].fee_e8(), e8("1.5015"));
  auto p = of_type<v1::Position>(items)[1];
  EXPECT_EQ(p.quantity_e8(), e8("0.25"));
  EXPECT_EQ(p.fees_e8(), e8("7.53753"));
  EXPECT_EQ(p.cash_e8(), e8("92454.93247"));
  EXPECT_EQ(v.core.working_orders(), 0u);
}

TEST(ExecsimCore, IocRemainderIsCanceledAfterItsBar) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_SELL, "0.25", v1::ORDER_TYPE_MARKET, "0",
                      v1::TIME_IN_FORCE_IOC));
  auto r = of_type<v1::ExecutionReport>(v.on(bar(1, "30100", "30200", "30000", "30150", "1")));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].exec_type(), v1::EXEC_PARTIAL_FILL);
  EXPECT_EQ(r[1].last_price_e8(), e8("30069.9"));
  EXPECT_EQ(r[2].exec_type(), v1::EXEC_CANCELED);
  EXPECT_EQ(r[2].exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:3");
  EXPECT_EQ(r[2].cumulative_quantity_e8(), e8("0.1"));
  EXPECT_EQ(r[2].leaves_quantity_e8(), 0);
  EXPECT_EQ(r[2].text(), "IOC remainder canceled: no volume left within max_volume_share 0.1");
  EXPECT_EQ(v.core.working_orders(), 0u);
}

TEST(ExecsimCore, FokThatCannotFillEntirelyIsRejected) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "0.25", v1::ORDER_TYPE_MARKET, "0",
                      v1::TIME_IN_FORCE_FOK));
  auto r = of_type<v1::ExecutionReport>(v.on(bar(1, "30100", "30200", "30000", "30150", "1")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_REJECTED);
  EXPECT_EQ(r[0].reject_reason(), v1::REJECT_FOK_UNFILLABLE);
  EXPECT_EQ(r[0].order_status(), v1::ORDER_STATUS_REJECTED);
  EXPECT_EQ(r[0].text(), "FOK rejected: only 0.1 of 0.25 fillable within max_volume_share 0.1 "
                         "of bar volume 1");
  EXPECT_EQ(v.core.book("momo", kBtc)->quantity_e8, 0);
}

TEST(ExecsimCore, FlaggedAndZeroVolumeBarsFillNothingAndOrdersKeepWorking) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "0.25"));
  auto items = v.on(bar(1, "30100", "30200", "30000", "30150", "0", v1::BAR_QUALITY_ZERO_VOLUME));
  auto r = of_type<v1::ExecutionReport>(items);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_ACK);
  EXPECT_EQ(of_type<v1::Position>(items).size(), 2u);  // still one position per strategy
  decide(v, 1);
  // An outlier bar neither fills nor moves the mark.
  items = v.on(bar(2, "90000", "90000", "90000", "90000", "10", v1::BAR_QUALITY_OUTLIER));
  EXPECT_TRUE(of_type<v1::ExecutionReport>(items).empty());
  EXPECT_EQ(of_type<v1::Position>(items)[1].mark_price_e8(), e8("30150"));
  decide(v, 2);
  // Unflagged but empty: the volume cap is zero.
  items = v.on(bar(3, "30100", "30200", "30000", "30150", "0"));
  EXPECT_TRUE(of_type<v1::ExecutionReport>(items).empty());
  decide(v, 3);
  r = of_type<v1::ExecutionReport>(v.on(bar(4, "30000", "30100", "29900", "30050", "10")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_FILL);
  EXPECT_EQ(r[0].last_price_e8(), e8("30030"));
}

TEST(ExecsimCore, LimitOrdersFillOnlyWhenTheBarTradesThrough) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "0.5", v1::ORDER_TYPE_LIMIT, "29950"));
  // Low touches 29950 exactly: no fill.
  auto r = of_type<v1::ExecutionReport>(v.on(bar(1, "30000", "30100", "29950", "30000", "10")));
  ASSERT_EQ(r.size(), 1u);
  decide(v, 1, intent("momo", 1, v1::SIDE_SELL, "0.1", v1::ORDER_TYPE_LIMIT, "30100"));
  r = of_type<v1::ExecutionReport>(v.on(bar(2, "30000", "30150", "29940", "30000", "10")));
  ASSERT_EQ(r.size(), 3u);  // ACK of the sell, then both fill
  EXPECT_EQ(r[1].client_order_id(), cid("momo", 0));
  EXPECT_EQ(r[1].exec_type(), v1::EXEC_FILL);
  EXPECT_EQ(r[1].last_price_e8(), e8("29950"));
  EXPECT_EQ(r[1].fee_e8(), e8("2.995"));
  EXPECT_EQ(r[1].liquidity(), v1::LIQUIDITY_MAKER);
  EXPECT_EQ(r[1].text(), "LIMIT 29950 traded through (low 29940); maker fee 2 bps");
  EXPECT_EQ(r[2].client_order_id(), cid("momo", 1));
  EXPECT_EQ(r[2].last_price_e8(), e8("30100"));
  EXPECT_EQ(r[2].text(), "LIMIT 30100 traded through (high 30150); maker fee 2 bps");
}

TEST(ExecsimCore, InvalidOrdersAreRejectedWithReasons) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  v.on(intent("momo", 0, v1::SIDE_BUY, "0"));
  v.on(intent("meanrev", 0, v1::SIDE_BUY, "1", v1::ORDER_TYPE_STOP));
  auto r = of_type<v1::ExecutionReport>(v.on(bar(1, "30100", "30200", "30000", "30150", "10")));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_REJECTED);
  EXPECT_EQ(r[0].reject_reason(), v1::REJECT_INVALID_ORDER);
  EXPECT_EQ(r[0].text(), "stop price 0 is not positive");
  EXPECT_EQ(r[1].text(), "quantity 0 is not positive");
  EXPECT_EQ(r[1].exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:1");

  // Unknown instrument or strategy: answered at once, outside the lockstep.
  auto other = intent("momo", 1, v1::SIDE_BUY, "1");
  other.mutable_order()->mutable_instrument()->set_symbol("ETHUSDT");
  auto items = v.on(other);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].subject, "exec.report.ETHUSDT");
  EXPECT_EQ(of_type<v1::ExecutionReport>(items)[0].text(),
            "instrument binance-us/ETHUSDT is not traded by this venue");
  auto stranger = intent("ghost", 1, v1::SIDE_BUY, "1");
  EXPECT_EQ(of_type<v1::ExecutionReport>(v.on(stranger))[0].text(),
            "strategy 'ghost' has no book for binance-us/BTCUSDT");

  // Malformed and stale decision outputs are dead-lettered with a reason.
  v1::OrderIntent empty;
  auto bad = v.core.on_intent(empty, v.out);
  EXPECT_EQ(bad.kind(), HandleResult::Kind::kReject);
  EXPECT_EQ(bad.detail(), "order intent has no client_order_id");
  auto stale = v.core.on_rejection(rejection("momo", 0), v.out);
  EXPECT_EQ(stale.reason(), "stale");
  EXPECT_EQ(stale.detail(), "decision output of 'momo' for binance-us/BTCUSDT at "
                            "1700000000000000000 ns arrived after bar 1700000060000000000 ns was "
                            "processed");
  auto old_bar = v.core.on_bar(bar(1, "1", "1", "1", "1", "1"), "", v.out);
  EXPECT_EQ(old_bar.reason(), "stale");
  EXPECT_EQ(old_bar.detail(), "bar at 1700000060000000000 ns is not after the previous bar at "
                              "1700000060000000000 ns");
  // Out-of-order bars are not part of the series.
  expect_ok(v.core.on_bar(bar(0, "1", "1", "1", "1", "1", v1::BAR_QUALITY_OUT_OF_ORDER), "",
                          v.out));
  EXPECT_TRUE(v.out.empty());
}

TEST(ExecsimCore, CancelsApplyAtTheNextBarAndUnknownOnesAreRejected) {
  Venue v;
  v.on(bar(0, "30000", "30100", "29900", "30050", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "0.5", v1::ORDER_TYPE_LIMIT, "1000"));
  v.on(bar(1, "30000", "30100", "29900", "30050", "10"));
  v1::CancelRequest cancel;
  cancel.set_client_order_id(cid("momo", 0));
  *cancel.mutable_instrument() = btc();
  cancel.mutable_trace()->set_event_time_ns(T(1));
  expect_ok(v.core.on_cancel(cancel, v.out));
  cancel.set_client_order_id("nope");
  expect_ok(v.core.on_cancel(cancel, v.out));
  decide(v, 1);
  auto r = of_type<v1::ExecutionReport>(v.on(bar(2, "30000", "30100", "29900", "30050", "10")));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_CANCELED);
  EXPECT_EQ(r[0].exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:2");
  EXPECT_EQ(r[0].text(), "canceled on request");
  EXPECT_EQ(r[1].exec_type(), v1::EXEC_REJECTED);
  EXPECT_EQ(r[1].reject_reason(), v1::REJECT_UNKNOWN_ORDER);
  EXPECT_EQ(r[1].exec_id(), "exec:nope:1");
  EXPECT_EQ(r[1].text(), "no working order nope to cancel");
  EXPECT_EQ(v.core.working_orders(), 0u);
  // Cancelling the finished order again continues its numbering.
  cancel.set_client_order_id(cid("momo", 0));
  cancel.mutable_trace()->set_event_time_ns(T(2));
  expect_ok(v.core.on_cancel(cancel, v.out));
  decide(v, 2);
  r = of_type<v1::ExecutionReport>(v.on(bar(3, "30000", "30100", "29900", "30050", "10")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].exec_id(), "exec:momo-binance-us-BTCUSDT-1700000000:3");
}

TEST(ExecsimCore, ClosingFillPublishesANetOutcomeForTheDecision) {
  Venue v(make_config("1", 0));
  v.on(bar(0, "100", "100", "100", "100", "10"));
  decide(v, 0, intent("momo", 0, v1::SIDE_BUY, "1"));
  v.on(bar(1, "100", "110", "90", "105", "10"));  // buy 1 at 100, fee 0.1
  decide(v, 1, intent("momo", 1, v1::SIDE_SELL, "3"));
  // Sell 3 at 110: closes 1 (notional 110, fee 0.11), opens a 2 short (220, 0.22).
  auto items = v.on(bar(2, "110", "120", "100", "110", "10"));
  auto outcomes = of_type<v1::Outcome>(items);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(items.back().subject, "params.outcome.momo.BTCUSDT");
  EXPECT_EQ(items.back().message_id,
            "outcome:choice-momo-1:momo-binance-us-BTCUSDT-1700000060:2");
  const auto& o = outcomes[0];
  EXPECT_EQ(o.decision_id(), "choice-momo-1");
  EXPECT_EQ(o.realized_pnl_e8(), e8("9.79"));  // 10 - 0.11 - 0.1
  EXPECT_EQ(o.fees_e8(), e8("0.21"));
  EXPECT_EQ(o.notional_e8(), e8("100"));
  EXPECT_DOUBLE_EQ(o.reward(), 0.0979);
  EXPECT_EQ(o.closed_time_ns(), T(2));
  auto p = of_type<v1::Position>(items)[1];
  EXPECT_EQ(p.quantity_e8(), e8("-2"));
  EXPECT_EQ(p.average_cost_e8(), e8("110"));
  EXPECT_EQ(p.realized_pnl_e8(), e8("10"));
  EXPECT_EQ(p.fees_e8(), e8("0.43"));
  EXPECT_EQ(p.cash_e8(), e8("100229.57"));  // 100000 - 100.1 + 330 - 0.33
  EXPECT_EQ(p.equity_e8(), e8("100009.57"));
  EXPECT_EQ(v.core.book("momo", kBtc)->open_fees_e8, e8("0.22"));
  // paramctl's watermark: the outcomes published for each book so far.
  EXPECT_EQ(p.outcomes_total(), 1u);
  EXPECT_EQ(of_type<v1::Position>(items)[0].outcomes_total(), 0u);
  // It is cumulative and survives a restore.
  ExecsimCore restored(v.core.config());
  ASSERT_TRUE(restored.restore(v.core.snapshot()));
  EXPECT_EQ(restored.snapshot(), v.core.snapshot());
  decide(v, 2);
  EXPECT_EQ(of_type<v1::Position>(v.on(bar(3, "110", "110", "110", "110", "10")))[1].outcomes_total(), 1u);
}

// ---------------------------------------------------------------- streams

struct Stream {
  std::vector<v1::Bar> bars;
  std::vector<std::function<HandleResult(ExecsimCore&, runtime::Outbox&)>> orders;
};

// A random but fixed market and decision stream over n bars.
Stream random_stream(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  Stream s;
  int64_t price = e8("30000");
  for (int i = 0; i < n; ++i) {
    const int64_t open = price;
    const int64_t close = open + pick(-30000, 30000) * 1'000'000;
    const int64_t high = std::max(open, close) + pick(0, 5000) * 1'000'000;
    const int64_t low = std::min(open, close) - pick(0, 5000) * 1'000'000;
    price = close;
    v1::Bar b = bar(i, "1", "1", "1", "1", "1", pick(0, 9) == 0 ? v1::BAR_QUALITY_GAP_BEFORE : 0);
    b.set_open_e8(open);
    b.set_high_e8(high);
    b.set_low_e8(low);
    b.set_close_e8(close);
    b.set_volume_e8(pick(0, 400) * 1'000'000);
    s.bars.push_back(b);
    for (const char* strategy : {"meanrev", "momo"}) {
      if (pick(0, 2) == 0) {
        auto r = rejection(strategy, i);
        s.orders.push_back([r](ExecsimCore& c, runtime::Outbox& o) { return c.on_rejection(r, o); });
        continue;
      }
      const bool limit = pick(0, 3) == 0;
      auto in = intent(strategy, i, pick(0, 1) ? v1::SIDE_BUY : v1::SIDE_SELL, "1",
                       limit ? v1::ORDER_TYPE_LIMIT : v1::ORDER_TYPE_MARKET, "0",
                       pick(0, 4) == 0 ? v1::TIME_IN_FORCE_IOC : v1::TIME_IN_FORCE_GTC);
      in.mutable_order()->set_quantity_e8(pick(1, 150'000'000));
      if (limit) in.mutable_order()->set_limit_price_e8(close + pick(-20000, 20000) * 1'000'000);
      s.orders.push_back([in](ExecsimCore& c, runtime::Outbox& o) { return c.on_intent(in, o); });
    }
  }
  return s;
}

std::string render(const std::vector<runtime::Outbox::Item>& items) {
  std::string s;
  for (const auto& i : items) s += i.subject + "|" + i.message_id + "|" + i.payload + "\n";
  return s;
}

// Feeds the two streams, each in its own order (as JetStream delivers them),
// interleaved by a seeded coin (seed 0: all bars first); returns all outputs.
std::string run_interleaved(const Stream& s, uint64_t seed, ExecsimCore& core,
                            runtime::Outbox& out) {
  std::mt19937_64 rng(seed);
  size_t b = 0, o = 0;
  while (b < s.bars.size() || o < s.orders.size()) {
    const bool take_bar =
        o >= s.orders.size() || (b < s.bars.size() && (seed == 0 || rng() % 2 == 0));
    if (take_bar)
      expect_ok(core.on_bar(s.bars[b++], "", out));
    else
      expect_ok(s.orders[o++](core, out));
  }
  return render(out.items());
}

TEST(ExecsimCore, OutputsDoNotDependOnHowBarsAndOrdersInterleave) {
  const Stream s = random_stream(7, 60);
  std::string reference;
  {
    ExecsimCore core(make_config());
    runtime::Outbox out;
    reference = run_interleaved(s, 0, core, out);  // all bars first
    EXPECT_EQ(core.waiting_bars(), 0u);
  }
  // Orders first as far as possible: bars are then processed as decisions come.
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    ExecsimCore core(make_config());
    runtime::Outbox out;
    ASSERT_EQ(run_interleaved(s, seed, core, out), reference) << "seed " << seed;
  }
}

TEST(ExecsimCore, SnapshotRestoreMidStreamGivesIdenticalOutputs) {
  const Stream s = random_stream(11, 30);
  ExecsimCore whole(make_config());
  runtime::Outbox whole_out;
  const std::string reference = run_interleaved(s, 3, whole, whole_out);
  const size_t total = s.bars.size() + s.orders.size();
  for (size_t cut = 0; cut <= total; cut += 5) {
    // The same interleaving as run_interleaved(s, 3, ...); the first core
    // handles the messages before the cut, a restored copy the rest.
    ExecsimCore first(make_config());
    std::optional<ExecsimCore> second;
    runtime::Outbox out;
    std::mt19937_64 rng(3);
    size_t b = 0, o = 0, n = 0;
    while (b < s.bars.size() || o < s.orders.size()) {
      if (n == cut) {
        const std::string snap = first.snapshot();
        second.emplace(make_config());
        ASSERT_TRUE(second->restore(snap).has_value());
        EXPECT_EQ(second->snapshot(), snap);
        EXPECT_TRUE(second->pending_rows().empty());
      }
      const bool take_bar = o >= s.orders.size() || (b < s.bars.size() && rng() % 2 == 0);
      ExecsimCore& core = second ? *second : first;
      if (take_bar)
        expect_ok(core.on_bar(s.bars[b++], "", out));
      else
        expect_ok(s.orders[o++](core, out));
      ++n;
    }
    ASSERT_EQ(render(out.items()), reference) << "cut " << cut;
  }
}

TEST(ExecsimCore, BookInvariantsHoldOnRandomOrderStreams) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const Stream s = random_stream(seed, 80);
    ExecsimCore core(make_config("0.5", 7));
    runtime::Outbox out;
    run_interleaved(s, seed, core, out);
    std::map<std::string, int64_t> qty, notional, fees, outcome_count;
    int fills = 0;
    for (const auto& item : out.items()) {
      if (item.message_type == "trading.v1.ExecutionReport") {
        v1::ExecutionReport r;
        ASSERT_TRUE(r.ParseFromString(item.payload));
        ASSERT_GE(r.leaves_quantity_e8(), 0);
        if (r.exec_type() != v1::EXEC_FILL && r.exec_type() != v1::EXEC_PARTIAL_FILL) continue;
        ++fills;
        const int64_t sign = r.side() == v1::SIDE_BUY ? 1 : -1;
        qty[r.strategy()] += sign * r.last_quantity_e8();
        notional[r.strategy()] += sign * fixed::mul(r.last_quantity_e8(), r.last_price_e8());
        fees[r.strategy()] += r.fee_e8();
      } else if (item.message_type == "trading.v1.Position") {
        v1::Position p;
        ASSERT_TRUE(p.ParseFromString(item.payload));
        const std::string& st = p.strategy();
        const int64_t initial = e8("100000");
        ASSERT_EQ(p.quantity_e8(), qty[st]) << "seed " << seed;
        ASSERT_EQ(p.cash_e8(), initial - notional[st] - fees[st]) << "seed " << seed;
        ASSERT_EQ(p.fees_e8(), fees[st]);
        ASSERT_EQ(p.equity_e8(), p.cash_e8() + fixed::mul(p.quantity_e8(), p.mark_price_e8()));
        ASSERT_EQ(p.realized_pnl_e8() - p.fees_e8() + p.unrealized_pnl_e8(),
                  p.equity_e8() - initial)
            << "seed " << seed;
      }
    }
    EXPECT_GT(fills, 20) << "seed " << seed;  // the stream really trades
  }
}

// A checkpoint written by the previous order model (snapshot version 1) is
// converted: books, working orders (numbering continues) and finished ids.
TEST(ExecsimCore, RestoresVersionOneSnapshots) {
  using nlohmann::json;
  auto bin = [](const google::protobuf::Message& m) {
    std::string b = m.SerializeAsString();
    return json::binary_t(std::vector<uint8_t>(b.begin(), b.end()));
  };
  v1::Order working = intent("momo", 0, v1::SIDE_BUY, "0.5", v1::ORDER_TYPE_LIMIT, "29000").order();
  json books = json::array();
  for (const char* s : {"meanrev", "momo"})
    books.push_back({{"strategy", s}, {"quantity", e8("0.25")}, {"cost", e8("7500")},
                     {"open_fees", e8("7.5")}, {"realized", 0}, {"fees", e8("7.5")},
                     {"cash", e8("92492.5")}});
  json inst = {{"venue", "binance-us"}, {"symbol", "BTCUSDT"}, {"last_bar_ns", T(1)},
               {"mark", e8("30000")}, {"bars", json::array()}, {"decided", json::array()},
               {"cancels", json::array()},
               {"working", json::array({{{"order", bin(working)}, {"cumulative", e8("0.1")},
                                         {"cumulative_notional", e8("2900")}, {"events", 2}}})},
               {"finished", json::array({json::array({"old-order", 3, true})})},
               {"books", books}};
  json root = {{"version", 1}, {"instruments", json::array({inst})}};
  auto bytes = json::to_cbor(root);
  ExecsimCore core(make_config());
  ASSERT_TRUE(core.restore(std::string(bytes.begin(), bytes.end())).has_value());
  EXPECT_EQ(core.book("momo", kBtc)->quantity_e8, e8("0.25"));
  EXPECT_EQ(core.book("momo", kBtc)->cash_e8, e8("92492.5"));
  const LiveOrder* o = core.engine(kBtc)->find(cid("momo", 0));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->status, v1::ORDER_STATUS_PARTIALLY_FILLED);
  EXPECT_EQ(o->leaves(), e8("0.4"));
  EXPECT_EQ(o->events, 2u);
  // The restored order keeps working: bar 2 trades through 29000.
  Venue v;
  ASSERT_TRUE(v.core.restore(std::string(bytes.begin(), bytes.end())).has_value());
  decide(v, 1);
  auto r = of_type<v1::ExecutionReport>(v.on(bar(2, "29500", "29600", "28900", "29000", "10")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].exec_id(), "exec:" + cid("momo", 0) + ":3");
  EXPECT_EQ(r[0].exec_type(), v1::EXEC_FILL);
  EXPECT_EQ(r[0].cumulative_quantity_e8(), e8("0.5"));
}

TEST(ExecsimCore, RestoreRejectsGarbage) {
  ExecsimCore core(make_config());
  auto s = core.restore("\x01\x02");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace tp::execsim
