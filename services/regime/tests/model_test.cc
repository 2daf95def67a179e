#include "tp/regime/model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tp::regime {
namespace {

using trading::v1::REGIME_BEAR;
using trading::v1::REGIME_BULL;
using trading::v1::REGIME_CHOP;

constexpr int64_t kE8 = 100'000'000;

TEST(EwmaModel, FirstBarHasNoReturnAndIsChop) {
  EwmaRegimeModel m(EwmaConfig{});
  auto e = m.on_close(100 * kE8, true);
  EXPECT_EQ(e.trend, 0.0);
  EXPECT_EQ(e.realized_vol, 0.0);
  EXPECT_TRUE(e.warming_up);
  EXPECT_EQ(e.most_likely, REGIME_CHOP);
  // z = 0: logits (0, 0, 2 * 0.5) -> e / (2 + e).
  EXPECT_DOUBLE_EQ(e.p_chop, std::exp(1.0) / (2 + std::exp(1.0)));
  EXPECT_DOUBLE_EQ(e.p_bull, 1 / (2 + std::exp(1.0)));
  EXPECT_DOUBLE_EQ(e.p_bear, e.p_bull);
}

// Half-life 1 bar -> alpha = 1/2, so one return r gives trend r/2,
// variance r^2/2 and z = (r/2) / (|r|/sqrt(2) * sqrt(1/3)) = sqrt(3/2).
TEST(EwmaModel, ClosedFormAfterOneReturn) {
  EwmaConfig c{.trend_half_life_bars = 1, .vol_half_life_bars = 1, .warmup_bars = 1,
               .sharpness = 1.0, .chop_threshold = 0.5};
  EwmaRegimeModel m(c);
  m.on_close(100 * kE8, true);
  auto e = m.on_close(110 * kE8, true);
  const double r = std::log(1.1);
  EXPECT_NEAR(e.trend, r / 2, 1e-15);
  EXPECT_NEAR(e.realized_vol, std::abs(r) / std::sqrt(2.0), 1e-15);
  const double z = std::sqrt(1.5);
  const double sum = std::exp(z) + std::exp(-z) + std::exp(0.5);
  EXPECT_NEAR(e.p_bull, std::exp(z) / sum, 1e-12);
  EXPECT_NEAR(e.p_bear, std::exp(-z) / sum, 1e-12);
  EXPECT_NEAR(e.p_chop, std::exp(0.5) / sum, 1e-12);
  EXPECT_NEAR(e.p_bull + e.p_bear + e.p_chop, 1.0, 1e-15);
  EXPECT_EQ(e.most_likely, REGIME_BULL);
  EXPECT_FALSE(e.warming_up);
  // The same move down is the mirror image.
  EwmaRegimeModel down(c);
  down.on_close(110 * kE8, true);
  auto d = down.on_close(100 * kE8, true);
  EXPECT_EQ(d.most_likely, REGIME_BEAR);
  EXPECT_NEAR(d.p_bear, e.p_bull, 1e-12);
}

TEST(EwmaModel, UntrustedBarsDoNotMoveTheState) {
  EwmaRegimeModel a(EwmaConfig{}), b(EwmaConfig{});
  a.on_close(100 * kE8, true);
  b.on_close(100 * kE8, true);
  auto before = a.snapshot();
  auto held = a.on_close(310 * kE8, false);  // the bad print
  EXPECT_EQ(a.snapshot(), before);
  EXPECT_EQ(held.trend, 0.0);
  EXPECT_EQ(a.on_close(101 * kE8, true).trend, b.on_close(101 * kE8, true).trend);
}

TEST(EwmaModel, WarmUpCountsReturns) {
  EwmaRegimeModel m(EwmaConfig{.warmup_bars = 3});
  EXPECT_TRUE(m.on_close(100 * kE8, true).warming_up);   // no return yet
  EXPECT_TRUE(m.on_close(101 * kE8, true).warming_up);   // 1
  EXPECT_TRUE(m.on_close(102 * kE8, false).warming_up);  // untrusted: still 1
  EXPECT_TRUE(m.on_close(103 * kE8, true).warming_up);   // 2
  EXPECT_FALSE(m.on_close(104 * kE8, true).warming_up);  // 3
}

TEST(EwmaModel, SnapshotRestoreIsBitExact) {
  EwmaRegimeModel a(EwmaConfig{});
  for (int i = 0; i < 50; ++i) a.on_close((100 + (i * 7) % 13) * kE8 + i, true);
  EwmaRegimeModel b(EwmaConfig{});
  ASSERT_TRUE(b.restore(a.snapshot()));
  EXPECT_EQ(b.snapshot(), a.snapshot());
  auto ea = a.on_close(123 * kE8, true), eb = b.on_close(123 * kE8, true);
  EXPECT_EQ(ea.p_bull, eb.p_bull);
  EXPECT_EQ(ea.realized_vol, eb.realized_vol);
  EXPECT_EQ(b.restore("{").error().code, ErrorCode::kDataLoss);
}

TEST(EwmaModel, ValidateAndTies) {
  EXPECT_TRUE(validate(EwmaConfig{}));
  EXPECT_EQ(validate(EwmaConfig{.trend_half_life_bars = 0.5}).error().message,
            "trend_half_life_bars must be >= 1");
  EXPECT_EQ(validate(EwmaConfig{.sharpness = 0}).error().message, "sharpness must be positive");
  EXPECT_EQ(most_likely(0.4, 0.2, 0.4), REGIME_CHOP);
  EXPECT_EQ(most_likely(0.4, 0.4, 0.2), REGIME_BULL);
  EXPECT_EQ(most_likely(0.2, 0.5, 0.3), REGIME_BEAR);
}

}  // namespace
}  // namespace tp::regime
