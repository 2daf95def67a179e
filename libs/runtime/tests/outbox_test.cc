#include "tp/runtime/outbox.h"

#include <gtest/gtest.h>

#include "tp/bus/in_process_transport.h"
#include "tp/runtime/service.h"
#include "tp/signing/key_ring.h"
#include "trading/v1/signals.pb.h"

namespace tp::runtime {
namespace {

TEST(Outbox, KeepsOrderAndSerialisesWithTheFullTypeName) {
  Outbox out;
  trading::v1::Signal s;
  s.set_strategy("ma_trend");
  out.emit("sig.ma_trend.BTCUSDT", "sig:1", "bar:1", s);
  s.set_strategy("donchian");
  out.emit("sig.donchian.BTCUSDT", "sig:2", "bar:1", s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.items()[0].message_type, "trading.v1.Signal");
  trading::v1::Signal back;
  ASSERT_TRUE(back.ParseFromString(out.items()[1].payload));
  EXPECT_EQ(back.strategy(), "donchian");
  auto taken = out.take();
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_TRUE(out.empty());
}

TEST(Outbox, PublishAllSignsAndQueuesEveryItem) {
  ManualClock clock(1'677'628'800LL * kNanosPerSecond);
  bus::InProcessTransport bus(clock);
  ASSERT_TRUE(bus.ensure_stream({.name = "SIG", .subjects = {"sig.>"}}));
  auto ring = signing::KeyRing::create(
      {{"signal-1", "signal", std::string(32, 's'), {"sig.>"}, signing::KeyStatus::kActive}},
      "signal-1");
  ASSERT_TRUE(ring);
  auto shared = std::make_shared<const signing::KeyRing>(std::move(*ring));
  auto signer = signing::Signer::create(shared, "signal", clock);
  ASSERT_TRUE(signer);
  bus::Publisher publisher(bus, *signer, clock);
  Outbox out;
  trading::v1::Signal s;
  out.emit("sig.ma_trend.BTCUSDT", "sig:1", "bar:1", s);
  out.emit("sig.ma_trend.BTCUSDT", "sig:2", "bar:2", s);
  ASSERT_TRUE(publish_all(out, publisher));
  ASSERT_TRUE(publisher.flush(kNanosPerSecond));
  auto stored = bus.stream_messages("SIG");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].headers.at("Nats-Msg-Id"), "sig:2");
  EXPECT_EQ(stored[1].headers.at("Tp-Correlation-Id"), "bar:2");
  EXPECT_EQ(stored[1].headers.at("Tp-Type"), "trading.v1.Signal");
}

}  // namespace
}  // namespace tp::runtime
