// Private helpers of tp::bandit. Not API.
#pragma once

#include <bit>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tp::bandit::detail {

inline size_t tri(int i, int j) { return static_cast<size_t>(i) * (i + 1) / 2 + j; }
inline size_t tri_size(int d) { return static_cast<size_t>(d) * (d + 1) / 2; }

// 16 lower-case hex digits of the bits of each double, concatenated.
inline std::string to_hex(const double* v, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    uint64_t b = std::bit_cast<uint64_t>(v[i]);
    for (int k = 15; k >= 0; --k, b >>= 4) out[16 * i + k] = kDigits[b & 15];
  }
  return out;
}
inline std::string to_hex(const std::vector<double>& v) { return to_hex(v.data(), v.size()); }
inline std::string to_hex(double v) { return to_hex(&v, 1); }

inline std::optional<std::vector<double>> from_hex(std::string_view text, size_t n) {
  if (text.size() != 16 * n) return std::nullopt;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t b = 0;
    auto [end, ec] = std::from_chars(text.data() + 16 * i, text.data() + 16 * (i + 1), b, 16);
    if (ec != std::errc() || end != text.data() + 16 * (i + 1)) return std::nullopt;
    out[i] = std::bit_cast<double>(b);
  }
  return out;
}

}  // namespace tp::bandit::detail
