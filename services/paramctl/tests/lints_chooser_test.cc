// The LinTS chooser inside ParamCore: standardised contexts recorded with
// each decision, learning from outcomes and Learn rewards, determinism,
// exact restore, Inspect.
#include "paramctl/core/lints_chooser.h"

#include <gtest/gtest.h>

#include "tp/bus/publisher.h"

#include <bit>
#include <deque>
#include <map>
#include <cmath>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "paramctl/core/param_core.h"
#include "tp/bandit/random.h"
#include "tp/core/clock.h"

namespace tp::paramctl {
namespace {

using trading::v1::ParameterChoice;
using trading::v1::ParameterPreset;
using trading::v1::RegimePosterior;

constexpr int64_t kT0 = 1'677'628'800;
int64_t t_ns(int i) { return (kT0 + 60 * i) * kNanosPerSecond; }

ParameterPreset preset(const std::string& id, const std::string& strategy) {
  ParameterPreset p;
  p.set_preset_id(id);
  p.set_strategy(strategy);
  (*p.mutable_values())["fast"] = 5;
  p.set_enabled(true);
  return p;
}

std::vector<ParameterPreset> catalogue() {
  return {preset("ma/fast", "ma"), preset("ma/slow", "ma"), preset("dc/w20", "dc"),
          preset("dc/w55", "dc")};
}

ParamCoreConfig config(int64_t interval = 1) {
  ParamCoreConfig cfg;
  cfg.strategies["ma"] = {{"binance-us/BTCUSDT"}, "ma/slow", interval};
  cfg.strategies["dc"] = {{"binance-us/BTCUSDT", "binance-us/ETHUSDT"}, "dc/w20", interval};
  return cfg;
}

LinTsChooserConfig bandit_config() {
  LinTsChooserConfig b;
  b.model.v = 5;            // bps
  b.model.reward_scale = 1e4;
  b.model.reward_clip = 0.05;
  b.standardize_min_observations = 5;
  b.seed = 7;
  return b;
}

std::unique_ptr<ParamCore> make_core(ParamCoreConfig cfg = config(),
                                     LinTsChooserConfig b = bandit_config()) {
  auto chooser = LinTsPresetChooser::create(b, context_feature_names());
  EXPECT_TRUE(chooser) << chooser.error().message;
  auto core = std::make_unique<ParamCore>(std::move(cfg), std::move(*chooser));
  core->load_presets(catalogue());
  return core;
}

// A trend that changes sign every 25 bars, and some noise in the rest.
RegimePosterior posterior(int i, const std::string& symbol = "BTCUSDT") {
  RegimePosterior p;
  p.mutable_instrument()->set_venue("binance-us");
  p.mutable_instrument()->set_symbol(symbol);
  p.set_timeframe("1m");
  const double wave = std::sin(0.1257 * i);
  p.set_p_bull(0.4 + 0.3 * wave);
  p.set_p_bear(0.4 - 0.3 * wave);
  p.set_p_chop(0.2);
  p.set_realized_vol(0.002 + 0.0005 * std::cos(0.37 * i));
  p.set_trend(0.001 * wave);
  p.mutable_trace()->set_correlation_id("bar:" + std::to_string(i));
  p.mutable_trace()->set_event_time_ns(t_ns(i));
  return p;
}

ParameterChoice decode(const runtime::Outbox::Item& item) {
  ParameterChoice c;
  EXPECT_TRUE(c.ParseFromString(item.payload));
  return c;
}

std::string canonical_bytes(const google::protobuf::MessageLite& m) {
  std::string out;
  EXPECT_TRUE(bus::serialize_deterministic(m, out));
  return out;
}

trading::v1::Outcome outcome(const std::string& decision, double reward, int64_t closed) {
  trading::v1::Outcome o;
  o.set_decision_id(decision);
  o.set_reward(reward);
  o.set_closed_time_ns(closed);
  return o;
}

// The reward of an "ma" decision: fast pays when the trend is up, slow when
// it is down (10 bps either way), plus noise.
double ma_reward(const ParameterChoice& c, bandit::Rng& noise) {
  const bool up = c.context().raw(4) > 0;
  const bool fast = c.preset().preset_id() == "ma/fast";
  return (up == fast ? 0.001 : -0.001) + 0.0005 * noise.normal();
}

// Runs bars [from, to), feeding each ma decision's reward back right away.
// Returns the ma choices.
std::vector<ParameterChoice> run(ParamCore& core, int from, int to, bandit::Rng& noise,
                                 runtime::Outbox* all = nullptr) {
  std::vector<ParameterChoice> out;
  for (int i = from; i < to; ++i) {
    runtime::Outbox box;
    EXPECT_EQ(core.on_regime(posterior(i), "", box).kind, Verdict::Kind::kApplied);
    for (const auto& item : box.items()) {
      ParameterChoice c = decode(item);
      if (c.strategy() != "ma") continue;
      out.push_back(c);
      EXPECT_EQ(core.on_outcome(outcome(c.decision_id(), ma_reward(c, noise), t_ns(i) + 1), box).kind,
                Verdict::Kind::kApplied);
    }
    if (all)
      for (auto& item : box.take()) all->emit(item.subject, item.message_id, item.correlation_id, decode(item));
  }
  return out;
}

TEST(LinTsChooser, ColdStartSamplesThePriorAndRecordsTheStandardisedContext) {
  auto core = make_core();
  EXPECT_EQ(core->chooser_name(), "lints");
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 2u);
  ParameterChoice c = decode(out.items()[1]);
  EXPECT_EQ(c.strategy(), "ma");
  // No statistics yet: every feature but the bias is 0.
  ASSERT_EQ(c.context().standardized_size(), 6);
  for (int j = 0; j < 5; ++j) EXPECT_EQ(c.context().standardized(j), 0.0);
  EXPECT_EQ(c.context().standardized(5), 1.0);
  EXPECT_TRUE(std::isfinite(c.sampled_score()));
  EXPECT_NE(c.sampled_score(), 0.0);  // a draw from the prior
  auto rows = core->pending_decisions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].standardized, std::vector<double>(c.context().standardized().begin(),
                                                      c.context().standardized().end()));
}

TEST(LinTsChooser, EachDecisionIsStandardisedWithTheBarsBeforeIt) {
  auto core = make_core();
  runtime::Outbox out;
  for (int i = 0; i < 8; ++i) ASSERT_EQ(core->on_regime(posterior(i), "", out).kind, Verdict::Kind::kApplied);
  ParameterChoice c = decode(out.items().back());  // ma at bar 7
  // Mean and sample stddev of realized_vol over bars 0..6.
  double mean = 0, var = 0;
  for (int i = 0; i < 7; ++i) mean += posterior(i).realized_vol();
  mean /= 7;
  for (int i = 0; i < 7; ++i) var += std::pow(posterior(i).realized_vol() - mean, 2);
  var /= 6;
  EXPECT_NEAR(c.context().standardized(3), (posterior(7).realized_vol() - mean) / std::sqrt(var), 1e-9);
  EXPECT_EQ(c.context().raw(3), posterior(7).realized_vol());
  EXPECT_EQ(c.context().standardized(5), 1.0);
}

TEST(LinTsChooser, LearnsTheContextualPreferenceFromOutcomes) {
  auto core = make_core();
  bandit::Rng noise(11);
  run(*core, 0, 400, noise);
  auto late = run(*core, 400, 600, noise);
  int right = 0;
  for (const auto& c : late) right += (c.context().raw(4) > 0) == (c.preset().preset_id() == "ma/fast");
  EXPECT_GT(right, 180) << "of " << late.size();  // > 90% right after 400 bars

  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  auto inspected = core->inspect("ma", btc);
  ASSERT_TRUE(inspected);
  ASSERT_EQ(inspected->arms_size(), 2);
  const auto& fast = inspected->arms(0);
  const auto& slow = inspected->arms(1);
  EXPECT_EQ(fast.preset_id(), "ma/fast");
  EXPECT_EQ(fast.pulls() + slow.pulls(), 600u);
  EXPECT_EQ(fast.rewards_seen() + slow.rewards_seen(), 600u);
  ASSERT_EQ(fast.mean_size(), 6);
  ASSERT_EQ(fast.stddev_size(), 6);
  // In this context p_bull, -p_bear and trend move together (all follow the
  // wave), so the weight is shared: each is positive for fast, negative for
  // slow (bps per standard deviation).
  for (int j : {0, 4}) {
    EXPECT_GT(fast.mean(j), 0.5) << j;
    EXPECT_LT(slow.mean(j), -0.5) << j;
  }
  EXPECT_LT(fast.mean(1), -0.5);
  EXPECT_GT(fast.mean(0) - fast.mean(1) + fast.mean(4), 3.0);
  for (int j = 0; j < 6; ++j) EXPECT_GT(fast.stddev(j), 0.0);
  // "All instruments" of a one-instrument strategy shows that instrument.
  auto all = core->inspect("ma", {});
  EXPECT_EQ(all->arms(0).mean(4), fast.mean(4));
  // dc trades two instruments: no single posterior without an instrument.
  EXPECT_EQ(core->inspect("dc", {})->arms(0).mean_size(), 0);
}

TEST(LinTsChooser, DeterministicAndRestoresExactlyMidStream) {
  auto whole = make_core();
  bandit::Rng noise(3);
  runtime::Outbox reference;
  run(*whole, 0, 120, noise, &reference);
  const std::string final_snapshot = whole->snapshot();
  for (int cut : {1, 37, 80, 119}) {
    bandit::Rng n(3);
    auto first = make_core();
    runtime::Outbox out;
    run(*first, 0, cut, n, &out);
    const std::string snap = first->snapshot();
    auto second = make_core();
    ASSERT_TRUE(second->restore(snap));
    EXPECT_EQ(second->snapshot(), snap);
    run(*second, cut, 120, n, &out);
    ASSERT_EQ(out.size(), reference.size());
    for (size_t k = 0; k < out.size(); ++k)
      ASSERT_EQ(canonical_bytes(decode(out.items()[k])), canonical_bytes(decode(reference.items()[k])))
          << "cut " << cut << " item " << k;
    EXPECT_EQ(second->snapshot(), final_snapshot) << cut;
  }
  // Another seed makes other draws.
  LinTsChooserConfig b = bandit_config();
  b.seed = 8;
  auto other = make_core(config(), b);
  bandit::Rng n(3);
  runtime::Outbox out;
  run(*other, 0, 120, n, &out);
  EXPECT_NE(other->snapshot(), final_snapshot);
}

// A paper venue for event-time learning tests, with the pipeline's
// causality: bar j is executed once the choices of both strategies for bar
// j-1 exist. Each ma decision made at bar k closes two trades: at bar k+4
// (the bar before the next decision of an interval-5 epoch, so it is learned
// by that decision) and at bar k+6 (learned one decision later). After each
// bar it publishes the outcomes and one Position per book.
class PaperVenue {
 public:
  explicit PaperVenue(int bars) : bars_(bars) {}
  void on_choice(const ParameterChoice& c) {
    const int bar = static_cast<int>((c.trace().event_time_ns() / kNanosPerSecond - kT0) / 60);
    chosen_[{c.strategy(), bar}] = c;
  }
  bool can_advance() const {
    return next_ < bars_ && (next_ == 0 || (chosen_.contains({"ma", next_ - 1}) &&
                                            chosen_.contains({"dc", next_ - 1})));
  }
  void advance() {
    const int j = next_++;
    for (int back : {4, 6}) {
      auto it = chosen_.find({"ma", j - back});
      if (j - back < 0 || it == chosen_.end()) continue;
      const ParameterChoice& c = it->second;
      if (c.trace().event_time_ns() != epoch_start(c)) continue;  // one trade per decision
      trading::v1::Outcome o = outcome(c.decision_id(), back == 4 ? reward(c) : reward(c) / 2,
                                       t_ns(j));
      o.set_strategy("ma");
      o.mutable_instrument()->set_venue("binance-us");
      o.mutable_instrument()->set_symbol("BTCUSDT");
      outcomes.push_back({"outcome:" + c.decision_id() + ":" + std::to_string(back), o});
      ++ma_outcomes_;
    }
    for (const char* strategy : {"dc", "ma"}) {
      trading::v1::Position p;
      p.set_strategy(strategy);
      p.mutable_instrument()->set_venue("binance-us");
      p.mutable_instrument()->set_symbol("BTCUSDT");
      p.mutable_trace()->set_event_time_ns(t_ns(j));
      p.set_outcomes_total(std::string(strategy) == "ma" ? ma_outcomes_ : 0);
      positions.push_back(p);
    }
  }
  std::deque<std::pair<std::string, trading::v1::Outcome>> outcomes;
  std::deque<trading::v1::Position> positions;

 private:
  static int64_t epoch_start(const ParameterChoice& c) {
    const std::string& id = c.decision_id();
    return std::stoll(id.substr(id.rfind(':') + 1)) * kNanosPerSecond;
  }
  static double reward(const ParameterChoice& c) {
    const bool up = c.context().raw(4) > 0;
    return (up == (c.preset().preset_id() == "ma/fast") ? 0.001 : -0.001);
  }
  int bars_, next_ = 0;
  uint64_t ma_outcomes_ = 0;
  std::map<std::pair<std::string, int>, ParameterChoice> chosen_;
};

// Runs `bars` bars through a core and the venue, interleaving the REGIME,
// EXEC and PARAMS streams and the venue's progress as `schedule` picks
// (0 = posteriors first, 1 = venue first, else a seeded random order);
// restores the core from its snapshot every `restore_every` steps (0 = never).
// Returns every choice as "message id|canonical bytes", in emission order.
std::vector<std::string> run_streams(ParamCoreConfig cfg, int bars, uint64_t schedule,
                                     int restore_every = 0, std::unique_ptr<ParamCore>* kept = nullptr) {
  auto core = make_core(cfg);
  PaperVenue venue(bars);
  bandit::Rng pick(schedule);
  std::vector<std::string> choices;
  int next_posterior = 0, steps = 0;
  auto collect = [&](runtime::Outbox& box) {
    for (const auto& item : box.items()) {
      ParameterChoice c = decode(item);
      venue.on_choice(c);
      choices.push_back(item.message_id + "|" + canonical_bytes(c));
    }
  };
  for (;;) {
    std::vector<int> ready;
    if (next_posterior < bars) ready.push_back(0);
    if (venue.can_advance()) ready.push_back(1);
    if (!venue.positions.empty()) ready.push_back(2);
    if (!venue.outcomes.empty()) ready.push_back(3);
    if (ready.empty()) break;
    int action = ready[0];
    if (schedule == 1) action = ready.back();
    else if (schedule > 1) action = ready[pick.next() % ready.size()];
    runtime::Outbox box;
    switch (action) {
      case 0:
        EXPECT_EQ(core->on_regime(posterior(next_posterior++), "", box).kind, Verdict::Kind::kApplied);
        break;
      case 1:
        venue.advance();
        break;
      case 2:
        EXPECT_NE(core->on_position(venue.positions.front(), box).kind, Verdict::Kind::kInvalid);
        venue.positions.pop_front();
        break;
      case 3:
        EXPECT_EQ(core->on_outcome(venue.outcomes.front().second, box, venue.outcomes.front().first).kind,
                  Verdict::Kind::kApplied);
        venue.outcomes.pop_front();
        break;
    }
    collect(box);
    if (restore_every > 0 && ++steps % restore_every == 0) {
      auto fresh = make_core(cfg);
      EXPECT_TRUE(fresh->restore(core->snapshot()));
      core = std::move(fresh);
    }
  }
  EXPECT_EQ(core->waiting_posteriors(), 0u);
  if (kept) *kept = std::move(core);
  return choices;
}

TEST(LinTsChooser, EventTimeLearningDoesNotDependOnHowTheStreamsInterleave) {
  ParamCoreConfig cfg = config(5);
  cfg.strategies.erase("dc");
  cfg.strategies["dc"] = {{"binance-us/BTCUSDT"}, "dc/w20", 5};
  cfg.event_time_learning = true;
  constexpr int kBars = 80;
  std::unique_ptr<ParamCore> core;
  const auto reference = run_streams(cfg, kBars, 0, 0, &core);
  ASSERT_EQ(reference.size(), 2u * kBars);  // every posterior was released
  // Each decision at bar k (k = 0, 5, ...) learned the trades closed before
  // it: those of decisions k-5 (closed at k-1) and k-10 (closed at k-4). The
  // last decision (bar 75) saw 15 + 14 of them.
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  auto inspected = core->inspect("ma", btc);
  ASSERT_TRUE(inspected);
  EXPECT_EQ(inspected->arms(0).rewards_seen() + inspected->arms(1).rewards_seen(), 29u);
  for (uint64_t schedule : {1, 2, 3, 4, 5, 6}) {
    EXPECT_EQ(run_streams(cfg, kBars, schedule), reference) << "schedule " << schedule;
    EXPECT_EQ(run_streams(cfg, kBars, schedule, 7), reference) << "schedule " << schedule << ", restores";
  }
  // Learning on arrival instead depends on the interleaving: the same
  // schedules choose differently (which is what this test would catch).
  cfg.event_time_learning = false;
  const auto arrival = run_streams(cfg, kBars, 1);
  EXPECT_NE(run_streams(cfg, kBars, 0), arrival);
}

TEST(LinTsChooser, EventTimeLearningHoldsPosteriorsUntilTheWatermark) {
  ParamCoreConfig cfg = config(2);
  cfg.strategies["dc"].instruments = {"binance-us/ETHUSDT"};
  cfg.event_time_learning = true;
  auto core = make_core(cfg);
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core->on_regime(posterior(1), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 2u);  // the first epoch needs nothing
  const std::string decision = decode(out.items()[0]).decision_id();
  // Bar 2 starts an epoch: it waits for execsim's position at bar 1.
  ASSERT_EQ(core->on_regime(posterior(2), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core->on_regime(posterior(3), "", out).kind, Verdict::Kind::kApplied);
  // Later posteriors of other instruments wait behind it, so choices leave
  // in the order posteriors came (an ETHUSDT first bar needs nothing itself).
  ASSERT_EQ(core->on_regime(posterior(3, "ETHUSDT"), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(core->waiting_posteriors(), 3u);
  EXPECT_EQ(core->waiting_for(), "ma|binance-us/BTCUSDT: execsim's position at " +
                                     std::to_string(t_ns(1)) + " (latest 0)");
  trading::v1::Position p;
  p.set_strategy("ma");
  p.mutable_instrument()->set_venue("binance-us");
  p.mutable_instrument()->set_symbol("BTCUSDT");
  p.mutable_trace()->set_event_time_ns(t_ns(1));
  p.set_outcomes_total(1);  // one outcome closed at bar 1, not here yet
  ASSERT_EQ(core->on_position(p, out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(core->waiting_for(), "ma|binance-us/BTCUSDT: outcomes through " +
                                     std::to_string(t_ns(1)) + " (0 of 1)");
  EXPECT_EQ(core->on_position(p, out).kind, Verdict::Kind::kIgnored);  // not after the last
  trading::v1::Outcome o = outcome(decision, 0.002, t_ns(1));
  o.set_strategy("ma");
  *o.mutable_instrument() = p.instrument();
  ASSERT_EQ(core->on_outcome(o, out, "outcome:a").kind, Verdict::Kind::kApplied);
  ASSERT_EQ(out.size(), 5u);  // bars 2 and 3, then ETHUSDT's bar 3, released in order
  EXPECT_EQ(decode(out.items()[2]).trace().event_time_ns(), t_ns(2));
  EXPECT_EQ(decode(out.items()[3]).trace().event_time_ns(), t_ns(3));
  EXPECT_EQ(decode(out.items()[4]).strategy(), "dc");
  EXPECT_EQ(core->waiting_posteriors(), 0u);
  EXPECT_EQ(core->waiting_for(), "");
  auto inspected = core->inspect("ma", p.instrument());
  EXPECT_EQ(inspected->arms(0).rewards_seen() + inspected->arms(1).rewards_seen(), 1u);
  // With event-time learning off, positions are not needed.
  cfg.event_time_learning = false;
  EXPECT_EQ(make_core(cfg)->on_position(p, out).kind, Verdict::Kind::kIgnored);
}

TEST(LinTsChooser, SelectPreviewsWithoutChangingState) {
  auto core = make_core();
  bandit::Rng noise(5);
  run(*core, 0, 50, noise);
  const std::string before = core->snapshot();
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  trading::v1::BanditContext ctx;
  for (double v : {0.7, 0.1, 0.2, 0.002, 0.001, 1.0}) ctx.add_raw(v);
  auto a = core->select("ma", btc, ctx, 1, "sel:ma:binance-us:BTCUSDT:1");
  auto b = core->select("ma", btc, ctx, 1, "sel:ma:binance-us:BTCUSDT:1");
  auto c = core->select("ma", btc, ctx, 2, "sel:ma:binance-us:BTCUSDT:2");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(canonical_bytes(*a), canonical_bytes(*b));  // same decision id, same draw
  EXPECT_NE(a->sampled_score(), c->sampled_score());
  EXPECT_EQ(a->context().standardized_size(), 6);
  EXPECT_EQ(core->snapshot(), before);
}

TEST(LinTsChooser, ExternalRewardsAreLearnedOnceInSeqOrder) {
  auto core = make_core();
  uint64_t generation = 99;
  EXPECT_TRUE(core->external_catch_up(&generation));  // a new core may lack recorded rewards
  core->external_caught_up(generation);
  EXPECT_FALSE(core->external_catch_up(nullptr));
  ExternalReward r;
  r.seq = 3;
  r.decision_id = "sel:ma:binance-us:BTCUSDT:1";
  r.strategy = "ma";
  r.venue = "binance-us";
  r.symbol = "BTCUSDT";
  r.preset_id = "ma/fast";
  for (const auto& n : context_feature_names()) r.context.add_names(n);
  for (double v : {0.7, 0.1, 0.2, 0.002, 0.001, 1.0}) r.context.add_raw(v);
  for (double z : {0.5, -0.5, 0.0, 1.0, 2.0, 1.0}) r.context.add_standardized(z);
  r.reward = 0.002;
  EXPECT_TRUE(core->learn_external(r));
  EXPECT_FALSE(core->learn_external(r));  // seq 3 again
  r.seq = 2;
  EXPECT_FALSE(core->learn_external(r));  // older
  EXPECT_EQ(core->external_seq(), 3);
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  auto inspected = core->inspect("ma", btc);
  EXPECT_EQ(inspected->arms(0).rewards_seen(), 1u);
  // The posterior moved along the recorded standardised context: B = I + z z', f = 20 z.
  EXPECT_GT(inspected->arms(0).mean(4), 0.0);
  const std::string snap = core->snapshot();
  auto restored = make_core();
  ASSERT_TRUE(restored->restore(snap));
  EXPECT_EQ(restored->external_seq(), 3);
  EXPECT_TRUE(restored->external_catch_up(&generation));
  EXPECT_EQ(restored->snapshot(), snap);
  // A restore in between invalidates an older generation.
  ASSERT_TRUE(restored->restore(snap));
  restored->external_caught_up(generation);
  EXPECT_TRUE(restored->external_catch_up(nullptr));
}

TEST(LinTsChooser, LateOutcomesAreRecordedButNotLearned) {
  ParamCoreConfig cfg = config(60);
  cfg.max_reward_delay_ns = 30 * 60 * kNanosPerSecond;
  auto core = make_core(cfg);
  runtime::Outbox out;
  ASSERT_EQ(core->on_regime(posterior(0), "", out).kind, Verdict::Kind::kApplied);
  const std::string id = decode(out.items()[1]).decision_id();
  ASSERT_EQ(core->on_outcome(outcome(id, 0.01, t_ns(31)), out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(core->pending_outcomes().size(), 1u);
  trading::v1::Instrument btc;
  btc.set_venue("binance-us");
  btc.set_symbol("BTCUSDT");
  auto inspected = core->inspect("ma", btc);
  EXPECT_EQ(inspected->arms(0).rewards_seen() + inspected->arms(1).rewards_seen(), 0u);
  ASSERT_EQ(core->on_outcome(outcome(id, 0.01, t_ns(30)), out).kind, Verdict::Kind::kApplied);
  inspected = core->inspect("ma", btc);
  EXPECT_EQ(inspected->arms(0).rewards_seen() + inspected->arms(1).rewards_seen(), 1u);
}

TEST(LinTsChooser, PooledInstrumentsShareOneModel) {
  LinTsChooserConfig b = bandit_config();
  b.pool_instruments = true;
  auto chooser = LinTsPresetChooser::create(b, context_feature_names());
  ASSERT_TRUE(chooser);
  const LinTsPresetChooser* view = chooser->get();
  ParamCore core(config(), std::move(*chooser));
  core.load_presets(catalogue());
  runtime::Outbox out;
  ASSERT_EQ(core.on_regime(posterior(0, "BTCUSDT"), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_EQ(core.on_regime(posterior(0, "ETHUSDT"), "", out).kind, Verdict::Kind::kApplied);
  ASSERT_NE(view->standardizer("dc|*"), nullptr);
  EXPECT_EQ(view->standardizer("dc|*")->count(0), 2);
  EXPECT_EQ(view->standardizer("dc|binance-us/BTCUSDT"), nullptr);
  EXPECT_EQ(core.inspect("dc", {})->arms(0).mean_size(), 6);  // pooled: one posterior
}

TEST(LinTsChooser, RestoresADefaultChooserCheckpointAsAColdStart) {
  auto old = std::make_unique<ParamCore>(config(), std::make_unique<DefaultPresetChooser>());
  old->load_presets(catalogue());
  runtime::Outbox out;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(old->on_regime(posterior(i), "", out).kind, Verdict::Kind::kApplied);
  auto core = make_core();
  ASSERT_TRUE(core->restore(old->snapshot()));
  ASSERT_EQ(core->on_regime(posterior(3), "", out).kind, Verdict::Kind::kApplied);
  EXPECT_EQ(decode(out.items().back()).context().standardized_size(), 6);
  auto bad = make_core();
  auto s = bad->restore(R"({"version":1,"last_t":{},"epochs":{},"arms":{},"decisions":[],)"
                        R"("outcomes":[],"chooser":"{\"version\":1,\"models\":{\"ma|x\":{}}}"})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "paramctl snapshot: lints chooser snapshot: model ma|x is incomplete");
}

TEST(LinTsChooser, RejectsBadOptions) {
  LinTsChooserConfig b = bandit_config();
  b.model.v = 0;
  EXPECT_EQ(LinTsPresetChooser::create(b, context_feature_names()).error().message,
            "v must be finite and > 0, got 0");
  b = bandit_config();
  b.standardize_min_observations = 1;
  EXPECT_EQ(LinTsPresetChooser::create(b, context_feature_names()).error().message,
            "min_observations must be >= 2");
}

}  // namespace
}  // namespace tp::paramctl
