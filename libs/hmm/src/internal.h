// Private helpers shared by the tp::hmm sources. Not installed, not API.
//
// The kernels here are the single implementation of each numeric step used by
// both the batch functions and the online ForwardFilter, so both produce the
// same bits.
#pragma once

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tp/core/error.h"
#include "tp/core/random.h"
#include "tp/hmm/gaussian_hmm.h"

namespace tp::hmm::detail {

inline constexpr double kLog2Pi = 1.8378770664093454835606594728112;

inline uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }
inline double from_bits(uint64_t v) { return std::bit_cast<double>(v); }

// Shortest round-trip text of a double ("0.1", "1e-05", "nan").
inline std::string fmt(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The portable generator of tp::core (xoshiro256** through splitmix64).
using Rng = Xoshiro256;
using tp::splitmix64;

// Per-state emission constants, packed for a tight loop. State k occupies
// stride() doubles at packed[k * stride()]: the mean (D), then the rows of the
// lower Cholesky factor L (Sigma_k = L L^T), row i as L(i,0..i-1) followed by
// 1 / L(i,i). log_norm[k] = -D/2 ln 2pi - sum_i ln L(i,i).
struct Emissions {
  int K = 0, D = 0;
  bool diagonal = false;
  std::vector<double> packed;
  std::vector<double> log_norm;
  size_t stride() const { return static_cast<size_t>(D + D * (D + 1) / 2); }
  const double* state(int k) const { return packed.data() + static_cast<size_t>(k) * stride(); }
};

// Fails (kInvalidArgument) when a covariance is not positive definite.
[[nodiscard]] Status prepare_emissions(const GaussianHmm& model, Emissions& out);

// ln N(x; state) for one D-vector x; `z` is scratch of size D. The one
// implementation used by every caller (batch and online give the same bits).
inline double log_density(const double* x, const double* state, int D, bool diagonal, double log_norm, double* z) {
  const double* mu = state;
  const double* L = state + D;
  double q = 0;
  for (int i = 0; i < D; ++i) {
    double v = x[i] - mu[i];
    if (!diagonal)
      for (int j = 0; j < i; ++j) v -= L[j] * z[j];
    v *= L[i];  // 1 / L(i,i)
    z[i] = v;
    q += v * v;
    L += i + 1;
  }
  return log_norm - 0.5 * q;
}

// Fills logb (K x T, column-major) with ln N(x_t; state k); xt is D x T.
void log_densities(const Emissions& e, const Eigen::MatrixXd& xt, Eigen::MatrixXd& logb);

// pred_k = sum_j alpha_j A_jk (A column-major, K x K).
inline void predict(const double* alpha, const Eigen::MatrixXd& A, double* pred) {
  const int K = static_cast<int>(A.rows());
  for (int k = 0; k < K; ++k) {
    const double* col = A.data() + static_cast<ptrdiff_t>(k) * K;
    double s = 0;
    for (int j = 0; j < K; ++j) s += alpha[j] * col[j];
    pred[k] = s;
  }
}

// One scaled forward update. With m = max of logb over states with pred > 0:
//   b_k = exp(logb_k - m) (0 where pred_k == 0),  s = sum_k pred_k b_k,
//   alpha_k = pred_k b_k / s,  returns ln p(x_t | x_<t) = m + ln s.
// Optionally stores b (scaled emission) and s for the backward pass.
// With m_out set, m is stored there and m + ln s is not computed (returns 0):
// the EM E-step accumulates ln of the product of the s_t in blocks instead of
// taking one log per observation.
inline double forward_step(const double* pred, const double* logb, int K, double* alpha,
                           double* b_out = nullptr, double* s_out = nullptr, double* m_out = nullptr) {
  double m = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < K; ++k)
    if (pred[k] > 0 && logb[k] > m) m = logb[k];
  if (!(m > -std::numeric_limits<double>::infinity())) {
    // Every reachable state gives density 0 (only possible with absurd
    // parameters): no information, and the likelihood is -inf, never NaN.
    for (int k = 0; k < K; ++k) {
      alpha[k] = pred[k];
      if (b_out) b_out[k] = 0;
    }
    if (s_out) *s_out = 0;
    if (m_out) *m_out = -std::numeric_limits<double>::infinity();
    return -std::numeric_limits<double>::infinity();
  }
  double s = 0;
  for (int k = 0; k < K; ++k) {
    const double b = pred[k] > 0 ? std::exp(logb[k] - m) : 0.0;
    if (b_out) b_out[k] = b;
    alpha[k] = pred[k] * b;
    s += alpha[k];
  }
  // s >= pred_k* > 0 for the state attaining m (its b is 1). Division, not a
  // reciprocal, so a subnormal s cannot overflow.
  for (int k = 0; k < K; ++k) alpha[k] /= s;
  if (s_out) *s_out = s;
  if (m_out) {
    *m_out = m;
    return 0;
  }
  return m + std::log(s);
}

// Checks that observations are usable with `model` (shape, finiteness).
[[nodiscard]] Status check_observations(const Eigen::MatrixXd& x, int dimension);

// Scaled forward pass over all of x (T x D). alpha: K x T posteriors.
// Returns the total log-likelihood.
double forward(const GaussianHmm& model, const Eigen::MatrixXd& logb, Eigen::MatrixXd& alpha);

}  // namespace tp::hmm::detail
