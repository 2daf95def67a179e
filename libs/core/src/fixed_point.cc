#include "tp/core/fixed_point.h"

#include <cmath>
#include <limits>

namespace tp::fixed {
namespace {

using i128 = __int128;

int64_t saturate(i128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// n / d rounded half away from zero; d > 0.
i128 div_round(i128 n, i128 d) {
  if (d < 0) {
    n = -n;
    d = -d;
  }
  i128 q = n / d;
  i128 r = n % d;
  if (r < 0) r = -r;
  if (2 * r >= d) q += (n < 0) ? -1 : 1;
  return q;
}

}  // namespace

Result<int64_t> from_string(std::string_view text) {
  const std::string original(text);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid decimal '" + original + "': " + why);
  };
  if (text.empty()) return fail("empty");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return fail("no digits");
  i128 integer = 0;
  i128 fraction = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_point) return fail("more than one decimal point");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return fail(std::string("unexpected character '") + c + "'");
    seen_digit = true;
    if (seen_point) {
      if (++fraction_digits > kDecimals) return fail("more than 8 decimal places");
      fraction = fraction * 10 + (c - '0');
    } else {
      integer = integer * 10 + (c - '0');
      if (integer > std::numeric_limits<int64_t>::max() / kScale + 1) return fail("out of range");
    }
  }
  if (!seen_digit) return fail("no digits");
  for (int i = fraction_digits; i < kDecimals; ++i) fraction *= 10;
  i128 value = integer * kScale + fraction;
  if (negative) value = -value;
  if (value > std::numeric_limits<int64_t>::max() || value < std::numeric_limits<int64_t>::min())
    return fail("out of range");
  return static_cast<int64_t>(value);
}

std::string to_string(int64_t value_e8) {
  i128 v = value_e8;
  bool negative = v < 0;
  if (negative) v = -v;
  auto integer = static_cast<unsigned long long>(v / kScale);
  auto fraction = static_cast<long long>(v % kScale);
  std::string out = negative ? "-" : "";
  out += std::to_string(integer);
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, kDecimals - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

int64_t mul(int64_t a_e8, int64_t b_e8) {
  return saturate(div_round(static_cast<i128>(a_e8) * b_e8, kScale));
}

int64_t div(int64_t a_e8, int64_t b_e8) {
  return saturate(div_round(static_cast<i128>(a_e8) * kScale, b_e8));
}

int64_t apply_bps(int64_t value_e8, int64_t bps) {
  return saturate(div_round(static_cast<i128>(value_e8) * bps, 10'000));
}

double to_double(int64_t value_e8) { return static_cast<double>(value_e8) / kScale; }

int64_t from_double(double value) {
  return saturate(static_cast<i128>(std::llround(value * kScale)));
}

}  // namespace tp::fixed
