#include "tp/bus/in_process_transport.h"

#include <gtest/gtest.h>

namespace tp::bus {
namespace {

constexpr int64_t kT0 = 1'677'628'800LL * kNanosPerSecond;  // 2023-03-01 00:00 UTC

OutgoingMessage msg(std::string subject, std::string id, std::string body) {
  return {std::move(subject), std::move(body), {{"Nats-Msg-Id", std::move(id)}}};
}

class InProcessTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus.ensure_stream({.name = "MD", .subjects = {"md.>"},
                                   .duplicate_window_ns = 60 * kNanosPerSecond}));
    ASSERT_TRUE(bus.ensure_consumer({.stream = "MD", .durable = "c", .ack_wait_ns = kNanosPerSecond,
                                     .max_deliver = 3}));
  }
  Result<PubAck> publish(OutgoingMessage m) {
    Result<PubAck> out = make_error(ErrorCode::kInternal, "no callback");
    EXPECT_TRUE(bus.publish_async(std::move(m), [&](Result<PubAck> a) { out = std::move(a); }));
    return out;
  }
  ManualClock clock{kT0};
  InProcessTransport bus{clock};
};

TEST_F(InProcessTransportTest, AssignsSequencesAndDropsDuplicatesInsideTheWindow) {
  EXPECT_EQ(publish(msg("md.bar.x", "a", "1"))->sequence, 1u);
  EXPECT_EQ(publish(msg("md.bar.x", "b", "2"))->sequence, 2u);
  auto dup = publish(msg("md.bar.x", "a", "1"));
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(bus.stream_size("MD"), 2u);
  clock.advance_ns(61 * kNanosPerSecond);
  EXPECT_EQ(publish(msg("md.bar.x", "a", "1"))->sequence, 3u);  // window passed
}

TEST_F(InProcessTransportTest, UnroutableSubjectIsAnErrorInTheAck) {
  auto ack = publish(msg("nowhere", "a", "1"));
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().message, "no stream captures subject nowhere");
}

TEST_F(InProcessTransportTest, RedeliversAfterAckWaitAndAfterNakDelayUpToMaxDeliver) {
  ASSERT_TRUE(publish(msg("md.bar.x", "a", "1")));
  auto sub = std::move(*bus.subscribe({.stream = "MD", .durable = "c", .ack_wait_ns = kNanosPerSecond,
                                       .max_deliver = 3}));
  auto first = std::move(*sub->fetch(10, 0));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->num_delivered(), 1u);
  EXPECT_EQ(first[0]->stored_ns(), kT0);
  EXPECT_TRUE(sub->fetch(10, 0)->empty());  // pending, not due
  clock.advance_ns(kNanosPerSecond);
  auto second = std::move(*sub->fetch(10, 0));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]->num_delivered(), 2u);
  EXPECT_EQ(second[0]->stream_sequence(), 1u);
  ASSERT_TRUE(second[0]->nak(5 * kNanosPerSecond));
  clock.advance_ns(4 * kNanosPerSecond);
  EXPECT_TRUE(sub->fetch(10, 0)->empty());
  clock.advance_ns(kNanosPerSecond);
  auto third = std::move(*sub->fetch(10, 0));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0]->num_delivered(), 3u);
  clock.advance_ns(10 * kNanosPerSecond);
  EXPECT_TRUE(sub->fetch(10, 0)->empty());  // max_deliver reached: JetStream gives up
}

TEST_F(InProcessTransportTest, AckedMessagesAreNotRedelivered) {
  ASSERT_TRUE(publish(msg("md.bar.x", "a", "1")));
  ASSERT_TRUE(publish(msg("md.bar.x", "b", "2")));
  auto sub = std::move(*bus.subscribe({.stream = "MD", .durable = "c"}));
  auto batch = std::move(*sub->fetch(10, 0));
  ASSERT_EQ(batch.size(), 2u);
  ASSERT_TRUE(batch[0]->ack());
  ASSERT_TRUE(batch[1]->term());
  clock.advance_ns(100 * kNanosPerSecond);
  EXPECT_TRUE(sub->fetch(10, 0)->empty());
}

TEST_F(InProcessTransportTest, FilterSubjectSelectsMessages) {
  ASSERT_TRUE(bus.ensure_consumer({.stream = "MD", .durable = "only-y", .filter_subject = "md.*.y"}));
  ASSERT_TRUE(publish(msg("md.bar.x", "a", "1")));
  ASSERT_TRUE(publish(msg("md.bar.y", "b", "2")));
  auto sub = std::move(*bus.subscribe({.stream = "MD", .durable = "only-y",
                                       .filter_subject = "md.*.y"}));
  auto batch = std::move(*sub->fetch(10, 0));
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0]->subject(), "md.bar.y");
  EXPECT_EQ(batch[0]->stream_sequence(), 2u);
}

TEST_F(InProcessTransportTest, InjectedOutageFailsPublishesAsUnavailable) {
  bus.fail_publishes(1);
  auto failed = publish(msg("md.bar.x", "a", "1"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(publish(msg("md.bar.x", "a", "1")));
}

TEST_F(InProcessTransportTest, ConsumerStateCountsPendingAndAckPending) {
  ASSERT_TRUE(publish(msg("md.bar.x", "a", "1")));
  ASSERT_TRUE(publish(msg("md.bar.x", "b", "2")));
  ASSERT_TRUE(publish(msg("md.bar.x", "c", "3")));
  auto sub = std::move(*bus.subscribe({.stream = "MD", .durable = "c"}));
  auto before = bus.consumer_state("MD", "c");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->num_pending, 3u);
  auto batch = std::move(*sub->fetch(2, 0));
  ASSERT_TRUE(batch[0]->ack());
  auto during = *bus.consumer_state("MD", "c");
  EXPECT_EQ(during.num_pending, 1u);
  EXPECT_EQ(during.num_ack_pending, 1u);
  EXPECT_EQ(during.ack_floor_stream_sequence, 1u);
  EXPECT_EQ(bus.stream_state("MD")->last_sequence, 3u);
  EXPECT_EQ(bus.consumer_state("MD", "nope").error().message, "consumer MD/nope does not exist");
}

}  // namespace
}  // namespace tp::bus
