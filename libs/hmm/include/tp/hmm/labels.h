// Regime labels for fitted HMM states, and the canonical state order.
//
//   auto labels = tp::hmm::label_states(fitted.model, spec);     // e.g. {BEAR, CHOP, BULL}
//   if (!labels) return labels.error();                           // spec without logret
//   tp::hmm::RegimeProbabilities p = tp::hmm::regime_probabilities(filter.posterior(), *labels);
//   std::string_view name = tp::hmm::to_string(tp::hmm::most_likely(p));   // "BULL"
//
// Labelling rule (docs/services/regime-hmm.md). The label column c is the
// trend feature when the spec has one, else logret. Each state k gets
//   s_k = mu_k[c] / sqrt(Sigma_k[c,c])      (the state's Sharpe ratio on c)
// K >= 3: the highest s_k is BULL, the lowest BEAR, every other state CHOP.
// K == 2: with t_k = s_k * sqrt(1 / (1 - A_kk)) (s_k scaled to one expected
//   visit of the state), the higher-scoring state is BULL if t_k > kTwoStateMinT,
//   the lower-scoring BEAR if t_k < -kTwoStateMinT; otherwise CHOP.
// K == 1, or all scores equal: CHOP. Exact ties go to the lower state index.
// Why the trend column wins: per-bar drift is ~1/100 of per-bar volatility on
// 1m bars, so the logret mean of a state is mostly noise and a logret,rvol
// model's states are volatility regimes; a trend (N-bar return) state mean
// is the direction itself.
//
// Canonical order (applied by fit): states sorted by the mean of column
// `order_column` ascending, then by that column's variance ascending, then by
// the remaining parameters lexicographically (means, covariances, start,
// self-transition), then by the original index. It depends on the parameters
// only, never on which restart or EM labelling produced them. Set
// FitOptions::order_column = label_column(spec) to sort by the label column.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tp/core/error.h"
#include "tp/hmm/features.h"
#include "tp/hmm/gaussian_hmm.h"

namespace tp::hmm {

enum class Regime { kBull, kBear, kChop };

std::string_view to_string(Regime regime);  // "BULL" / "BEAR" / "CHOP"
Result<Regime> parse_regime(std::string_view text);

// |t| a state of a 2-state model needs to be called BULL or BEAR.
inline constexpr double kTwoStateMinT = 1.0;

// The column labels are computed from: trend if present, else logret, else -1.
int label_column(const FeatureSpec& spec);

// Per-state score s_k = mu_k / sigma_k on the label column.
Result<std::vector<double>> state_scores(const GaussianHmm& model, const FeatureSpec& spec);

// Errors (kInvalidArgument): "labelling needs a return feature (logret or
// trend), the spec has <names>", or the spec's dimension differs from the model's.
Result<std::vector<Regime>> label_states(const GaussianHmm& model, const FeatureSpec& spec);

struct RegimeProbabilities {
  double bull = 0, bear = 0, chop = 0;
};

// Sums the state posterior (size K) by label (size K).
RegimeProbabilities regime_probabilities(const Eigen::VectorXd& posterior, std::span<const Regime> labels);

// argmax; ties resolved CHOP, BULL, BEAR (as the ewma-v1 model does).
Regime most_likely(const RegimeProbabilities& p);

// order[i] = the index (in `model`) of the state that goes to position i.
std::vector<int> canonical_order(const GaussianHmm& model, int order_column = 0);
// The same model with its states renumbered: new state i = old state order[i].
GaussianHmm permute_states(const GaussianHmm& model, std::span<const int> order);

}  // namespace tp::hmm
