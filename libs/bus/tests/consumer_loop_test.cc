#include "tp/bus/consumer_loop.h"

#include <gtest/gtest.h>

#include "bus_test_support.h"
#include "tp/bus/in_process_transport.h"
#include "trading/v1/control.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/signals.pb.h"

namespace tp::bus {
namespace {

using testing::CountingEvents;
using trading::v1::Bar;
using trading::v1::DeadLetter;
using trading::v1::Signal;

constexpr int64_t kT0 = 1'677'628'800LL * kNanosPerSecond;  // 2023-03-01 00:00 UTC

Bar make_bar(int64_t minute) {
  Bar bar;
  bar.mutable_instrument()->set_venue("binance-us");
  bar.mutable_instrument()->set_symbol("BTCUSDT");
  bar.set_timeframe("1m");
  bar.set_open_time_ns(kT0 + minute * 60 * kNanosPerSecond);
  bar.set_close_e8(2'310'527'000'000 + minute);
  return bar;
}

std::string bar_id(int64_t minute) { return "bar:binance-us:BTCUSDT:1m:" + std::to_string(minute); }

// Wraps a subscription so that the first `drop` acks are lost on the way to
// the broker, as happens when a connection drops right after handling.
class LossyAcks final : public Subscription {
 public:
  LossyAcks(std::unique_ptr<Subscription> inner, int drop) : inner_(std::move(inner)), drop_(drop) {}
  const ConsumerConfig& config() const override { return inner_->config(); }
  Result<uint64_t> num_pending() override { return inner_->num_pending(); }
  Result<std::vector<std::unique_ptr<Delivery>>> fetch(int max, int64_t timeout_ns) override {
    auto batch = inner_->fetch(max, timeout_ns);
    if (!batch) return batch;
    std::vector<std::unique_ptr<Delivery>> out;
    for (auto& d : *batch) out.push_back(std::make_unique<Lossy>(std::move(d), drop_));
    return out;
  }

 private:
  struct Lossy final : Delivery {
    Lossy(std::unique_ptr<Delivery> d, int& drop) : d_(std::move(d)), drop_(drop) {}
    const std::string& subject() const override { return d_->subject(); }
    const std::string& payload() const override { return d_->payload(); }
    const Headers& headers() const override { return d_->headers(); }
    const std::string& stream() const override { return d_->stream(); }
    uint64_t stream_sequence() const override { return d_->stream_sequence(); }
    uint64_t num_delivered() const override { return d_->num_delivered(); }
    int64_t stored_ns() const override { return d_->stored_ns(); }
    Status ack() override {
      if (drop_ > 0) {
        --drop_;
        return ok();  // the caller thinks it acked; the broker never heard
      }
      return d_->ack();
    }
    Status nak(int64_t delay) override { return d_->nak(delay); }
    Status term() override { return d_->term(); }
    std::unique_ptr<Delivery> d_;
    int& drop_;
  };
  std::unique_ptr<Subscription> inner_;
  int drop_;
};

// Wraps a subscription so that reading the backlog fails while `failing` is
// set, as consumer info does while the broker is unreachable.
class FlakyPending final : public Subscription {
 public:
  FlakyPending(std::unique_ptr<Subscription> inner, const bool& failing)
      : inner_(std::move(inner)), failing_(failing) {}
  const ConsumerConfig& config() const override { return inner_->config(); }
  Result<uint64_t> num_pending() override {
    ++reads;
    if (failing_) return make_error(ErrorCode::kUnavailable, "consumer info: timeout");
    return inner_->num_pending();
  }
  Result<std::vector<std::unique_ptr<Delivery>>> fetch(int max, int64_t timeout_ns) override {
    return inner_->fetch(max, timeout_ns);
  }
  int reads = 0;

 private:
  std::unique_ptr<Subscription> inner_;
  const bool& failing_;
};

class ConsumerLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus.ensure_stream({.name = "MD", .subjects = {"md.>"}}));
    ASSERT_TRUE(bus.ensure_stream({.name = "SIG", .subjects = {"sig.>"}}));
    ASSERT_TRUE(bus.ensure_stream({.name = "DLQ", .subjects = {"dlq.>"}}));
    ASSERT_TRUE(bus.ensure_consumer(consumer));
  }

  std::unique_ptr<ConsumerLoop> make_loop(Handler handler, int lost_acks = 0,
                                          std::function<void(ConsumerLoopOptions&)> tweak = {},
                                          std::unique_ptr<Subscription> sub = nullptr) {
    if (!sub) sub = std::move(*bus.subscribe(consumer));
    if (lost_acks > 0) sub = std::make_unique<LossyAcks>(std::move(sub), lost_acks);
    ConsumerLoopOptions options;
    if (tweak) tweak(options);
    options.fetch_timeout_ns = 0;
    options.flush_timeout_ns = 200 * kNanosPerMilli;
    options.on_error = [this](const Error& e) { errors.push_back(e.to_string()); };
    return std::make_unique<ConsumerLoop>(std::move(sub), verifier, signal_pub, std::move(handler),
                                          clock, options, &events);
  }

  Handler bars_to_signals() {
    Dispatcher d;
    d.on<Bar>([this](const Received& r, const Bar& bar) {
      ++handler_calls;
      Signal s;
      s.set_strategy("ma_trend");
      s.set_bar_close_e8(bar.close_e8());
      s.mutable_trace()->set_correlation_id(r.envelope.correlation_id);
      auto st = signal_pub.publish("sig.ma_trend.BTCUSDT", "sig:" + r.envelope.message_id,
                                   r.envelope.correlation_id, s);
      return st ? HandleResult::ok() : HandleResult::reject("invalid", st.error().message);
    });
    return d;
  }

  std::vector<DeadLetter> dead_letters() {
    std::vector<DeadLetter> out;
    for (const auto& m : bus.stream_messages("DLQ")) {
      DeadLetter dl;
      EXPECT_TRUE(dl.ParseFromString(m.payload));
      EXPECT_EQ(m.headers.at("Tp-Dlq-Reason"), dl.reason());
      out.push_back(dl);
    }
    return out;
  }

  ManualClock clock{kT0};
  InProcessTransport bus{clock};
  ConsumerConfig consumer{.stream = "MD", .durable = "signal-bars", .ack_wait_ns = 30 * kNanosPerSecond,
                          .max_deliver = 3};
  std::shared_ptr<const signing::KeyRing> ingester_ring = testing::make_ring("ingester-1");
  std::shared_ptr<const signing::KeyRing> signal_ring = testing::make_ring("signal-1");
  signing::Signer ingester = *signing::Signer::create(ingester_ring, "ingester", clock,
                                                      testing::counting_nonces());
  signing::Signer signal_signer = *signing::Signer::create(signal_ring, "signal", clock,
                                                           testing::counting_nonces());
  signing::Verifier verifier{signal_ring, {}};
  Publisher md_pub{bus, ingester, clock};
  Publisher signal_pub{bus, signal_signer, clock};
  CountingEvents events;
  std::vector<std::string> errors;
  int handler_calls = 0;
};

TEST_F(ConsumerLoopTest, VerifiesDecodesHandlesAndAcksEachMessageOnce) {
  for (int m = 0; m < 5; ++m) ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  ASSERT_TRUE(md_pub.flush(kNanosPerSecond));
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 5u);
  EXPECT_EQ(handler_calls, 5);
  EXPECT_EQ(bus.stream_size("SIG"), 5u);
  EXPECT_EQ(events.handled_count, 5);
  EXPECT_EQ(events.last_sequence, 5u);
  clock.advance_ns(60 * kNanosPerSecond);  // past ack_wait: nothing comes back
  EXPECT_EQ(*loop->poll_once(), 0u);
  auto signals = bus.stream_messages("SIG");
  EXPECT_EQ(signals[0].headers.at("Tp-Correlation-Id"), bar_id(0));
  EXPECT_EQ(signals[0].headers.at("Nats-Msg-Id"), "sig:" + bar_id(0));
}

TEST_F(ConsumerLoopTest, RedeliveryAfterALostAckIsNotProcessedTwice) {
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  auto loop = make_loop(bars_to_signals(), /*lost_acks=*/1);
  EXPECT_EQ(*loop->poll_once(), 1u);
  clock.advance_ns(31 * kNanosPerSecond);  // ack_wait expires: JetStream redelivers
  EXPECT_EQ(*loop->poll_once(), 1u);
  EXPECT_EQ(handler_calls, 1);
  EXPECT_EQ(events.duplicates, 1);
  EXPECT_EQ(bus.stream_size("SIG"), 1u);
  clock.advance_ns(31 * kNanosPerSecond);
  EXPECT_EQ(*loop->poll_once(), 0u);  // the second ack reached the broker
}

TEST_F(ConsumerLoopTest, TransientFailureIsRetriedThenDeadLetteredAtMaxDeliver) {
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  auto loop = make_loop([&](const Received&) {
    ++handler_calls;
    return HandleResult::retry("database unavailable");
  });
  EXPECT_EQ(*loop->poll_once(), 1u);
  EXPECT_EQ(events.retries["transient"], 1);
  clock.advance_ns(kNanosPerSecond);
  EXPECT_EQ(*loop->poll_once(), 1u);
  clock.advance_ns(kNanosPerSecond);
  EXPECT_EQ(*loop->poll_once(), 1u);
  EXPECT_EQ(handler_calls, 3);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].reason(), "max_deliver");
  EXPECT_EQ(dl[0].detail(), "still failing after 3 deliveries: database unavailable");
  EXPECT_EQ(dl[0].num_delivered(), 3u);
  EXPECT_EQ(events.dead["max_deliver"], 1);
}

TEST_F(ConsumerLoopTest, PoisonMessageLandsInTheDeadLetterStreamWithItsReasonAndBytes) {
  ASSERT_TRUE(md_pub.publish_bytes("md.bar.binance-us.BTCUSDT.1m", "poison-1", "trading.v1.Bar",
                                   "corr-9", std::string("\xff\xff\xff\x01garbage", 11)));
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(1), "", make_bar(1)));
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 2u);
  EXPECT_EQ(handler_calls, 1);  // the good bar after it still went through
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].reason(), "undecodable");
  EXPECT_EQ(dl[0].detail(), "payload is not a valid trading.v1.Bar");
  EXPECT_EQ(dl[0].payload(), std::string("\xff\xff\xff\x01garbage", 11));
  EXPECT_EQ(dl[0].stream(), "MD");
  EXPECT_EQ(dl[0].stream_sequence(), 1u);
  EXPECT_EQ(dl[0].consumer(), "signal-bars");
  EXPECT_EQ(dl[0].headers().at("Nats-Msg-Id"), "poison-1");
  auto stored = bus.stream_messages("DLQ");
  EXPECT_EQ(stored[0].subject, "dlq.MD.signal-bars");
  EXPECT_EQ(stored[0].headers.at("Tp-Producer"), "signal");  // signed by the consumer
  EXPECT_EQ(stored[0].headers.at("Tp-Correlation-Id"), "corr-9");
  EXPECT_EQ(events.rejects["undecodable"], 1);
  clock.advance_ns(60 * kNanosPerSecond);
  EXPECT_EQ(*loop->poll_once(), 0u);  // terminated, not redelivered
}

TEST_F(ConsumerLoopTest, ForgedAndTamperedMessagesAreDeadLettered) {
  auto env = ingester.sign("md.bar.binance-us.BTCUSDT.1m", "m1", "trading.v1.Bar", "", "payload");
  ASSERT_TRUE(env);
  auto headers = signing::to_headers(*env);
  auto publish_raw = [&](std::string subject, std::string payload, Headers h) {
    ASSERT_TRUE(bus.publish_async({std::move(subject), std::move(payload), std::move(h)}, nullptr));
  };
  publish_raw("md.bar.binance-us.BTCUSDT.1m", "PAYLOAD", headers);  // payload changed
  auto h2 = headers;
  h2["Nats-Msg-Id"] = "m2";
  publish_raw("md.bar.binance-us.ETHUSDT.1m", "payload", h2);  // subject changed
  auto h3 = headers;
  h3["Nats-Msg-Id"] = "m3";
  h3.erase("Tp-Signature");
  publish_raw("md.bar.binance-us.BTCUSDT.1m", "payload", h3);
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 3u);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 3u);
  EXPECT_EQ(dl[0].reason(), "bad_signature");
  EXPECT_EQ(dl[1].reason(), "bad_signature");
  EXPECT_EQ(dl[2].reason(), "missing_header");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(ConsumerLoopTest, InjectedCopyOfAnAcceptedMessageIsAReplay) {
  // A stream with no duplicate window, so only the replay guard stands
  // between the attacker and a second order.
  ASSERT_TRUE(bus.ensure_stream({.name = "MD", .subjects = {"md.>"}, .duplicate_window_ns = 0}));
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 1u);
  auto original = bus.stream_messages("MD").at(0);
  clock.advance_ns(kNanosPerSecond);
  ASSERT_TRUE(bus.publish_async({original.subject, original.payload, original.headers}, nullptr));
  EXPECT_EQ(*loop->poll_once(), 1u);
  EXPECT_EQ(handler_calls, 1);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].reason(), "replay");
  EXPECT_EQ(dl[0].stream_sequence(), 2u);
}

TEST_F(ConsumerLoopTest, CapturedMessageInjectedLaterIsStale) {
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  auto captured = bus.stream_messages("MD").at(0);
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 1u);
  clock.advance_ns(10 * 60 * kNanosPerSecond);  // beyond freshness and duplicate windows
  ASSERT_TRUE(bus.publish_async({captured.subject, captured.payload, captured.headers}, nullptr));
  EXPECT_EQ(*loop->poll_once(), 1u);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].reason(), "stale");
}

TEST_F(ConsumerLoopTest, BacklogOlderThanTheFreshnessWindowIsStillAccepted) {
  // Messages stored on time but consumed much later (a service was down)
  // are judged by their store time, not by the consumer's clock.
  for (int m = 0; m < 3; ++m) ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  clock.advance_ns(3600 * kNanosPerSecond);
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 3u);
  EXPECT_EQ(handler_calls, 3);
  EXPECT_TRUE(dead_letters().empty());
}

TEST_F(ConsumerLoopTest, OutputsNotStoredMeansInputsAreNotAckedAndNothingIsDoubled) {
  for (int m = 0; m < 3; ++m) ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  auto loop = make_loop(bars_to_signals());
  bus.fail_publishes(1000);  // the broker refuses the signals
  auto failed = loop->poll_once();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().to_string(), "unavailable: 3 message(s) not acknowledged by the broker");
  EXPECT_EQ(events.retries["flush_failed"], 1);
  EXPECT_EQ(bus.stream_size("SIG"), 0u);
  bus.fail_publishes(0);
  EXPECT_EQ(*loop->poll_once(), 3u);  // redelivered at once, in order
  EXPECT_EQ(bus.stream_size("SIG"), 3u);  // retried signals deduplicated by id
  clock.advance_ns(60 * kNanosPerSecond);
  EXPECT_EQ(*loop->poll_once(), 0u);
}

TEST_F(ConsumerLoopTest, HandlerExceptionsAndUnknownTypesAreDeadLetteredNotFatal) {
  ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  ASSERT_TRUE(md_pub.publish_bytes("md.bar.binance-us.BTCUSDT.1m", "odd", "trading.v1.Unknown", "", "x"));
  Dispatcher d;
  d.on<Bar>([](const Received&, const Bar&) -> HandleResult { throw std::runtime_error("boom"); });
  auto loop = make_loop(d);
  EXPECT_EQ(*loop->poll_once(), 2u);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 2u);
  EXPECT_EQ(dl[0].reason(), "handler_exception");
  EXPECT_EQ(dl[0].detail(), "boom");
  EXPECT_EQ(dl[1].reason(), "unexpected_type");
  EXPECT_EQ(dl[1].detail(),
            "no handler for message type trading.v1.Unknown on md.bar.binance-us.BTCUSDT.1m");
}

TEST_F(ConsumerLoopTest, OversizedPayloadIsDeadLetteredBeforeVerification) {
  ASSERT_TRUE(bus.ensure_stream({.name = "MD", .subjects = {"md.>"}, .max_message_bytes = 4 << 20}));
  ASSERT_TRUE(md_pub.publish_bytes("md.bar.binance-us.BTCUSDT.1m", "big", "trading.v1.Bar", "",
                                   std::string((1 << 20) + 1, 'x')));
  ASSERT_TRUE(bus.ensure_stream({.name = "DLQ", .subjects = {"dlq.>"}, .max_message_bytes = 4 << 20}));
  auto loop = make_loop(bars_to_signals());
  EXPECT_EQ(*loop->poll_once(), 1u);
  auto dl = dead_letters();
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].reason(), "oversized");
  EXPECT_EQ(dl[0].detail(), "payload of 1048577 bytes exceeds the limit of 1048576");
}

TEST_F(ConsumerLoopTest, FailedCommitNaksTheBatchSoItIsAppliedAgainInOrder) {
  for (int m = 0; m < 3; ++m)
    ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  std::vector<uint64_t> applied;
  int commits = 0;
  auto sub = std::move(*bus.subscribe(consumer));
  ConsumerLoopOptions options;
  options.fetch_timeout_ns = 0;
  options.batch_size = 2;
  options.before_settle = [&]() -> Status {
    if (++commits == 1) return make_error(ErrorCode::kUnavailable, "database down");
    return ok();
  };
  int abandoned = 0;
  options.on_abandon = [&] { ++abandoned; };
  ConsumerLoop loop(std::move(sub), verifier, signal_pub,
                    [&](const Received& r) {
                      applied.push_back(r.stream_sequence);
                      return HandleResult::ok();
                    },
                    clock, options, &events);
  auto failed = loop.poll_once();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().to_string(), "unavailable: database down");
  EXPECT_EQ(*loop.poll_once(), 2u);
  EXPECT_EQ(*loop.poll_once(), 1u);
  EXPECT_EQ(applied, (std::vector<uint64_t>{1, 2, 1, 2, 3}));
  EXPECT_EQ(events.retries["commit_failed"], 1);
  EXPECT_EQ(abandoned, 1);
}


TEST_F(ConsumerLoopTest, BacklogIsReportedAfterEachPollAndShrinksAsMessagesAreHandled) {
  for (int m = 0; m < 10; ++m)
    ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  auto sub = std::move(*bus.subscribe(consumer));
  EXPECT_EQ(*sub->num_pending(), 10u);
  auto loop = make_loop(bars_to_signals(), 0, [](ConsumerLoopOptions& o) {
    o.batch_size = 4;
    o.pending_refresh_interval_ns = 0;  // every poll
  }, std::move(sub));
  EXPECT_EQ(loop->last_pending(), std::nullopt);
  EXPECT_EQ(*loop->poll_once(), 4u);
  EXPECT_EQ(*loop->poll_once(), 4u);
  EXPECT_EQ(*loop->poll_once(), 2u);
  EXPECT_EQ(*loop->poll_once(), 0u);
  EXPECT_EQ(events.pending_reports, (std::vector<uint64_t>{6, 2, 0, 0}));
  EXPECT_EQ(loop->last_pending(), 0u);
  EXPECT_EQ(loop->pending_errors(), 0u);
}

TEST_F(ConsumerLoopTest, BacklogIsReadAtMostOncePerRefreshInterval) {
  for (int m = 0; m < 6; ++m)
    ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  const bool failing = false;
  auto flaky = std::make_unique<FlakyPending>(std::move(*bus.subscribe(consumer)), failing);
  FlakyPending* reads = flaky.get();
  auto loop = make_loop(bars_to_signals(), 0, [](ConsumerLoopOptions& o) {
    o.batch_size = 2;
    o.pending_refresh_interval_ns = 3600 * kNanosPerSecond;
  }, std::move(flaky));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(loop->poll_once());
  EXPECT_EQ(reads->reads, 1);  // the first poll only: consumer info is a request to the broker
  EXPECT_EQ(events.pending_reports, std::vector<uint64_t>{4});
  EXPECT_EQ(handler_calls, 6);
}

TEST_F(ConsumerLoopTest, FailingBacklogReadsKeepTheLastValueAndNeverFailThePoll) {
  for (int m = 0; m < 6; ++m)
    ASSERT_TRUE(md_pub.publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  bool failing = false;
  auto loop = make_loop(bars_to_signals(), 0, [](ConsumerLoopOptions& o) {
    o.batch_size = 2;
    o.pending_refresh_interval_ns = 0;
  }, std::make_unique<FlakyPending>(std::move(*bus.subscribe(consumer)), failing));
  EXPECT_EQ(*loop->poll_once(), 2u);
  EXPECT_EQ(loop->last_pending(), 4u);
  failing = true;
  EXPECT_EQ(*loop->poll_once(), 2u);  // the batch is handled regardless
  EXPECT_EQ(*loop->poll_once(), 2u);
  EXPECT_EQ(loop->last_pending(), 4u);  // kept, not reset
  EXPECT_EQ(loop->pending_errors(), 2u);
  ASSERT_EQ(errors.size(), 1u);  // reported once per run of failures, counted every time
  EXPECT_NE(errors[0].find("consumer info"), std::string::npos) << errors[0];
  EXPECT_EQ(events.pending_reports, std::vector<uint64_t>{4});
  failing = false;
  EXPECT_EQ(*loop->poll_once(), 0u);
  EXPECT_EQ(loop->last_pending(), 0u);
  EXPECT_EQ(events.pending_reports, (std::vector<uint64_t>{4, 0}));
  EXPECT_EQ(handler_calls, 6);
}

TEST(InProcessSubscriptionTest, NumPendingHonoursTheFilterAndFailsForAMissingConsumer) {
  ManualClock clock{kT0};
  InProcessTransport bus{clock};
  ASSERT_TRUE(bus.ensure_stream({.name = "MD", .subjects = {"md.>"}}));
  ConsumerConfig eth{.stream = "MD", .durable = "eth", .filter_subject = "md.bar.*.ETHUSDT.>"};
  ASSERT_TRUE(bus.ensure_consumer(eth));
  for (const char* subject : {"md.bar.x.BTCUSDT.1m", "md.bar.x.ETHUSDT.1m", "md.bar.x.ETHUSDT.5m"})
    ASSERT_TRUE(bus.publish_async({.subject = subject, .payload = "p", .headers = {}}, nullptr));
  auto sub = std::move(*bus.subscribe(eth));
  EXPECT_EQ(*sub->num_pending(), 2u);
  auto batch = sub->fetch(1, 0);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(*sub->num_pending(), 1u);  // delivered, not yet acked: not pending
  ASSERT_TRUE(bus.delete_consumer("MD", "eth"));
  auto gone = sub->num_pending();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tp::bus
