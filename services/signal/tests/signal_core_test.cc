#include "signal/core/signal_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tp/runtime/topology.h"
#include "trading/v1/signals.pb.h"

namespace tp::signal {
namespace {

using trading::v1::Bar;
using trading::v1::ParameterChoice;
using trading::v1::Signal;

constexpr int64_t kE8 = 100'000'000;
constexpr int64_t kT0 = 1'677'628'800;  // 2023-03-01T00:00:00Z
constexpr const char* kInstrument = "binance-us/BTCUSDT";

int64_t t_ns(int i) { return (kT0 + 60 * i) * kNanosPerSecond; }

Bar make_bar(int i, double close, uint32_t flags = 0) {
  Bar b;
  b.mutable_instrument()->set_venue("binance-us");
  b.mutable_instrument()->set_symbol("BTCUSDT");
  b.set_timeframe("1m");
  b.set_open_time_ns(t_ns(i));
  b.set_close_time_ns(t_ns(i + 1));
  const auto px = static_cast<int64_t>(close * kE8);
  b.set_open_e8(px);
  b.set_high_e8(px + kE8);
  b.set_low_e8(px - kE8);
  b.set_close_e8(px);
  b.set_volume_e8(flags & trading::v1::BAR_QUALITY_ZERO_VOLUME ? 0 : 5 * kE8);
  b.set_quality_flags(flags);
  b.mutable_trace()->set_correlation_id(runtime::ids::bar("binance-us", "BTCUSDT", "1m", t_ns(i)));
  b.mutable_trace()->set_event_time_ns(t_ns(i));
  return b;
}

ParameterChoice make_choice(const std::string& strategy, int i, const std::string& preset,
                            std::map<std::string, double> values,
                            const std::string& decision = "") {
  ParameterChoice c;
  c.set_decision_id(decision.empty() ? "d:" + strategy + ":binance-us:BTCUSDT:" +
                                           std::to_string(kT0)
                                     : decision);
  c.set_strategy(strategy);
  c.mutable_instrument()->set_venue("binance-us");
  c.mutable_instrument()->set_symbol("BTCUSDT");
  c.mutable_preset()->set_preset_id(preset);
  c.mutable_preset()->set_strategy(strategy);
  c.mutable_preset()->set_enabled(true);
  for (const auto& [k, v] : values) (*c.mutable_preset()->mutable_values())[k] = v;
  c.mutable_trace()->set_event_time_ns(t_ns(i));
  c.mutable_trace()->set_decision_id(c.decision_id());
  return c;
}

ParameterChoice ma_choice(int i, int fast = 2, int slow = 3) {
  return make_choice("ma", i, "ma/f" + std::to_string(fast) + "s" + std::to_string(slow),
                     {{"fast", fast}, {"slow", slow}, {"scale", 0.01}});
}
ParameterChoice dc_choice(int i) { return make_choice("dc", i, "dc/w2", {{"window", 2}}); }

SignalCoreConfig two_strategies() {
  SignalCoreConfig cfg;
  cfg.max_window = 50;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  cfg.strategies["dc"] = {Algorithm::kDonchian, {kInstrument}};
  return cfg;
}

Signal decode(const runtime::Outbox::Item& item) {
  Signal s;
  EXPECT_TRUE(s.ParseFromString(item.payload));
  return s;
}

// One input of either stream.
struct Input {
  bool is_bar;
  Bar bar;
  ParameterChoice choice;
};

std::vector<double> kCloses = {100, 101, 102, 90, 95, 110, 111, 108, 120, 99};

// Bars, then per bar the two strategies' choices, in per-stream order.
std::vector<Input> bar_stream() {
  std::vector<Input> v;
  for (size_t i = 0; i < kCloses.size(); ++i)
    v.push_back({true, make_bar(static_cast<int>(i), kCloses[i]), {}});
  return v;
}
std::vector<Input> choice_stream() {
  std::vector<Input> v;
  for (size_t i = 0; i < kCloses.size(); ++i) {
    v.push_back({false, {}, ma_choice(static_cast<int>(i))});
    v.push_back({false, {}, dc_choice(static_cast<int>(i))});
  }
  return v;
}

std::vector<runtime::Outbox::Item> feed(SignalCore& core, const std::vector<Input>& inputs) {
  runtime::Outbox out;
  for (const auto& in : inputs) {
    Verdict v = in.is_bar ? core.on_bar(in.bar, "", out) : core.on_choice(in.choice, out);
    EXPECT_EQ(v.kind, Verdict::Kind::kApplied) << v.text;
  }
  return out.take();
}

// Per-subject sequences: what each downstream consumer sees.
std::map<std::string, std::vector<std::string>> by_subject(
    const std::vector<runtime::Outbox::Item>& items) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& it : items)
    m[it.subject].push_back(it.message_id + "|" + it.correlation_id + "|" + it.payload);
  return m;
}

TEST(SignalCore, ExactMaTrendSignals) {
  SignalCoreConfig cfg;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(core.on_bar(make_bar(i, kCloses[i]), "", out).kind, Verdict::Kind::kApplied);
    ASSERT_EQ(core.on_choice(ma_choice(i), out).kind, Verdict::Kind::kApplied);
  }
  auto items = out.take();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].subject, "sig.ma.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "sig:ma:binance-us:BTCUSDT:1677628800");
  EXPECT_EQ(items[0].correlation_id, "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(items[0].message_type, "trading.v1.Signal");
  Signal s0 = decode(items[0]);
  EXPECT_EQ(s0.direction(), trading::v1::DIRECTION_FLAT);
  EXPECT_EQ(s0.reason(), "warming up: 1 of 3 closes for slow SMA(3)");
  EXPECT_EQ(decode(items[1]).reason(), "warming up: 2 of 3 closes for slow SMA(3)");

  Signal s2 = decode(items[2]);
  EXPECT_EQ(s2.strategy(), "ma");
  EXPECT_EQ(s2.instrument().venue(), "binance-us");
  EXPECT_EQ(s2.instrument().symbol(), "BTCUSDT");
  EXPECT_EQ(s2.direction(), trading::v1::DIRECTION_LONG);
  EXPECT_DOUBLE_EQ(s2.strength(), 0.5 / 101.0 / 0.01);
  EXPECT_EQ(s2.reason(), "fast SMA(2) 101.50 > slow SMA(3) 101.00");
  EXPECT_EQ(s2.preset_id(), "ma/f2s3");
  EXPECT_EQ(s2.decision_id(), "d:ma:binance-us:BTCUSDT:1677628800");
  EXPECT_EQ(s2.bar_close_e8(), 102 * kE8);
  EXPECT_EQ(s2.bar_quality_flags(), 0u);
  EXPECT_EQ(s2.trace().correlation_id(), "bar:binance-us:BTCUSDT:1m:1677628920");
  EXPECT_EQ(s2.trace().event_time_ns(), t_ns(2));
  EXPECT_EQ(s2.trace().decision_id(), "d:ma:binance-us:BTCUSDT:1677628800");

  Signal s3 = decode(items[3]);
  EXPECT_EQ(s3.direction(), trading::v1::DIRECTION_SHORT);
  EXPECT_EQ(s3.strength(), 1.0);
  EXPECT_EQ(s3.reason(), "fast SMA(2) 96.00 < slow SMA(3) 97.67");
}

TEST(SignalCore, EnvelopeCorrelationIdWins) {
  SignalCoreConfig cfg;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  ASSERT_EQ(core.on_choice(ma_choice(0), out).kind, Verdict::Kind::kApplied);
  EXPECT_TRUE(out.empty());  // waits for its bar
  EXPECT_EQ(core.pending_choices("ma", kInstrument), 1u);
  ASSERT_EQ(core.on_bar(make_bar(0, 100), "corr-1", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.items()[0].correlation_id, "corr-1");
  EXPECT_EQ(decode(out.items()[0]).trace().correlation_id(), "corr-1");
  EXPECT_EQ(core.pending_choices("ma", kInstrument), 0u);
  EXPECT_EQ(core.pending_bars(kInstrument), 0u);
}

TEST(SignalCore, JoinInAnyArrivalOrderGivesIdenticalOutputs) {
  const auto bars = bar_stream();
  const auto choices = choice_stream();

  std::vector<Input> bars_first = bars;
  bars_first.insert(bars_first.end(), choices.begin(), choices.end());
  std::vector<Input> choices_first = choices;
  choices_first.insert(choices_first.end(), bars.begin(), bars.end());

  SignalCore a(two_strategies()), b(two_strategies());
  const auto reference = by_subject(feed(a, bars_first));
  EXPECT_EQ(reference, by_subject(feed(b, choices_first)));
  ASSERT_EQ(reference.size(), 2u);
  EXPECT_EQ(reference.at("sig.ma.BTCUSDT").size(), kCloses.size());
  EXPECT_EQ(reference.at("sig.dc.BTCUSDT").size(), kCloses.size());

  // Random interleavings that keep each stream in order.
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<Input> mixed;
    size_t i = 0, j = 0;
    while (i < bars.size() || j < choices.size()) {
      bool take_bar = j == choices.size() || (i < bars.size() && rng() % 2 == 0);
      mixed.push_back(take_bar ? bars[i++] : choices[j++]);
    }
    SignalCore c(two_strategies());
    EXPECT_EQ(reference, by_subject(feed(c, mixed))) << "round " << round;
  }
}

TEST(SignalCore, RestoreMidStreamContinuesIdentically) {
  const auto bars = bar_stream();
  const auto choices = choice_stream();
  // Bars run ahead of choices, so buffers are non-empty at the cut.
  std::vector<Input> order;
  for (size_t i = 0; i < bars.size(); ++i) {
    order.push_back(bars[i]);
    if (i >= 3) {
      order.push_back(choices[2 * (i - 3)]);
      order.push_back(choices[2 * (i - 3) + 1]);
    }
  }
  for (size_t k = 2 * (bars.size() - 3); k < choices.size(); ++k) order.push_back(choices[k]);

  SignalCore whole(two_strategies());
  const auto reference = feed(whole, order);

  for (size_t cut = 1; cut < order.size(); ++cut) {
    SignalCore first(two_strategies());
    auto outputs = feed(first, {order.begin(), order.begin() + static_cast<long>(cut)});
    const std::string snap = first.snapshot();
    SignalCore second(two_strategies());
    ASSERT_TRUE(second.restore(snap));
    EXPECT_EQ(second.snapshot(), snap);
    auto rest = feed(second, {order.begin() + static_cast<long>(cut), order.end()});
    outputs.insert(outputs.end(), rest.begin(), rest.end());
    ASSERT_EQ(outputs.size(), reference.size()) << "cut " << cut;
    for (size_t i = 0; i < outputs.size(); ++i) {
      EXPECT_EQ(outputs[i].message_id, reference[i].message_id) << "cut " << cut;
      EXPECT_EQ(outputs[i].payload, reference[i].payload) << "cut " << cut;
    }
  }
}

TEST(SignalCore, RestoreRejectsGarbage) {
  SignalCore core(two_strategies());
  auto s = core.restore("{not json");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
  auto v = core.restore(R"({"version":2,"instruments":{}})");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "signal snapshot: unsupported version 2");
}

TEST(SignalCore, ParameterChangeTakesEffectAtOnce) {
  SignalCoreConfig cfg;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  // Closes 100, 101, 102, 103 under a 3/4 preset: bar 3 is the first out of warm-up.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(core.on_bar(make_bar(i, 100 + i), "", out).kind, Verdict::Kind::kApplied);
    ASSERT_EQ(core.on_choice(ma_choice(i, 3, 4), out).kind, Verdict::Kind::kApplied);
  }
  EXPECT_EQ(decode(out.items()[2]).reason(), "warming up: 3 of 4 closes for slow SMA(4)");
  // A new decision at bar 3 switches to 1/2: history already holds the closes.
  ASSERT_EQ(core.on_bar(make_bar(3, 103), "", out).kind, Verdict::Kind::kApplied);
  auto changed = ma_choice(3, 1, 2);
  changed.set_decision_id("d:ma:binance-us:BTCUSDT:1677628980");
  ASSERT_EQ(core.on_choice(changed, out).kind, Verdict::Kind::kApplied);
  Signal s = decode(out.items()[3]);
  EXPECT_EQ(s.reason(), "fast SMA(1) 103.00 > slow SMA(2) 102.50");
  EXPECT_EQ(s.preset_id(), "ma/f1s2");
  EXPECT_EQ(s.decision_id(), "d:ma:binance-us:BTCUSDT:1677628980");
}

TEST(SignalCore, FlaggedBarsHoldAndStayOutOfTheIndicators) {
  SignalCoreConfig cfg;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  auto step = [&](int i, double close, uint32_t flags) {
    EXPECT_EQ(core.on_bar(make_bar(i, close, flags), "", out).kind, Verdict::Kind::kApplied);
    EXPECT_EQ(core.on_choice(ma_choice(i), out).kind, Verdict::Kind::kApplied);
  };
  step(0, 100, 0);
  step(1, 101, 0);
  step(2, 102, 0);  // LONG
  step(3, 5000, trading::v1::BAR_QUALITY_OUTLIER | trading::v1::BAR_QUALITY_ZERO_VOLUME);
  step(4, 103, 0);  // history 101, 102, 103: the outlier was not fed
  auto items = out.take();
  ASSERT_EQ(items.size(), 5u);
  Signal held = decode(items[3]);
  EXPECT_EQ(held.direction(), trading::v1::DIRECTION_LONG);
  EXPECT_DOUBLE_EQ(held.strength(), 0.5 / 101.0 / 0.01);
  EXPECT_EQ(held.reason(), "bar flagged ZERO_VOLUME|OUTLIER: holding previous view");
  EXPECT_EQ(held.bar_quality_flags(), 3u);
  EXPECT_EQ(held.bar_close_e8(), 5000 * kE8);
  EXPECT_EQ(decode(items[4]).reason(), "fast SMA(2) 102.50 > slow SMA(3) 102.00");

  // Out-of-order bars are not part of the series: nothing is emitted.
  EXPECT_EQ(core.on_bar(make_bar(5, 1, trading::v1::BAR_QUALITY_OUT_OF_ORDER), "", out).text,
            "bar is flagged OUT_OF_ORDER");
  EXPECT_TRUE(out.empty());
  // Nor are bars at or before the last one.
  auto stale = core.on_bar(make_bar(4, 103), "", out);
  EXPECT_EQ(stale.kind, Verdict::Kind::kIgnored);
  EXPECT_EQ(stale.text, "bar at " + std::to_string(t_ns(4)) + " is not after the last bar at " +
                            std::to_string(t_ns(4)));
  // A gap bar's price is real: it is fed, but the view is held.
  step(5, 200, trading::v1::BAR_QUALITY_GAP_BEFORE);
  step(6, 200, 0);  // history 103, 200, 200 -> fast 200, slow 167.67
  items = out.take();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(decode(items[0]).reason(), "bar flagged GAP_BEFORE: holding previous view");
  EXPECT_EQ(decode(items[1]).reason(), "fast SMA(2) 200.00 > slow SMA(3) 167.67");
  EXPECT_EQ(describe_flags(0x40 | 16), "INCONSISTENT|0x40");
}

TEST(SignalCore, InvalidPresetIsRefusedAndItsBarHolds) {
  SignalCoreConfig cfg;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  ASSERT_EQ(core.on_bar(make_bar(0, 100), "", out).kind, Verdict::Kind::kApplied);
  auto bad = make_choice("ma", 0, "ma/bad", {{"fast", 2}, {"slow", 2}, {"scale", 0.01}});
  Verdict v = core.on_choice(bad, out);
  EXPECT_EQ(v.kind, Verdict::Kind::kInvalid);
  EXPECT_EQ(v.text, "preset \"ma/bad\": slow (2) must be greater than fast (2)");
  ASSERT_EQ(out.size(), 1u);
  Signal s = decode(out.items()[0]);
  EXPECT_EQ(s.direction(), trading::v1::DIRECTION_FLAT);
  EXPECT_EQ(s.reason(),
            "invalid preset \"ma/bad\": slow (2) must be greater than fast (2): holding previous "
            "view");
  EXPECT_EQ(s.preset_id(), "ma/bad");

  ParameterChoice no_time = ma_choice(1);
  no_time.mutable_trace()->set_event_time_ns(0);
  EXPECT_EQ(core.on_choice(no_time, out).text, "parameter choice has no trace.event_time_ns");
  ParameterChoice other = make_choice("momo", 1, "momo/x", {});
  Verdict ignored = core.on_choice(other, out);
  EXPECT_EQ(ignored.kind, Verdict::Kind::kIgnored);
  EXPECT_EQ(ignored.text, "strategy momo is not run by this service");
  Bar zero = make_bar(1, 0);
  EXPECT_EQ(core.on_bar(zero, "", out).text, "bar close must be positive, got 0");
}

TEST(SignalCore, BoundedBuffers) {
  SignalCoreConfig cfg;
  cfg.max_pending_bars = 2;
  cfg.max_pending_choices = 2;
  cfg.strategies["ma"] = {Algorithm::kMaTrend, {kInstrument}};
  SignalCore core(cfg);
  runtime::Outbox out;
  ASSERT_EQ(core.on_bar(make_bar(0, 100), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core.on_bar(make_bar(1, 101), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(core.pending_bars(kInstrument), 2u);
  // The third bar overflows: bar 0 is resolved without a choice.
  ASSERT_EQ(core.on_bar(make_bar(2, 102), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 1u);
  Signal s = decode(out.items()[0]);
  EXPECT_EQ(s.trace().event_time_ns(), t_ns(0));
  EXPECT_EQ(s.reason(), "no parameter choice within 2 bars: holding previous view");
  EXPECT_EQ(s.preset_id(), "");
  EXPECT_EQ(core.pending_bars(kInstrument), 2u);
  out.take();
  // Its choice, arriving late, is ignored; the next ones join.
  Verdict late = core.on_choice(ma_choice(0), out);
  EXPECT_EQ(late.kind, Verdict::Kind::kIgnored);
  EXPECT_EQ(late.text, "choice for " + std::to_string(t_ns(0)) +
                           " arrived after the signal of " + std::to_string(t_ns(0)));
  ASSERT_EQ(core.on_choice(ma_choice(1), out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core.on_choice(ma_choice(2), out).kind, Verdict::Kind::kApplied);
  auto items = out.take();
  ASSERT_EQ(items.size(), 2u);
  // Bar 0 was fed into the history even without a choice.
  EXPECT_EQ(decode(items[1]).reason(), "fast SMA(2) 101.50 > slow SMA(3) 101.00");

  // Choices for bars not seen yet wait, up to max_pending_choices.
  ASSERT_EQ(core.on_choice(ma_choice(3), out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core.on_choice(ma_choice(4), out).kind, Verdict::Kind::kApplied);
  Verdict full = core.on_choice(ma_choice(5), out);
  EXPECT_EQ(full.kind, Verdict::Kind::kOverflow);
  EXPECT_EQ(full.text, "2 choices of ma for binance-us/BTCUSDT are already waiting for their "
                       "bars (max_pending_choices)");
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tp::signal
