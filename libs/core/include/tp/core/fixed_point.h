// Fixed-point money and quantities: int64 scaled by 10^8.
//
// Every accounting value in the protocol (fields named *_e8) is an integer
// count of 1e-8 units, so sums of fills, fees and cash are exact. Products
// and quotients go through 128-bit intermediates and round half away from
// zero back to 1e-8; that single rounding per operation is documented in
// docs/protocol.md and is the only place precision is lost.
//
//   int64_t px = tp::fixed::from_string("23105.27").value();  // 2310527000000
//   int64_t notional = tp::fixed::mul(px, tp::fixed::from_string("0.5").value());
//   tp::fixed::to_string(notional)  // "11552.635"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::fixed {

constexpr int64_t kScale = 100'000'000;  // 1.0 == 100'000'000
constexpr int kDecimals = 8;

// Parses a plain decimal ("-12.5", "0.00000001", "31000"). More than 8
// fractional digits is an error (no silent rounding of inputs); so is
// overflow, exponent notation or any other character.
[[nodiscard]] Result<int64_t> from_string(std::string_view text);

// Shortest exact decimal form: "23105.27", "-0.5", "0".
std::string to_string(int64_t value_e8);

// a * b / kScale, rounded half away from zero. Saturates to INT64_MIN/MAX on
// overflow (callers check ranges where that matters).
int64_t mul(int64_t a_e8, int64_t b_e8);

// a * kScale / b, rounded half away from zero. b must not be 0.
int64_t div(int64_t a_e8, int64_t b_e8);

// value * bps / 10'000, rounded half away from zero.
int64_t apply_bps(int64_t value_e8, int64_t bps);

// Conversions for statistics and display only, never for the books.
double to_double(int64_t value_e8);
int64_t from_double(double value);  // rounds to nearest 1e-8

}  // namespace tp::fixed
