// read_ohlcv_csv: the bundled one-minute bar format.
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "internal.h"
#include "tp/hmm/features.h"

namespace tp::hmm {

namespace detail {
int64_t epoch_days(int64_t y, unsigned m, unsigned d);
}

namespace {

constexpr std::string_view kHeader = "open_time,open,high,low,close,volume";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Parses exactly `n` digits at s[pos..].
bool digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool parse_iso(std::string_view s, int64_t& ns) {
  int64_t y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != ' ' && s[10] != 'T') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 59) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) frac_ns = frac_ns * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return false;
    for (int i = n; i < 9; ++i) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size()) {
    const std::string_view tz = s.substr(pos);
    if (tz == "Z") {
      // UTC
    } else if (tz[0] == '+' || tz[0] == '-') {
      int64_t oh, om;
      if (tz.size() == 6 && tz[3] == ':' && digits(tz, 1, 2, oh) && digits(tz, 4, 2, om)) {
      } else if (tz.size() == 5 && digits(tz, 1, 2, oh) && digits(tz, 3, 2, om)) {
      } else {
        return false;
      }
      if (oh > 23 || om > 59) return false;
      offset_s = (oh * 3600 + om * 60) * (tz[0] == '-' ? -1 : 1);
    } else {
      return false;
    }
  }
  const int64_t days = detail::epoch_days(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  ns = secs * 1'000'000'000 + frac_ns;
  return true;
}

bool parse_time(std::string_view s, int64_t& ns) {
  const bool negative = !s.empty() && s[0] == '-';
  const std::string_view body = negative ? s.substr(1) : s;
  if (all_digits(body)) {
    if (body.size() > 15) return false;  // beyond any plausible epoch milliseconds
    int64_t v = 0;
    std::from_chars(body.data(), body.data() + body.size(), v);
    if (negative) v = -v;
    ns = (v < 100'000'000'000 && v > -100'000'000'000) ? v * 1'000'000'000 : v * 1'000'000;
    return true;
  }
  return parse_iso(s, ns);
}

}  // namespace

Result<std::vector<PriceBar>> read_ohlcv_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, path + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  std::vector<PriceBar> bars;
  size_t pos = 0;
  int64_t line_no = 0;
  bool header_seen = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    const std::string at = path + ":" + std::to_string(line_no) + ": ";
    if (!header_seen) {
      if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
      if (line != kHeader)
        return make_error(ErrorCode::kInvalidArgument,
                          at + "expected header '" + std::string(kHeader) + "', got '" + std::string(line) + "'");
      header_seen = true;
      continue;
    }
    if (line.empty()) continue;
    std::string_view fields[6];
    int count = 0;
    std::string_view rest = line;
    while (true) {
      const size_t comma = rest.find(',');
      if (count < 6) fields[count] = trim(rest.substr(0, comma));
      ++count;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (count != 6)
      return make_error(ErrorCode::kInvalidArgument, at + "expected 6 fields, got " + std::to_string(count));
    PriceBar bar;
    if (!parse_time(fields[0], bar.open_time_ns))
      return make_error(ErrorCode::kInvalidArgument,
                        at + "open_time '" + std::string(fields[0]) +
                            "' is neither ISO-8601 (YYYY-MM-DD HH:MM:SS[+HH:MM]) nor epoch seconds/milliseconds");
    static constexpr const char* kNames[] = {"open", "high", "low", "close", "volume"};
    double* targets[] = {&bar.open, &bar.high, &bar.low, &bar.close, &bar.volume};
    for (int i = 0; i < 5; ++i) {
      const std::string_view f = fields[i + 1];
      double v = 0;
      const auto r = std::from_chars(f.data(), f.data() + f.size(), v);
      if (f.empty() || r.ec != std::errc() || r.ptr != f.data() + f.size())
        return make_error(ErrorCode::kInvalidArgument,
                          at + kNames[i] + " '" + std::string(f) + "' is not a number");
      if (!std::isfinite(v))
        return make_error(ErrorCode::kInvalidArgument, at + kNames[i] + " '" + std::string(f) + "' is not finite");
      *targets[i] = v;
    }
    if (bar.volume < 0)
      return make_error(ErrorCode::kInvalidArgument, at + "volume must not be negative, got " + detail::fmt(bar.volume));
    bar.usable = bar.open > 0 && bar.high > 0 && bar.low > 0 && bar.close > 0 && bar.high >= bar.low &&
                 bar.close >= bar.low && bar.close <= bar.high;
    bars.push_back(bar);
  }
  if (!header_seen)
    return make_error(ErrorCode::kInvalidArgument, path + ":1: empty file, expected header '" + std::string(kHeader) + "'");
  return bars;
}

}  // namespace tp::hmm
