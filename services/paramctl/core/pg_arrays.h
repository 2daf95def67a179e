// PostgreSQL array literals for paramctl's float8[] / text[] columns, with
// doubles in their shortest round-trip form so the stored bits are exact.
//
//   tx.exec_params("... VALUES ($1::float8[])", pg_float_array(values));
//   auto back = parse_pg_float_array(row[0].c_str());   // "{1.5,-0.25}" -> {1.5, -0.25}
#pragma once

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tp::paramctl {

inline void append_pg_double(std::string& out, double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// "{1.5,-0.25}"
inline std::string pg_float_array(std::span<const double> values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    append_pg_double(out, values[i]);
  }
  return out + "}";
}

// Row-major d x d: "{{a,b},{c,d}}".
inline std::string pg_float_matrix(std::span<const double> row_major, size_t d) {
  std::string out = "{";
  for (size_t i = 0; i < d; ++i) {
    if (i) out += ',';
    out += pg_float_array(row_major.subspan(i * d, d));
  }
  return out + "}";
}

// Names without quotes, commas, braces or spaces: "{p_bull,bias}".
inline std::string pg_text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += values[i];
  }
  return out + "}";
}

// Any-dimensional float8[] text, flattened in order; nullopt on bad text.
inline std::optional<std::vector<double>> parse_pg_float_array(std::string_view text) {
  std::vector<double> out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' || c == '}' || c == ',' || c == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find_first_of(",}", i);
    if (end == std::string_view::npos) return std::nullopt;
    double v = 0;
    auto r = std::from_chars(text.data() + i, text.data() + end, v);
    if (r.ec != std::errc() || r.ptr != text.data() + end) return std::nullopt;
    out.push_back(v);
    i = end;
  }
  return out;
}

}  // namespace tp::paramctl
