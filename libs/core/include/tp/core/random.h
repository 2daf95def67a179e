// Portable pseudo-random numbers: the same seed gives the same numbers, bit
// for bit, on every platform and standard library (std:: distributions are
// implementation-defined, so nothing that must be reproducible uses them).
//
//   tp::Xoshiro256 rng(seed);
//   uint64_t x = rng.next();
//   double u = rng.uniform();      // [0, 1), the top 53 bits, exact
//   uint64_t i = rng.below(10);    // [0, 10)
//
// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
// Not thread-safe: one generator per user.
#pragma once

#include <bit>
#include <cstdint>

namespace tp {

// One splitmix64 step (advances `state`).
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }
  uint64_t next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t s_[4];
};

}  // namespace tp
