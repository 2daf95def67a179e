#include "tp/ingester/timestamp.h"

#include <limits>

#include "tp/core/clock.h"

namespace tp::ingester {

namespace {

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Reads exactly `n` decimal digits at `pos`.
bool digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::string_view to_string(TimeFormat format) {
  switch (format) {
    case TimeFormat::kIso8601: return "iso8601";
    case TimeFormat::kEpochSeconds: return "epoch_s";
    case TimeFormat::kEpochMillis: return "epoch_ms";
  }
  return "iso8601";
}

Result<TimeFormat> parse_time_format(std::string_view text) {
  if (text == "iso8601") return TimeFormat::kIso8601;
  if (text == "epoch_s") return TimeFormat::kEpochSeconds;
  if (text == "epoch_ms") return TimeFormat::kEpochMillis;
  return std::unexpected(invalid("unknown time format " + quoted(text) +
                                 " (expected iso8601, epoch_s or epoch_ms)"));
}

// Howard Hinnant's days_from_civil algorithm (public domain description).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Result<int64_t> parse_iso8601_ns(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return std::unexpected(invalid("bad ISO 8601 time " + quoted(s) + ": " + std::string(why)));
  };
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day))
    return bad("expected YYYY-MM-DD");
  if (s.size() < 19 || (s[10] != ' ' && s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return bad("expected a time HH:MM:SS after the date");
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > days_in_month(year, static_cast<unsigned>(month))) return bad("day out of range");
  if (hour > 23) return bad("hour out of range");
  if (minute > 59) return bad("minute out of range");
  if (second > 59) return bad("second out of range");
  size_t pos = 19;
  int64_t fraction_ns = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    size_t n = 0;
    int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n == 9) return bad("more than 9 fractional digits");
      fraction_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return bad("empty fraction");
  }
  if (pos >= s.size()) return bad("missing UTC offset (Z or +HH:MM)");
  int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    int64_t oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh)) return bad("bad UTC offset");
    pos += 3;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (!digits(s, pos, 2, om)) return bad("bad UTC offset");
    pos += 2;
    if (oh > 23 || om > 59) return bad("UTC offset out of range");
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return bad("missing UTC offset (Z or +HH:MM)");
  }
  if (pos != s.size()) return bad("unexpected text after the UTC offset");
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  if (seconds < 0) return bad("before 1970-01-01");
  return seconds * kNanosPerSecond + fraction_ns;
}

Result<int64_t> parse_epoch_ns(std::string_view s, TimeFormat format) {
  const int64_t unit = format == TimeFormat::kEpochMillis ? kNanosPerMilli : kNanosPerSecond;
  const char* what = format == TimeFormat::kEpochMillis ? "epoch milliseconds" : "epoch seconds";
  if (s.empty()) return std::unexpected(invalid(std::string("empty ") + what));
  int64_t v = 0;
  const int64_t limit = std::numeric_limits<int64_t>::max() / unit;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::unexpected(invalid("bad " + std::string(what) + " " + quoted(s) +
                                     ": expected a non-negative integer"));
    if (v > (limit - (c - '0')) / 10)
      return std::unexpected(invalid("bad " + std::string(what) + " " + quoted(s) + ": out of range"));
    v = v * 10 + (c - '0');
  }
  return v * unit;
}

Result<int64_t> parse_time(std::string_view text, TimeFormat format) {
  if (format == TimeFormat::kIso8601) return parse_iso8601_ns(text);
  return parse_epoch_ns(text, format);
}

Result<int64_t> parse_timeframe(std::string_view text) {
  auto bad = [&] {
    return std::unexpected(invalid("bad timeframe " + quoted(text) +
                                   " (expected <n>s, <n>m, <n>h or <n>d, e.g. 1m)"));
  };
  if (text.size() < 2) return bad();
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = kNanosPerSecond; break;
    case 'm': unit = 60 * kNanosPerSecond; break;
    case 'h': unit = 3600 * kNanosPerSecond; break;
    case 'd': unit = 86400 * kNanosPerSecond; break;
    default: return bad();
  }
  int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + (c - '0');
    if (n > 100'000) return bad();
  }
  if (n == 0 || text[0] == '0') return bad();
  return n * unit;
}

}  // namespace tp::ingester
