// The data-quality rules of docs/data-quality.md, applied to one series
// (one venue/symbol/timeframe) in file order. Integer arithmetic only, so
// the flags are exact and reproducible.
//
//   QualityRules rules({.timeframe_ns = 60 * tp::kNanosPerSecond});
//   uint32_t flags = rules.assess(raw_bar);   // OR of trading::v1::BarQualityFlag
//
// Single-threaded: one instance per series.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "tp/ingester/csv_layout.h"

namespace tp::ingester {

struct QualityConfig {
  int64_t timeframe_ns = 60'000'000'000;
  // Outlier rule: a bar is an outlier when its range (high - low) is more
  // than `outlier_range_multiple` times the median range of the last
  // `outlier_window` accepted bars AND more than `outlier_min_move_bps`
  // basis points of its open. With fewer than `outlier_min_samples`
  // accepted bars in the window only the basis-point test applies.
  int64_t outlier_window = 60;
  int64_t outlier_min_samples = 20;
  int64_t outlier_range_multiple = 10;
  int64_t outlier_min_move_bps = 300;
};

// Validation text names the offending field, e.g. "outlier_window must be >= 1".
[[nodiscard]] Status validate(const QualityConfig& config);

// "zero_volume", "outlier", "gap_before", "out_of_order", "inconsistent":
// the names of the set bits, in bit order (metric label values).
std::vector<std::string> flag_names(uint32_t flags);

class QualityRules {
 public:
  explicit QualityRules(QualityConfig config);

  // Flags for the next row of the series; updates the series state (last
  // open time, outlier window) as documented.
  uint32_t assess(const RawBar& bar);

  // The median the outlier rule would use now (nullopt while warming up).
  std::optional<int64_t> median_range() const;
  std::optional<int64_t> last_open_time_ns() const { return last_open_ns_; }

 private:
  QualityConfig config_;
  std::optional<int64_t> last_open_ns_;
  std::deque<int64_t> ranges_;  // ranges of accepted bars, oldest first
};

}  // namespace tp::ingester
