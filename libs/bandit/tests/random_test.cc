#include "tp/bandit/random.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

namespace tp::bandit {
namespace {

int64_t ulps(double a, double b) {
  const int64_t ia = std::bit_cast<int64_t>(a), ib = std::bit_cast<int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

TEST(PortableLog, WithinFourUlpsOfTheCLibrary) {
  for (double x : {1.0, 2.0, 0.5, 0.7071067811865476, 1.4142135623730951, 10.0, 1e-300, 1e300,
                   4.9e-324, 2.2250738585072014e-308, 0.999999999, 1.000000001, 3.0, 1e-5})
    EXPECT_LE(ulps(portable_log(x), std::log(x)), 4) << x;
  EXPECT_EQ(portable_log(1.0), 0.0);
  Rng rng(7);
  for (int i = 0; i < 200'000; ++i) {
    const double x = std::ldexp(0.5 + rng.uniform(), static_cast<int>(rng.next() % 2000) - 1000);
    ASSERT_LE(ulps(portable_log(x), std::log(x)), 4) << x;
  }
  EXPECT_EQ(portable_log(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(portable_log(-1.0)));
  EXPECT_TRUE(std::isnan(portable_log(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(portable_log(std::numeric_limits<double>::infinity()),
            std::numeric_limits<double>::infinity());
}

TEST(Rng, GoldenSequenceIsPortable) {
  // These bits must not change across platforms, compilers or releases:
  // paramctl's decisions are replayed from them. (An independent Python
  // xoshiro256** + polar reference gives the same integers and uniforms, and
  // normals within 2 ulps: it uses the C library's log.)
  Rng rng(42);
  EXPECT_EQ(rng.next(), 1546998764402558742ULL);
  Rng u(42);
  EXPECT_EQ(std::bit_cast<uint64_t>(u.uniform()), 4590707384586612416ULL);
  Rng n(42);
  std::vector<uint64_t> bits;
  for (int i = 0; i < 4; ++i) bits.push_back(std::bit_cast<uint64_t>(n.normal()));
  EXPECT_EQ(bits, (std::vector<uint64_t>{13828088456880829303ULL, 13820149228043321244ULL,
                                         4597152819617802830ULL, 4602883928301632081ULL}));
}

TEST(Rng, SameSeedSameNumbersAndMoments) {
  Rng a(123), b(123), c(124);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.normal();
    EXPECT_EQ(std::bit_cast<uint64_t>(x), std::bit_cast<uint64_t>(b.normal()));
    differs |= x != c.normal();
  }
  EXPECT_TRUE(differs);
  Rng rng(9);
  const int n = 400'000;
  double s = 0, s2 = 0, s4 = 0, u = 0;
  int tail = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z;
    s2 += z * z;
    s4 += z * z * z * z;
    tail += std::abs(z) > 1.959963984540054;
    u += rng.uniform();
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
  EXPECT_NEAR(s4 / n, 3.0, 0.05);
  EXPECT_NEAR(static_cast<double>(tail) / n, 0.05, 0.002);
  EXPECT_NEAR(u / n, 0.5, 0.002);
}

TEST(Rng, NormalsEqualsRepeatedNormal) {
  for (int n : {0, 1, 2, 5, 16}) {
    Rng a(77), b(77);
    (void)a.normal();  // leaves a spare
    (void)b.normal();
    std::vector<double> batch(static_cast<size_t>(n) + 3);
    a.normals(batch.data(), n);
    a.normals(batch.data() + n, 3);
    for (int i = 0; i < n + 3; ++i)
      EXPECT_EQ(std::bit_cast<uint64_t>(batch[static_cast<size_t>(i)]), std::bit_cast<uint64_t>(b.normal()))
          << n << " " << i;
  }
}

TEST(Rng, MixSeedSeparatesStreams) {
  EXPECT_NE(mix_seed(1, 0), mix_seed(0, 1));
  EXPECT_NE(mix_seed(1, 2), mix_seed(1, 3));
  EXPECT_EQ(mix_seed(5, 6), mix_seed(5, 6));
}

}  // namespace
}  // namespace tp::bandit
