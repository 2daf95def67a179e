#include "tp/bandit/simulate.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace tp::bandit {

Status EnvironmentOptions::validate() const {
  if (arms < 2) return make_error(ErrorCode::kInvalidArgument, "arms must be >= 2, got " + std::to_string(arms));
  if (dimension < 1 || dimension > kMaxDimension)
    return make_error(ErrorCode::kInvalidArgument, "dimension must be in [1, " +
                                                       std::to_string(kMaxDimension) + "], got " +
                                                       std::to_string(dimension));
  if (!(std::isfinite(noise) && noise >= 0))
    return make_error(ErrorCode::kInvalidArgument, "noise must be finite and >= 0");
  return ok();
}

LinearEnvironment::LinearEnvironment(const EnvironmentOptions& options)
    : options_(options),
      theta_(options.arms, options.dimension),
      contexts_(mix_seed(options.seed, 1)),
      noise_(mix_seed(options.seed, 2)) {
  Rng rng(mix_seed(options.seed, 0));
  const double scale = 1.0 / std::sqrt(static_cast<double>(options.dimension));
  for (int k = 0; k < options.arms; ++k)
    for (int j = 0; j < options.dimension; ++j) theta_(k, j) = scale * rng.normal();
}

Result<LinearEnvironment> LinearEnvironment::create(const EnvironmentOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  return LinearEnvironment(options);
}

void LinearEnvironment::next_context(std::span<double> x) {
  const int d = options_.dimension;
  for (int j = 0; j + 1 < d; ++j) x[static_cast<size_t>(j)] = contexts_.normal();
  x[static_cast<size_t>(d - 1)] = 1.0;
}

double LinearEnvironment::expected(int k, std::span<const double> x) const {
  double s = 0;
  for (int j = 0; j < options_.dimension; ++j) s += x[static_cast<size_t>(j)] * theta_(k, j);
  return s;
}

double LinearEnvironment::reward(int k, std::span<const double> x) {
  const double e = expected(k, x);
  return e + options_.noise * noise_.normal();
}

Status SimulationOptions::validate() const {
  if (auto s = environment.validate(); !s) return s;
  LinTsOptions m = model;
  m.dimension = environment.dimension;
  if (auto s = m.validate(); !s) return s;
  if (rounds < 2) return make_error(ErrorCode::kInvalidArgument, "rounds must be >= 2");
  if (checkpoints < 1 || checkpoints > rounds)
    return make_error(ErrorCode::kInvalidArgument, "checkpoints must be in [1, rounds]");
  return ok();
}

Result<SimulationReport> simulate(const SimulationOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  SimulationReport report;
  report.options = options;
  report.options.model.dimension = options.environment.dimension;
  auto env = LinearEnvironment::create(options.environment);
  if (!env) return std::unexpected(env.error());
  auto model = LinTs::create(report.options.model);
  if (!model) return std::unexpected(model.error());
  const int K = options.environment.arms, d = options.environment.dimension;
  for (int k = 0; k < K; ++k) model->add_arm("arm" + std::to_string(k));
  Rng rng(mix_seed(options.environment.seed, 3));
  report.pulls.assign(static_cast<size_t>(K), 0);
  report.best.assign(static_cast<size_t>(K), 0);

  std::vector<double> x(static_cast<size_t>(d)), mu(static_cast<size_t>(K));
  double regret = 0, random_regret = 0;
  const int64_t T = options.rounds;
  int next_point = 1;
  for (int64_t t = 1; t <= T; ++t) {
    env->next_context(x);
    int best = 0;
    double sum = 0;
    for (int k = 0; k < K; ++k) {
      mu[static_cast<size_t>(k)] = env->expected(k, x);
      sum += mu[static_cast<size_t>(k)];
      if (mu[static_cast<size_t>(k)] > mu[static_cast<size_t>(best)]) best = k;
    }
    const Pick pick = model->select(x, rng);
    const double r = env->reward(pick.arm, x);
    if (auto s = model->learn(pick.arm, x, r); !s) return std::unexpected(s.error());
    const double step = mu[static_cast<size_t>(best)] - mu[static_cast<size_t>(pick.arm)];
    regret += step;
    random_regret += mu[static_cast<size_t>(best)] - sum / K;
    if (t <= T / 2) report.first_half_regret += step;
    else report.second_half_regret += step;
    report.pulls[static_cast<size_t>(pick.arm)]++;
    report.best[static_cast<size_t>(best)]++;
    while (next_point <= options.checkpoints && t == T * next_point / options.checkpoints) {
      report.points.push_back({t, regret, random_regret, random_regret > 0 ? regret / random_regret : 0});
      ++next_point;
    }
  }
  return report;
}

std::string simulation_to_json(const SimulationReport& r, int indent) {
  const auto& o = r.options;
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points)
    points.push_back({{"round", p.round}, {"regret", p.regret}, {"random_regret", p.random_regret},
                      {"ratio", p.ratio}});
  nlohmann::json final = nlohmann::json::object();
  if (!r.points.empty()) {
    const auto& last = r.points.back();
    final = {{"regret", last.regret},
             {"random_regret", last.random_regret},
             {"ratio", last.ratio},
             {"first_half_regret", r.first_half_regret},
             {"second_half_regret", r.second_half_regret},
             {"second_to_first_half", r.first_half_regret > 0
                                          ? r.second_half_regret / r.first_half_regret
                                          : 0.0}};
  }
  nlohmann::json doc = {
      {"arms", o.environment.arms},
      {"dimension", o.environment.dimension},
      {"rounds", o.rounds},
      {"seed", o.environment.seed},
      {"noise", o.environment.noise},
      {"v", o.model.v},
      {"lambda", o.model.lambda},
      {"decay", o.model.decay},
      {"v_min", o.model.v_min},
      {"reward_clip", std::isfinite(o.model.reward_clip) ? nlohmann::json(o.model.reward_clip)
                                                         : nlohmann::json(nullptr)},
      {"reward_scale", o.model.reward_scale},
      {"checkpoints", std::move(points)},
      {"final", std::move(final)},
      {"pulls", r.pulls},
      {"best", r.best}};
  return doc.dump(indent < 0 ? -1 : indent);
}

}  // namespace tp::bandit
