// How an OHLCV CSV file is laid out, and the parser that turns its rows into
// exact fixed-point bars (no binary floating point anywhere).
//
//   CsvLayout layout;                       // header row, bundled column names, ISO 8601
//   CsvRowParser parser(layout);
//   parser.on_header("open_time,open,high,low,close,volume");   // resolves column indexes
//   auto row = parser.parse("2023-03-01 00:00:00+00:00,23140.48,23150.77,23128.52,23142.31,2.131777");
//   // row->open_e8 == 2314048000000
//
// Columns are named (header row) or 0-based indexes written as decimal text
// ("0", "3") when the file has no header. Fields are separated by ',';
// spaces, a trailing '\r' and one pair of surrounding double quotes are
// stripped from each field.
//
// Single-threaded: one parser per file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"
#include "tp/ingester/timestamp.h"

namespace tp::ingester {

// Index order of CsvLayout::columns.
enum Column { kOpenTime = 0, kOpen, kHigh, kLow, kClose, kVolume, kColumnCount };
std::string_view column_key(Column column);  // "open_time", "open", ...

struct CsvLayout {
  bool header = true;
  // Names (header = true) or decimal 0-based indexes (header = false).
  std::array<std::string, kColumnCount> columns{"open_time", "open", "high", "low", "close", "volume"};
  TimeFormat time_format = TimeFormat::kIso8601;

  // The default columns of a headerless file: "0" .. "5".
  static std::array<std::string, kColumnCount> default_indexes();
};

// A row that parsed: exact values, not yet judged by the quality rules.
struct RawBar {
  int64_t open_time_ns = 0;
  int64_t open_e8 = 0;
  int64_t high_e8 = 0;
  int64_t low_e8 = 0;
  int64_t close_e8 = 0;
  int64_t volume_e8 = 0;
};

// Why a row is not a bar. `reason` is a stable metric label:
//   column_count  the row does not have the expected number of fields
//   bad_time      the open time does not parse
//   bad_number    a price or the volume is not a plain decimal with <= 8 decimals
//   bad_value     a price <= 0 or a negative volume
struct RowError {
  std::string reason;
  std::string detail;
};

// Rewrites a decimal in exponent notation ("9e-05", "1.5E+3") as the plain
// decimal it denotes ("0.00009", "1500"), by moving the decimal point in the
// text: exact, no binary floating point. Other text is returned unchanged
// (tp::fixed::from_string then judges it). Data exported by pandas writes
// small volumes this way, e.g. the bundled Binance.US files.
std::string expand_exponent(std::string_view text);

// Splits one CSV line into trimmed, unquoted fields.
std::vector<std::string_view> split_csv_line(std::string_view line);

class CsvRowParser {
 public:
  explicit CsvRowParser(CsvLayout layout);

  // Checks the layout itself (indexes are numbers, names are distinct, ...).
  [[nodiscard]] static Status validate(const CsvLayout& layout);

  // Resolves the configured names against the header row. An error names
  // the missing column(s); the file cannot be read then.
  [[nodiscard]] Status on_header(std::string_view line);
  bool ready() const { return ready_; }

  [[nodiscard]] std::expected<RawBar, RowError> parse(std::string_view line) const;

 private:
  CsvLayout layout_;
  std::array<size_t, kColumnCount> index_{};
  size_t expected_fields_ = 0;  // exact count with a header, minimum without
  bool ready_ = false;
};

}  // namespace tp::ingester
