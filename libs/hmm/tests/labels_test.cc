#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"
#include "tp/hmm/labels.h"

namespace tp::hmm {
namespace {

using testing::same_bits;
using testing::sample_hmm;

// A K-state 1-D (logret) model with the given means, sds and self-transition.
GaussianHmm model_1d(const std::vector<double>& means, const std::vector<double>& sds, double stay = 0.9) {
  const int K = static_cast<int>(means.size());
  GaussianHmm m;
  m.start = Eigen::VectorXd::Constant(K, 1.0 / K);
  m.transition = Eigen::MatrixXd::Constant(K, K, K > 1 ? (1 - stay) / (K - 1) : 1.0);
  if (K > 1) m.transition.diagonal().setConstant(stay);
  for (int k = 0; k < K; ++k) {
    m.means.push_back(Eigen::VectorXd::Constant(1, means[static_cast<size_t>(k)]));
    m.covariances.push_back(Eigen::MatrixXd::Constant(1, 1, sds[static_cast<size_t>(k)] * sds[static_cast<size_t>(k)]));
  }
  return m;
}

FeatureSpec spec(const char* names) { return *FeatureSpec::parse(names); }

std::vector<Regime> labels_of(const GaussianHmm& m, const char* names = "logret") {
  auto l = label_states(m, spec(names));
  EXPECT_TRUE(l) << l.error().message;
  return l ? *l : std::vector<Regime>{};
}

using R = Regime;

TEST(Labels, ThreeOrMoreStatesRankBySharpe) {
  // State 2 has the largest mean but so much noise that state 1 is the better bull.
  EXPECT_EQ(labels_of(model_1d({-1e-4, 5e-5, 6e-5}, {1e-3, 1e-4, 1e-2})), (std::vector<R>{R::kBear, R::kBull, R::kChop}));
  EXPECT_EQ(labels_of(model_1d({3e-5, -2e-5, 0, 1e-5}, {1e-3, 1e-3, 1e-3, 1e-3})),
            (std::vector<R>{R::kBull, R::kBear, R::kChop, R::kChop}));
  // Exact ties: the lower index wins both ends; all equal -> all CHOP.
  EXPECT_EQ(labels_of(model_1d({1, 1, -1}, {1, 1, 1})), (std::vector<R>{R::kBull, R::kChop, R::kBear}));
  EXPECT_EQ(labels_of(model_1d({0, 0, 0}, {1, 2, 3})), (std::vector<R>{R::kChop, R::kChop, R::kChop}));
}

TEST(Labels, TwoStatesNeedADriftThatSurvivesAVisit) {
  // Per-bar Sharpe +-0.05 over an expected visit of 1/(1-0.99) = 100 bars: t = +-0.5 -> CHOP.
  EXPECT_EQ(labels_of(model_1d({5e-5, -5e-5}, {1e-3, 1e-3}, 0.99)), (std::vector<R>{R::kChop, R::kChop}));
  // Sharpe +-0.2 over 100 bars: t = +-2 -> BULL / BEAR.
  EXPECT_EQ(labels_of(model_1d({2e-4, -2e-4}, {1e-3, 1e-3}, 0.99)), (std::vector<R>{R::kBull, R::kBear}));
  // Both up: the stronger is BULL, the other is not a bear.
  EXPECT_EQ(labels_of(model_1d({2e-4, 1e-4}, {1e-3, 1e-3}, 0.99)), (std::vector<R>{R::kBull, R::kChop}));
  // A state that is never left has an infinite visit: any drift counts.
  GaussianHmm absorbing = model_1d({1e-6, -1e-6}, {1e-3, 1e-3}, 0.99);
  absorbing.transition.row(0) << 1.0, 0.0;
  EXPECT_EQ(labels_of(absorbing), (std::vector<R>{R::kBull, R::kChop}));
  EXPECT_EQ(labels_of(model_1d({1e-3}, {1e-3})), (std::vector<R>{R::kChop}));
}

TEST(Labels, UseTheTrendColumnWhenThereIsOne) {
  // logret says state 0 is the bull, trend says state 1: trend wins.
  GaussianHmm m;
  m.start = Eigen::Vector3d(1.0 / 3, 1.0 / 3, 1.0 / 3);
  m.transition = Eigen::MatrixXd::Constant(3, 3, 0.05);
  m.transition.diagonal().setConstant(0.9);
  m.means = {Eigen::Vector2d(2e-5, -0.001), Eigen::Vector2d(-1e-5, 0.03), Eigen::Vector2d(0, -0.02)};
  m.covariances = {Eigen::Matrix2d(Eigen::Vector2d(1e-6, 1e-4).asDiagonal()),
                   Eigen::Matrix2d(Eigen::Vector2d(1e-6, 1e-4).asDiagonal()),
                   Eigen::Matrix2d(Eigen::Vector2d(1e-6, 1e-4).asDiagonal())};
  EXPECT_EQ(label_column(spec("logret,trend")), 1);
  EXPECT_EQ(label_column(spec("rvol,logret")), 1);
  EXPECT_EQ(label_column(spec("rvol,range")), -1);
  EXPECT_EQ(labels_of(m, "logret,trend"), (std::vector<R>{R::kChop, R::kBull, R::kBear}));
  EXPECT_EQ(labels_of(m, "logret,rvol"), (std::vector<R>{R::kBull, R::kBear, R::kChop}));
}

TEST(Labels, NeedAReturnFeatureAndAMatchingDimension) {
  const GaussianHmm m = model_1d({0, 1, 2}, {1, 1, 1});
  auto missing = label_states(m, spec("rvol"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message, "labelling needs a return feature (logret or trend), the spec has rvol");
  EXPECT_EQ(label_states(m, spec("logret,rvol")).error().message,
            "feature spec logret,rvol has dimension 2, the model 1");
}

TEST(RegimeProbabilities, SumThePosteriorByLabel) {
  const std::vector<R> labels = {R::kBear, R::kChop, R::kBull, R::kChop};
  const Eigen::Vector4d p(0.1, 0.2, 0.3, 0.4);
  const RegimeProbabilities r = regime_probabilities(p, labels);
  EXPECT_DOUBLE_EQ(r.bear, 0.1);
  EXPECT_DOUBLE_EQ(r.chop, 0.6000000000000001);
  EXPECT_DOUBLE_EQ(r.bull, 0.3);
  EXPECT_EQ(most_likely(r), R::kChop);
  EXPECT_EQ(most_likely({0.4, 0.4, 0.2}), R::kBull);
  EXPECT_EQ(most_likely({0.3, 0.4, 0.3}), R::kBear);
  EXPECT_EQ(most_likely({0.3, 0.3, 0.3}), R::kChop);
  EXPECT_EQ(to_string(R::kBull), "BULL");
  EXPECT_EQ(to_string(R::kBear), "BEAR");
  EXPECT_EQ(to_string(R::kChop), "CHOP");
  EXPECT_EQ(*parse_regime("BEAR"), R::kBear);
  EXPECT_FALSE(parse_regime("bear"));
}

TEST(CanonicalOrder, SortsByMeanThenVarianceAndPermutesConsistently) {
  GaussianHmm m = model_1d({0.5, -1.0, 0.5}, {2.0, 1.0, 1.0});
  m.transition << 0.8, 0.1, 0.1,
                  0.2, 0.7, 0.1,
                  0.3, 0.3, 0.4;
  m.start = Eigen::Vector3d(0.5, 0.3, 0.2);
  const std::vector<int> order = canonical_order(m);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 0}));  // -1.0; then 0.5 with the smaller variance
  const GaussianHmm c = permute_states(m, order);
  EXPECT_EQ(c.means[0][0], -1.0);
  EXPECT_EQ(c.covariances[1](0, 0), 1.0);
  EXPECT_EQ(c.start, Eigen::Vector3d(0.3, 0.2, 0.5));
  // new (i, j) = old (order[i], order[j])
  EXPECT_EQ(c.transition(0, 0), 0.7);
  EXPECT_EQ(c.transition(0, 2), 0.2);
  EXPECT_EQ(c.transition(2, 1), 0.1);
  EXPECT_EQ(c.transition(1, 2), 0.3);
  EXPECT_TRUE(c.validate());

  // The likelihood is invariant and the posteriors are permuted columns.
  const auto s = sample_hmm(m, 500, 3);
  auto a = log_likelihood(m, s.x);
  auto b = log_likelihood(c, s.x);
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(*a, *b, 1e-10 * std::abs(*a));
  auto pa = filter_posteriors(m, s.x);
  auto pb = filter_posteriors(c, s.x);
  ASSERT_TRUE(pa && pb);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR((pa->col(order[static_cast<size_t>(i)]) - pb->col(i)).cwiseAbs().maxCoeff(), 0.0, 1e-12);

}

TEST(CanonicalOrder, CanUseAnotherColumn) {
  GaussianHmm m;
  m.start = Eigen::Vector2d(0.5, 0.5);
  m.transition = Eigen::Matrix2d::Constant(0.5);
  m.means = {Eigen::Vector2d(1.0, -3.0), Eigen::Vector2d(2.0, -4.0)};
  m.covariances = {Eigen::Matrix2d::Identity(), Eigen::Matrix2d::Identity()};
  EXPECT_EQ(canonical_order(m, 0), (std::vector<int>{0, 1}));
  EXPECT_EQ(canonical_order(m, 1), (std::vector<int>{1, 0}));
}

}  // namespace
}  // namespace tp::hmm
