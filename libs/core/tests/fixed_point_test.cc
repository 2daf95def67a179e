#include "tp/core/fixed_point.h"

#include <gtest/gtest.h>

namespace tp::fixed {
namespace {

TEST(FixedPoint, ParsesAndPrintsExactly) {
  EXPECT_EQ(from_string("23105.27").value(), 2'310'527'000'000);
  EXPECT_EQ(from_string("0.00000001").value(), 1);
  EXPECT_EQ(from_string("-12.5").value(), -1'250'000'000);
  EXPECT_EQ(from_string("31000").value(), 3'100'000'000'000);
  EXPECT_EQ(to_string(2'310'527'000'000), "23105.27");
  EXPECT_EQ(to_string(1), "0.00000001");
  EXPECT_EQ(to_string(-50'000'000), "-0.5");
  EXPECT_EQ(to_string(0), "0");
}

TEST(FixedPoint, RejectsInputsItWouldHaveToRound) {
  EXPECT_EQ(from_string("0.000000001").error().message,
            "invalid decimal '0.000000001': more than 8 decimal places");
  EXPECT_EQ(from_string("1e5").error().message,
            "invalid decimal '1e5': unexpected character 'e'");
  EXPECT_EQ(from_string("").error().message, "invalid decimal '': empty");
  EXPECT_EQ(from_string("1.2.3").error().message,
            "invalid decimal '1.2.3': more than one decimal point");
  EXPECT_EQ(from_string("99999999999999999999").error().message,
            "invalid decimal '99999999999999999999': out of range");
}

TEST(FixedPoint, MultiplicationRoundsHalfAwayFromZero) {
  // 0.00000001 * 0.5 = 0.000000005 -> rounds to 0.00000001
  EXPECT_EQ(mul(1, 50'000'000), 1);
  EXPECT_EQ(mul(-1, 50'000'000), -1);
  // 23105.27 * 0.5 = 11552.635 exactly
  EXPECT_EQ(to_string(mul(from_string("23105.27").value(), from_string("0.5").value())),
            "11552.635");
  EXPECT_EQ(to_string(div(from_string("1").value(), from_string("3").value())), "0.33333333");
  EXPECT_EQ(to_string(apply_bps(from_string("10000").value(), 10)), "10");
}

TEST(FixedPoint, SumsOfTenthsStayExact) {
  // The classic binary floating-point failure: ten times 0.1 is not 1.0.
  int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += from_string("0.1").value();
  EXPECT_EQ(sum, kScale);
}

}  // namespace
}  // namespace tp::fixed
