#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "test_support.h"
#include "tp/hmm/gaussian_hmm.h"

namespace tp::hmm {
namespace {

using testing::same_bits;
using testing::sample_hmm;
using testing::three_state_1d;
using testing::three_state_2d;

// Independent reference: ln N(x; mu, Sigma) from Eigen's Cholesky solve.
double log_normal(const Eigen::VectorXd& x, const Eigen::VectorXd& mu, const Eigen::MatrixXd& c) {
  const Eigen::LLT<Eigen::MatrixXd> llt(c);
  const Eigen::VectorXd z = llt.matrixL().solve(x - mu);
  const double log_det = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  return -0.5 * (static_cast<double>(x.size()) * std::log(2 * std::numbers::pi) + log_det + z.squaredNorm());
}

double log_sum_exp(const Eigen::VectorXd& v) {
  const double m = v.maxCoeff();
  return m + std::log((v.array() - m).exp().sum());
}

// Textbook log-space forward algorithm (no scaling tricks).
double reference_log_likelihood(const GaussianHmm& m, const Eigen::MatrixXd& x) {
  const int K = m.states();
  Eigen::VectorXd la(K), next(K), tmp(K);
  for (int k = 0; k < K; ++k)
    la[k] = std::log(m.start[k]) + log_normal(x.row(0).transpose(), m.means[static_cast<size_t>(k)],
                                              m.covariances[static_cast<size_t>(k)]);
  for (int t = 1; t < x.rows(); ++t) {
    for (int k = 0; k < K; ++k) {
      for (int j = 0; j < K; ++j) tmp[j] = la[j] + std::log(m.transition(j, k));
      next[k] = log_sum_exp(tmp) + log_normal(x.row(t).transpose(), m.means[static_cast<size_t>(k)],
                                              m.covariances[static_cast<size_t>(k)]);
    }
    la = next;
  }
  return log_sum_exp(la);
}

TEST(LogLikelihood, MatchesBruteForceEnumerationOnATinySequence) {
  const GaussianHmm m = three_state_2d(CovarianceType::kFull);
  const auto s = sample_hmm(m, 6, 3);
  // Sum over all 3^6 paths of p(path) p(x | path).
  double total = 0;
  std::vector<int> path(6, 0);
  for (int code = 0; code < 729; ++code) {
    int c = code;
    for (int t = 0; t < 6; ++t) {
      path[static_cast<size_t>(t)] = c % 3;
      c /= 3;
    }
    double lp = std::log(m.start[path[0]]);
    for (int t = 0; t < 6; ++t) {
      if (t > 0) lp += std::log(m.transition(path[static_cast<size_t>(t - 1)], path[static_cast<size_t>(t)]));
      lp += log_normal(s.x.row(t).transpose(), m.means[static_cast<size_t>(path[static_cast<size_t>(t)])],
                       m.covariances[static_cast<size_t>(path[static_cast<size_t>(t)])]);
    }
    total += std::exp(lp);
  }
  auto ll = log_likelihood(m, s.x);
  ASSERT_TRUE(ll);
  EXPECT_NEAR(*ll, std::log(total), 1e-12 * std::abs(std::log(total)) + 1e-12);
}

TEST(LogLikelihood, MatchesATextbookLogSpaceForwardPass) {
  for (auto type : {CovarianceType::kFull, CovarianceType::kDiagonal}) {
    const GaussianHmm m = three_state_2d(type);
    const auto s = sample_hmm(m, 3000, 12);
    auto ll = log_likelihood(m, s.x);
    ASSERT_TRUE(ll);
    const double ref = reference_log_likelihood(m, s.x);
    EXPECT_NEAR(*ll, ref, 1e-10 * std::abs(ref));
  }
}

TEST(FilterPosteriors, RowsAreDistributionsAndTheForwardFilterMatchesBitForBit) {
  for (auto type : {CovarianceType::kFull, CovarianceType::kDiagonal}) {
    const auto model = std::make_shared<const GaussianHmm>(three_state_2d(type));
    const auto s = sample_hmm(*model, 2000, 13);
    auto batch = filter_posteriors(*model, s.x);
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->rows(), 2000);
    ASSERT_EQ(batch->cols(), 3);
    ForwardFilter online(model);
    EXPECT_EQ(online.steps(), 0);
    for (int t = 0; t < s.x.rows(); ++t) {
      const Eigen::VectorXd& p = online.update(s.x.row(t).transpose());
      EXPECT_NEAR(p.sum(), 1.0, 1e-12) << t;
      EXPECT_NEAR(batch->row(t).sum(), 1.0, 1e-12) << t;
      EXPECT_GE(p.minCoeff(), 0.0);
      EXPECT_LE(p.maxCoeff(), 1.0);
      EXPECT_NEAR((p - batch->row(t).transpose()).cwiseAbs().maxCoeff(), 0.0, 1e-12) << t;
      EXPECT_TRUE(same_bits(p, batch->row(t).transpose())) << t;
    }
    EXPECT_EQ(online.steps(), 2000);
    auto ll = log_likelihood(*model, s.x);
    ASSERT_TRUE(ll);
    EXPECT_EQ(online.log_likelihood(), *ll);
  }
}

TEST(FilterPosteriors, ChangingLaterObservationsNeverChangesEarlierPosteriors) {
  const GaussianHmm m = three_state_1d();
  const auto s = sample_hmm(m, 1000, 14);
  auto base = filter_posteriors(m, s.x);
  ASSERT_TRUE(base);
  for (int cut : {1, 250, 999}) {
    Eigen::MatrixXd changed = s.x;
    for (int t = cut; t < changed.rows(); ++t) changed(t, 0) = -changed(t, 0) * 3 + 7;
    auto other = filter_posteriors(m, changed);
    ASSERT_TRUE(other);
    EXPECT_TRUE(same_bits(base->topRows(cut), other->topRows(cut))) << cut;
    EXPECT_FALSE(same_bits(base->row(cut), other->row(cut))) << "the changed row itself does move";
  }
  // The same holds for the prefix alone: filtering x_1..x_t gives row t.
  auto prefix = filter_posteriors(m, s.x.topRows(400));
  ASSERT_TRUE(prefix);
  EXPECT_TRUE(same_bits(*prefix, base->topRows(400)));
}

TEST(SmoothPosteriors, AreDistributionsAndEqualTheFilterAtTheLastStep) {
  const GaussianHmm m = three_state_1d();
  const auto s = sample_hmm(m, 500, 15);
  auto smooth = smooth_posteriors(m, s.x);
  auto filt = filter_posteriors(m, s.x);
  ASSERT_TRUE(smooth && filt);
  for (int t = 0; t < 500; ++t) EXPECT_NEAR(smooth->row(t).sum(), 1.0, 1e-12);
  EXPECT_NEAR((smooth->row(499) - filt->row(499)).cwiseAbs().maxCoeff(), 0.0, 1e-10);
}

TEST(Viterbi, FindsTheTruePathOnSeparatedDataAndTheBestPathOnATinyOne) {
  const GaussianHmm m = three_state_1d();
  const auto s = sample_hmm(m, 5000, 16);
  auto path = viterbi(m, s.x);
  ASSERT_TRUE(path);
  int agree = 0;
  for (size_t t = 0; t < path->size(); ++t) agree += (*path)[t] == s.states[t];
  EXPECT_GT(agree, 0.97 * 5000);

  // Brute force over 3^5 paths.
  const auto tiny = sample_hmm(m, 5, 2);
  double best = -std::numeric_limits<double>::infinity();
  std::vector<int> best_path;
  for (int code = 0; code < 243; ++code) {
    std::vector<int> p(5);
    int c = code;
    for (int t = 0; t < 5; ++t) {
      p[static_cast<size_t>(t)] = c % 3;
      c /= 3;
    }
    double lp = std::log(m.start[p[0]]);
    for (int t = 0; t < 5; ++t) {
      if (t > 0) lp += std::log(m.transition(p[static_cast<size_t>(t - 1)], p[static_cast<size_t>(t)]));
      lp += log_normal(tiny.x.row(t).transpose(), m.means[static_cast<size_t>(p[static_cast<size_t>(t)])],
                       m.covariances[static_cast<size_t>(p[static_cast<size_t>(t)])]);
    }
    if (lp > best) {
      best = lp;
      best_path = p;
    }
  }
  auto v = viterbi(m, tiny.x);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, best_path);
}

TEST(Inference, ZeroProbabilitiesAndFarAwayObservationsGiveNoNaN) {
  GaussianHmm m = three_state_1d();
  m.transition << 1.0, 0.0, 0.0,  // state 0 is never left
                  0.0, 0.5, 0.5,
                  0.0, 0.5, 0.5;
  m.start << 0.0, 1.0, 0.0;  // and never entered
  Eigen::MatrixXd x(4, 1);
  x << -2.0, 1e6, -1e6, 0.0;  // far outside every state
  auto ll = log_likelihood(m, x);
  ASSERT_TRUE(ll) << ll.error().message;
  EXPECT_TRUE(std::isfinite(*ll));
  auto post = filter_posteriors(m, x);
  ASSERT_TRUE(post);
  EXPECT_TRUE(post->allFinite());
  EXPECT_EQ((*post)(0, 0), 0.0) << "an unreachable state keeps probability 0";
  for (int t = 0; t < 4; ++t) EXPECT_NEAR(post->row(t).sum(), 1.0, 1e-12);
  auto smooth = smooth_posteriors(m, x);
  ASSERT_TRUE(smooth);
  EXPECT_TRUE(smooth->allFinite());
  auto path = viterbi(m, x);
  ASSERT_TRUE(path);
  EXPECT_NE((*path)[0], 0);
}

TEST(Inference, RejectsMismatchedOrNonFiniteObservationsAndInvalidModels) {
  const GaussianHmm m = three_state_2d(CovarianceType::kFull);
  EXPECT_EQ(log_likelihood(m, Eigen::MatrixXd::Zero(5, 3)).error().message,
            "observations have 3 columns, the model has dimension 2");
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(5, 2);
  x(2, 0) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(filter_posteriors(m, x).error().message, "observation row 2, column 0 is not finite");
  EXPECT_EQ(viterbi(m, Eigen::MatrixXd(0, 2)).error().message, "no observations");

  GaussianHmm bad = m;
  bad.transition.row(1).setConstant(0.25);
  EXPECT_EQ(bad.validate().error().message, "transition row 1 sums to 0.75, not 1");
  bad = m;
  bad.covariances[2](0, 1) = 5;
  EXPECT_EQ(bad.validate().error().message, "state 2 covariance is not symmetric");
  bad.covariances[2](1, 0) = 5;
  EXPECT_EQ(bad.validate().error().message, "state 2 covariance is not positive definite");
  bad = three_state_2d(CovarianceType::kDiagonal);
  bad.covariances[0](0, 1) = bad.covariances[0](1, 0) = 0.1;
  EXPECT_EQ(bad.validate().error().message, "state 0 covariance has a non-zero off-diagonal in a diagonal model");
  bad = m;
  bad.start[0] = -0.1;
  EXPECT_EQ(bad.validate().error().message, "start has an invalid probability -0.1 at 0");
  EXPECT_EQ(log_likelihood(bad, Eigen::MatrixXd::Zero(3, 2)).error().code, ErrorCode::kInvalidArgument);
}

TEST(ForwardFilter, SnapshotRestoreIsExactAndGuarded) {
  const auto model = std::make_shared<const GaussianHmm>(three_state_2d(CovarianceType::kFull));
  const auto s = sample_hmm(*model, 300, 18);
  ForwardFilter a(model);
  for (int t = 0; t < 150; ++t) a.update(s.x.row(t).transpose());
  const std::string snap = a.snapshot();
  ForwardFilter b(model);
  ASSERT_TRUE(b.restore(snap));
  EXPECT_EQ(b.steps(), 150);
  for (int t = 150; t < 300; ++t) {
    a.update(s.x.row(t).transpose());
    b.update(s.x.row(t).transpose());
    ASSERT_TRUE(same_bits(a.posterior(), b.posterior())) << t;
  }
  EXPECT_EQ(a.log_likelihood(), b.log_likelihood());

  auto other = std::make_shared<const GaussianHmm>(three_state_1d());
  ForwardFilter c(other);
  auto refused = c.restore(snap);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message,
            "filter snapshot is of a 3-state model in 2 dimensions, this filter has 3 states in 1");
  EXPECT_EQ(b.restore("[]").error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(b.restore(R"({"states":3,"dimension":2,"steps":1,"log_likelihood_bits":0,"posterior_bits":[0,0,0]})")
                .error()
                .message,
            "filter snapshot posterior does not sum to 1");
}

TEST(ForwardFilter, MissingObservationsOnlyPredictAndBadSizesThrow) {
  const auto model = std::make_shared<const GaussianHmm>(three_state_1d());
  ForwardFilter f(model);
  EXPECT_TRUE(same_bits(f.posterior(), model->start));
  f.update(Eigen::VectorXd::Constant(1, 3.0));
  const Eigen::VectorXd before = f.posterior();
  const Eigen::VectorXd& p = f.update(Eigen::VectorXd::Constant(1, std::numeric_limits<double>::quiet_NaN()));
  const Eigen::VectorXd expected = model->transition.transpose() * before;
  EXPECT_NEAR((p - expected).cwiseAbs().maxCoeff(), 0.0, 1e-15);
  EXPECT_EQ(f.steps(), 2);
  EXPECT_THROW(f.update(Eigen::VectorXd::Zero(2)), std::invalid_argument);

  GaussianHmm bad = three_state_1d();
  bad.covariances[1](0, 0) = -1;
  EXPECT_EQ(ForwardFilter::make(std::make_shared<const GaussianHmm>(bad)).error().message,
            "state 1 covariance is not positive definite");
  EXPECT_THROW(ForwardFilter(std::make_shared<const GaussianHmm>(bad)), std::invalid_argument);
}

}  // namespace
}  // namespace tp::hmm
