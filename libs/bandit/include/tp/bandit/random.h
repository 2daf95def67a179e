// Portable random numbers for the bandit: the same seed gives the same
// numbers, bit for bit, on every platform, compiler and standard library.
//
//   tp::bandit::Rng rng(tp::bandit::mix_seed(decision_seed, config_seed));
//   double u = rng.uniform();   // [0, 1), 53 random bits
//   double z = rng.normal();    // N(0, 1)
//
// Why not <random>: std::normal_distribution and uniform_real_distribution
// are implementation-defined (libstdc++ and libc++ give different numbers),
// and std::log is only as exact as the C library. Here: xoshiro256**
// seeded through splitmix64, uniforms from the top 53 bits, normals by
// Marsaglia's polar method with this library's own logarithm
// (portable_log: exact exponent split + a fixed atanh series; IEEE + - * /
// and sqrt only, compiled without FMA contraction), so every step is
// exactly rounded IEEE arithmetic in a fixed order.
//
// Thread-safety: an Rng is not shared; free functions are reentrant.
#pragma once

#include <cstdint>

#include "tp/core/random.h"

namespace tp::bandit {

using tp::splitmix64;

// A seed from two (e.g. a per-decision seed and the configured seed).
uint64_t mix_seed(uint64_t a, uint64_t b);

// Natural logarithm for finite x > 0 (including subnormals), within a few
// ulps of the exact value (<= 4 against glibc in the tests) and identical
// on every platform. 0 -> -inf,
// negative or NaN -> NaN, +inf -> +inf.
double portable_log(double x);

class Rng {
 public:
  explicit Rng(uint64_t seed) : bits_(seed) {}
  uint64_t next() { return bits_.next(); }
  // [0, 1) with 53 random bits.
  double uniform() { return bits_.uniform(); }
  // Standard normal (Marsaglia polar; the second value of each pair is kept
  // for the next call).
  double normal();
  // n standard normals, the same numbers as n calls of normal().
  void normals(double* out, int n);

 private:
  void polar_pair(double& a, double& b);
  Xoshiro256 bits_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace tp::bandit
