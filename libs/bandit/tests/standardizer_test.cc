#include "tp/bandit/standardizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tp/bandit/random.h"

namespace tp::bandit {
namespace {

TEST(Standardizer, WelfordMatchesTwoPassAndIsFrozenPerDecision) {
  auto s = Standardizer::create({.dimension = 3, .passthrough = {2}, .clip = 100});
  ASSERT_TRUE(s);
  Rng rng(2);
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back({0.002 + 0.001 * rng.normal(), 5 + 2 * rng.normal(), 1.0});
  for (const auto& r : rows) s->observe(r);
  for (int j = 0; j < 2; ++j) {
    double mean = 0, var = 0;
    for (const auto& r : rows) mean += r[j];
    mean /= rows.size();
    for (const auto& r : rows) var += (r[j] - mean) * (r[j] - mean);
    var /= rows.size() - 1;
    EXPECT_NEAR(s->mean(j), mean, 1e-12 * (1 + std::abs(mean)));
    EXPECT_NEAR(s->stddev(j), std::sqrt(var), 1e-12);
    EXPECT_EQ(s->count(j), 1000);
  }
  std::vector<double> x = {0.004, 1.0, 1.0};
  auto z = s->standardize(x);
  EXPECT_DOUBLE_EQ(z[0], (0.004 - s->mean(0)) / s->stddev(0));
  EXPECT_DOUBLE_EQ(z[1], (1.0 - s->mean(1)) / s->stddev(1));
  EXPECT_EQ(z[2], 1.0);  // the bias is copied
  // Standardising does not change the statistics; observing does.
  EXPECT_EQ(s->standardize(x), z);
  s->observe(x);
  EXPECT_NE(s->standardize(x), z);
}

TEST(Standardizer, ColdStartClipAndNonFinite) {
  auto s = Standardizer::create({.dimension = 2, .passthrough = {1}, .clip = 3, .min_observations = 3});
  ASSERT_TRUE(s);
  std::vector<double> x = {7.0, 1.0};
  EXPECT_EQ(s->standardize(x), (std::vector<double>{0.0, 1.0}));  // no data: no information
  s->observe(std::vector<double>{1.0, 1.0});
  s->observe(std::vector<double>{3.0, 1.0});
  EXPECT_EQ(s->standardize(x)[0], 0.0);  // 2 < min_observations
  s->observe(std::vector<double>{2.0, 1.0});
  EXPECT_EQ(s->standardize(x)[0], 3.0);  // (7 - 2) / 1 = 5, clipped
  EXPECT_EQ(s->standardize(std::vector<double>{-100.0, 1.0})[0], -3.0);
  EXPECT_EQ(s->standardize(std::vector<double>{NAN, INFINITY}), (std::vector<double>{0.0, 0.0}));
  s->observe(std::vector<double>{NAN, 1.0});  // not observed
  EXPECT_EQ(s->count(0), 3);
  EXPECT_EQ(s->count(1), 4);
  // A constant feature never gets a scale.
  auto c = Standardizer::create({.dimension = 1});
  for (int i = 0; i < 10; ++i) c->observe(std::vector<double>{0.25});
  EXPECT_EQ(c->standardize(std::vector<double>{0.5})[0], 0.0);
}

TEST(Standardizer, OptionsAndSnapshot) {
  EXPECT_EQ(Standardizer::create({.dimension = 2, .passthrough = {2}}).error().message,
            "passthrough feature 2 is out of range");
  EXPECT_EQ(Standardizer::create({.dimension = 2, .clip = 0}).error().message,
            "standardisation clip must be finite and > 0");
  EXPECT_EQ(Standardizer::create({.dimension = 2, .min_observations = 1}).error().message,
            "min_observations must be >= 2");
  StandardizerOptions o{.dimension = 3, .passthrough = {2}};
  auto s = Standardizer::create(o);
  Rng rng(3);
  for (int i = 0; i < 57; ++i) s->observe(std::vector<double>{rng.normal(), 0.1 * rng.normal(), 1.0});
  const std::string snap = s->snapshot();
  auto again = Standardizer::restore(snap, o);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->snapshot(), snap);
  std::vector<double> x = {0.3, 0.02, 1.0};
  EXPECT_EQ(again->standardize(x), s->standardize(x));
  EXPECT_EQ(Standardizer::restore("[]", o).error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(Standardizer::restore(snap, {.dimension = 2}).error().code,
            ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tp::bandit
