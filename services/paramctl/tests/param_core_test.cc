#include "paramctl/core/param_core.h"

#include <gtest/gtest.h>

#include "tp/bus/publisher.h"

#include <cmath>
#include <limits>

#include "tp/core/clock.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "trading/v1/params.pb.h"

namespace tp::paramctl {
namespace {

using trading::v1::ParameterChoice;
using trading::v1::ParameterPreset;
using trading::v1::RegimePosterior;

constexpr int64_t kT0 = 1'677'628'800;
int64_t t_ns(int i) { return (kT0 + 60 * i) * kNanosPerSecond; }

ParameterPreset preset(const std::string& id, const std::string& strategy,
                       std::map<std::string, double> values, bool enabled = true) {
  ParameterPreset p;
  p.set_preset_id(id);
  p.set_strategy(strategy);
  for (const auto& [k, v] : values) (*p.mutable_values())[k] = v;
  p.set_enabled(enabled);
  return p;
}

std::vector<ParameterPreset> catalogue() {
  return {preset("ma/fast", "ma", {{"fast", 5}, {"slow", 20}, {"scale", 0.01}}),
          preset("ma/slow", "ma", {{"fast", 20}, {"slow", 100}, {"scale", 0.01}}),
          preset("dc/w20", "dc", {{"window", 20}}),
          preset("dc/w55", "dc", {{"window", 55}})};
}

ParamCoreConfig config() {
  ParamCoreConfig cfg;
  cfg.strategies["ma"] = {{"binance-us/BTCUSDT"}, "ma/slow", 3};
  cfg.strategies["dc"] = {{"binance-us/BTCUSDT", "binance-us/ETHUSDT"}, "dc/missing", 2};
  return cfg;
}

std::unique_ptr<ParamCore> make_core() {
  auto core = std::make_unique<ParamCore>(config(), std::make_unique<DefaultPresetChooser>());
  core->load_presets(catalogue());
  return core;
}

RegimePosterior posterior(int i, const std::string& symbol = "BTCUSDT") {
  RegimePosterior p;
  p.mutable_instrument()->set_venue("binance-us");
  p.mutable_instrument()->set_symbol(symbol);
  p.set_timeframe("1m");
  p.set_p_bull(0.5);
  p.set_p_bear(0.25);
  p.set_p_chop(0.25);
  p.set_most_likely(trading::v1::REGIME_BULL);
  p.set_realized_vol(0.002);
  p.set_trend(-0.001 * i + 0.0);  // + 0.0: no negative zero
  p.mutable_trace()->set_correlation_id("bar:binance-us:" + symbol + ":1m:" +
                                        std::to_string(kT0 + 60 * i));
  p.mutable_trace()->set_event_time_ns(t_ns(i));
  return p;
}

// Map fields serialise in an unspecified order; compare canonical bytes.
std::string canonical_bytes(const google::protobuf::MessageLite& m) {
  std::string out;
  EXPECT_TRUE(bus::serialize_deterministic(m, out));
  return out;
}

ParameterChoice decode(const runtime::Outbox::Item& item) {
  ParameterChoice c;
  EXPECT_TRUE(c.ParseFromString(item.payload));
  return c;
}

TEST(ParamCore, OneChoicePerStrategyWithEpochs) {
  auto core = make_core();
  runtime::Outbox out;
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(core->on_regime(posterior(i), "", out).kind, Verdict::Kind::kApplied);
  auto items = out.take();
  ASSERT_EQ(items.size(), 8u);  // dc then ma, per bar
  EXPECT_EQ(items[0].subject, "params.choice.dc.BTCUSDT");
  EXPECT_EQ(items[0].message_id, "choice:dc:binance-us:BTCUSDT:1677628800");
  EXPECT_EQ(items[0].correlation_id, "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(items[1].subject, "params.choice.ma.BTCUSDT");

  // ma: interval 3 -> decisions at bars 0 and 3; default preset ma/slow.
  std::vector<std::string> ma_ids, dc_ids;
  for (size_t i = 0; i < items.size(); ++i) {
    ParameterChoice c = decode(items[i]);
    (c.strategy() == "ma" ? ma_ids : dc_ids).push_back(c.decision_id());
    // dc's default does not exist: the first enabled preset by id.
    EXPECT_EQ(c.preset().preset_id(), c.strategy() == "ma" ? "ma/slow" : "dc/w20");
  }
  const std::string d0 = "d:ma:binance-us:BTCUSDT:1677628800";
  const std::string d3 = "d:ma:binance-us:BTCUSDT:1677628980";
  EXPECT_EQ(ma_ids, (std::vector<std::string>{d0, d0, d0, d3}));
  EXPECT_EQ(dc_ids, (std::vector<std::string>{"d:dc:binance-us:BTCUSDT:1677628800",
                                              "d:dc:binance-us:BTCUSDT:1677628800",
                                              "d:dc:binance-us:BTCUSDT:1677628920",
                                              "d:dc:binance-us:BTCUSDT:1677628920"}));

  ParameterChoice c = decode(items[3]);  // ma at bar 1: repeats the epoch's context
  EXPECT_EQ(c.trace().event_time_ns(), t_ns(1));
  EXPECT_EQ(c.trace().decision_id(), d0);
  EXPECT_EQ(c.trace().correlation_id(), "bar:binance-us:BTCUSDT:1m:1677628860");
  EXPECT_EQ(c.instrument().venue(), "binance-us");
  ASSERT_EQ(c.context().names_size(), 6);
  EXPECT_EQ(c.context().names(3), "realized_vol");
  EXPECT_EQ(c.context().raw(4), 0.0);  // trend of bar 0
  EXPECT_EQ(c.context().raw(5), 1.0);
  EXPECT_EQ(c.preset().values().at("slow"), 100.0);

  // Decision rows: 2 for ma, 2 for dc.
  auto rows = core->pending_decisions();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].context_json,
            R"({"bias":1.0,"p_bear":0.25,"p_bull":0.5,"p_chop":0.25,"realized_vol":0.002,)"
            R"("trend":0.0})");
  EXPECT_EQ(rows[0], (DecisionRow{"d:dc:binance-us:BTCUSDT:1677628800", "dc", "binance-us",
                                  "BTCUSDT", "dc/w20", rows[0].context_json, t_ns(0)}));
  EXPECT_EQ(rows[3].decision_id, d3);
  EXPECT_EQ(rows[3].context_json,
            R"({"bias":1.0,"p_bear":0.25,"p_bull":0.5,"p_chop":0.25,"realized_vol":0.002,)"
            R"("trend":-0.003})");

  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  auto inspected = core->inspect("ma", btc);
  ASSERT_TRUE(inspected);
  ASSERT_EQ(inspected->arms_size(), 2);
  EXPECT_EQ(inspected->arms(0).preset_id(), "ma/fast");
  EXPECT_EQ(inspected->arms(0).pulls(), 0u);
  EXPECT_EQ(inspected->arms(1).preset_id(), "ma/slow");
  EXPECT_EQ(inspected->arms(1).pulls(), 2u);
  EXPECT_EQ(inspected->feature_names_size(), 6);
  EXPECT_EQ(core->inspect("nope", btc).error().message, "strategy \"nope\" is unknown");
}

TEST(ParamCore, IgnoresStaleOtherTimeframesAndUnconfigured) {
  auto core = make_core();
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(1), "", out).kind, Verdict::Kind::kApplied);
  out.take();
  Verdict stale = core->on_regime(posterior(1), "", out);
  EXPECT_EQ(stale.kind, Verdict::Kind::kIgnored);
  EXPECT_EQ(stale.text, "regime posterior at " + std::to_string(t_ns(1)) +
                            " is not after the last one at " + std::to_string(t_ns(1)));
  auto five = posterior(2);
  five.set_timeframe("5m");
  EXPECT_EQ(core->on_regime(five, "", out).text, "timeframe 5m is not 1m");
  EXPECT_EQ(core->on_regime(posterior(2, "SOLUSDT"), "", out).text,
            "no strategy is configured for binance-us/SOLUSDT");
  // ETH has dc only.
  ASSERT_EQ(core->on_regime(posterior(2, "ETHUSDT"), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.items()[0].subject, "params.choice.dc.ETHUSDT");
  auto bad = posterior(3);
  bad.mutable_trace()->set_event_time_ns(0);
  Verdict invalid = core->on_regime(bad, "", out);
  EXPECT_EQ(invalid.kind, Verdict::Kind::kInvalid);
  EXPECT_EQ(invalid.text, "regime posterior has no trace.event_time_ns");
}

TEST(ParamCore, DefaultPresetDisabledFallsBackToFirstEnabled) {
  auto core = make_core();
  auto disabled = catalogue();
  disabled[1].set_enabled(false);  // ma/slow, the default
  core->load_presets(disabled);
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(decode(out.items()[1]).preset().preset_id(), "ma/fast");
}

TEST(ParamCore, PresetChecks) {
  auto core = make_core();
  auto err = [&](const ParameterPreset& p) {
    auto s = core->check_preset(p);
    return s ? std::string() : s.error().message;
  };
  EXPECT_EQ(err(preset("", "ma", {})), "preset_id is required");
  EXPECT_EQ(err(preset("ma.x", "ma", {})), "preset_id \"ma.x\" must not contain '.' or whitespace");
  EXPECT_EQ(err(preset("ma/x", "", {})), "strategy is required");
  EXPECT_EQ(err(preset("ma/x", "m a", {})), "strategy \"m a\" is not a valid subject token");
  EXPECT_EQ(err(preset("ma/x", "ma", {{"fast", std::numeric_limits<double>::quiet_NaN()}})),
            "preset \"ma/x\": value \"fast\" must be finite");
  EXPECT_EQ(err(preset("ma/fast", "dc", {})),
            "preset \"ma/fast\" belongs to strategy \"ma\", not \"dc\"");
  // Disabling one of two is fine; disabling the last enabled one is not.
  EXPECT_EQ(err(preset("ma/fast", "ma", {}, false)), "");
  EXPECT_FALSE(core->upsert_preset(preset("ma/fast", "ma", {}, false)));
  EXPECT_EQ(err(preset("ma/slow", "ma", {}, false)),
            "preset \"ma/slow\" is the last enabled preset of strategy \"ma\"; enable another "
            "first");
  EXPECT_TRUE(core->upsert_preset(preset("ma/new", "ma", {{"fast", 1}})));
  EXPECT_EQ(core->list_presets("ma").size(), 3u);
  EXPECT_EQ(core->list_presets("").size(), 5u);
  EXPECT_TRUE(core->strategies_without_enabled_preset().empty());
}

TEST(ParamCore, SelectUsesTheChooserAndChecksTheContext) {
  auto core = make_core();
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  trading::v1::BanditContext ctx;
  for (double v : {0.1, 0.2, 0.7, 0.01, 0.0, 1.0}) ctx.add_raw(v);
  auto choice = core->select("ma", btc, ctx, 42, "sel:ma:binance-us:BTCUSDT:42");
  ASSERT_TRUE(choice) << choice.error().message;
  EXPECT_EQ(choice->preset().preset_id(), "ma/slow");
  EXPECT_EQ(choice->decision_id(), "sel:ma:binance-us:BTCUSDT:42");
  EXPECT_EQ(choice->context().names(0), "p_bull");
  EXPECT_EQ(choice->context().raw(2), 0.7);
  EXPECT_EQ(choice->trace().event_time_ns(), 42);

  EXPECT_EQ(core->select("xx", btc, ctx, 1, "s").error().message,
            "strategy \"xx\" is not configured");
  trading::v1::Instrument sol = btc;
  sol.set_symbol("SOLUSDT");
  EXPECT_EQ(core->select("ma", sol, ctx, 1, "s").error().message,
            "strategy \"ma\" is not configured for binance-us/SOLUSDT");
  trading::v1::BanditContext short_ctx;
  short_ctx.add_raw(1);
  EXPECT_EQ(core->select("ma", btc, short_ctx, 1, "s").error().message,
            "context needs 6 raw values, got 1");
  trading::v1::BanditContext named = ctx;
  named.add_names("x");
  EXPECT_EQ(core->select("ma", btc, named, 1, "s").error().message,
            "context names must be p_bull, p_bear, p_chop, realized_vol, trend, bias");
}

TEST(ParamCore, OutcomesAreQueuedOnceAndAttributed) {
  auto core = make_core();
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  trading::v1::Outcome o;
  o.set_decision_id("d:ma:binance-us:BTCUSDT:1677628800");
  o.set_strategy("ma");
  o.set_realized_pnl_e8(1'000'000);
  o.set_fees_e8(20'000);
  o.set_notional_e8(500'000'000);
  o.set_reward(0.002);
  o.set_closed_time_ns(t_ns(5));
  const std::string id = "outcome:d:ma:binance-us:BTCUSDT:1677628800:ma-o1:3";
  ASSERT_EQ(core->on_outcome(o, out, id).kind, Verdict::Kind::kApplied);
  Verdict dup = core->on_outcome(o, out, id);
  EXPECT_EQ(dup.kind, Verdict::Kind::kIgnored);
  EXPECT_EQ(dup.text, "outcome " + id + " was already recorded");
  // Another closing fill of the same decision in the same bar is another outcome.
  ASSERT_EQ(core->on_outcome(o, out, id + "4").kind, Verdict::Kind::kApplied);
  auto rows = core->pending_outcomes();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (OutcomeRow{id, "d:ma:binance-us:BTCUSDT:1677628800", 1'000'000, 20'000,
                                 500'000'000, 0.002, t_ns(5)}));
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  EXPECT_EQ(core->inspect("ma", btc)->arms(1).rewards_seen(), 2u);

  trading::v1::Outcome bad;
  EXPECT_EQ(core->on_outcome(bad, out).text, "outcome has no decision_id");
  bad.set_decision_id("x");
  EXPECT_EQ(core->on_outcome(bad, out).text, "outcome has no closed_time_ns");
  bad.set_closed_time_ns(1);
  bad.set_reward(std::numeric_limits<double>::infinity());
  EXPECT_EQ(core->on_outcome(bad, out).text, "outcome reward must be finite");

  core->discard_pending();
  EXPECT_TRUE(core->pending_outcomes().empty());
  EXPECT_TRUE(core->pending_decisions().empty());
}

TEST(ParamCore, RestoreMidStreamContinuesIdentically) {
  auto whole = make_core();
  runtime::Outbox reference;
  for (int i = 0; i < 10; ++i) ASSERT_EQ(whole->on_regime(posterior(i), "", reference).kind,
                                         Verdict::Kind::kApplied);
  for (int cut = 1; cut < 10; ++cut) {
    auto first = make_core();
    runtime::Outbox out;
    for (int i = 0; i < cut; ++i) (void)first->on_regime(posterior(i), "", out);
    const std::string snap = first->snapshot();
    auto second = make_core();
    ASSERT_TRUE(second->restore(snap));
    EXPECT_EQ(second->snapshot(), snap);
    for (int i = cut; i < 10; ++i) (void)second->on_regime(posterior(i), "", out);
    ASSERT_EQ(out.size(), reference.size());
    for (size_t k = 0; k < out.size(); ++k) {
      EXPECT_EQ(out.items()[k].message_id, reference.items()[k].message_id) << cut;
      ParameterChoice a = decode(out.items()[k]), b = decode(reference.items()[k]);
      EXPECT_EQ(canonical_bytes(a), canonical_bytes(b)) << cut;
    }
  }
  auto broken = make_core();
  auto s = broken->restore(R"({"version":9})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "paramctl snapshot: unsupported version 9");
}

TEST(ParamCore, RowsStartAfreshAfterPersist) {
  // persist() needs a transaction; this checks the queue bookkeeping the
  // runtime relies on via discard_pending and a new batch.
  auto core = make_core();
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(core->pending_decisions().size(), 2u);
  core->discard_pending();
  EXPECT_TRUE(core->pending_decisions().empty());
  ASSERT_EQ(core->on_regime(posterior(1), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_TRUE(core->pending_decisions().empty());  // same epochs, no new decision
  ASSERT_EQ(core->on_regime(posterior(2), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core->pending_decisions().size(), 1u);  // dc's second epoch
  EXPECT_EQ(core->pending_decisions()[0].decision_id, "d:dc:binance-us:BTCUSDT:1677628920");
}

}  // namespace
}  // namespace tp::paramctl
