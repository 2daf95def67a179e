#include "tp/ingester/quality.h"

#include <gtest/gtest.h>

#include "trading/v1/market_data.pb.h"

namespace tp::ingester {
namespace {

constexpr int64_t kMin = 60'000'000'000;
constexpr int64_t kE8 = 100'000'000;
using namespace trading::v1;

RawBar bar(int64_t minute, int64_t o, int64_t h, int64_t l, int64_t c, int64_t v = 1) {
  return RawBar{minute * kMin, o * kE8, h * kE8, l * kE8, c * kE8, v * kE8};
}

QualityConfig small_window() {
  return QualityConfig{.timeframe_ns = kMin, .outlier_window = 5, .outlier_min_samples = 3,
                       .outlier_range_multiple = 10, .outlier_min_move_bps = 300};
}

TEST(QualityRules, CleanSeriesHasNoFlags) {
  QualityRules q(small_window());
  EXPECT_EQ(q.assess(bar(0, 100, 101, 99, 100)), 0u);
  EXPECT_EQ(q.assess(bar(1, 100, 101, 99, 100)), 0u);
}

TEST(QualityRules, ZeroVolumeGapInconsistent) {
  QualityRules q(small_window());
  EXPECT_EQ(q.assess(bar(0, 100, 101, 99, 100, 0)), uint32_t(BAR_QUALITY_ZERO_VOLUME));
  EXPECT_EQ(q.assess(bar(3, 100, 101, 99, 100)), uint32_t(BAR_QUALITY_GAP_BEFORE));
  EXPECT_EQ(q.assess(bar(4, 100, 99, 98, 98)), uint32_t(BAR_QUALITY_INCONSISTENT));   // high < open
  EXPECT_EQ(q.assess(bar(5, 100, 101, 100, 99)), uint32_t(BAR_QUALITY_INCONSISTENT));  // low > close
  EXPECT_EQ(q.assess(bar(7, 100, 101, 99, 100, 0)),
            uint32_t(BAR_QUALITY_GAP_BEFORE | BAR_QUALITY_ZERO_VOLUME));
}

TEST(QualityRules, OutOfOrderAndDuplicateLeaveStateAlone) {
  QualityRules q(small_window());
  EXPECT_EQ(q.assess(bar(5, 100, 101, 99, 100)), 0u);
  EXPECT_EQ(q.assess(bar(5, 100, 101, 99, 100)), uint32_t(BAR_QUALITY_OUT_OF_ORDER));
  EXPECT_EQ(q.assess(bar(2, 100, 101, 99, 100, 0)), uint32_t(BAR_QUALITY_OUT_OF_ORDER));
  EXPECT_EQ(q.last_open_time_ns(), 5 * kMin);
  EXPECT_EQ(q.assess(bar(6, 100, 101, 99, 100)), 0u);  // no gap: 6 follows 5
}

TEST(QualityRules, OutlierNeedsBothTheMultipleAndTheBasisPoints) {
  QualityRules q(small_window());
  // Warm-up: only the basis-point test (3% of the open).
  EXPECT_EQ(q.assess(bar(0, 1000, 1030, 1000, 1000)), 0u);  // exactly 300 bps: not beyond
  EXPECT_EQ(q.assess(bar(1, 1000, 1031, 1000, 1000)), uint32_t(BAR_QUALITY_OUTLIER));
  EXPECT_EQ(q.median_range(), std::nullopt);  // 1 accepted bar; outliers do not enter
  EXPECT_EQ(q.assess(bar(2, 1000, 1002, 1000, 1001)), 0u);
  EXPECT_EQ(q.assess(bar(3, 1000, 1004, 1000, 1001)), 0u);
  EXPECT_EQ(q.median_range(), 4 * kE8);  // middle of sorted {2, 4, 30}
  // Range 40 > 300 bps but not > 10 x 4: a volatile minute, not an outlier.
  EXPECT_EQ(q.assess(bar(4, 1000, 1040, 1000, 1001)), 0u);
  EXPECT_EQ(q.median_range(), 30 * kE8);  // upper median of sorted {2, 4, 30, 40}
  EXPECT_EQ(q.assess(bar(5, 1000, 1000, 995, 998)), 0u);
  EXPECT_EQ(q.assess(bar(6, 1000, 1001, 999, 1000)), 0u);
  // Window of 5 now {4, 40, 5, 2, ...}: the 30 has dropped out.
  EXPECT_EQ(q.median_range(), 4 * kE8);  // sorted {2, 2, 4, 5, 40} -> 4
  // A wick of 41 > 10 x 4 and > 3 %: the bad print.
  EXPECT_EQ(q.assess(bar(7, 1000, 1041, 1000, 1000)), uint32_t(BAR_QUALITY_OUTLIER));
  // Exactly 10 x the median is not beyond it.
  EXPECT_EQ(q.assess(bar(8, 1000, 1000, 960, 960)), 0u);
}

TEST(QualityRules, ZeroVolumeBarsDoNotEnterTheWindow) {
  QualityRules q(small_window());
  for (int i = 0; i < 10; ++i) q.assess(bar(i, 100, 100, 100, 100, 0));
  EXPECT_EQ(q.median_range(), std::nullopt);
}

TEST(QualityRules, FlagNames) {
  EXPECT_EQ(flag_names(0), std::vector<std::string>{});
  EXPECT_EQ(flag_names(BAR_QUALITY_ZERO_VOLUME | BAR_QUALITY_GAP_BEFORE | BAR_QUALITY_INCONSISTENT),
            (std::vector<std::string>{"zero_volume", "gap_before", "inconsistent"}));
  EXPECT_EQ(flag_names(BAR_QUALITY_OUTLIER | BAR_QUALITY_OUT_OF_ORDER),
            (std::vector<std::string>{"outlier", "out_of_order"}));
}

TEST(QualityRules, Validate) {
  EXPECT_TRUE(validate(QualityConfig{}));
  EXPECT_EQ(validate(QualityConfig{.outlier_window = 0}).error().message, "outlier_window must be >= 1");
  EXPECT_EQ(validate(QualityConfig{.outlier_window = 5, .outlier_min_samples = 6}).error().message,
            "outlier_min_samples must be between 1 and outlier_window");
}

}  // namespace
}  // namespace tp::ingester
