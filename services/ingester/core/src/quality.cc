#include "tp/ingester/quality.h"

#include <algorithm>

#include "trading/v1/market_data.pb.h"

namespace tp::ingester {

using trading::v1::BarQualityFlag;

Status validate(const QualityConfig& c) {
  auto bad = [](std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (c.timeframe_ns <= 0) return bad("timeframe must be positive");
  if (c.outlier_window < 1) return bad("outlier_window must be >= 1");
  if (c.outlier_min_samples < 1 || c.outlier_min_samples > c.outlier_window)
    return bad("outlier_min_samples must be between 1 and outlier_window");
  if (c.outlier_range_multiple < 1) return bad("outlier_range_multiple must be >= 1");
  if (c.outlier_min_move_bps < 0) return bad("outlier_min_move_bps must be >= 0");
  return ok();
}

std::vector<std::string> flag_names(uint32_t flags) {
  std::vector<std::string> names;
  if (flags & trading::v1::BAR_QUALITY_ZERO_VOLUME) names.emplace_back("zero_volume");
  if (flags & trading::v1::BAR_QUALITY_OUTLIER) names.emplace_back("outlier");
  if (flags & trading::v1::BAR_QUALITY_GAP_BEFORE) names.emplace_back("gap_before");
  if (flags & trading::v1::BAR_QUALITY_OUT_OF_ORDER) names.emplace_back("out_of_order");
  if (flags & trading::v1::BAR_QUALITY_INCONSISTENT) names.emplace_back("inconsistent");
  return names;
}

QualityRules::QualityRules(QualityConfig config) : config_(config) {}

std::optional<int64_t> QualityRules::median_range() const {
  if (static_cast<int64_t>(ranges_.size()) < config_.outlier_min_samples) return std::nullopt;
  std::vector<int64_t> sorted(ranges_.begin(), ranges_.end());
  // Upper median: exact, no averaging of the two middle values.
  auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  return *mid;
}

uint32_t QualityRules::assess(const RawBar& bar) {
  if (last_open_ns_ && bar.open_time_ns <= *last_open_ns_) return trading::v1::BAR_QUALITY_OUT_OF_ORDER;

  uint32_t flags = 0;
  if (last_open_ns_ && bar.open_time_ns - *last_open_ns_ > config_.timeframe_ns)
    flags |= trading::v1::BAR_QUALITY_GAP_BEFORE;
  if (bar.volume_e8 == 0) flags |= trading::v1::BAR_QUALITY_ZERO_VOLUME;
  const int64_t body_high = std::max(bar.open_e8, bar.close_e8);
  const int64_t body_low = std::min(bar.open_e8, bar.close_e8);
  if (bar.high_e8 < body_high || bar.low_e8 > body_low || bar.low_e8 > bar.high_e8)
    flags |= trading::v1::BAR_QUALITY_INCONSISTENT;

  const int64_t range = std::max<int64_t>(0, bar.high_e8 - bar.low_e8);
  const __int128 move_bps_scaled = static_cast<__int128>(range) * 10'000;
  const __int128 threshold_scaled = static_cast<__int128>(config_.outlier_min_move_bps) * bar.open_e8;
  if (move_bps_scaled > threshold_scaled) {
    const auto median = median_range();
    if (!median ||
        static_cast<__int128>(range) > static_cast<__int128>(config_.outlier_range_multiple) * *median)
      flags |= trading::v1::BAR_QUALITY_OUTLIER;
  }

  const bool accepted = (flags & (trading::v1::BAR_QUALITY_OUTLIER | trading::v1::BAR_QUALITY_INCONSISTENT |
                                  trading::v1::BAR_QUALITY_ZERO_VOLUME)) == 0;
  if (accepted) {
    ranges_.push_back(range);
    if (static_cast<int64_t>(ranges_.size()) > config_.outlier_window) ranges_.pop_front();
  }
  last_open_ns_ = bar.open_time_ns;
  return flags;
}

}  // namespace tp::ingester
