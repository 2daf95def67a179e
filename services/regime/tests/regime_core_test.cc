#include "tp/regime/regime_core.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "real_bars.h"
#include "trading/v1/regime.pb.h"

namespace tp::regime {
namespace {

using namespace trading::v1;
constexpr int64_t kE8 = 100'000'000;
constexpr int64_t kMin = 60'000'000'000;
constexpr int64_t kT0 = 1677628800'000'000'000;

ModelVersionPtr ewma(EwmaConfig c = EwmaConfig{}) { return std::make_shared<EwmaModelVersion>(c); }

Bar bar(std::string symbol, int64_t minute, int64_t close_e8, uint32_t flags = 0) {
  Bar b;
  b.mutable_instrument()->set_venue("binance-us");
  b.mutable_instrument()->set_symbol(symbol);
  b.set_timeframe("1m");
  b.set_open_time_ns(kT0 + minute * kMin);
  b.set_close_time_ns(kT0 + (minute + 1) * kMin);
  b.set_open_e8(close_e8);
  b.set_high_e8(close_e8);
  b.set_low_e8(close_e8);
  b.set_close_e8(close_e8);
  b.set_volume_e8(kE8);
  b.set_quality_flags(flags);
  return b;
}

std::string corr(const Bar& b) {
  return "bar:binance-us:" + b.instrument().symbol() + ":1m:" + std::to_string(b.open_time_ns() / 1'000'000'000);
}

// Feeds bars, returns every emitted item as "subject|id|corr|payload-bytes".
std::vector<std::string> run(RegimeCore& core, const std::vector<Bar>& bars) {
  std::vector<std::string> items;
  for (const auto& b : bars) {
    runtime::Outbox out;
    core.on_bar(b, corr(b), out);
    for (const auto& i : out.items())
      items.push_back(i.subject + "|" + i.message_id + "|" + i.correlation_id + "|" + i.payload);
  }
  return items;
}

std::vector<Bar> wave(const std::string& symbol, int n, int phase = 0) {
  std::vector<Bar> bars;
  for (int i = 0; i < n; ++i)
    bars.push_back(bar(symbol, i, (20'000 + 50 * ((i * 7 + phase) % 11) + 3 * i) * kE8));
  return bars;
}

TEST(RegimeCore, EmitsOnePosteriorPerBar) {
  RegimeCore core(ewma());
  runtime::Outbox out;
  Bar b = bar("BTCUSDT", 0, 23000 * kE8);
  auto outcome = core.on_bar(b, "bar:binance-us:BTCUSDT:1m:1677628800", out);
  EXPECT_EQ(outcome.kind, BarOutcome::kEmitted);
  ASSERT_EQ(out.size(), 1u);
  const auto& item = out.items()[0];
  EXPECT_EQ(item.subject, "regime.binance-us.BTCUSDT.1m");
  EXPECT_EQ(item.message_id, "regime:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(item.correlation_id, "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(item.message_type, "trading.v1.RegimePosterior");
  RegimePosterior p;
  ASSERT_TRUE(p.ParseFromString(item.payload));
  EXPECT_EQ(p.instrument().venue(), "binance-us");
  EXPECT_EQ(p.instrument().symbol(), "BTCUSDT");
  EXPECT_EQ(p.timeframe(), "1m");
  EXPECT_EQ(p.model_version(), "ewma-v1");
  EXPECT_TRUE(p.warming_up());
  EXPECT_EQ(p.most_likely(), REGIME_CHOP);
  EXPECT_DOUBLE_EQ(p.p_bull() + p.p_bear() + p.p_chop(), 1.0);
  EXPECT_EQ(p.trace().correlation_id(), "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(p.trace().event_time_ns(), kT0);
  EXPECT_EQ(p.trace().decision_id(), "");
}

TEST(RegimeCore, OutOfOrderBarsAreIgnored) {
  RegimeCore core(ewma());
  runtime::Outbox out;
  EXPECT_EQ(core.on_bar(bar("BTCUSDT", 5, 100 * kE8), "c", out).kind, BarOutcome::kEmitted);
  auto flagged = core.on_bar(bar("BTCUSDT", 6, 100 * kE8, BAR_QUALITY_OUT_OF_ORDER), "c", out);
  EXPECT_EQ(flagged.kind, BarOutcome::kIgnored);
  EXPECT_EQ(flagged.detail, "flagged out of order");
  auto repeated = core.on_bar(bar("BTCUSDT", 5, 100 * kE8), "c", out);
  EXPECT_EQ(repeated.kind, BarOutcome::kIgnored);
  EXPECT_EQ(repeated.detail, "not after the last bar of the series");
  EXPECT_EQ(out.size(), 1u);
}

TEST(RegimeCore, InvalidBarsAreRejectedWithExactText) {
  RegimeCore core(ewma());
  runtime::Outbox out;
  Bar b = bar("BTC.USDT", 0, 100 * kE8);
  EXPECT_EQ(core.on_bar(b, "c", out).detail,
            "bar has an invalid instrument or timeframe: 'binance-us/BTC.USDT/1m'");
  b = bar("BTCUSDT", 0, 0);
  auto o = core.on_bar(b, "c", out);
  EXPECT_EQ(o.kind, BarOutcome::kInvalid);
  EXPECT_EQ(o.detail, "bar close must be positive, got 0");
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(core.instruments(), 0u);
}

// A flagged bar still gets its posterior, but leaves the model as if it had
// not existed: the outputs of later bars equal a run without it.
TEST(RegimeCore, FlaggedBarsEmitButDoNotUpdate) {
  auto bars = wave("BTCUSDC", 40);
  auto with_outlier = bars;
  with_outlier[20].set_close_e8(31'000 * kE8);
  with_outlier[20].set_quality_flags(BAR_QUALITY_OUTLIER);
  with_outlier[25].set_close_e8(1 * kE8);
  with_outlier[25].set_quality_flags(BAR_QUALITY_ZERO_VOLUME | BAR_QUALITY_GAP_BEFORE);
  auto without = bars;
  without.erase(without.begin() + 25);
  without.erase(without.begin() + 20);

  RegimeCore a(ewma()), b(ewma());
  auto out_a = run(a, with_outlier);
  auto out_b = run(b, without);
  ASSERT_EQ(out_a.size(), 40u);
  ASSERT_EQ(out_b.size(), 38u);
  out_a.erase(out_a.begin() + 25);
  out_a.erase(out_a.begin() + 20);
  // Ids and payloads of the unflagged bars (their event times) match exactly.
  EXPECT_EQ(out_a, out_b);
  // The model states agree too (the retained history differs: it keeps
  // every bar, for priming a hot-reloaded model that may trust other flags).
  auto model_state = [](const RegimeCore& core) {
    auto j = nlohmann::json::parse(core.snapshot());
    return j["series"]["binance-us|BTCUSDC|1m"]["model"].get<std::string>();
  };
  EXPECT_EQ(model_state(a), model_state(b));
}

TEST(RegimeCore, SnapshotRestoreMidStreamGivesIdenticalOutputs) {
  std::vector<Bar> bars;
  auto x = wave("BTCUSDT", 300), y = wave("BTCUSDC", 300, 4);
  for (size_t i = 0; i < x.size(); ++i) {
    bars.push_back(x[i]);
    bars.push_back(y[i]);
  }
  RegimeCore full(ewma());
  auto expected = run(full, bars);

  RegimeCore first(ewma());
  auto head = run(first, {bars.begin(), bars.begin() + 333});
  RegimeCore second(ewma());
  ASSERT_TRUE(second.restore(first.snapshot()));
  EXPECT_EQ(second.snapshot(), first.snapshot());
  auto tail = run(second, {bars.begin() + 333, bars.end()});
  head.insert(head.end(), tail.begin(), tail.end());
  EXPECT_EQ(head, expected);
}

TEST(RegimeCore, RestoreRefusesAnotherModelOrGarbage) {
  RegimeCore core(ewma());
  EXPECT_EQ(core.restore(R"({"format":2,"model_version":"hmm-v1","series":{}})").error().message,
            "regime snapshot was written by model hmm-v1, this is ewma-v1");
  EXPECT_EQ(core.restore("not json").error().code, ErrorCode::kDataLoss);
  EXPECT_TRUE(core.restore(RegimeCore(ewma()).snapshot()));
}

// Instruments are independent: any interleaving gives the same outputs per instrument.
TEST(RegimeCore, InterleavingDoesNotMatter) {
  auto x = wave("BTCUSDT", 100), y = wave("BTCUSDC", 100, 3);
  std::vector<Bar> xy = x, yx = y;
  xy.insert(xy.end(), y.begin(), y.end());
  yx.insert(yx.end(), x.begin(), x.end());
  RegimeCore a(ewma()), b(ewma());
  auto out_a = run(a, xy), out_b = run(b, yx);
  std::sort(out_a.begin(), out_a.end());
  std::sort(out_b.begin(), out_b.end());
  EXPECT_EQ(out_a, out_b);
  // The model states agree too (the retained history differs: it keeps
  // every bar, for priming a hot-reloaded model that may trust other flags).
  auto model_state = [](const RegimeCore& core) {
    auto j = nlohmann::json::parse(core.snapshot());
    return j["series"]["binance-us|BTCUSDC|1m"]["model"].get<std::string>();
  };
  EXPECT_EQ(model_state(a), model_state(b));
}

// Causal: a posterior never depends on later bars.
TEST(RegimeCore, PosteriorsDoNotDependOnLaterBars) {
  auto bars = wave("BTCUSDT", 200);
  auto changed = bars;
  for (size_t i = 120; i < changed.size(); ++i) changed[i].set_close_e8(changed[i].close_e8() / 2 + 7);
  RegimeCore a(ewma()), b(ewma());
  auto out_a = run(a, bars), out_b = run(b, changed);
  EXPECT_EQ(std::vector<std::string>(out_a.begin(), out_a.begin() + 120),
            std::vector<std::string>(out_b.begin(), out_b.begin() + 120));
  EXPECT_NE(out_a[120], out_b[120]);
}

// The real BTCUSDT file, through the ingester's own parser and quality rules.
struct Share {
  int64_t bars = 0, bull = 0, bear = 0, chop = 0;
};

TEST(RegimeCore, RealBtcUsdtSellOffIsBearAndRallyIsBull) {
  const auto bars = testdata::btcusdt_bars();
  RegimeCore core(ewma());
  const int64_t mar9 = 1678320000'000'000'000, mar11 = mar9 + 2 * 86400'000'000'000;
  const int64_t mar13 = mar9 + 4 * 86400'000'000'000, mar15 = mar9 + 6 * 86400'000'000'000;
  Share selloff, rally, all;
  for (const auto& [id, bar] : bars) {
    runtime::Outbox out;
    ASSERT_EQ(core.on_bar(bar, id, out).kind, BarOutcome::kEmitted);
    RegimePosterior p;
    ASSERT_TRUE(p.ParseFromString(out.items().at(0).payload));
    const int64_t t = bar.open_time_ns();
    for (Share* s : {&all, t >= mar9 && t < mar11 ? &selloff : nullptr,
                     t >= mar13 && t < mar15 ? &rally : nullptr}) {
      if (!s) continue;
      ++s->bars;
      if (p.most_likely() == REGIME_BULL) ++s->bull;
      if (p.most_likely() == REGIME_BEAR) ++s->bear;
      if (p.most_likely() == REGIME_CHOP) ++s->chop;
    }
  }
  // docs/services/regime.md reports these counts.
  EXPECT_EQ(all.bars, 30240);
  EXPECT_EQ(selloff.bars, 2880);
  EXPECT_EQ(rally.bars, 2880);
  EXPECT_GT(selloff.bear * 2, selloff.bars) << "sell-off bull/bear/chop " << selloff.bull << "/"
                                            << selloff.bear << "/" << selloff.chop;
  EXPECT_GT(rally.bull * 2, rally.bars) << "rally bull/bear/chop " << rally.bull << "/" << rally.bear
                                        << "/" << rally.chop;
  // Exact counts for this platform's libm (the doc's table).
  EXPECT_EQ((std::vector<int64_t>{selloff.bull, selloff.bear, selloff.chop}),
            (std::vector<int64_t>{135, 2069, 676}));
  EXPECT_EQ((std::vector<int64_t>{rally.bull, rally.bear, rally.chop}), (std::vector<int64_t>{2111, 186, 583}));
  EXPECT_EQ((std::vector<int64_t>{all.bull, all.bear, all.chop}), (std::vector<int64_t>{8325, 6461, 15454}));
  std::cout << "sell-off 9-10 Mar bull/bear/chop " << selloff.bull << "/" << selloff.bear << "/"
            << selloff.chop << "; rally 13-14 Mar " << rally.bull << "/" << rally.bear << "/"
            << rally.chop << "; all " << all.bull << "/" << all.bear << "/" << all.chop << "\n";
}

}  // namespace
}  // namespace tp::regime
