// GaussianHmm validation, emissions, forward/backward inference, Viterbi and
// the online ForwardFilter.
#include "tp/hmm/gaussian_hmm.h"

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "internal.h"

namespace tp::hmm {

using detail::fmt;

std::string_view to_string(CovarianceType type) {
  return type == CovarianceType::kDiagonal ? "diagonal" : "full";
}

Result<CovarianceType> parse_covariance_type(std::string_view text) {
  if (text == "full") return CovarianceType::kFull;
  if (text == "diagonal" || text == "diag") return CovarianceType::kDiagonal;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown covariance type '" + std::string(text) + "' (known: full, diagonal)");
}

std::string_view to_string(StopReason reason) {
  return reason == StopReason::kConverged ? "converged" : "iteration_cap";
}

int64_t free_parameters(int states, int dimension, CovarianceType type) {
  const int64_t K = states, D = dimension;
  const int64_t cov = type == CovarianceType::kFull ? D * (D + 1) / 2 : D;
  return (K - 1) + K * (K - 1) + K * D + K * cov;
}

int64_t GaussianHmm::free_parameters() const { return hmm::free_parameters(states(), dimension(), covariance); }

double bic(double log_likelihood, int64_t free_parameters, int64_t observations) {
  return -2.0 * log_likelihood + static_cast<double>(free_parameters) * std::log(static_cast<double>(observations));
}

namespace {

Status bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Status check_distribution(const double* p, int K, const std::string& what) {
  double sum = 0;
  for (int k = 0; k < K; ++k) {
    if (!std::isfinite(p[k]) || p[k] < 0)
      return bad(what + " has an invalid probability " + fmt(p[k]) + " at " + std::to_string(k));
    sum += p[k];
  }
  if (std::abs(sum - 1.0) > 1e-9) return bad(what + " sums to " + fmt(sum) + ", not 1");
  return ok();
}

}  // namespace

Status GaussianHmm::validate() const {
  const int K = states();
  if (K < 1) return bad("model has no states");
  if (static_cast<int>(means.size()) != K || static_cast<int>(covariances.size()) != K)
    return bad("model has " + std::to_string(means.size()) + " means and " + std::to_string(covariances.size()) +
               " covariances for " + std::to_string(K) + " states");
  const int D = dimension();
  if (D < 1) return bad("model has dimension 0");
  if (transition.rows() != K || transition.cols() != K)
    return bad("transition is " + std::to_string(transition.rows()) + "x" + std::to_string(transition.cols()) +
               ", expected " + std::to_string(K) + "x" + std::to_string(K));
  if (auto s = check_distribution(start.data(), K, "start"); !s) return s;
  for (int k = 0; k < K; ++k) {
    const Eigen::VectorXd row = transition.row(k).transpose();
    if (auto s = check_distribution(row.data(), K, "transition row " + std::to_string(k)); !s) return s;
  }
  for (int k = 0; k < K; ++k) {
    const std::string state = "state " + std::to_string(k);
    if (means[static_cast<size_t>(k)].size() != D)
      return bad(state + " mean has size " + std::to_string(means[static_cast<size_t>(k)].size()) + ", expected " +
                 std::to_string(D));
    if (!means[static_cast<size_t>(k)].allFinite()) return bad(state + " mean is not finite");
    const Eigen::MatrixXd& c = covariances[static_cast<size_t>(k)];
    if (c.rows() != D || c.cols() != D)
      return bad(state + " covariance is " + std::to_string(c.rows()) + "x" + std::to_string(c.cols()) +
                 ", expected " + std::to_string(D) + "x" + std::to_string(D));
    if (!c.allFinite()) return bad(state + " covariance is not finite");
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < i; ++j) {
        if (c(i, j) != c(j, i)) return bad(state + " covariance is not symmetric");
        if (covariance == CovarianceType::kDiagonal && c(i, j) != 0)
          return bad(state + " covariance has a non-zero off-diagonal in a diagonal model");
      }
    Eigen::LLT<Eigen::MatrixXd> llt(c);
    if (llt.info() != Eigen::Success) return bad(state + " covariance is not positive definite");
    for (int i = 0; i < D; ++i)
      if (!(llt.matrixL()(i, i) > 0)) return bad(state + " covariance is not positive definite");
  }
  return ok();
}

namespace detail {

Status prepare_emissions(const GaussianHmm& model, Emissions& out) {
  const int K = model.states();
  const int D = model.dimension();
  out.K = K;
  out.D = D;
  out.diagonal = model.covariance == CovarianceType::kDiagonal;
  out.packed.assign(static_cast<size_t>(K) * out.stride(), 0.0);
  out.log_norm.assign(static_cast<size_t>(K), 0.0);
  Eigen::MatrixXd L(D, D);
  for (int k = 0; k < K; ++k) {
    const Eigen::MatrixXd& c = model.covariances[static_cast<size_t>(k)];
    if (out.diagonal) {
      L.setZero();
      for (int i = 0; i < D; ++i) L(i, i) = std::sqrt(c(i, i));
    } else {
      Eigen::LLT<Eigen::MatrixXd> llt(c);
      if (llt.info() != Eigen::Success)
        return bad("state " + std::to_string(k) + " covariance is not positive definite");
      L = llt.matrixL();
    }
    double* p = out.packed.data() + static_cast<size_t>(k) * out.stride();
    for (int i = 0; i < D; ++i) *p++ = model.means[static_cast<size_t>(k)][i];
    double log_det_half = 0;
    for (int i = 0; i < D; ++i) {
      if (!(L(i, i) > 0) || !std::isfinite(L(i, i)))
        return bad("state " + std::to_string(k) + " covariance is not positive definite");
      for (int j = 0; j < i; ++j) *p++ = L(i, j);
      *p++ = 1.0 / L(i, i);
      log_det_half += std::log(L(i, i));
    }
    out.log_norm[static_cast<size_t>(k)] = -0.5 * D * kLog2Pi - log_det_half;
  }
  return ok();
}

void log_densities(const Emissions& e, const Eigen::MatrixXd& xt, Eigen::MatrixXd& logb) {
  const int K = e.K;
  const int D = e.D;
  const int64_t T = xt.cols();
  logb.resize(K, T);
  std::vector<double> z(static_cast<size_t>(D));
  for (int k = 0; k < K; ++k) {
    const double* st = e.state(k);
    const double ln = e.log_norm[static_cast<size_t>(k)];
    const double* x = xt.data();
    double* out = logb.data() + k;
    for (int64_t t = 0; t < T; ++t, x += D, out += K) *out = log_density(x, st, D, e.diagonal, ln, z.data());
  }
}

Status check_observations(const Eigen::MatrixXd& x, int dimension) {
  if (x.rows() == 0) return bad("no observations");
  if (x.cols() != dimension)
    return bad("observations have " + std::to_string(x.cols()) + " columns, the model has dimension " +
               std::to_string(dimension));
  for (int64_t t = 0; t < x.rows(); ++t)
    for (int d = 0; d < x.cols(); ++d)
      if (!std::isfinite(x(t, d)))
        return bad("observation row " + std::to_string(t) + ", column " + std::to_string(d) + " is not finite");
  return ok();
}

double forward(const GaussianHmm& model, const Eigen::MatrixXd& logb, Eigen::MatrixXd& alpha) {
  const int K = model.states();
  const int64_t T = logb.cols();
  alpha.resize(K, T);
  double pred[64];
  std::vector<double> pred_big(K > 64 ? static_cast<size_t>(K) : 0);
  double* pp = K > 64 ? pred_big.data() : pred;
  double ll = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (t == 0) {
      for (int k = 0; k < K; ++k) pp[k] = model.start[k];
    } else {
      predict(alpha.data() + (t - 1) * K, model.transition, pp);
    }
    ll += forward_step(pp, logb.data() + t * K, K, alpha.data() + t * K);
  }
  return ll;
}

}  // namespace detail

namespace {

struct Prepared {
  detail::Emissions emissions;
  Eigen::MatrixXd logb;  // K x T
};

Result<Prepared> prepare(const GaussianHmm& model, const Eigen::MatrixXd& x) {
  if (auto s = model.validate(); !s) return std::unexpected(s.error());
  if (auto s = detail::check_observations(x, model.dimension()); !s) return std::unexpected(s.error());
  Prepared p;
  if (auto s = detail::prepare_emissions(model, p.emissions); !s) return std::unexpected(s.error());
  const Eigen::MatrixXd xt = x.transpose();
  detail::log_densities(p.emissions, xt, p.logb);
  return p;
}

Error impossible() {
  return Error{ErrorCode::kInvalidArgument,
               "the observations have zero density under every state of the model (log-likelihood -inf)"};
}

}  // namespace

Result<double> log_likelihood(const GaussianHmm& model, const Eigen::MatrixXd& observations) {
  auto p = prepare(model, observations);
  if (!p) return std::unexpected(p.error());
  Eigen::MatrixXd alpha;
  const double ll = detail::forward(model, p->logb, alpha);
  if (!std::isfinite(ll)) return std::unexpected(impossible());
  return ll;
}

Result<Eigen::MatrixXd> filter_posteriors(const GaussianHmm& model, const Eigen::MatrixXd& observations) {
  auto p = prepare(model, observations);
  if (!p) return std::unexpected(p.error());
  Eigen::MatrixXd alpha;
  detail::forward(model, p->logb, alpha);
  return Eigen::MatrixXd(alpha.transpose());
}

Result<Eigen::MatrixXd> smooth_posteriors(const GaussianHmm& model, const Eigen::MatrixXd& observations) {
  auto p = prepare(model, observations);
  if (!p) return std::unexpected(p.error());
  const int K = model.states();
  const int64_t T = observations.rows();
  // Log-space forward-backward (robust for any valid model, zeros included).
  const double kNegInf = -std::numeric_limits<double>::infinity();
  const Eigen::MatrixXd logA = model.transition.array().log().matrix();
  Eigen::MatrixXd la(K, T), lb(K, T);
  auto lse = [&](const double* v, int n) {
    double m = kNegInf;
    for (int i = 0; i < n; ++i) m = std::max(m, v[i]);
    if (m == kNegInf) return kNegInf;
    double s = 0;
    for (int i = 0; i < n; ++i) s += std::exp(v[i] - m);
    return m + std::log(s);
  };
  std::vector<double> tmp(static_cast<size_t>(K));
  for (int k = 0; k < K; ++k) la(k, 0) = std::log(model.start[k]) + p->logb(k, 0);
  for (int64_t t = 1; t < T; ++t)
    for (int k = 0; k < K; ++k) {
      for (int j = 0; j < K; ++j) tmp[static_cast<size_t>(j)] = la(j, t - 1) + logA(j, k);
      la(k, t) = lse(tmp.data(), K) + p->logb(k, t);
    }
  lb.col(T - 1).setZero();
  for (int64_t t = T - 2; t >= 0; --t)
    for (int j = 0; j < K; ++j) {
      for (int k = 0; k < K; ++k) tmp[static_cast<size_t>(k)] = logA(j, k) + p->logb(k, t + 1) + lb(k, t + 1);
      lb(j, t) = lse(tmp.data(), K);
    }
  Eigen::MatrixXd out(T, K);
  for (int64_t t = 0; t < T; ++t) {
    for (int k = 0; k < K; ++k) tmp[static_cast<size_t>(k)] = la(k, t) + lb(k, t);
    const double z = lse(tmp.data(), K);
    if (z == kNegInf) return std::unexpected(impossible());
    for (int k = 0; k < K; ++k) out(t, k) = std::exp(tmp[static_cast<size_t>(k)] - z);
  }
  return out;
}

Result<std::vector<int>> viterbi(const GaussianHmm& model, const Eigen::MatrixXd& observations) {
  auto p = prepare(model, observations);
  if (!p) return std::unexpected(p.error());
  const int K = model.states();
  const int64_t T = observations.rows();
  const double kNegInf = -std::numeric_limits<double>::infinity();
  const Eigen::MatrixXd logA = model.transition.array().log().matrix();
  Eigen::VectorXd delta(K), next(K);
  std::vector<int> back(static_cast<size_t>(K * T));
  for (int k = 0; k < K; ++k) delta[k] = std::log(model.start[k]) + p->logb(k, 0);
  for (int64_t t = 1; t < T; ++t) {
    for (int k = 0; k < K; ++k) {
      double best = kNegInf;
      int arg = 0;
      for (int j = 0; j < K; ++j) {
        const double v = delta[j] + logA(j, k);
        if (v > best) {
          best = v;
          arg = j;
        }
      }
      next[k] = best + p->logb(k, t);
      back[static_cast<size_t>(t * K + k)] = arg;
    }
    delta.swap(next);
  }
  int state = 0;
  for (int k = 1; k < K; ++k)
    if (delta[k] > delta[state]) state = k;
  if (delta[state] == kNegInf) return std::unexpected(impossible());
  std::vector<int> path(static_cast<size_t>(T));
  for (int64_t t = T - 1; t >= 0; --t) {
    path[static_cast<size_t>(t)] = state;
    if (t > 0) state = back[static_cast<size_t>(t * K + state)];
  }
  return path;
}

// ---------------------------------------------------------------------------
// ForwardFilter

ForwardFilter::ForwardFilter(std::shared_ptr<const GaussianHmm> model) : model_(std::move(model)) {
  if (!model_) throw std::invalid_argument("ForwardFilter needs a model");
  if (auto s = model_->validate(); !s) throw std::invalid_argument(s.error().message);
  detail::Emissions e;
  if (auto s = detail::prepare_emissions(*model_, e); !s) throw std::invalid_argument(s.error().message);
  emission_ = std::move(e.packed);
  log_normaliser_ = Eigen::Map<const Eigen::VectorXd>(e.log_norm.data(), static_cast<Eigen::Index>(e.log_norm.size()));
  const int K = model_->states();
  posterior_ = model_->start;
  predicted_.resize(K);
  log_density_.resize(K);
  scratch_.resize(model_->dimension());
}

Result<ForwardFilter> ForwardFilter::make(std::shared_ptr<const GaussianHmm> model) {
  if (!model) return make_error(ErrorCode::kInvalidArgument, "ForwardFilter needs a model");
  if (auto s = model->validate(); !s) return std::unexpected(s.error());
  return ForwardFilter(std::move(model));
}

const Eigen::VectorXd& ForwardFilter::predict() {
  if (steps_ > 0) {
    detail::predict(posterior_.data(), model_->transition, predicted_.data());
    posterior_ = predicted_;
  }
  ++steps_;
  return posterior_;
}

const Eigen::VectorXd& ForwardFilter::update(const Eigen::VectorXd& observation) {
  const int K = model_->states();
  const int D = model_->dimension();
  if (observation.size() != D)
    throw std::invalid_argument("ForwardFilter::update: observation has size " + std::to_string(observation.size()) +
                                ", the model has dimension " + std::to_string(D));
  if (!observation.allFinite()) return predict();
  if (steps_ == 0) {
    predicted_ = model_->start;
  } else {
    detail::predict(posterior_.data(), model_->transition, predicted_.data());
  }
  const bool diagonal = model_->covariance == CovarianceType::kDiagonal;
  const size_t stride = static_cast<size_t>(D + D * (D + 1) / 2);
  for (int k = 0; k < K; ++k)
    log_density_[k] = detail::log_density(observation.data(), emission_.data() + static_cast<size_t>(k) * stride, D,
                                          diagonal, log_normaliser_[k], scratch_.data());
  log_likelihood_ += detail::forward_step(predicted_.data(), log_density_.data(), K, posterior_.data());
  ++steps_;
  return posterior_;
}

std::string ForwardFilter::snapshot() const {
  nlohmann::json j;
  j["states"] = model_->states();
  j["dimension"] = model_->dimension();
  j["steps"] = steps_;
  j["log_likelihood_bits"] = detail::bits(log_likelihood_);
  auto& p = j["posterior_bits"] = nlohmann::json::array();
  for (int k = 0; k < posterior_.size(); ++k) p.push_back(detail::bits(posterior_[k]));
  return j.dump();
}

Status ForwardFilter::restore(std::string_view snapshot) {
  try {
    const auto j = nlohmann::json::parse(snapshot);
    const int K = j.at("states").get<int>();
    const int D = j.at("dimension").get<int>();
    if (K != model_->states() || D != model_->dimension())
      return make_error(ErrorCode::kFailedPrecondition,
                        "filter snapshot is of a " + std::to_string(K) + "-state model in " + std::to_string(D) +
                            " dimensions, this filter has " + std::to_string(model_->states()) + " states in " +
                            std::to_string(model_->dimension()));
    const int64_t steps = j.at("steps").get<int64_t>();
    const double ll = detail::from_bits(j.at("log_likelihood_bits").get<uint64_t>());
    const auto& p = j.at("posterior_bits");
    if (static_cast<int>(p.size()) != K || steps < 0 || std::isnan(ll))
      return make_error(ErrorCode::kDataLoss, "filter snapshot holds inconsistent values");
    Eigen::VectorXd posterior(K);
    double sum = 0;
    for (int k = 0; k < K; ++k) {
      posterior[k] = detail::from_bits(p[static_cast<size_t>(k)].get<uint64_t>());
      if (!std::isfinite(posterior[k]) || posterior[k] < 0)
        return make_error(ErrorCode::kDataLoss, "filter snapshot holds an invalid probability");
      sum += posterior[k];
    }
    if (std::abs(sum - 1.0) > 1e-9) return make_error(ErrorCode::kDataLoss, "filter snapshot posterior does not sum to 1");
    posterior_ = posterior;
    steps_ = steps;
    log_likelihood_ = ll;
    return ok();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("filter snapshot is unreadable: ") + e.what());
  }
}

}  // namespace tp::hmm
