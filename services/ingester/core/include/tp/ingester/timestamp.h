// Timestamp and timeframe parsing for CSV market data, exact to the
// nanosecond and independent of the local time zone.
//
//   auto t = tp::ingester::parse_time("2023-03-01 00:00:00+00:00", TimeFormat::kIso8601);
//   // 1677628800000000000
//   auto tf = tp::ingester::parse_timeframe("1m");  // 60'000'000'000
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::ingester {

enum class TimeFormat { kIso8601, kEpochSeconds, kEpochMillis };

// "iso8601", "epoch_s", "epoch_ms" (the config spelling).
std::string_view to_string(TimeFormat format);
[[nodiscard]] Result<TimeFormat> parse_time_format(std::string_view text);

// ISO 8601 date-time with a mandatory UTC offset:
//   2023-03-01 00:00:00+00:00, 2023-03-01T00:00:00Z, 2023-03-01T05:30:00.250+05:30,
//   2023-03-01T00:00:00-0100. A time without an offset is an error (it
// would depend on the reader's time zone). Leap seconds (":60") are refused.
[[nodiscard]] Result<int64_t> parse_iso8601_ns(std::string_view text);

// Non-negative whole seconds / milliseconds since the Unix epoch.
[[nodiscard]] Result<int64_t> parse_epoch_ns(std::string_view text, TimeFormat format);

[[nodiscard]] Result<int64_t> parse_time(std::string_view text, TimeFormat format);

// "<n>s", "<n>m", "<n>h" or "<n>d" with n >= 1, e.g. "1m" -> 60 s in ns.
[[nodiscard]] Result<int64_t> parse_timeframe(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (exact integer math).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace tp::ingester
