#include "tp/ingester/timestamp.h"

#include <gtest/gtest.h>

namespace tp::ingester {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(Iso8601, BundledFormat) {
  EXPECT_EQ(parse_iso8601_ns("2023-03-01 00:00:00+00:00").value(), 1677628800 * kS);
  EXPECT_EQ(parse_iso8601_ns("2023-03-21 23:59:00+00:00").value(), 1679443140 * kS);
}

TEST(Iso8601, TSeparatorZuluFractionAndOffsets) {
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00Z").value(), 1677628800 * kS);
  EXPECT_EQ(parse_iso8601_ns("2023-03-01t00:00:00z").value(), 1677628800 * kS);
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T05:30:00+05:30").value(), 1677628800 * kS);
  EXPECT_EQ(parse_iso8601_ns("2023-02-28T23:00:00-0100").value(), 1677628800 * kS);
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00.25Z").value(), 1677628800 * kS + 250'000'000);
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00.123456789Z").value(), 1677628800 * kS + 123'456'789);
  EXPECT_EQ(parse_iso8601_ns("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(parse_iso8601_ns("2024-02-29T12:00:00Z").value(), 1709208000 * kS);
}

TEST(Iso8601, Errors) {
  EXPECT_EQ(parse_iso8601_ns("2023-03-01 00:00:00").error().message,
            "bad ISO 8601 time '2023-03-01 00:00:00': missing UTC offset (Z or +HH:MM)");
  EXPECT_EQ(parse_iso8601_ns("2023-02-29T00:00:00Z").error().message,
            "bad ISO 8601 time '2023-02-29T00:00:00Z': day out of range");
  EXPECT_EQ(parse_iso8601_ns("2023-13-01T00:00:00Z").error().message,
            "bad ISO 8601 time '2023-13-01T00:00:00Z': month out of range");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T24:00:00Z").error().message,
            "bad ISO 8601 time '2023-03-01T24:00:00Z': hour out of range");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:60Z").error().message,
            "bad ISO 8601 time '2023-03-01T00:00:60Z': second out of range");
  EXPECT_EQ(parse_iso8601_ns("2023/03/01T00:00:00Z").error().message,
            "bad ISO 8601 time '2023/03/01T00:00:00Z': expected YYYY-MM-DD");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01").error().message,
            "bad ISO 8601 time '2023-03-01': expected a time HH:MM:SS after the date");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00Zjunk").error().message,
            "bad ISO 8601 time '2023-03-01T00:00:00Zjunk': unexpected text after the UTC offset");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00+25:00").error().message,
            "bad ISO 8601 time '2023-03-01T00:00:00+25:00': UTC offset out of range");
  EXPECT_EQ(parse_iso8601_ns("2023-03-01T00:00:00.Z").error().message,
            "bad ISO 8601 time '2023-03-01T00:00:00.Z': empty fraction");
  EXPECT_EQ(parse_iso8601_ns("1970-01-01T00:00:00+01:00").error().message,
            "bad ISO 8601 time '1970-01-01T00:00:00+01:00': before 1970-01-01");
  EXPECT_EQ(parse_iso8601_ns("").error().code, ErrorCode::kInvalidArgument);
}

TEST(Epoch, SecondsAndMillis) {
  EXPECT_EQ(parse_time("1677628800", TimeFormat::kEpochSeconds).value(), 1677628800 * kS);
  EXPECT_EQ(parse_time("1677628800123", TimeFormat::kEpochMillis).value(), 1677628800123'000'000);
  EXPECT_EQ(parse_time("1677628800.5", TimeFormat::kEpochSeconds).error().message,
            "bad epoch seconds '1677628800.5': expected a non-negative integer");
  EXPECT_EQ(parse_time("-1", TimeFormat::kEpochMillis).error().message,
            "bad epoch milliseconds '-1': expected a non-negative integer");
  EXPECT_EQ(parse_time("99999999999999999999", TimeFormat::kEpochSeconds).error().message,
            "bad epoch seconds '99999999999999999999': out of range");
  EXPECT_EQ(parse_time("", TimeFormat::kEpochSeconds).error().message, "empty epoch seconds");
}

TEST(TimeFormat, Names) {
  EXPECT_EQ(parse_time_format("epoch_ms").value(), TimeFormat::kEpochMillis);
  EXPECT_EQ(to_string(TimeFormat::kEpochSeconds), "epoch_s");
  EXPECT_EQ(parse_time_format("unix").error().message,
            "unknown time format 'unix' (expected iso8601, epoch_s or epoch_ms)");
}

TEST(Timeframe, Parses) {
  EXPECT_EQ(parse_timeframe("1m").value(), 60 * kS);
  EXPECT_EQ(parse_timeframe("15s").value(), 15 * kS);
  EXPECT_EQ(parse_timeframe("4h").value(), 4 * 3600 * kS);
  EXPECT_EQ(parse_timeframe("1d").value(), 86400 * kS);
  EXPECT_EQ(parse_timeframe("0m").error().message,
            "bad timeframe '0m' (expected <n>s, <n>m, <n>h or <n>d, e.g. 1m)");
  EXPECT_FALSE(parse_timeframe("m"));
  EXPECT_FALSE(parse_timeframe("1w"));
  EXPECT_FALSE(parse_timeframe("01m"));
  EXPECT_FALSE(parse_timeframe("1.5m"));
}

TEST(DaysFromCivil, KnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
}

}  // namespace
}  // namespace tp::ingester
