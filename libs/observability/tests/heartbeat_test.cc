#include "tp/observability/heartbeat.h"

#include <gtest/gtest.h>

#include "tp/core/clock.h"

namespace tp::obs {
namespace {

TEST(HeartbeatTest, AliveUntilSilentForLongerThanTheLimit) {
  ManualClock clock(100 * kNanosPerSecond);
  Heartbeat heartbeat(clock, std::chrono::milliseconds(1500));
  EXPECT_TRUE(heartbeat.check().has_value());

  clock.advance_ns(1500 * kNanosPerMilli);
  EXPECT_TRUE(heartbeat.check().has_value());  // exactly at the limit is still alive

  clock.advance_ns(1);
  const auto stalled = heartbeat.check("fetch loop SIGNALS/decision");
  ASSERT_FALSE(stalled.has_value());
  EXPECT_EQ(stalled.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(stalled.error().message,
            "fetch loop SIGNALS/decision stalled: no heartbeat for 1.500s (limit 1.500s)");

  heartbeat.beat();
  EXPECT_TRUE(heartbeat.check().has_value());
  clock.advance_ns(2 * kNanosPerSecond);
  EXPECT_EQ(heartbeat.check().error().message,
            "main loop stalled: no heartbeat for 2.000s (limit 1.500s)");
}

}  // namespace
}  // namespace tp::obs
