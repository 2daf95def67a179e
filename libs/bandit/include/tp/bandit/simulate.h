// A synthetic linear contextual bandit and a simulation of LinTs on it, to
// check the algorithm and tune v (`paramctl simulate`).
//
//   tp::bandit::SimulationOptions opt;           // 8 arms, d = 6, 10,000 rounds
//   opt.model.v = 0.5;
//   auto report = tp::bandit::simulate(opt);
//   std::cout << tp::bandit::simulation_to_json(*report, 2);
//
// Environment (all from `seed`, three independent streams, so runs with
// different v see the same contexts and the same noise):
//   theta*_k ~ N(0, I_d / d) per arm;
//   x_t: d-1 independent N(0, 1) features and a last constant 1 (the bias;
//        d = 1: x_t = 1), i.e. already standardised;
//   reward r = x_t' theta*_k + noise * N(0, 1).
// The bandit is the real LinTs (lin_ts.h) with the given options; each round
// it selects with x_t, then learns the reward at once.
// Regret (pseudo-regret, no noise): per round max_k x_t'theta*_k minus the
// expected reward of the arm played. "random" is the expected regret of
// uniform random play on the same contexts: max_k mu_k - mean_k mu_k. The
// oracle's regret is 0 by definition.
// Deterministic under the seed. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tp/bandit/lin_ts.h"
#include "tp/bandit/random.h"
#include "tp/core/error.h"

namespace tp::bandit {

struct EnvironmentOptions {
  int arms = 8;        // >= 2
  int dimension = 6;   // 1..kMaxDimension, the bias included
  double noise = 0.5;  // reward noise standard deviation, >= 0
  uint64_t seed = 1;
  [[nodiscard]] Status validate() const;
};

class LinearEnvironment {
 public:
  [[nodiscard]] static Result<LinearEnvironment> create(const EnvironmentOptions& options);
  const EnvironmentOptions& options() const { return options_; }
  // K x d, row k = theta*_k.
  const Eigen::MatrixXd& theta() const { return theta_; }
  // Draws the next context (size d).
  void next_context(std::span<double> x);
  // x' theta*_k.
  double expected(int k, std::span<const double> x) const;
  // expected(k, x) + noise * N(0, 1) (one normal per call).
  double reward(int k, std::span<const double> x);

 private:
  explicit LinearEnvironment(const EnvironmentOptions& options);
  EnvironmentOptions options_;
  Eigen::MatrixXd theta_;
  Rng contexts_, noise_;
};

struct SimulationOptions {
  EnvironmentOptions environment;
  LinTsOptions model;        // model.dimension is set from the environment
  int64_t rounds = 10'000;   // >= 2
  int checkpoints = 10;      // regret is reported at rounds T c / checkpoints
  [[nodiscard]] Status validate() const;
};

struct RegretPoint {
  int64_t round = 0;
  double regret = 0;         // LinTS, cumulative
  double random_regret = 0;  // uniform random, cumulative (expected)
  double ratio = 0;          // regret / random_regret
};

struct SimulationReport {
  SimulationOptions options;  // as run (model.dimension filled in)
  std::vector<RegretPoint> points;
  double first_half_regret = 0;   // rounds 1..T/2
  double second_half_regret = 0;  // rounds T/2+1..T
  std::vector<int64_t> pulls;     // per arm
  std::vector<int64_t> best;      // per arm: rounds in which it was the best arm
};

Result<SimulationReport> simulate(const SimulationOptions& options);

// {"arms","dimension","rounds","seed","noise","v","lambda","decay","v_min",
//  "reward_clip" (null = none),"reward_scale",
//  "checkpoints":[{"round","regret","random_regret","ratio"}],
//  "final":{"regret","random_regret","ratio","first_half_regret",
//           "second_half_regret","second_to_first_half"},
//  "pulls":[..],"best":[..]}
std::string simulation_to_json(const SimulationReport& report, int indent = -1);

}  // namespace tp::bandit
