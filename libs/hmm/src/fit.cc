// Baum-Welch (scaled forward-backward, MAP-EM) with k-means++ restarts, and
// model selection.
#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>

#include "internal.h"
#include "tp/hmm/gaussian_hmm.h"
#include "tp/hmm/labels.h"

namespace tp::hmm {

using detail::fmt;

uint64_t derive_seed(uint64_t seed, int restart) {
  uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (static_cast<uint64_t>(restart) + 1));
  detail::splitmix64(state);
  return detail::splitmix64(state);
}

Status FitOptions::validate() const {
  auto bad = [](std::string m) { return make_error(ErrorCode::kInvalidArgument, std::move(m)); };
  if (states < 1) return bad("states must be >= 1, got " + std::to_string(states));
  if (max_iterations < 1) return bad("max_iterations must be >= 1, got " + std::to_string(max_iterations));
  if (!(tolerance >= 0) || !std::isfinite(tolerance)) return bad("tolerance must be finite and >= 0, got " + fmt(tolerance));
  if (restarts < 1) return bad("restarts must be >= 1, got " + std::to_string(restarts));
  if (restart_iterations < 1) return bad("restart_iterations must be >= 1, got " + std::to_string(restart_iterations));
  if (!(covariance_floor > 0) || !std::isfinite(covariance_floor))
    return bad("covariance_floor must be finite and > 0, got " + fmt(covariance_floor));
  if (!(transition_pseudocount > 0) || !std::isfinite(transition_pseudocount))
    return bad("transition_pseudocount must be finite and > 0, got " + fmt(transition_pseudocount));
  if (order_column < 0) return bad("order_column must be >= 0, got " + std::to_string(order_column));
  return ok();
}

namespace {

// Everything one E-step needs and produces, allocated once per fit.
struct Workspace {
  int K = 0, D = 0;
  int64_t T = 0;
  Eigen::MatrixXd xt;                     // D x T observations
  Eigen::VectorXd floor;                  // D, absolute variance floor f_d
  Eigen::MatrixXd logb, b, alpha;         // K x T: ln N, scaled N, forward -> gamma
  Eigen::VectorXd s;                      // T, scaled forward normalisers
  Eigen::MatrixXd xi;                     // K x K expected transition counts
  detail::Emissions emissions;
};

double log_prior(const GaussianHmm& m, double pc) {
  double s = 0;
  for (int k = 0; k < m.states(); ++k) s += std::log(m.start[k]);
  for (int j = 0; j < m.states(); ++j)
    for (int k = 0; k < m.states(); ++k) s += std::log(m.transition(j, k));
  return pc * s;
}

// E-step: alpha <- gamma (K x T state posteriors), xi (expected transition
// counts). Returns ln p(X | model).
Result<double> e_step(const GaussianHmm& m, Workspace& ws) {
  const int K = ws.K;
  const int64_t T = ws.T;
  if (auto st = detail::prepare_emissions(m, ws.emissions); !st)
    return std::unexpected(Error{ErrorCode::kInternal, "EM produced an invalid covariance: " + st.error().message});
  detail::log_densities(ws.emissions, ws.xt, ws.logb);
  ws.b.resize(K, T);
  ws.alpha.resize(K, T);
  ws.s.resize(T);
  double pred[64], beta[64], beta_prev[64], w[64];
  // ln p(X) = sum_t (m_t + ln s_t); the s_t are in (0, 1] and are multiplied
  // up in blocks (flushed to the log before the product can underflow).
  double ll = 0, block = 1;
  for (int64_t t = 0; t < T; ++t) {
    if (t == 0) {
      for (int k = 0; k < K; ++k) pred[k] = m.start[k];
    } else {
      detail::predict(ws.alpha.data() + (t - 1) * K, m.transition, pred);
    }
    double mt;
    detail::forward_step(pred, ws.logb.data() + t * K, K, ws.alpha.data() + t * K, ws.b.data() + t * K,
                         ws.s.data() + t, &mt);
    ll += mt;
    block *= ws.s[t];
    if (block < 1e-200) {
      ll += std::log(block);
      block = 1;
    }
  }
  ll += std::log(block);
  if (!std::isfinite(ll))
    return std::unexpected(Error{ErrorCode::kInternal, "EM log-likelihood is not finite"});
  // Backward with the forward scaling: beta_{T-1} = 1,
  //   w_t = b_t .* beta_t / s_t,  beta_{t-1}(j) = sum_k A_jk w_t(k),
  //   xi_jk += alpha_{t-1}(j) w_t(k) (times A_jk at the end),
  //   gamma_t = alpha_t .* beta_t (stored over alpha).
  const double* A = m.transition.data();  // column-major: A(j,k) = A[j + k*K]
  ws.xi.setZero(K, K);
  for (int k = 0; k < K; ++k) beta[k] = 1.0;
  for (int64_t t = T - 1; t >= 0; --t) {
    double* a = ws.alpha.data() + t * K;
    if (t > 0) {
      const double* bt = ws.b.data() + t * K;
      const double inv_s = 1.0 / ws.s[t];  // s_t >= min_jk A_jk / K > 0: the pseudocount keeps A > 0
      for (int k = 0; k < K; ++k) w[k] = bt[k] * beta[k] * inv_s;
      const double* ap = a - K;
      for (int k = 0; k < K; ++k) {
        double* xcol = ws.xi.data() + static_cast<ptrdiff_t>(k) * K;
        for (int j = 0; j < K; ++j) xcol[j] += ap[j] * w[k];
      }
      for (int j = 0; j < K; ++j) {
        double acc = 0;
        for (int k = 0; k < K; ++k) acc += A[j + static_cast<ptrdiff_t>(k) * K] * w[k];
        beta_prev[j] = acc;
      }
    }
    // sum_k alpha_t(k) beta_t(k) = 1 in exact arithmetic (Rabiner scaling).
    for (int k = 0; k < K; ++k) a[k] *= beta[k];
    if (t > 0)
      for (int k = 0; k < K; ++k) beta[k] = beta_prev[k];
  }
  ws.xi.array() *= m.transition.array();
  return ll;
}

// The exact constrained maximiser of the Gaussian term subject to
// Sigma >= diag(floor): in coordinates scaled by floor^-1/2 the constraint is
// Sigma' >= I, and the maximiser clips the eigenvalues of S' below 1 to 1.
void apply_floor(Eigen::MatrixXd& S, const Eigen::VectorXd& floor, bool diagonal) {
  const int D = static_cast<int>(S.rows());
  if (diagonal) {
    for (int i = 0; i < D; ++i) S(i, i) = std::max(S(i, i), floor[i]);
    return;
  }
  const Eigen::VectorXd root = floor.array().sqrt();
  Eigen::MatrixXd Sp = root.cwiseInverse().asDiagonal() * S * root.cwiseInverse().asDiagonal();
  Sp = Sp.selfadjointView<Eigen::Lower>();
  Eigen::MatrixXd excess = Sp - Eigen::MatrixXd::Identity(D, D);
  Eigen::LLT<Eigen::MatrixXd> llt(excess);
  if (llt.info() == Eigen::Success) return;  // floor inactive: S unchanged
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Sp);
  const Eigen::VectorXd lambda = eig.eigenvalues().cwiseMax(1.0);
  Sp = eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose();
  S = root.asDiagonal() * Sp * root.asDiagonal();
  S = Eigen::MatrixXd(S.selfadjointView<Eigen::Lower>());
  for (int i = 0; i < D; ++i) S(i, i) = std::max(S(i, i), floor[i]);
}

// M-step (MAP for start/transition, constrained ML for the Gaussians).
void m_step(GaussianHmm& m, Workspace& ws, double pc) {
  const int K = ws.K, D = ws.D;
  const int64_t T = ws.T;
  const double* gamma = ws.alpha.data();
  for (int k = 0; k < K; ++k) m.start[k] = (gamma[k] + pc) / (1.0 + K * pc);
  for (int j = 0; j < K; ++j) {
    const double row = ws.xi.row(j).sum() + K * pc;
    for (int k = 0; k < K; ++k) m.transition(j, k) = (ws.xi(j, k) + pc) / row;
  }
  // Weighted counts and sums in one pass, then centred scatter in another
  // (centring first keeps the precision of features far from 0, e.g. ln rvol).
  const bool diagonal = m.covariance == CovarianceType::kDiagonal;
  const int tri = D * (D + 1) / 2;
  std::vector<double> n(static_cast<size_t>(K), 0.0), sum(static_cast<size_t>(K * D), 0.0);
  std::vector<double> scatter(static_cast<size_t>(K * tri), 0.0), mu(static_cast<size_t>(K * D)), c(static_cast<size_t>(D));
  const double* x = ws.xt.data();
  for (int64_t t = 0; t < T; ++t) {
    const double* xt = x + t * D;
    const double* g = gamma + t * K;
    for (int k = 0; k < K; ++k) {
      n[static_cast<size_t>(k)] += g[k];
      double* sk = sum.data() + k * D;
      for (int d = 0; d < D; ++d) sk[d] += g[k] * xt[d];
    }
  }
  for (int k = 0; k < K; ++k)
    for (int d = 0; d < D; ++d)
      mu[static_cast<size_t>(k * D + d)] = sum[static_cast<size_t>(k * D + d)] / n[static_cast<size_t>(k)];
  for (int64_t t = 0; t < T; ++t) {
    const double* xt = x + t * D;
    const double* g = gamma + t * K;
    for (int k = 0; k < K; ++k) {
      const double* mk = mu.data() + k * D;
      double* sc = scatter.data() + k * tri;
      for (int d = 0; d < D; ++d) c[static_cast<size_t>(d)] = xt[d] - mk[d];
      const double gk = g[k];
      if (diagonal) {
        for (int i = 0; i < D; ++i) sc[i] += gk * c[static_cast<size_t>(i)] * c[static_cast<size_t>(i)];
      } else {
        int idx = 0;
        for (int i = 0; i < D; ++i) {
          const double gc = gk * c[static_cast<size_t>(i)];
          for (int j = 0; j <= i; ++j) sc[idx++] += gc * c[static_cast<size_t>(j)];
        }
      }
    }
  }
  Eigen::MatrixXd S(D, D);
  for (int k = 0; k < K; ++k) {
    const double nk = n[static_cast<size_t>(k)];
    if (!(nk > 1e-10)) continue;  // an unused state keeps its Gaussian (a valid GEM step)
    const double* sc = scatter.data() + k * tri;
    S.setZero();
    if (diagonal) {
      for (int i = 0; i < D; ++i) S(i, i) = sc[i] / nk;
    } else {
      int idx = 0;
      for (int i = 0; i < D; ++i)
        for (int j = 0; j <= i; ++j) S(i, j) = S(j, i) = sc[idx++] / nk;
    }
    apply_floor(S, ws.floor, diagonal);
    const Eigen::Map<const Eigen::VectorXd> mk(mu.data() + k * D, D);
    if (!mk.allFinite() || !S.allFinite()) continue;
    m.means[static_cast<size_t>(k)] = mk;
    m.covariances[static_cast<size_t>(k)] = S;
  }
}

// k-means++ on standardised data, then Lloyd iterations, then a model from
// the hard assignment.
GaussianHmm initialise(const Workspace& ws, const FitOptions& o, uint64_t seed, const Eigen::VectorXd& mean,
                       const Eigen::VectorXd& sd, const Eigen::MatrixXd& global_cov) {
  const int K = ws.K, D = ws.D;
  const int64_t T = ws.T;
  detail::Rng rng(seed);
  const Eigen::MatrixXd z = (ws.xt.colwise() - mean).array().colwise() / sd.array();
  const double* zp = z.data();
  auto dist2 = [&](int64_t t, const double* center) {
    const double* zt = zp + t * D;
    double acc = 0;
    for (int d = 0; d < D; ++d) {
      const double v = zt[d] - center[d];
      acc += v * v;
    }
    return acc;
  };
  Eigen::MatrixXd centers(D, K);
  std::vector<double> d2(static_cast<size_t>(T));
  centers.col(0) = z.col(static_cast<int64_t>(rng.below(static_cast<uint64_t>(T))));
  for (int64_t t = 0; t < T; ++t) d2[static_cast<size_t>(t)] = dist2(t, centers.col(0).data());
  for (int c = 1; c < K; ++c) {
    double total = 0;
    for (double v : d2) total += v;
    int64_t pick = -1;
    if (total > 0) {
      const double target = rng.uniform() * total;
      double cum = 0;
      for (int64_t t = 0; t < T; ++t) {
        cum += d2[static_cast<size_t>(t)];
        if (cum > target) {
          pick = t;
          break;
        }
      }
      if (pick < 0)
        for (int64_t t = T - 1; t >= 0 && pick < 0; --t)
          if (d2[static_cast<size_t>(t)] > 0) pick = t;
    }
    if (pick < 0) pick = static_cast<int64_t>(rng.below(static_cast<uint64_t>(T)));
    centers.col(c) = z.col(pick);
    for (int64_t t = 0; t < T; ++t)
      d2[static_cast<size_t>(t)] = std::min(d2[static_cast<size_t>(t)], dist2(t, centers.col(c).data()));
  }
  // Lloyd iterations (ties to the lower centre; an empty cluster keeps its centre).
  std::vector<int> label(static_cast<size_t>(T), -1);
  Eigen::MatrixXd sum(D, K);
  Eigen::VectorXd count(K);
  for (int iter = 0; iter < 10; ++iter) {
    bool changed = false;
    for (int64_t t = 0; t < T; ++t) {
      int best = 0;
      double best_d = dist2(t, centers.col(0).data());
      for (int c = 1; c < K; ++c) {
        const double d = dist2(t, centers.col(c).data());
        if (d < best_d) {
          best_d = d;
          best = c;
        }
      }
      if (label[static_cast<size_t>(t)] != best) {
        label[static_cast<size_t>(t)] = best;
        changed = true;
      }
    }
    if (!changed) break;
    sum.setZero();
    count.setZero();
    for (int64_t t = 0; t < T; ++t) {
      const int l = label[static_cast<size_t>(t)];
      for (int d = 0; d < D; ++d) sum(d, l) += zp[t * D + d];
      count[l] += 1;
    }
    for (int c = 0; c < K; ++c)
      if (count[c] > 0) centers.col(c) = sum.col(c) / count[c];
  }

  GaussianHmm m;
  m.covariance = o.covariance;
  m.start = Eigen::VectorXd::Constant(K, 1.0 / K);
  Eigen::MatrixXd counts = Eigen::MatrixXd::Ones(K, K);
  for (int64_t t = 0; t + 1 < T; ++t) counts(label[static_cast<size_t>(t)], label[static_cast<size_t>(t + 1)]) += 1;
  m.transition = counts.array().colwise() / counts.rowwise().sum().array();
  const bool diagonal = o.covariance == CovarianceType::kDiagonal;
  for (int c = 0; c < K; ++c) {
    int64_t n = 0;
    Eigen::VectorXd mu = Eigen::VectorXd::Zero(D);
    for (int64_t t = 0; t < T; ++t)
      if (label[static_cast<size_t>(t)] == c) {
        mu += ws.xt.col(t);
        ++n;
      }
    Eigen::MatrixXd S;
    if (n == 0) {
      mu = mean + (centers.col(c).array() * sd.array()).matrix();
    } else {
      mu /= static_cast<double>(n);
    }
    if (n > D) {
      S = Eigen::MatrixXd::Zero(D, D);
      for (int64_t t = 0; t < T; ++t)
        if (label[static_cast<size_t>(t)] == c) {
          const Eigen::VectorXd dlt = ws.xt.col(t) - mu;
          S.noalias() += dlt * dlt.transpose();
        }
      S /= static_cast<double>(n);
    } else {
      S = global_cov;
    }
    if (diagonal) S = Eigen::MatrixXd(S.diagonal().asDiagonal());
    S = Eigen::MatrixXd(S.selfadjointView<Eigen::Lower>());
    apply_floor(S, ws.floor, diagonal);
    m.means.push_back(mu);
    m.covariances.push_back(S);
  }
  return m;
}

struct Run {
  GaussianHmm model;
  std::vector<double> trace, objective;
  int iterations = 0;
  bool converged = false;
};

// Runs EM on `run` until it has done `budget` M-steps in total or converged.
// `fresh` says whether ws holds the E-step statistics of run.model.
Status run_em(Run& run, Workspace& ws, const FitOptions& o, int budget, bool fresh) {
  if (run.trace.empty() || !fresh) {
    auto ll = e_step(run.model, ws);
    if (!ll) return std::unexpected(ll.error());
    if (run.trace.empty()) {
      run.trace.push_back(*ll);
      run.objective.push_back(*ll + log_prior(run.model, o.transition_pseudocount));
    }
  }
  while (!run.converged && run.iterations < budget) {
    m_step(run.model, ws, o.transition_pseudocount);
    ++run.iterations;
    auto ll = e_step(run.model, ws);
    if (!ll) return std::unexpected(ll.error());
    const double previous = run.trace.back();
    run.trace.push_back(*ll);
    run.objective.push_back(*ll + log_prior(run.model, o.transition_pseudocount));
    if (*ll - previous < o.tolerance) run.converged = true;
  }
  return ok();
}

}  // namespace

Result<FitResult> fit(const Eigen::MatrixXd& x, const FitOptions& o) {
  if (auto s = o.validate(); !s) return std::unexpected(s.error());
  const int64_t T = x.rows();
  const int D = static_cast<int>(x.cols());
  const int K = o.states;
  if (T == 0 || D == 0)
    return make_error(ErrorCode::kInvalidArgument, "no observations (" + std::to_string(T) + "x" + std::to_string(D) + ")");
  if (K > 64) return make_error(ErrorCode::kInvalidArgument, "states must be <= 64, got " + std::to_string(K));
  if (o.order_column >= D)
    return make_error(ErrorCode::kInvalidArgument, "order_column " + std::to_string(o.order_column) +
                                                       " is out of range for " + std::to_string(D) + " columns");
  if (auto s = detail::check_observations(x, D); !s) return std::unexpected(s.error());
  const int64_t p = free_parameters(K, D, o.covariance);
  if (T <= p || T < 2)
    return make_error(ErrorCode::kInvalidArgument,
                      "too few observations for a " + std::to_string(K) + "-state " +
                          std::string(to_string(o.covariance)) + "-covariance model in " + std::to_string(D) +
                          " dimensions: got " + std::to_string(T) + ", need more than " + std::to_string(p) +
                          " (its free parameters)");

  Workspace ws;
  ws.K = K;
  ws.D = D;
  ws.T = T;
  ws.xt = x.transpose();
  const Eigen::VectorXd mean = ws.xt.rowwise().mean();
  const Eigen::MatrixXd centered = ws.xt.colwise() - mean;
  const Eigen::MatrixXd global_cov = centered * centered.transpose() / static_cast<double>(T);
  const Eigen::VectorXd var = global_cov.diagonal();
  for (int d = 0; d < D; ++d)
    if (!(var[d] > 0))
      return make_error(ErrorCode::kInvalidArgument, "observation column " + std::to_string(d) +
                                                         " is constant (every value is " + fmt(x(0, d)) +
                                                         "): a Gaussian HMM needs variation in every column");
  ws.floor = var * (o.covariance_floor * o.covariance_floor);
  const Eigen::VectorXd sd = var.array().sqrt();

  const int phase1 = o.restarts == 1 ? o.max_iterations : std::min(o.restart_iterations, o.max_iterations);
  std::vector<Run> runs(static_cast<size_t>(o.restarts));
  FitReport report;
  report.observations = T;
  int best = -1;
  for (int r = 0; r < o.restarts; ++r) {
    Run& run = runs[static_cast<size_t>(r)];
    run.model = initialise(ws, o, derive_seed(o.seed, r), mean, sd, global_cov);
    if (auto s = run_em(run, ws, o, phase1, true); !s) return std::unexpected(s.error());
    report.restart_log_likelihoods.push_back(run.trace.back());
    if (best < 0 || run.trace.back() > runs[static_cast<size_t>(best)].trace.back()) best = r;
  }
  Run& winner = runs[static_cast<size_t>(best)];
  if (!winner.converged && winner.iterations < o.max_iterations)
    if (auto s = run_em(winner, ws, o, o.max_iterations, false); !s) return std::unexpected(s.error());

  const std::vector<int> order = canonical_order(winner.model, o.order_column);
  FitResult result;
  result.model = permute_states(winner.model, order);
  auto ll = log_likelihood(result.model, x);
  if (!ll) return std::unexpected(Error{ErrorCode::kInternal, "fitted model: " + ll.error().message});
  report.log_likelihood = *ll;
  report.iterations = winner.iterations;
  report.stop = winner.converged ? StopReason::kConverged : StopReason::kIterationCap;
  report.log_likelihood_trace = std::move(winner.trace);
  report.objective_trace = std::move(winner.objective);
  report.best_restart = best;
  result.report = std::move(report);
  return result;
}

Result<std::vector<SelectionCandidate>> select_states(const Eigen::MatrixXd& train, const Eigen::MatrixXd& validation,
                                                      std::span<const int> candidate_states,
                                                      const FitOptions& options) {
  if (candidate_states.empty()) return make_error(ErrorCode::kInvalidArgument, "no candidate state counts");
  if (validation.rows() == 0) return make_error(ErrorCode::kInvalidArgument, "no validation observations");
  if (validation.cols() != train.cols())
    return make_error(ErrorCode::kInvalidArgument, "validation has " + std::to_string(validation.cols()) +
                                                       " columns, training has " + std::to_string(train.cols()));
  std::vector<SelectionCandidate> out;
  for (int k : candidate_states) {
    FitOptions o = options;
    o.states = k;
    auto fitted = fit(train, o);
    if (!fitted)
      return make_error(fitted.error().code, "K=" + std::to_string(k) + ": " + fitted.error().message);
    auto v = log_likelihood(fitted->model, validation);
    if (!v) return make_error(v.error().code, "K=" + std::to_string(k) + " validation: " + v.error().message);
    SelectionCandidate c;
    c.states = k;
    c.train_log_likelihood = fitted->report.log_likelihood;
    c.validation_log_likelihood = *v;
    c.free_parameters = fitted->model.free_parameters();
    c.bic = bic(c.train_log_likelihood, c.free_parameters, train.rows());
    out.push_back(c);
  }
  return out;
}

}  // namespace tp::hmm
