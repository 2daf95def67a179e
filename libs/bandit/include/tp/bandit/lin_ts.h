// Linear Thompson Sampling (Agrawal & Goyal, "Thompson Sampling for
// Contextual Bandits with Linear Payoffs", ICML 2013), one disjoint linear
// model per arm.
//
//   tp::bandit::LinTsOptions opt;
//   opt.dimension = 6;                       // features, the bias included
//   opt.v = 0.5;                             // posterior scale (~ reward noise)
//   auto model = tp::bandit::LinTs::create(opt);
//   if (!model) return model.error();        // kInvalidArgument, clear text
//   model->add_arm("fast");
//   model->add_arm("slow");
//   tp::bandit::Rng rng(seed);
//   tp::bandit::Pick pick = model->select(x, rng);   // pick.arm, pick.score = x'theta
//   ...
//   (void)model->learn(pick.arm, x, reward);  // later, with the x of the decision
//   std::string snap = model->snapshot();      // exact: doubles as bit patterns
//   auto same = tp::bandit::LinTs::restore(snap, opt);
//
// Model of arm k (d = dimension, n_k rewards learned):
//   B_k = lambda I + sum_i x_i x_i'      f_k = sum_i r_i x_i      mean_k = B_k^-1 f_k
//   theta_k ~ N(mean_k, v_n^2 B_k^-1)    play argmax_k x' theta_k (lowest index on ties)
// where r = reward_scale * clamp(reward, -reward_clip, reward_clip) and the
// exploration scale decays with the rewards n learned by the whole model:
//   v_n = max(v_min, v / sqrt(1 + n / decay))     (decay = 0: v_n = v)
// An arm with no data samples its prior N(0, v_n^2 / lambda I): a cold start
// is a valid posterior sample, not a special case.
//
// Numerics: every arm keeps B (for inspection and the closed-form check), its
// lower Cholesky factor L (B = L L'), maintained by an O(d^2) rank-one update
// (never re-inverted), and y = L^-1 f (forward substitution after each
// learn). A sample is theta = L^-T (y + v_n z) with z ~ N(0, I_d), one back
// substitution: E theta = L^-T L^-1 f = B^-1 f and Cov theta = v_n^2 (L L')^-1
// = v_n^2 B^-1. No inverse is formed anywhere on the select/learn path.
// Cost per select: O(K d^2) flops and K d normals, no heap allocation.
//
// Determinism: own generator and normal sampler (random.h), scalar loops in a
// fixed order, no FMA contraction (-ffp-contract=off): the same options,
// seed and learn sequence give the same bits everywhere. snapshot()/restore()
// round-trip every double exactly.
//
// Thread-safety: const methods are reentrant (select uses stack scratch);
// add_arm/learn need exclusive access.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tp/bandit/random.h"
#include "tp/core/error.h"

namespace tp::bandit {

inline constexpr int kMaxDimension = 64;

struct LinTsOptions {
  int dimension = 0;  // 1..kMaxDimension
  // Posterior scale v (> 0). With v equal to the reward noise standard
  // deviation (after scaling) the sample is the Bayesian posterior of a
  // Gaussian linear model with prior N(0, v^2/lambda I).
  double v = 1.0;
  double lambda = 1.0;  // prior precision (> 0): B starts at lambda I
  // Rewards are clipped to [-reward_clip, reward_clip] (> 0; inf = none),
  // then multiplied by reward_scale (> 0).
  double reward_clip = std::numeric_limits<double>::infinity();
  double reward_scale = 1.0;
  double decay = 0.0;  // >= 0, in rewards; 0 = no decay
  double v_min = 0.0;  // 0 <= v_min <= v
  [[nodiscard]] Status validate() const;
};

// One arm's statistics. Triangles are packed row by row: element (i, j),
// j <= i, is at i (i + 1) / 2 + j.
struct ArmStats {
  std::string id;
  uint64_t rewards = 0;    // n_k
  double reward_sum = 0;   // sum of r (clipped, scaled)
  std::vector<double> b;   // lower triangle of B
  std::vector<double> l;   // Cholesky factor L (lower)
  std::vector<double> f;   // d
  std::vector<double> y;   // L^-1 f (derived; recomputed on restore)
};

struct Pick {
  int arm = -1;
  double score = 0;  // x' theta of the chosen arm's sample
};

class LinTs {
 public:
  [[nodiscard]] static Result<LinTs> create(const LinTsOptions& options);

  const LinTsOptions& options() const { return options_; }
  int dimension() const { return options_.dimension; }
  // Adds an arm with no data (prior only) and returns its index; an existing
  // id returns its index unchanged.
  int add_arm(std::string id);
  // Index of `id`, or -1.
  int find_arm(std::string_view id) const;
  int arms() const { return static_cast<int>(arms_.size()); }
  const ArmStats& arm(int k) const { return arms_.at(static_cast<size_t>(k)); }
  uint64_t rewards_learned() const { return rewards_; }
  // v_n, the exploration scale now.
  double exploration() const;

  // x' theta with theta drawn from arm k's posterior; k = -1 samples the
  // prior (an arm with no data). Draws exactly d normals. Optionally returns
  // theta (size d). Precondition: x.size() == dimension().
  double sample_score(int k, std::span<const double> x, Rng& rng,
                      std::span<double> theta = {}) const;
  // Samples every arm in index order (or the candidates in the given order;
  // -1 entries are prior-only arms) and returns the argmax (first on ties).
  // arm = -1 when there is nothing to choose from.
  Pick select(std::span<const double> x, Rng& rng) const;
  Pick select(std::span<const double> x, Rng& rng, std::span<const int> candidates,
              std::vector<double>* scores = nullptr) const;

  // Folds in one reward of arm k under context x (the x its decision used).
  // kInvalidArgument for a bad arm, size or a non-finite value.
  [[nodiscard]] Status learn(int k, std::span<const double> x, double reward);

  // The reward as the model sees it: scale * clamp(reward).
  double transform_reward(double reward) const;

  // Posterior summaries (inspection; not on the hot path).
  Eigen::VectorXd mean(int k) const;    // B^-1 f (two triangular solves)
  Eigen::VectorXd stddev(int k) const;  // v_n sqrt(diag B^-1)
  double mean_score(int k, std::span<const double> x) const;  // x' B^-1 f
  Eigen::MatrixXd b_matrix(int k) const;  // d x d, symmetric
  Eigen::MatrixXd l_matrix(int k) const;  // d x d, lower
  Eigen::VectorXd f_vector(int k) const;

  // Exact state: {"format":"tp.bandit.lints","version":1,"dimension":d,
  // "lambda":hex,"reward_scale":hex,"rewards":n,"arms":[{"id","rewards",
  // "reward_sum","b","l","f"}]}, doubles as 16 hex digits of their bits
  // (arrays concatenated).
  std::string snapshot() const;
  // Restores with the given (current) options. kDataLoss for a corrupt
  // snapshot, kFailedPrecondition for another dimension. When lambda or
  // reward_scale differ from the snapshot's, the state is carried over in
  // closed form: B += (lambda' - lambda) I (L re-factorised), f and
  // reward_sum *= reward_scale' / reward_scale.
  [[nodiscard]] static Result<LinTs> restore(std::string_view snapshot, const LinTsOptions& options);

 private:
  explicit LinTs(const LinTsOptions& options) : options_(options) {}
  void refresh_y(ArmStats& arm) const;
  [[nodiscard]] Status refactor(ArmStats& arm) const;

  LinTsOptions options_;
  std::vector<ArmStats> arms_;
  uint64_t rewards_ = 0;
};

}  // namespace tp::bandit
