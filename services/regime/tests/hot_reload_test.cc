// Hot reload in the pure core: a promotion switches the model between two
// bars, loses and repeats nothing, primes the new model on retained bars,
// and survives a restart in the middle.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "real_bars.h"
#include "tp/regime/hmm_model.h"
#include "tp/regime/regime_core.h"
#include "tp/regime/training.h"
#include "trading/v1/regime.pb.h"

namespace tp::regime {
namespace {

using trading::v1::Bar;
using trading::v1::RegimePosterior;

std::vector<Bar> real_bars(size_t n) {
  std::vector<Bar> bars;
  for (auto& [id, bar] : testdata::btcusdt_bars(n)) bars.push_back(std::move(bar));
  return bars;
}

std::shared_ptr<const HmmModelVersion> trained(const std::vector<Bar>& bars, int states, uint64_t seed) {
  std::vector<hmm::PriceBar> prices;
  for (const auto& b : bars) prices.push_back(to_price_bar(b));
  TrainSpec spec;
  spec.fit.states = states;
  spec.fit.seed = seed;
  spec.fit.restarts = 2;
  auto t = train_model(prices, spec);
  EXPECT_TRUE(t) << t.error().message;
  auto v = version_from_document(t->version, t->parameters_document);
  EXPECT_TRUE(v) << v.error().message;
  return *v;
}

struct Emitted {
  std::string id;
  RegimePosterior posterior;
};

std::vector<Emitted> feed(RegimeCore& core, const std::vector<Bar>& bars, size_t from, size_t to) {
  std::vector<Emitted> out;
  for (size_t i = from; i < to; ++i) {
    runtime::Outbox box;
    EXPECT_EQ(core.on_bar(bars[i], "c", box).kind, BarOutcome::kEmitted);
    for (const auto& item : box.items()) {
      Emitted e{item.message_id, {}};
      EXPECT_TRUE(e.posterior.ParseFromString(item.payload));
      out.push_back(std::move(e));
    }
  }
  return out;
}

class HotReload : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bars_ = new std::vector<Bar>(real_bars(4000));
    a_ = trained(std::vector<Bar>(bars_->begin(), bars_->begin() + 2000), 3, 1);
    b_ = trained(std::vector<Bar>(bars_->begin(), bars_->begin() + 2000), 2, 7);
  }
  static void TearDownTestSuite() {
    delete bars_;
    a_.reset();
    b_.reset();
  }
  static ModelLoader loader() {
    return [](std::string_view name) -> Result<ModelVersionPtr> {
      if (name == a_->version()) return ModelVersionPtr(a_);
      if (name == b_->version()) return ModelVersionPtr(b_);
      return make_error(ErrorCode::kNotFound, "no regime model version '" + std::string(name) + "'");
    };
  }
  static std::vector<Bar>* bars_;
  static std::shared_ptr<const HmmModelVersion> a_, b_;
};
std::vector<Bar>* HotReload::bars_ = nullptr;
std::shared_ptr<const HmmModelVersion> HotReload::a_, HotReload::b_;

TEST_F(HotReload, SwitchesBetweenTwoBarsWithNothingLostOrRepeated) {
  ASSERT_NE(a_->version(), b_->version());
  RegimeCore core(a_, loader());
  const size_t n = bars_->size(), switch_at = 3000;
  auto before = feed(core, *bars_, 0, switch_at);
  auto outcome = core.activate(b_);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->switched);
  EXPECT_EQ(outcome->previous, a_->version());
  EXPECT_EQ(outcome->primed_bars, b_->priming_bars());
  auto after = feed(core, *bars_, switch_at, n);

  // One posterior per bar, ids in bar order, each once.
  ASSERT_EQ(before.size() + after.size(), n);
  std::map<std::string, int> seen;
  for (const auto* part : {&before, &after})
    for (const auto& e : *part) ++seen[e.id];
  EXPECT_EQ(seen.size(), n);
  for (const auto& e : before) EXPECT_EQ(e.posterior.model_version(), a_->version());
  for (const auto& e : after) EXPECT_EQ(e.posterior.model_version(), b_->version());

  // The new model is primed: warm from its first bar, and exactly what a
  // fresh instance fed the retained bars would say.
  EXPECT_FALSE(after.front().posterior.warming_up());
  auto reference = b_->make();
  for (size_t i = switch_at - static_cast<size_t>(b_->priming_bars()); i < switch_at; ++i)
    (void)reference->on_bar((*bars_)[i]);
  for (size_t i = 0; i < after.size(); ++i) {
    const RegimeEstimate e = reference->on_bar((*bars_)[switch_at + i]);
    ASSERT_EQ(after[i].posterior.p_bull(), e.p_bull) << i;
    ASSERT_EQ(after[i].posterior.p_bear(), e.p_bear) << i;
    ASSERT_EQ(after[i].posterior.p_chop(), e.p_chop) << i;
  }
  double sum = after.back().posterior.p_bull() + after.back().posterior.p_bear() + after.back().posterior.p_chop();
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST_F(HotReload, ActivatingTheActiveVersionChangesNothing) {
  RegimeCore core(a_, loader());
  auto first = feed(core, *bars_, 0, 100);
  const std::string state = core.snapshot();
  auto outcome = core.activate(a_);
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(outcome->switched);
  EXPECT_EQ(core.snapshot(), state);
}

TEST_F(HotReload, RestartAfterASwitchContinuesUnderTheNewVersion) {
  RegimeCore full(a_, loader());
  feed(full, *bars_, 0, 2500);
  ASSERT_TRUE(full.activate(b_));
  feed(full, *bars_, 2500, 3000);
  const std::string saved = full.snapshot();
  auto expected = feed(full, *bars_, 3000, 4000);

  // A restarted service is configured with A (say, the registry changed
  // since), but the checkpoint says B: B continues, bit for bit.
  RegimeCore restarted(a_, loader());
  ASSERT_TRUE(restarted.restore(saved));
  EXPECT_EQ(restarted.active_version(), b_->version());
  auto got = feed(restarted, *bars_, 3000, 4000);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(got[i].posterior.SerializeAsString(), expected[i].posterior.SerializeAsString()) << i;
}

TEST_F(HotReload, RestoreNamesAVersionThatCannotBeLoaded) {
  RegimeCore core(a_, loader());
  feed(core, *bars_, 0, 10);
  std::string saved = core.snapshot();
  const std::string name = a_->version();
  saved.replace(saved.find(name), name.size(), "hmm-0000000000000000");
  RegimeCore other(b_, loader());
  auto s = other.restore(saved);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "regime snapshot was written by model hmm-0000000000000000, which cannot be loaded: "
            "no regime model version 'hmm-0000000000000000'");
}

TEST_F(HotReload, VersionNamesAreContentAddressed) {
  std::vector<hmm::PriceBar> prices;
  for (size_t i = 0; i < 2000; ++i) prices.push_back(to_price_bar((*bars_)[i]));
  TrainSpec spec;
  spec.fit.states = 3;
  spec.fit.seed = 1;
  spec.fit.restarts = 2;
  auto again = train_model(prices, spec);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version, a_->version());
  EXPECT_EQ(again->version, content_version(again->parameters_document));
  EXPECT_EQ(again->version.size(), 4u + 16u);
  spec.fit.seed = 2;
  auto other_seed = train_model(prices, spec);
  ASSERT_TRUE(other_seed);
  // Another seed may land on the same optimum; the name follows the parameters.
  EXPECT_EQ(other_seed->version == again->version,
            other_seed->parameters_document == again->parameters_document);
}

}  // namespace
}  // namespace tp::regime
