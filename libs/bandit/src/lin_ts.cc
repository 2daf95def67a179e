#include "tp/bandit/lin_ts.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "internal.h"

namespace tp::bandit {

using detail::tri;
using detail::tri_size;

namespace {

std::string fmt(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Lower-triangular solve L out = b (forward substitution), packed L.
void forward_solve(const double* l, const double* b, double* out, int d) {
  for (int i = 0; i < d; ++i) {
    const double* row = l + tri(i, 0);
    double s = b[i];
    for (int j = 0; j < i; ++j) s -= row[j] * out[j];
    out[i] = s / row[i];
  }
}

// Upper solve L' out = c (back substitution by columns of L', i.e. rows of
// L, so memory is read contiguously). `c` is overwritten.
void back_solve(const double* l, double* c, double* out, int d) {
  for (int i = d - 1; i >= 0; --i) {
    const double* row = l + tri(i, 0);
    const double t = c[i] / row[i];
    out[i] = t;
    for (int k = 0; k < i; ++k) c[k] -= row[k] * t;
  }
}

// Rank-one update of a packed lower Cholesky factor: L L' + w w' (w is
// consumed). Stable (no subtraction of squares).
void chol_update(double* l, double* w, int d) {
  for (int k = 0; k < d; ++k) {
    double& lkk = l[tri(k, k)];
    const double r = std::sqrt(lkk * lkk + w[k] * w[k]);
    const double c = r / lkk;
    const double s = w[k] / lkk;
    lkk = r;
    for (int i = k + 1; i < d; ++i) {
      double& lik = l[tri(i, k)];
      lik = (lik + s * w[i]) / c;
      w[i] = c * w[i] - s * lik;
    }
  }
}

}  // namespace

Status LinTsOptions::validate() const {
  if (dimension < 1 || dimension > kMaxDimension)
    return make_error(ErrorCode::kInvalidArgument, "dimension must be in [1, " +
                                                       std::to_string(kMaxDimension) + "], got " +
                                                       std::to_string(dimension));
  if (!(std::isfinite(v) && v > 0)) return make_error(ErrorCode::kInvalidArgument, "v must be finite and > 0, got " + fmt(v));
  if (!(std::isfinite(lambda) && lambda > 0))
    return make_error(ErrorCode::kInvalidArgument, "lambda must be finite and > 0, got " + fmt(lambda));
  if (!(reward_clip > 0)) return make_error(ErrorCode::kInvalidArgument, "reward_clip must be > 0, got " + fmt(reward_clip));
  if (!(std::isfinite(reward_scale) && reward_scale > 0))
    return make_error(ErrorCode::kInvalidArgument, "reward_scale must be finite and > 0, got " + fmt(reward_scale));
  if (!(std::isfinite(decay) && decay >= 0))
    return make_error(ErrorCode::kInvalidArgument, "decay must be finite and >= 0, got " + fmt(decay));
  if (!(std::isfinite(v_min) && v_min >= 0 && v_min <= v))
    return make_error(ErrorCode::kInvalidArgument, "v_min must be in [0, v], got " + fmt(v_min));
  return ok();
}

Result<LinTs> LinTs::create(const LinTsOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  return LinTs(options);
}

int LinTs::add_arm(std::string id) {
  if (int k = find_arm(id); k >= 0) return k;
  const int d = options_.dimension;
  ArmStats a;
  a.id = std::move(id);
  a.b.assign(tri_size(d), 0.0);
  a.l.assign(tri_size(d), 0.0);
  const double root = std::sqrt(options_.lambda);
  for (int i = 0; i < d; ++i) {
    a.b[tri(i, i)] = options_.lambda;
    a.l[tri(i, i)] = root;
  }
  a.f.assign(static_cast<size_t>(d), 0.0);
  a.y.assign(static_cast<size_t>(d), 0.0);
  arms_.push_back(std::move(a));
  return arms() - 1;
}

int LinTs::find_arm(std::string_view id) const {
  for (size_t k = 0; k < arms_.size(); ++k)
    if (arms_[k].id == id) return static_cast<int>(k);
  return -1;
}

double LinTs::exploration() const {
  double v = options_.v;
  if (options_.decay > 0) v = v / std::sqrt(1.0 + static_cast<double>(rewards_) / options_.decay);
  return std::max(v, options_.v_min);
}

double LinTs::transform_reward(double reward) const {
  const double c = options_.reward_clip;
  return options_.reward_scale * std::clamp(reward, -c, c);
}

double LinTs::sample_score(int k, std::span<const double> x, Rng& rng,
                           std::span<double> theta_out) const {
  const int d = options_.dimension;
  const double v = exploration();
  double theta[kMaxDimension], z[kMaxDimension];
  rng.normals(z, d);
  if (k < 0) {
    // Prior: theta = (v / sqrt(lambda)) z.
    const double scale = v / std::sqrt(options_.lambda);
    for (int i = 0; i < d; ++i) theta[i] = scale * z[i];
  } else {
    const ArmStats& a = arms_[static_cast<size_t>(k)];
    double c[kMaxDimension];
    for (int i = 0; i < d; ++i) c[i] = a.y[static_cast<size_t>(i)] + v * z[i];
    back_solve(a.l.data(), c, theta, d);  // theta = L^-T (y + v z)
  }
  double score = 0;
  for (int i = 0; i < d; ++i) score += x[static_cast<size_t>(i)] * theta[i];
  if (!theta_out.empty())
    for (int i = 0; i < d && i < static_cast<int>(theta_out.size()); ++i) theta_out[static_cast<size_t>(i)] = theta[i];
  return score;
}

Pick LinTs::select(std::span<const double> x, Rng& rng) const {
  Pick best;
  for (int k = 0; k < arms(); ++k) {
    const double s = sample_score(k, x, rng);
    if (best.arm < 0 || s > best.score) best = {k, s};
  }
  return best;
}

Pick LinTs::select(std::span<const double> x, Rng& rng, std::span<const int> candidates,
                   std::vector<double>* scores) const {
  Pick best;
  bool any = false;
  if (scores) scores->clear();
  for (int k : candidates) {
    const double s = sample_score(k, x, rng);
    if (scores) scores->push_back(s);
    if (!any || s > best.score) {
      best = {k, s};
      any = true;
    }
  }
  return best;
}

Status LinTs::learn(int k, std::span<const double> x, double reward) {
  const int d = options_.dimension;
  if (k < 0 || k >= arms()) return make_error(ErrorCode::kInvalidArgument, "no arm " + std::to_string(k));
  if (static_cast<int>(x.size()) != d)
    return make_error(ErrorCode::kInvalidArgument, "context has " + std::to_string(x.size()) +
                                                       " values, the model " + std::to_string(d));
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      return make_error(ErrorCode::kInvalidArgument, "context value " + std::to_string(i) + " is not finite");
  if (std::isnan(reward)) return make_error(ErrorCode::kInvalidArgument, "reward is NaN");
  const double r = transform_reward(reward);
  if (!std::isfinite(r)) return make_error(ErrorCode::kInvalidArgument, "reward is not finite after clipping");
  ArmStats& a = arms_[static_cast<size_t>(k)];
  for (int i = 0; i < d; ++i) {
    const double xi = x[static_cast<size_t>(i)];
    for (int j = 0; j <= i; ++j) a.b[tri(i, j)] += xi * x[static_cast<size_t>(j)];
    a.f[static_cast<size_t>(i)] += r * xi;
  }
  double w[kMaxDimension];
  for (int i = 0; i < d; ++i) w[i] = x[static_cast<size_t>(i)];
  chol_update(a.l.data(), w, d);
  refresh_y(a);
  a.rewards++;
  a.reward_sum += r;
  rewards_++;
  return ok();
}

void LinTs::refresh_y(ArmStats& a) const {
  forward_solve(a.l.data(), a.f.data(), a.y.data(), options_.dimension);
}

Status LinTs::refactor(ArmStats& a) const {
  // Plain Cholesky of the packed B (only after a restore with another lambda).
  const int d = options_.dimension;
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j <= i; ++j) {
      double s = a.b[tri(i, j)];
      for (int k = 0; k < j; ++k) s -= a.l[tri(i, k)] * a.l[tri(j, k)];
      if (i == j) {
        if (!(s > 0)) return make_error(ErrorCode::kDataLoss, "arm " + a.id + ": B is not positive definite");
        a.l[tri(i, i)] = std::sqrt(s);
      } else {
        a.l[tri(i, j)] = s / a.l[tri(j, j)];
      }
    }
  }
  return ok();
}

Eigen::VectorXd LinTs::mean(int k) const {
  const int d = options_.dimension;
  const ArmStats& a = arm(k);
  double c[kMaxDimension];
  for (int i = 0; i < d; ++i) c[i] = a.y[static_cast<size_t>(i)];
  Eigen::VectorXd out(d);
  back_solve(a.l.data(), c, out.data(), d);
  return out;
}

Eigen::VectorXd LinTs::stddev(int k) const {
  // diag(B^-1)_i = || L^-1 e_i ||^2: one forward solve per column.
  const int d = options_.dimension;
  const ArmStats& a = arm(k);
  Eigen::VectorXd out(d);
  double e[kMaxDimension], col[kMaxDimension];
  const double v = exploration();
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) e[j] = j == i ? 1.0 : 0.0;
    forward_solve(a.l.data(), e, col, d);
    double s = 0;
    for (int j = 0; j < d; ++j) s += col[j] * col[j];
    out[i] = v * std::sqrt(s);
  }
  return out;
}

double LinTs::mean_score(int k, std::span<const double> x) const {
  Eigen::VectorXd m = mean(k);
  double s = 0;
  for (int i = 0; i < dimension(); ++i) s += x[static_cast<size_t>(i)] * m[i];
  return s;
}

Eigen::MatrixXd LinTs::b_matrix(int k) const {
  const int d = options_.dimension;
  const ArmStats& a = arm(k);
  Eigen::MatrixXd m(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) m(i, j) = m(j, i) = a.b[tri(i, j)];
  return m;
}

Eigen::MatrixXd LinTs::l_matrix(int k) const {
  const int d = options_.dimension;
  const ArmStats& a = arm(k);
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) m(i, j) = a.l[tri(i, j)];
  return m;
}

Eigen::VectorXd LinTs::f_vector(int k) const {
  const ArmStats& a = arm(k);
  return Eigen::Map<const Eigen::VectorXd>(a.f.data(), static_cast<Eigen::Index>(a.f.size()));
}

std::string LinTs::snapshot() const {
  nlohmann::json arms = nlohmann::json::array();
  for (const auto& a : arms_)
    arms.push_back({{"id", a.id},
                    {"rewards", a.rewards},
                    {"reward_sum", detail::to_hex(a.reward_sum)},
                    {"b", detail::to_hex(a.b)},
                    {"l", detail::to_hex(a.l)},
                    {"f", detail::to_hex(a.f)}});
  nlohmann::json doc = {{"format", "tp.bandit.lints"},
                        {"version", 1},
                        {"dimension", options_.dimension},
                        {"lambda", detail::to_hex(options_.lambda)},
                        {"reward_scale", detail::to_hex(options_.reward_scale)},
                        {"rewards", rewards_},
                        {"arms", std::move(arms)}};
  return doc.dump();
}

Result<LinTs> LinTs::restore(std::string_view snapshot, const LinTsOptions& options) {
  if (auto s = options.validate(); !s) return std::unexpected(s.error());
  auto corrupt = [](const std::string& why) {
    return make_error(ErrorCode::kDataLoss, "lints snapshot: " + why);
  };
  auto doc = nlohmann::json::parse(snapshot, nullptr, false);
  if (!doc.is_object() || doc.value("format", "") != "tp.bandit.lints") return corrupt("not a LinTS snapshot");
  if (doc.value("version", 0) != 1) return corrupt("unsupported version");
  try {
    const int d = doc.at("dimension").get<int>();
    if (d != options.dimension)
      return make_error(ErrorCode::kFailedPrecondition,
                        "lints snapshot: dimension " + std::to_string(d) + " is not the configured " +
                            std::to_string(options.dimension));
    auto lambda = detail::from_hex(doc.at("lambda").get<std::string>(), 1);
    auto scale = detail::from_hex(doc.at("reward_scale").get<std::string>(), 1);
    if (!lambda || !scale) return corrupt("bad lambda or reward_scale");
    const double old_lambda = (*lambda)[0], old_scale = (*scale)[0];
    LinTs out(options);
    out.rewards_ = doc.at("rewards").get<uint64_t>();
    uint64_t total = 0;
    for (const auto& j : doc.at("arms")) {
      ArmStats a;
      a.id = j.at("id").get<std::string>();
      a.rewards = j.at("rewards").get<uint64_t>();
      auto sum = detail::from_hex(j.at("reward_sum").get<std::string>(), 1);
      auto b = detail::from_hex(j.at("b").get<std::string>(), tri_size(d));
      auto l = detail::from_hex(j.at("l").get<std::string>(), tri_size(d));
      auto f = detail::from_hex(j.at("f").get<std::string>(), static_cast<size_t>(d));
      if (!sum || !b || !l || !f) return corrupt("arm " + a.id + ": bad statistics");
      if (out.find_arm(a.id) >= 0) return corrupt("arm " + a.id + " appears twice");
      a.reward_sum = (*sum)[0];
      a.b = std::move(*b);
      a.l = std::move(*l);
      a.f = std::move(*f);
      for (int i = 0; i < d; ++i)
        if (!(a.l[tri(i, i)] > 0)) return corrupt("arm " + a.id + ": Cholesky factor is not positive");
      if (options.lambda != old_lambda) {
        for (int i = 0; i < d; ++i) a.b[tri(i, i)] += options.lambda - old_lambda;
        if (auto s = out.refactor(a); !s)
          return make_error(ErrorCode::kFailedPrecondition,
                            "lints snapshot: lambda " + fmt(options.lambda) + " leaves " + s.error().message);
      }
      if (options.reward_scale != old_scale) {
        const double ratio = options.reward_scale / old_scale;
        for (double& v : a.f) v *= ratio;
        a.reward_sum *= ratio;
      }
      a.y.assign(static_cast<size_t>(d), 0.0);
      out.refresh_y(a);
      total += a.rewards;
      out.arms_.push_back(std::move(a));
    }
    if (total != out.rewards_) return corrupt("reward counts do not add up");
    return out;
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
}

}  // namespace tp::bandit
