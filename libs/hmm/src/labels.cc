#include "tp/hmm/labels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tp::hmm {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

std::string_view to_string(Regime regime) {
  switch (regime) {
    case Regime::kBull: return "BULL";
    case Regime::kBear: return "BEAR";
    case Regime::kChop: return "CHOP";
  }
  return "CHOP";
}

Result<Regime> parse_regime(std::string_view text) {
  if (text == "BULL") return Regime::kBull;
  if (text == "BEAR") return Regime::kBear;
  if (text == "CHOP") return Regime::kChop;
  return make_error(ErrorCode::kInvalidArgument, "unknown regime '" + std::string(text) + "' (known: BULL, BEAR, CHOP)");
}

int label_column(const FeatureSpec& spec) {
  const int trend = spec.column(Feature::kTrend);
  return trend >= 0 ? trend : spec.column(Feature::kLogReturn);
}

Result<std::vector<double>> state_scores(const GaussianHmm& model, const FeatureSpec& spec) {
  const int c = label_column(spec);
  if (c < 0)
    return make_error(ErrorCode::kInvalidArgument,
                      "labelling needs a return feature (logret or trend), the spec has " + spec.names());
  if (spec.dimension() != model.dimension())
    return make_error(ErrorCode::kInvalidArgument, "feature spec " + spec.names() + " has dimension " +
                                                       std::to_string(spec.dimension()) + ", the model " +
                                                       std::to_string(model.dimension()));
  std::vector<double> scores;
  for (int k = 0; k < model.states(); ++k) {
    const double mu = model.means[static_cast<size_t>(k)][c];
    const double sd = std::sqrt(model.covariances[static_cast<size_t>(k)](c, c));
    scores.push_back(sd > 0 ? mu / sd : 0.0);
  }
  return scores;
}

Result<std::vector<Regime>> label_states(const GaussianHmm& model, const FeatureSpec& spec) {
  auto scores = state_scores(model, spec);
  if (!scores) return std::unexpected(scores.error());
  const int K = model.states();
  std::vector<Regime> labels(static_cast<size_t>(K), Regime::kChop);
  if (K < 2) return labels;
  // Highest and lowest score; exact ties go to the lower index.
  int hi = 0, lo = 0;
  for (int k = 1; k < K; ++k) {
    if ((*scores)[static_cast<size_t>(k)] > (*scores)[static_cast<size_t>(hi)]) hi = k;
    if ((*scores)[static_cast<size_t>(k)] < (*scores)[static_cast<size_t>(lo)]) lo = k;
  }
  if (hi == lo) return labels;  // every score equal: nothing to tell apart
  if (K == 2) {
    auto t_stat = [&](int k) {
      const double score = (*scores)[static_cast<size_t>(k)];
      if (score == 0) return 0.0;
      const double leave = 1.0 - model.transition(k, k);
      if (!(leave > 0)) return score > 0 ? kInf : -kInf;  // never left: an infinite visit
      return score * std::sqrt(1.0 / leave);
    };
    if (t_stat(hi) > kTwoStateMinT) labels[static_cast<size_t>(hi)] = Regime::kBull;
    if (t_stat(lo) < -kTwoStateMinT) labels[static_cast<size_t>(lo)] = Regime::kBear;
    return labels;
  }
  labels[static_cast<size_t>(hi)] = Regime::kBull;
  labels[static_cast<size_t>(lo)] = Regime::kBear;
  return labels;
}

RegimeProbabilities regime_probabilities(const Eigen::VectorXd& posterior, std::span<const Regime> labels) {
  RegimeProbabilities p;
  const size_t n = std::min(static_cast<size_t>(posterior.size()), labels.size());
  for (size_t k = 0; k < n; ++k) {
    const double v = posterior[static_cast<Eigen::Index>(k)];
    switch (labels[k]) {
      case Regime::kBull: p.bull += v; break;
      case Regime::kBear: p.bear += v; break;
      case Regime::kChop: p.chop += v; break;
    }
  }
  return p;
}

Regime most_likely(const RegimeProbabilities& p) {
  if (p.chop >= p.bull && p.chop >= p.bear) return Regime::kChop;
  if (p.bull >= p.bear) return Regime::kBull;
  return Regime::kBear;
}

namespace {

// The parameters of state k as one key, compared lexicographically.
std::vector<double> state_key(const GaussianHmm& m, int k, int column) {
  const auto ks = static_cast<size_t>(k);
  const int D = m.dimension();
  std::vector<double> key;
  key.push_back(m.means[ks][column]);
  key.push_back(m.covariances[ks](column, column));
  for (int d = 0; d < D; ++d) key.push_back(m.means[ks][d]);
  for (int i = 0; i < D; ++i)
    for (int j = 0; j <= i; ++j) key.push_back(m.covariances[ks](i, j));
  key.push_back(m.start[k]);
  key.push_back(m.transition(k, k));
  return key;
}

}  // namespace

std::vector<int> canonical_order(const GaussianHmm& model, int order_column) {
  const int K = model.states();
  std::vector<int> order(static_cast<size_t>(K));
  std::iota(order.begin(), order.end(), 0);
  if (order_column < 0 || order_column >= model.dimension()) order_column = 0;
  std::vector<std::vector<double>> keys;
  for (int k = 0; k < K; ++k) keys.push_back(state_key(model, k, order_column));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return keys[static_cast<size_t>(a)] < keys[static_cast<size_t>(b)];
  });
  return order;
}

GaussianHmm permute_states(const GaussianHmm& model, std::span<const int> order) {
  const int K = model.states();
  GaussianHmm out;
  out.covariance = model.covariance;
  out.start.resize(K);
  out.transition.resize(K, K);
  for (int i = 0; i < K; ++i) {
    const int from = order[static_cast<size_t>(i)];
    out.start[i] = model.start[from];
    out.means.push_back(model.means[static_cast<size_t>(from)]);
    out.covariances.push_back(model.covariances[static_cast<size_t>(from)]);
    for (int j = 0; j < K; ++j) out.transition(i, j) = model.transition(from, order[static_cast<size_t>(j)]);
  }
  return out;
}

}  // namespace tp::hmm
