#include "tp/bandit/simulate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tp::bandit {
namespace {

TEST(Simulate, RegretIsSublinearAndFarBelowRandom) {
  SimulationOptions o;  // 8 arms, d = 6, noise 0.5, 10,000 rounds
  o.model.v = 0.5;
  auto report = simulate(o);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->points.size(), 10u);
  const RegretPoint& last = report->points.back();
  EXPECT_EQ(last.round, 10'000);
  // Sublinear: the second half adds clearly less regret than the first.
  EXPECT_LT(report->second_half_regret, 0.5 * report->first_half_regret);
  // Well under a third of uniform random's regret at T = 10,000.
  EXPECT_LT(last.ratio, 0.1);
  EXPECT_LT(last.regret, last.random_regret / 3);
  // Cumulative regret is non-decreasing and the random baseline grows linearly.
  for (size_t i = 1; i < report->points.size(); ++i) {
    EXPECT_GE(report->points[i].regret, report->points[i - 1].regret);
    EXPECT_GT(report->points[i].random_regret, report->points[i - 1].random_regret);
  }
}

TEST(Simulate, DeterministicUnderASeedAndJson) {
  SimulationOptions o;
  o.rounds = 2000;
  o.environment.arms = 4;
  o.environment.dimension = 3;
  const auto a = simulation_to_json(*simulate(o));
  EXPECT_EQ(a, simulation_to_json(*simulate(o)));
  o.environment.seed = 2;
  EXPECT_NE(a, simulation_to_json(*simulate(o)));
  auto doc = nlohmann::json::parse(a);
  EXPECT_EQ(doc["arms"], 4);
  EXPECT_EQ(doc["rounds"], 2000);
  EXPECT_EQ(doc["checkpoints"].size(), 10u);
  EXPECT_EQ(doc["checkpoints"][9]["round"], 2000);
  EXPECT_TRUE(doc["reward_clip"].is_null());
  for (const char* key : {"regret", "random_regret", "ratio", "first_half_regret",
                          "second_half_regret", "second_to_first_half"})
    EXPECT_TRUE(doc["final"].contains(key)) << key;
}

TEST(Simulate, OptionErrors) {
  SimulationOptions o;
  o.environment.arms = 1;
  EXPECT_EQ(simulate(o).error().message, "arms must be >= 2, got 1");
  o = {};
  o.rounds = 1;
  EXPECT_EQ(simulate(o).error().message, "rounds must be >= 2");
  o = {};
  o.model.v = -1;
  EXPECT_EQ(simulate(o).error().message, "v must be finite and > 0, got -1");
}

}  // namespace
}  // namespace tp::bandit
