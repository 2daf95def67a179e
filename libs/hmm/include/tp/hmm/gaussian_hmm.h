// Gaussian hidden Markov model: fitting (Baum-Welch), likelihood, forward
// filtering (batch and online), Viterbi and model selection.
//
//   auto x = tp::hmm::compute_features(bars, spec);                  // T x D
//   tp::hmm::FitOptions opt;                                         // 3 states, full covariance
//   auto fitted = tp::hmm::fit(x->values, opt);
//   if (!fitted) return fitted.error();                              // kInvalidArgument, clear text
//   auto posteriors = tp::hmm::filter_posteriors(fitted->model, x->values);  // T x K, causal
//
//   auto model = std::make_shared<const tp::hmm::GaussianHmm>(fitted->model);
//   tp::hmm::ForwardFilter live(model);
//   const Eigen::VectorXd& p = live.update(observation);             // p(state_t | x_1..x_t)
//
// The algorithm, its numerics and the canonical state order are described in
// docs/services/regime-hmm.md. Everything here is deterministic: the same
// observations and options give the same model bit for bit.
// Thread-safety: free functions are reentrant; a ForwardFilter is not shared.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tp/core/error.h"

namespace tp::hmm {

enum class CovarianceType { kFull, kDiagonal };

// "full" / "diagonal".
std::string_view to_string(CovarianceType type);
Result<CovarianceType> parse_covariance_type(std::string_view text);

struct GaussianHmm {
  CovarianceType covariance = CovarianceType::kFull;
  Eigen::VectorXd start;                    // K, p(state_1)
  Eigen::MatrixXd transition;               // K x K, row i = p(state_{t+1} | state_t = i)
  std::vector<Eigen::VectorXd> means;       // K vectors of size D
  std::vector<Eigen::MatrixXd> covariances; // K symmetric positive-definite D x D

  int states() const { return static_cast<int>(start.size()); }
  int dimension() const { return means.empty() ? 0 : static_cast<int>(means.front().size()); }
  // Shapes, finiteness, probabilities (non-negative, rows sum to 1 within
  // 1e-9), symmetric positive-definite covariances, exact zero off-diagonals
  // for kDiagonal. kInvalidArgument with the offending field otherwise.
  [[nodiscard]] Status validate() const;
  // (K-1) + K(K-1) + K*D + K*D(D+1)/2 (full) or K*D (diagonal).
  int64_t free_parameters() const;
};

int64_t free_parameters(int states, int dimension, CovarianceType type);

struct FitOptions {
  int states = 3;
  CovarianceType covariance = CovarianceType::kFull;
  // Total EM iterations (M-steps) of the winning restart, including the
  // restart_iterations it got in the first phase.
  int max_iterations = 300;
  // Converged when the total log-likelihood (nats, summed over all T
  // observations, not per observation) improves by less than this.
  double tolerance = 1e-4;
  // Restart strategy: every restart runs at most restart_iterations EM
  // iterations (or fewer if it converges); only the one with the best
  // log-likelihood then continues up to max_iterations. With restarts == 1
  // the single run gets the whole budget. (Defaults: a 3-state fit on 30k
  // one-minute bars takes about 0.4 s of one core; docs/services/regime-hmm.md.)
  int restarts = 8;
  int restart_iterations = 10;
  // Restart i starts from k-means++ seeded with derive_seed(seed, i).
  uint64_t seed = 1;
  // Relative covariance floor: every state covariance satisfies
  // Sigma_k >= diag(f_d) (Loewner order) with f_d = covariance_floor^2 * Var(x_d)
  // over all observations, i.e. no state's standard deviation along a feature
  // falls below covariance_floor times that feature's overall one. Applied as
  // the exact constrained M-step every iteration.
  double covariance_floor = 1e-3;
  // Dirichlet pseudocount added to every expected transition count and to the
  // expected start counts (MAP-EM), so a state that is never left or never
  // entered keeps a valid row and no probability becomes exactly 0.
  double transition_pseudocount = 1e-2;
  // Column whose state means define the canonical state order (labels.h);
  // pass label_column(spec) so the order follows the column labels use.
  int order_column = 0;

  [[nodiscard]] Status validate() const;
};

// splitmix64 of (seed, restart): the seed restart `restart` uses.
uint64_t derive_seed(uint64_t seed, int restart);

enum class StopReason { kConverged, kIterationCap };
std::string_view to_string(StopReason reason);  // "converged" / "iteration_cap"

struct FitReport {
  double log_likelihood = 0;  // of the returned model on the training observations
  int64_t observations = 0;
  int iterations = 0;         // M-steps of the winning restart
  StopReason stop = StopReason::kIterationCap;
  // Winning restart: entry i is the log-likelihood after i M-steps (entry 0 =
  // the k-means++ initialisation), so size() == iterations + 1.
  std::vector<double> log_likelihood_trace;
  // The same for the penalised objective that MAP-EM provably never
  // decreases: log-likelihood + pseudocount * (sum ln transition + sum ln start).
  std::vector<double> objective_trace;
  // Per restart, the log-likelihood at the end of its first phase.
  std::vector<double> restart_log_likelihoods;
  int best_restart = 0;
};

struct FitResult {
  GaussianHmm model;  // in canonical state order (labels.h)
  FitReport report;
};

// Baum-Welch with k-means++ restarts. Errors (kInvalidArgument): invalid
// options, empty or non-finite observations ("observation row <t>, column <d>
// is not finite"), a constant column, or too few observations for the
// model ("need more than <p> (its free parameters)").
Result<FitResult> fit(const Eigen::MatrixXd& observations, const FitOptions& options);

// Total log-likelihood ln p(x_1..x_T) (nats).
Result<double> log_likelihood(const GaussianHmm& model, const Eigen::MatrixXd& observations);
// T x K, row t = p(state_t | x_1..x_t): causal, every row sums to 1.
Result<Eigen::MatrixXd> filter_posteriors(const GaussianHmm& model, const Eigen::MatrixXd& observations);
// T x K smoothed p(state_t | x_1..x_T) (uses the future: for analysis only).
Result<Eigen::MatrixXd> smooth_posteriors(const GaussianHmm& model, const Eigen::MatrixXd& observations);
// Most likely state path (ties resolved to the lower state index).
Result<std::vector<int>> viterbi(const GaussianHmm& model, const Eigen::MatrixXd& observations);

// Bayesian information criterion -2 LL + p ln n (lower is better).
double bic(double log_likelihood, int64_t free_parameters, int64_t observations);

// Online forward filter. Per update: O(K^2) prediction + O(K D^2) emissions
// (per-state Cholesky factors and log-normalisers are precomputed), no heap
// allocation. The numbers are bit-identical to filter_posteriors.
class ForwardFilter {
 public:
  // Precondition: model->validate() succeeds (throws std::invalid_argument
  // with its message otherwise; use make() for a Result).
  explicit ForwardFilter(std::shared_ptr<const GaussianHmm> model);
  static Result<ForwardFilter> make(std::shared_ptr<const GaussianHmm> model);

  // Folds in one observation (size D; throws std::invalid_argument otherwise).
  // A non-finite observation is treated as missing: prediction only.
  const Eigen::VectorXd& update(const Eigen::VectorXd& observation);
  // A missing observation: posterior <- transition^T posterior (before the
  // first observation: posterior <- start).
  const Eigen::VectorXd& predict();
  // p(state_t | x_1..x_t); the start distribution before any update.
  const Eigen::VectorXd& posterior() const { return posterior_; }
  int64_t steps() const { return steps_; }
  // ln p(x_1..x_t), the running total.
  double log_likelihood() const { return log_likelihood_; }
  const GaussianHmm& model() const { return *model_; }

  // Exact state (doubles as bit patterns). restore() refuses a snapshot of a
  // filter with a different state count (kFailedPrecondition) or a corrupt one
  // (kDataLoss), leaving the filter untouched.
  std::string snapshot() const;
  [[nodiscard]] Status restore(std::string_view snapshot);

 private:
  std::shared_ptr<const GaussianHmm> model_;
  std::vector<double> emission_;  // per state: mean, packed Cholesky rows (src/internal.h)
  Eigen::VectorXd log_normaliser_;
  Eigen::VectorXd posterior_, predicted_, log_density_, scratch_;
  int64_t steps_ = 0;
  double log_likelihood_ = 0;
};

// Model selection: for each candidate K, fit on `train` (options with
// states = K), score ln p(validation) under that model from its start
// distribution (held-out data only), and the BIC on the training fit.
struct SelectionCandidate {
  int states = 0;
  double train_log_likelihood = 0;
  double validation_log_likelihood = 0;
  double bic = 0;
  int64_t free_parameters = 0;
};
Result<std::vector<SelectionCandidate>> select_states(const Eigen::MatrixXd& train,
                                                      const Eigen::MatrixXd& validation,
                                                      std::span<const int> candidate_states,
                                                      const FitOptions& options);

}  // namespace tp::hmm
