#include "tp/bandit/lin_ts.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/LU>

namespace tp::bandit {
namespace {

LinTsOptions options(int d, double v = 0.5, double lambda = 1.0) {
  LinTsOptions o;
  o.dimension = d;
  o.v = v;
  o.lambda = lambda;
  return o;
}

std::vector<double> random_x(Rng& rng, int d) {
  std::vector<double> x(static_cast<size_t>(d));
  for (int j = 0; j + 1 < d; ++j) x[static_cast<size_t>(j)] = rng.normal();
  x[static_cast<size_t>(d - 1)] = 1.0;
  return x;
}

Eigen::Map<const Eigen::VectorXd> vec(const std::vector<double>& x) {
  return {x.data(), static_cast<Eigen::Index>(x.size())};
}

TEST(LinTsOptions, Validation) {
  auto err = [](LinTsOptions o) {
    auto s = o.validate();
    return s ? std::string() : s.error().message;
  };
  EXPECT_EQ(err(options(6)), "");
  EXPECT_EQ(err(options(0)), "dimension must be in [1, 64], got 0");
  EXPECT_EQ(err(options(65)), "dimension must be in [1, 64], got 65");
  EXPECT_EQ(err(options(6, 0)), "v must be finite and > 0, got 0");
  EXPECT_EQ(err(options(6, 1, -1)), "lambda must be finite and > 0, got -1");
  LinTsOptions o = options(6);
  o.reward_clip = 0;
  EXPECT_EQ(err(o), "reward_clip must be > 0, got 0");
  o = options(6);
  o.reward_scale = std::numeric_limits<double>::infinity();
  EXPECT_EQ(err(o), "reward_scale must be finite and > 0, got inf");
  o = options(6);
  o.decay = -1;
  EXPECT_EQ(err(o), "decay must be finite and >= 0, got -1");
  o = options(6, 0.5);
  o.v_min = 0.6;
  EXPECT_EQ(err(o), "v_min must be in [0, v], got 0.6");
  EXPECT_FALSE(LinTs::create(options(0)));
}

TEST(LinTs, PosteriorMatchesTheClosedForm) {
  const int d = 6;
  LinTsOptions o = options(d, 0.7, 2.0);
  o.reward_clip = 1.5;
  o.reward_scale = 3.0;
  auto model = LinTs::create(o);
  ASSERT_TRUE(model);
  ASSERT_EQ(model->add_arm("a"), 0);
  ASSERT_EQ(model->add_arm("b"), 1);
  ASSERT_EQ(model->add_arm("a"), 0);
  EXPECT_EQ(model->find_arm("b"), 1);
  EXPECT_EQ(model->find_arm("zz"), -1);

  Rng rng(1);
  Eigen::MatrixXd B = 2.0 * Eigen::MatrixXd::Identity(d, d);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(d);
  for (int i = 0; i < 500; ++i) {
    auto x = random_x(rng, d);
    const double r = 2.0 * rng.normal();  // some beyond the clip
    ASSERT_TRUE(model->learn(0, x, r));
    B += vec(x) * vec(x).transpose();
    f += 3.0 * std::clamp(r, -1.5, 1.5) * vec(x);
  }
  EXPECT_EQ(model->arm(0).rewards, 500u);
  EXPECT_EQ(model->rewards_learned(), 500u);
  EXPECT_EQ(model->arm(1).rewards, 0u);
  EXPECT_LT((model->b_matrix(0) - B).norm(), 1e-12 * B.norm());
  EXPECT_LT((model->f_vector(0) - f).norm(), 1e-12 * f.norm());
  const Eigen::MatrixXd L = model->l_matrix(0);
  EXPECT_LT((L * L.transpose() - B).norm(), 1e-12 * B.norm());
  const Eigen::VectorXd direct = B.llt().solve(f);
  EXPECT_LT((model->mean(0) - direct).norm(), 1e-10 * direct.norm());
  const Eigen::VectorXd sd = 0.7 * B.inverse().diagonal().cwiseSqrt();
  EXPECT_LT((model->stddev(0) - sd).norm(), 1e-10 * sd.norm());
  // The untouched arm is the prior: mean 0, stddev v / sqrt(lambda).
  EXPECT_EQ(model->mean(1), Eigen::VectorXd::Zero(d));
  for (int j = 0; j < d; ++j) EXPECT_DOUBLE_EQ(model->stddev(1)[j], 0.7 / std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(model->transform_reward(10), 4.5);
  EXPECT_DOUBLE_EQ(model->transform_reward(-0.5), -1.5);
}

TEST(LinTs, SamplesHaveThePosteriorMeanAndCovariance) {
  const int d = 3;
  auto model = LinTs::create(options(d, 0.8, 1.0));
  ASSERT_TRUE(model);
  model->add_arm("a");
  Rng data(3);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(model->learn(0, random_x(data, d), data.normal()));
  const Eigen::MatrixXd B = model->b_matrix(0);
  const Eigen::VectorXd mean = model->mean(0);
  const Eigen::MatrixXd cov = 0.64 * B.inverse();
  Rng rng(4);
  const int n = 200'000;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d);
  Eigen::MatrixXd outer = Eigen::MatrixXd::Zero(d, d);
  std::vector<double> x = {0.3, -1.2, 1.0}, theta(3);
  double score_sum = 0;
  for (int i = 0; i < n; ++i) {
    const double s = model->sample_score(0, x, rng, theta);
    Eigen::Map<Eigen::VectorXd> t(theta.data(), d);
    EXPECT_NEAR(s, vec(x).dot(t), 1e-12);
    sum += t;
    outer += (t - mean) * (t - mean).transpose();
    score_sum += s;
  }
  const Eigen::VectorXd emp_mean = sum / n;
  const Eigen::MatrixXd emp_cov = outer / n;
  for (int i = 0; i < d; ++i) {
    EXPECT_NEAR(emp_mean[i], mean[i], 5 * std::sqrt(cov(i, i) / n));
    for (int j = 0; j < d; ++j) EXPECT_NEAR(emp_cov(i, j), cov(i, j), 0.02 * std::sqrt(cov(i, i) * cov(j, j)));
  }
  EXPECT_NEAR(score_sum / n, model->mean_score(0, x), 0.01);
}

TEST(LinTs, ColdStartSamplesThePrior) {
  auto model = LinTs::create(options(2, 2.0, 4.0));
  ASSERT_TRUE(model);
  Rng rng(5);
  std::vector<double> x = {1.0, 1.0};
  // No arms: nothing to pick.
  EXPECT_EQ(model->select(x, rng).arm, -1);
  model->add_arm("a");
  model->add_arm("b");
  int a = 0;
  double s2 = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    const Pick p = model->select(x, rng);
    ASSERT_GE(p.arm, 0);
    a += p.arm == 0;
    const double prior = model->sample_score(-1, x, rng);
    s2 += prior * prior;
  }
  EXPECT_NEAR(static_cast<double>(a) / n, 0.5, 0.01);
  // x' theta, theta ~ N(0, v^2 / lambda I): variance 4 / 4 * |x|^2 = 2.
  EXPECT_NEAR(s2 / n, 2.0, 0.03);
}

TEST(LinTs, CandidatesAndTies) {
  auto model = LinTs::create(options(1));
  ASSERT_TRUE(model);
  model->add_arm("a");
  model->add_arm("b");
  Rng rng(6);
  std::vector<double> zero = {0.0};
  std::vector<int> candidates = {1, 0, -1};
  std::vector<double> scores;
  const Pick p = model->select(zero, rng, candidates, &scores);
  EXPECT_EQ(p.arm, 1);  // all scores are 0: the first candidate wins
  EXPECT_EQ(scores, (std::vector<double>{0.0, 0.0, 0.0}));
  EXPECT_EQ(model->select(zero, rng, std::span<const int>{}).arm, -1);
}

TEST(LinTs, LearnRejectsBadInput) {
  auto model = LinTs::create(options(2));
  ASSERT_TRUE(model);
  model->add_arm("a");
  std::vector<double> x = {1.0, 1.0};
  EXPECT_EQ(model->learn(1, x, 1).error().message, "no arm 1");
  EXPECT_EQ(model->learn(0, std::vector<double>{1.0}, 1).error().message,
            "context has 1 values, the model 2");
  EXPECT_EQ(model->learn(0, std::vector<double>{1.0, NAN}, 1).error().message,
            "context value 1 is not finite");
  EXPECT_EQ(model->learn(0, x, NAN).error().message, "reward is NaN");
  EXPECT_EQ(model->learn(0, x, INFINITY).error().message, "reward is not finite after clipping");
  EXPECT_EQ(model->rewards_learned(), 0u);
  LinTsOptions o = options(2);
  o.reward_clip = 1;
  auto clipped = LinTs::create(o);
  clipped->add_arm("a");
  EXPECT_TRUE(clipped->learn(0, x, INFINITY));  // clipped to 1
  EXPECT_EQ(clipped->arm(0).reward_sum, 1.0);
}

TEST(LinTs, ExplorationDecaySchedule) {
  LinTsOptions o = options(1, 2.0);
  o.decay = 100;
  o.v_min = 0.5;
  auto model = LinTs::create(o);
  model->add_arm("a");
  EXPECT_EQ(model->exploration(), 2.0);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(model->learn(0, std::vector<double>{1.0}, 0));
  EXPECT_DOUBLE_EQ(model->exploration(), 2.0 / std::sqrt(4.0));
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(model->learn(0, std::vector<double>{1.0}, 0));
  EXPECT_EQ(model->exploration(), 0.5);  // floor
}

TEST(LinTs, DeterministicUnderASeed) {
  auto run = [](uint64_t seed) {
    auto model = LinTs::create(options(4));
    for (int k = 0; k < 5; ++k) model->add_arm("arm" + std::to_string(k));
    Rng rng(seed), data(99);
    std::vector<int> picks;
    for (int t = 0; t < 300; ++t) {
      auto x = random_x(data, 4);
      const Pick p = model->select(x, rng);
      picks.push_back(p.arm);
      EXPECT_TRUE(model->learn(p.arm, x, x[0] * (p.arm - 2) + 0.1 * data.normal()));
    }
    return std::make_pair(picks, model->snapshot());
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1).first, run(2).first);
}

TEST(LinTs, SnapshotRestoresEveryBit) {
  const int d = 5;
  LinTsOptions o = options(d, 0.3, 1.5);
  o.reward_scale = 10;
  auto model = LinTs::create(o);
  model->add_arm("x");
  model->add_arm("y");
  model->add_arm("z");
  Rng data(8);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(model->learn(i % 2, random_x(data, d), data.normal()));
  const std::string snap = model->snapshot();
  auto again = LinTs::restore(snap, o);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->snapshot(), snap);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(again->arm(k).id, model->arm(k).id);
    EXPECT_EQ(again->arm(k).y, model->arm(k).y);  // recomputed identically
  }
  Rng r1(10), r2(10);
  auto x = random_x(data, d);
  for (int i = 0; i < 50; ++i) {
    const Pick a = model->select(x, r1), b = again->select(x, r2);
    EXPECT_EQ(a.arm, b.arm);
    EXPECT_EQ(std::bit_cast<uint64_t>(a.score), std::bit_cast<uint64_t>(b.score));
  }

  // Another lambda / reward scale: carried over in closed form.
  LinTsOptions changed = o;
  changed.lambda = 4.0;
  changed.reward_scale = 5;
  auto moved = LinTs::restore(snap, changed);
  ASSERT_TRUE(moved) << moved.error().message;
  const Eigen::MatrixXd B = model->b_matrix(0) + 2.5 * Eigen::MatrixXd::Identity(d, d);
  EXPECT_LT((moved->b_matrix(0) - B).norm(), 1e-12 * B.norm());
  const Eigen::VectorXd f = 0.5 * model->f_vector(0);
  EXPECT_LT((moved->mean(0) - B.llt().solve(f)).norm(), 1e-10);

  auto bad = LinTs::restore("{}", o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(bad.error().message, "lints snapshot: not a LinTS snapshot");
  LinTsOptions other = o;
  other.dimension = 4;
  auto wrong = LinTs::restore(snap, other);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(wrong.error().message, "lints snapshot: dimension 5 is not the configured 4");
  std::string broken = snap;
  broken[broken.find("\"b\":\"") + 6] = 'g';
  EXPECT_EQ(LinTs::restore(broken, o).error().message, "lints snapshot: arm x: bad statistics");
}

}  // namespace
}  // namespace tp::bandit
