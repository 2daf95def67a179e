// Test helpers for tp::hmm: a seeded sampler for known Gaussian HMMs (its own
// generator and Box-Muller, so the data are the same on every platform) and a
// few reference models.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "tp/hmm/gaussian_hmm.h"

namespace tp::hmm::testing {

class TestRng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }
  int categorical(const Eigen::VectorXd& p) {
    const double u = uniform();
    double cum = 0;
    for (int k = 0; k < p.size(); ++k) {
      cum += p[k];
      if (u < cum) return k;
    }
    return static_cast<int>(p.size()) - 1;
  }

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

struct Sample {
  Eigen::MatrixXd x;        // T x D
  std::vector<int> states;  // true hidden path
};

inline Sample sample_hmm(const GaussianHmm& m, int64_t T, uint64_t seed) {
  TestRng rng(seed);
  const int D = m.dimension();
  std::vector<Eigen::MatrixXd> chol;
  for (const auto& c : m.covariances) chol.push_back(Eigen::LLT<Eigen::MatrixXd>(c).matrixL());
  Sample s;
  s.x.resize(T, D);
  int state = rng.categorical(m.start);
  Eigen::VectorXd z(D);
  for (int64_t t = 0; t < T; ++t) {
    if (t > 0) state = rng.categorical(m.transition.row(state).transpose());
    s.states.push_back(state);
    for (int d = 0; d < D; ++d) z[d] = rng.normal();
    s.x.row(t) = (m.means[static_cast<size_t>(state)] + chol[static_cast<size_t>(state)] * z).transpose();
  }
  return s;
}

// Three well-separated sticky states in 1-D, already in canonical order
// (means ascending).
inline GaussianHmm three_state_1d() {
  GaussianHmm m;
  m.covariance = CovarianceType::kFull;
  m.start = Eigen::Vector3d(0.2, 0.5, 0.3);
  m.transition.resize(3, 3);
  m.transition << 0.96, 0.03, 0.01,
                  0.02, 0.95, 0.03,
                  0.01, 0.04, 0.95;
  m.means = {Eigen::VectorXd::Constant(1, -2.0), Eigen::VectorXd::Constant(1, 0.0), Eigen::VectorXd::Constant(1, 3.0)};
  m.covariances = {Eigen::MatrixXd::Constant(1, 1, 0.25), Eigen::MatrixXd::Constant(1, 1, 1.0),
                   Eigen::MatrixXd::Constant(1, 1, 0.49)};
  return m;
}

// Three sticky states in 2-D, canonical order by column 0.
inline GaussianHmm three_state_2d(CovarianceType type) {
  GaussianHmm m;
  m.covariance = type;
  m.start = Eigen::Vector3d(1.0 / 3, 1.0 / 3, 1.0 / 3);
  m.transition.resize(3, 3);
  m.transition << 0.97, 0.02, 0.01,
                  0.015, 0.97, 0.015,
                  0.01, 0.03, 0.96;
  m.means = {Eigen::Vector2d(-3.0, 1.0), Eigen::Vector2d(0.0, -1.0), Eigen::Vector2d(2.5, 2.0)};
  Eigen::MatrixXd c0(2, 2), c1(2, 2), c2(2, 2);
  if (type == CovarianceType::kFull) {
    c0 << 0.5, 0.2, 0.2, 0.4;
    c1 << 1.0, -0.3, -0.3, 0.6;
    c2 << 0.3, 0.0, 0.0, 0.8;
  } else {
    c0 << 0.5, 0.0, 0.0, 0.4;
    c1 << 1.0, 0.0, 0.0, 0.6;
    c2 << 0.3, 0.0, 0.0, 0.8;
  }
  m.covariances = {c0, c1, c2};
  return m;
}

inline bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.size())) == 0;
}

inline std::string data_file(const std::string& name) {
  return std::string(TP_SOURCE_DIR) + "/data/binance-us/" + name;
}

}  // namespace tp::hmm::testing
