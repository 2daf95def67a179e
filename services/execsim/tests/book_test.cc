#include "execsim/core/book.h"

#include <gtest/gtest.h>

#include "tp/core/fixed_point.h"

namespace tp::execsim {
namespace {

namespace v1 = trading::v1;
int64_t e8(const char* text) { return fixed::from_string(text).value(); }

TEST(MulDiv, RoundsHalfAwayFromZero) {
  EXPECT_EQ(mul_div(10, 1, 4), 3);    // 2.5 -> 3
  EXPECT_EQ(mul_div(-10, 1, 4), -3);  // -2.5 -> -3
  EXPECT_EQ(mul_div(10, 1, 3), 3);    // 3.33 -> 3
  EXPECT_EQ(mul_div(-11, 1, 3), -4);  // -3.67 -> -4
  EXPECT_EQ(mul_div(7, 3, -2), -11);  // -10.5 -> -11
  EXPECT_EQ(mul_div(INT64_MAX, 2, 1), INT64_MAX);  // saturates
}

TEST(Book, LongRoundTripRealisesAtAverageCost) {
  Book b{.cash_e8 = e8("1000")};
  EXPECT_FALSE(apply_fill(b, v1::SIDE_BUY, e8("1"), e8("100"), e8("0.1")));
  EXPECT_FALSE(apply_fill(b, v1::SIDE_BUY, e8("2"), e8("230"), e8("0.2")));
  EXPECT_EQ(b.quantity_e8, e8("3"));
  EXPECT_EQ(b.cost_e8, e8("330"));
  EXPECT_EQ(average_cost_e8(b), e8("110"));
  auto c = apply_fill(b, v1::SIDE_SELL, e8("1"), e8("120"), e8("0.12"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->quantity_e8, e8("1"));
  EXPECT_EQ(c->gross_pnl_e8, e8("10"));        // 120 - 110
  EXPECT_EQ(c->fees_e8, e8("0.22"));           // 0.12 + 0.3 / 3
  EXPECT_EQ(c->net_pnl_e8, e8("9.78"));
  EXPECT_EQ(c->entry_notional_e8, e8("110"));
  EXPECT_EQ(b.quantity_e8, e8("2"));
  EXPECT_EQ(b.cost_e8, e8("220"));
  EXPECT_EQ(b.open_fees_e8, e8("0.2"));
  EXPECT_EQ(b.realized_pnl_e8, e8("10"));
  EXPECT_EQ(b.fees_e8, e8("0.42"));
  EXPECT_EQ(b.cash_e8, e8("1000") - e8("330") - e8("0.3") + e8("120") - e8("0.12"));
  EXPECT_EQ(unrealized_pnl_e8(b, e8("105")), e8("-10"));
  EXPECT_EQ(equity_e8(b, e8("105")), b.cash_e8 + e8("210"));
}

TEST(Book, ShortIsTheMirrorImage) {
  Book b;
  EXPECT_FALSE(apply_fill(b, v1::SIDE_SELL, e8("2"), e8("200"), 0));
  EXPECT_EQ(b.quantity_e8, e8("-2"));
  EXPECT_EQ(b.cost_e8, e8("-200"));
  EXPECT_EQ(average_cost_e8(b), e8("100"));
  EXPECT_EQ(unrealized_pnl_e8(b, e8("90")), e8("20"));
  auto c = apply_fill(b, v1::SIDE_BUY, e8("2"), e8("180"), 0);  // cover at 90
  ASSERT_TRUE(c);
  EXPECT_EQ(c->gross_pnl_e8, e8("20"));
  EXPECT_EQ(b.quantity_e8, 0);
  EXPECT_EQ(b.cost_e8, 0);
  EXPECT_EQ(b.cash_e8, e8("20"));
  EXPECT_EQ(average_cost_e8(b), 0);
}

TEST(Book, PartialReductionRemovesCostProRataWithRounding) {
  Book b;
  apply_fill(b, v1::SIDE_BUY, e8("3"), e8("100"), e8("0.00000001"));
  auto c = apply_fill(b, v1::SIDE_SELL, e8("1"), e8("40"), 0);
  ASSERT_TRUE(c);
  // 100 / 3 = 33.333333333 -> 33.33333333; fee 1e-8 / 3 -> 0.
  EXPECT_EQ(c->entry_notional_e8, e8("33.33333333"));
  EXPECT_EQ(c->gross_pnl_e8, e8("6.66666667"));
  EXPECT_EQ(c->fees_e8, 0);
  EXPECT_EQ(b.cost_e8, e8("66.66666667"));
  // Closing the rest removes exactly what is left: nothing is lost.
  c = apply_fill(b, v1::SIDE_SELL, e8("2"), e8("80"), 0);
  EXPECT_EQ(c->entry_notional_e8, e8("66.66666667"));
  EXPECT_EQ(c->fees_e8, e8("0.00000001"));
  EXPECT_EQ(b.cost_e8, 0);
  EXPECT_EQ(b.open_fees_e8, 0);
  EXPECT_EQ(b.realized_pnl_e8, e8("20"));
}

}  // namespace
}  // namespace tp::execsim
