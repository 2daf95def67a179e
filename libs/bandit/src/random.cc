#include "tp/bandit/random.h"

#include <bit>
#include <cmath>
#include <limits>

namespace tp::bandit {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t s = a;
  uint64_t h = splitmix64(s);
  s = h ^ b;
  return splitmix64(s);
}

double portable_log(double x) {
  if (std::isnan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)), by exact bit manipulation.
  int bias = 0;
  if (x < 0x1.0p-1022) {  // subnormal: scale into the normal range (exact)
    x *= 0x1.0p54;
    bias = -54;
  }
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1022 + bias;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3fe0000000000000ULL);  // [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;  // exact
    e -= 1;
  }
  // ln m = 2 atanh(s) = 2 s sum_k s^2k / (2k+1), s = (m-1)/(m+1), |s| < 0.1716,
  // so t = s^2 < 0.0295 and 12 terms leave a relative error below 1e-19.
  // Estrin's scheme (a fixed order, shorter dependency chains than Horner).
  const double s = (m - 1.0) / (m + 1.0);
  const double t = s * s;
  const double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
  const double p01 = 1.0 + t * (1.0 / 3.0);
  const double p23 = 1.0 / 5.0 + t * (1.0 / 7.0);
  const double p45 = 1.0 / 9.0 + t * (1.0 / 11.0);
  const double p67 = 1.0 / 13.0 + t * (1.0 / 15.0);
  const double p89 = 1.0 / 17.0 + t * (1.0 / 19.0);
  const double pab = 1.0 / 21.0 + t * (1.0 / 23.0);
  const double q0 = p01 + t2 * p23;
  const double q1 = p45 + t2 * p67;
  const double q2 = p89 + t2 * pab;
  const double p = (q0 + t4 * q1) + t8 * q2;
  const double ln_m = 2.0 * s * p;
  // ln 2 split so that e * kLn2Hi is exact (fdlibm's constants).
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (de * kLn2Lo + ln_m);
}

void Rng::polar_pair(double& a, double& b) {
  for (;;) {
    const double u = 2.0 * uniform() - 1.0;  // exact: (-1, 1) on a 2^-52 grid
    const double v = 2.0 * uniform() - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    const double f = std::sqrt(-2.0 * portable_log(s) / s);
    a = u * f;
    b = v * f;
    return;
  }
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double a = 0;
  polar_pair(a, spare_);
  has_spare_ = true;
  return a;
}

void Rng::normals(double* out, int n) {
  int i = 0;
  if (n > 0 && has_spare_) {
    out[i++] = spare_;
    has_spare_ = false;
  }
  for (; i + 1 < n; i += 2) polar_pair(out[i], out[i + 1]);
  if (i < n) out[i] = normal();
}

}  // namespace tp::bandit
