#include "tp/ingester/csv_layout.h"

#include <algorithm>
#include <set>

#include "tp/core/fixed_point.h"

namespace tp::ingester {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<size_t> parse_index(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

}  // namespace

std::string_view column_key(Column column) {
  static constexpr std::string_view kKeys[] = {"open_time", "open", "high", "low", "close", "volume"};
  return kKeys[column];
}

std::array<std::string, kColumnCount> CsvLayout::default_indexes() {
  return {"0", "1", "2", "3", "4", "5"};
}

std::string expand_exponent(std::string_view text) {
  const size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos) return std::string(text);
  std::string_view mantissa = text.substr(0, e);
  std::string_view exponent = text.substr(e + 1);
  std::string sign;
  if (!mantissa.empty() && (mantissa[0] == '-' || mantissa[0] == '+')) {
    if (mantissa[0] == '-') sign = "-";
    mantissa.remove_prefix(1);
  }
  int exp_sign = 1;
  if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) {
    if (exponent[0] == '-') exp_sign = -1;
    exponent.remove_prefix(1);
  }
  if (exponent.empty() || exponent.size() > 3 || mantissa.empty()) return std::string(text);
  int shift = 0;
  for (char c : exponent) {
    if (c < '0' || c > '9') return std::string(text);
    shift = shift * 10 + (c - '0');
  }
  shift *= exp_sign;
  std::string digits;
  int point = -1;  // digits before the decimal point
  for (char c : mantissa) {
    if (c == '.') {
      if (point >= 0) return std::string(text);
      point = static_cast<int>(digits.size());
    } else if (c >= '0' && c <= '9') {
      digits += c;
    } else {
      return std::string(text);
    }
  }
  if (digits.empty()) return std::string(text);
  if (point < 0) point = static_cast<int>(digits.size());
  point += shift;
  // Bounded so a hostile "1e999" cannot allocate much; from_string rejects
  // anything this long anyway.
  if (point > 40 || point < -40) return std::string(text);
  if (point <= 0) {
    digits = std::string(static_cast<size_t>(-point), '0') + digits;
    point = 0;
  } else if (point > static_cast<int>(digits.size())) {
    digits += std::string(static_cast<size_t>(point) - digits.size(), '0');
  }
  std::string out = sign + (point == 0 ? "0" : digits.substr(0, static_cast<size_t>(point)));
  std::string fraction = digits.substr(static_cast<size_t>(point));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

std::vector<std::string_view> split_csv_line(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    std::string_view field =
        trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
      field = trim(field.substr(1, field.size() - 2));
    fields.push_back(field);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

CsvRowParser::CsvRowParser(CsvLayout layout) : layout_(std::move(layout)) {
  if (!layout_.header) {
    size_t max_index = 0;
    for (int c = 0; c < kColumnCount; ++c) {
      index_[c] = parse_index(layout_.columns[c]).value_or(0);
      max_index = std::max(max_index, index_[c]);
    }
    expected_fields_ = max_index + 1;
    ready_ = true;
  }
}

Status CsvRowParser::validate(const CsvLayout& layout) {
  std::set<std::string> seen;
  for (int c = 0; c < kColumnCount; ++c) {
    const std::string& v = layout.columns[c];
    const std::string key(column_key(static_cast<Column>(c)));
    if (v.empty()) return make_error(ErrorCode::kInvalidArgument, "column " + key + " is empty");
    if (!layout.header && !parse_index(v))
      return make_error(ErrorCode::kInvalidArgument,
                        "column " + key + " must be a 0-based index such as \"3\" when the file "
                        "has no header, got '" + v + "'");
    if (!seen.insert(v).second)
      return make_error(ErrorCode::kInvalidArgument,
                        "column " + key + " uses '" + v + "', already used by another column");
  }
  return ok();
}

Status CsvRowParser::on_header(std::string_view line) {
  const auto fields = split_csv_line(line);
  std::string missing;
  for (int c = 0; c < kColumnCount; ++c) {
    auto it = std::find(fields.begin(), fields.end(), std::string_view(layout_.columns[c]));
    if (it == fields.end()) {
      missing += (missing.empty() ? "" : ", ") + layout_.columns[c];
      continue;
    }
    index_[c] = static_cast<size_t>(it - fields.begin());
  }
  if (!missing.empty())
    return make_error(ErrorCode::kInvalidArgument, "header has no column(s) " + missing);
  expected_fields_ = fields.size();
  ready_ = true;
  return ok();
}

std::expected<RawBar, RowError> CsvRowParser::parse(std::string_view line) const {
  const auto fields = split_csv_line(line);
  if (layout_.header ? fields.size() != expected_fields_ : fields.size() < expected_fields_) {
    return std::unexpected(RowError{
        "column_count", "expected " + std::string(layout_.header ? "" : "at least ") +
                            std::to_string(expected_fields_) + " fields, got " +
                            std::to_string(fields.size())});
  }
  RawBar bar;
  auto time = parse_time(fields[index_[kOpenTime]], layout_.time_format);
  if (!time) return std::unexpected(RowError{"bad_time", time.error().message});
  bar.open_time_ns = *time;
  int64_t* targets[] = {nullptr, &bar.open_e8, &bar.high_e8, &bar.low_e8, &bar.close_e8, &bar.volume_e8};
  for (int c = kOpen; c < kColumnCount; ++c) {
    const std::string_view text = fields[index_[c]];
    auto value = fixed::from_string(expand_exponent(text));
    if (!value)
      return std::unexpected(RowError{"bad_number", std::string(column_key(static_cast<Column>(c))) +
                                                        " '" + std::string(text) +
                                                        "': " + value.error().message});
    *targets[c] = *value;
  }
  for (int c = kOpen; c <= kClose; ++c) {
    if (*targets[c] <= 0)
      return std::unexpected(RowError{"bad_value", std::string(column_key(static_cast<Column>(c))) +
                                                       " must be positive, got " +
                                                       fixed::to_string(*targets[c])});
  }
  if (bar.volume_e8 < 0)
    return std::unexpected(
        RowError{"bad_value", "volume must not be negative, got " + fixed::to_string(bar.volume_e8)});
  return bar;
}

}  // namespace tp::ingester
