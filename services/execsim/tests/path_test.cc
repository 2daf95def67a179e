// The intrabar path, exact positions, and the cost helpers (ATR, square
// root, fee tiers, order validation).
#include <gtest/gtest.h>

#include "execsim/core/costs.h"
#include "execsim/core/orders.h"
#include "execsim/core/path.h"
#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

int64_t e8(const char* text) { return fixed::from_string(text).value(); }

TEST(Path, OrderOfExtremesFollowsTheConfiguredRule) {
  const auto near = make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kNearerExtremeFirst);
  EXPECT_EQ(near.describe(), "open-low-high-close");  // 5 to the low, 10 to the high
  EXPECT_EQ(make_path(e8("100"), e8("105"), e8("95"), e8("99"), 0, 60, IntrabarPath::kNearerExtremeFirst).describe(),
            "open-high-low-close");  // a tie: high first
  EXPECT_EQ(make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kHighFirst).describe(),
            "open-high-low-close");
  EXPECT_EQ(make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kLowFirst).describe(),
            "open-low-high-close");
  EXPECT_EQ(make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kBarDirection).describe(),
            "open-low-high-close");  // up bar
  EXPECT_EQ(make_path(e8("100"), e8("110"), e8("95"), e8("97"), 0, 60, IntrabarPath::kBarDirection).describe(),
            "open-high-low-close");  // down bar
}

TEST(Path, FirstBeyondIsExactAndHonoursStrictness) {
  // open 100 -> low 95 -> high 110 -> close 105
  const auto p = make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kLowFirst);
  auto hit = first_beyond(p, Path::start(), e8("97"), Cmp::kLt);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->seg, 0);
  EXPECT_EQ(price_at(p, *hit), e8("97"));
  EXPECT_FALSE(first_beyond(p, Path::start(), e8("95"), Cmp::kLt));  // touching is not through
  EXPECT_TRUE(first_beyond(p, Path::start(), e8("95"), Cmp::kLe));
  auto up = first_beyond(p, Path::start(), e8("108"), Cmp::kGe);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->seg, 1);
  EXPECT_EQ(price_at(p, *up), e8("108"));
  EXPECT_TRUE(*hit < *up);
  auto gap = first_beyond(p, Path::start(), e8("101"), Cmp::kLe);  // the open is already below
  ASSERT_TRUE(gap);
  EXPECT_TRUE(at_open(*gap));
}

TEST(Path, TimeMapsToThreeEqualLegs) {
  const auto p = make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kLowFirst);
  EXPECT_EQ(price_at(p, time_pos(p, 0)), e8("100"));
  EXPECT_EQ(price_at(p, time_pos(p, 10)), e8("97.5"));   // half way to the low
  EXPECT_EQ(price_at(p, time_pos(p, 30)), e8("102.5"));  // half way low -> high
  EXPECT_EQ(time_pos(p, 60), Path::end());
  EXPECT_EQ(extreme_between(p, Path::start(), time_pos(p, 30), true), e8("102.5"));
  EXPECT_EQ(extreme_between(p, Path::start(), Path::end(), false), e8("95"));
}

TEST(Path, TrailingWalkRatchetsAndTriggers) {
  // open 100 -> high 110 -> low 95: the mark rises to 110, the 5-point trail
  // triggers at 105 on the way down.
  const auto p = make_path(e8("100"), e8("110"), e8("95"), e8("105"), 0, 60, IntrabarPath::kHighFirst);
  auto w = trail_walk(p, Path::start(), e8("100"), true, e8("5"), 0);
  ASSERT_TRUE(w.hit);
  EXPECT_EQ(w.extreme, e8("110"));
  EXPECT_EQ(w.stop, e8("105"));
  EXPECT_EQ(price_at(p, *w.hit), e8("105"));
  // 100 bps of 110 = 1.1: stop 108.9.
  auto b = trail_walk(p, Path::start(), e8("100"), true, 0, 100);
  EXPECT_EQ(b.stop, e8("108.9"));
}

TEST(Costs, AtrSqrtFeesAndTiers) {
  Atr atr(2);
  EXPECT_EQ(atr.value(), 0);
  atr.on_bar(e8("110"), e8("90"), e8("100"));   // 20
  atr.on_bar(e8("105"), e8("101"), e8("104"));  // max(105, 100) - min(101, 100) = 5
  EXPECT_EQ(atr.value(), e8("12.5"));
  atr.on_bar(e8("104"), e8("104"), e8("104"));  // 0: the first range drops out
  EXPECT_EQ(atr.value(), e8("2.5"));
  EXPECT_EQ(sqrt_ratio_e8(e8("1"), e8("4")), e8("0.5"));
  EXPECT_EQ(sqrt_ratio_e8(e8("2"), e8("1")), e8("1.41421356"));
  EXPECT_EQ(fee_at(e8("1000"), e8("7.5")), e8("0.75"));
  EXPECT_EQ(fee_at(e8("0.00000001"), e8("5000")), e8("0.00000001"));  // 0.5e-8 rounds away from zero
  std::vector<FeeTier> tiers{{"a", 0, 0, 0}, {"b", e8("100"), 0, 0}};
  EXPECT_EQ(tier_for(tiers, e8("99.99")), 0u);
  EXPECT_EQ(tier_for(tiers, e8("100")), 1u);
  FeeVolume v;
  v.add(10, e8("60"), 30);
  v.add(39, e8("50"), 30);
  EXPECT_EQ(v.trailing(39, 30), e8("110"));
  EXPECT_EQ(v.trailing(40, 30), e8("50"));  // day 10 left the 30-day window
}

TEST(Orders, StaticRulesNameTheProblem) {
  OrderSpec s;
  s.side = trading::v1::SIDE_BUY;
  s.quantity_e8 = e8("1");
  s.type = trading::v1::ORDER_TYPE_MARKET;
  EXPECT_FALSE(static_problem(s));
  s.limit_e8 = e8("1");
  EXPECT_EQ(static_problem(s)->text, "limit price 1 is not used by a MARKET order");
  s.limit_e8 = 0;
  s.type = trading::v1::ORDER_TYPE_TRAILING_STOP;
  EXPECT_EQ(static_problem(s)->text, "a trailing stop needs trail_amount_e8 or trail_bps");
  s.trail_bps = 50;
  s.tif = trading::v1::TIME_IN_FORCE_IOC;
  EXPECT_EQ(static_problem(s)->text, "time in force IOC applies to MARKET and LIMIT orders only");
  s.tif = trading::v1::TIME_IN_FORCE_GTC;
  s.post_only = true;
  EXPECT_EQ(static_problem(s)->text,
            "post_only applies to resting LIMIT orders only (not TRAILING_STOP GTC)");
  s = {};
  s.side = trading::v1::SIDE_SELL;
  s.quantity_e8 = e8("1");
  s.type = trading::v1::ORDER_TYPE_LIMIT;
  s.limit_e8 = e8("10");
  s.display_e8 = e8("1");
  EXPECT_EQ(static_problem(s)->text, "display quantity 1 is not below quantity 1");
}

}  // namespace
}  // namespace tp::execsim
