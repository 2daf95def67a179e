// Integration tests against a real nats-server with JetStream, started on a
// free loopback port in a temp dir by tp::testing::NatsServer.
#include "tp/bus/jetstream_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "bus_test_support.h"
#include "tp/bus/consumer_loop.h"
#include "tp/testing/nats_server.h"
#include "trading/v1/control.pb.h"
#include "trading/v1/market_data.pb.h"

namespace tp::bus {
namespace {

using trading::v1::Bar;
using trading::v1::DeadLetter;

Bar make_bar(int64_t minute) {
  Bar bar;
  bar.mutable_instrument()->set_venue("binance-us");
  bar.mutable_instrument()->set_symbol("BTCUSDT");
  bar.set_timeframe("1m");
  bar.set_open_time_ns(minute * 60 * kNanosPerSecond);
  bar.set_close_e8(2'310'527'000'000 + minute);
  return bar;
}

std::string bar_id(int64_t minute) { return "bar:binance-us:BTCUSDT:1m:" + std::to_string(minute); }

class JetStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tp::testing::NatsServer::start();
    ASSERT_TRUE(server) << server.error().to_string();
    nats = std::move(*server);
    auto t = JetStreamTransport::connect(options());
    ASSERT_TRUE(t) << t.error().to_string();
    bus = std::move(*t);
    ASSERT_TRUE(bus->ensure_stream(md_stream));
    ASSERT_TRUE(bus->ensure_stream({.name = "DLQ", .subjects = {"dlq.>"}}));
    ASSERT_TRUE(bus->ensure_consumer(consumer));
    publisher = std::make_unique<Publisher>(*bus, ingester, SystemClock::instance(), &events);
  }

  JetStreamOptions options() const {
    JetStreamOptions o;
    o.servers = {nats->url()};
    o.name = "bus-test";
    o.initial_connect_deadline_ns = 10 * kNanosPerSecond;
    o.publish_ack_timeout_ns = 2 * kNanosPerSecond;
    o.reconnect_wait_ns = 50 * kNanosPerMilli;
    return o;
  }

  std::unique_ptr<ConsumerLoop> make_loop(Handler handler, Publisher& out) {
    auto sub = bus->subscribe(consumer);
    EXPECT_TRUE(sub) << sub.error().to_string();
    ConsumerLoopOptions o;
    o.fetch_timeout_ns = 200 * kNanosPerMilli;
    o.retry_delay_ns = 100 * kNanosPerMilli;
    o.on_error = [this](const Error& e) {
      std::lock_guard lock(errors_mutex);
      errors.push_back(e.to_string());
    };
    return std::make_unique<ConsumerLoop>(std::move(*sub), verifier, out, std::move(handler),
                                          SystemClock::instance(), o, &events);
  }

  std::unique_ptr<tp::testing::NatsServer> nats;
  std::unique_ptr<JetStreamTransport> bus;
  StreamConfig md_stream{.name = "MD", .subjects = {"md.>"}};
  ConsumerConfig consumer{.stream = "MD", .durable = "test-bars", .ack_wait_ns = 5 * kNanosPerSecond,
                          .max_deliver = 4};
  std::shared_ptr<const signing::KeyRing> ring = testing::make_ring("ingester-1");
  std::shared_ptr<const signing::KeyRing> signal_ring = testing::make_ring("signal-1");
  signing::Signer ingester = *signing::Signer::create(ring, "ingester", SystemClock::instance());
  signing::Signer signal_signer =
      *signing::Signer::create(signal_ring, "signal", SystemClock::instance());
  signing::Verifier verifier{ring, {}};
  std::unique_ptr<Publisher> publisher;
  testing::CountingEvents events;
  std::mutex errors_mutex;
  std::vector<std::string> errors;
};

TEST_F(JetStreamTest, DeclaringStreamsAndConsumersIsIdempotent) {
  EXPECT_TRUE(bus->ensure_stream(md_stream));
  auto changed = md_stream;
  changed.max_age_ns = 3600 * kNanosPerSecond;
  EXPECT_TRUE(bus->ensure_stream(changed));
  EXPECT_TRUE(bus->ensure_consumer(consumer));
  auto c2 = consumer;
  c2.max_deliver = 7;
  EXPECT_TRUE(bus->ensure_consumer(c2));
  EXPECT_TRUE(bus->connected());
  EXPECT_EQ(*bus->consumer_names("MD"), std::vector<std::string>{"test-bars"});
  EXPECT_TRUE(bus->consumer_names("DLQ")->empty());
}

TEST_F(JetStreamTest, PublishedBarsAreConsumedOnceInOrderAndRepublishIsDeduplicated) {
  constexpr int kBars = 500;
  for (int m = 0; m < kBars; ++m)
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  ASSERT_TRUE(publisher->flush(10 * kNanosPerSecond));
  // A restarted ingester publishes the same bars again: same ids, nothing stored.
  for (int m = 0; m < 10; ++m)
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), bar_id(m), make_bar(m)));
  ASSERT_TRUE(publisher->flush(10 * kNanosPerSecond));
  EXPECT_EQ(publisher->duplicates_total(), 10u);

  std::vector<int64_t> seen;
  Dispatcher d;
  d.on<Bar>([&](const Received& r, const Bar& bar) {
    EXPECT_EQ(r.envelope.correlation_id, bar_id(bar.close_e8() - 2'310'527'000'000));
    seen.push_back(bar.close_e8() - 2'310'527'000'000);
    return HandleResult::ok();
  });
  Publisher out(*bus, signal_signer, SystemClock::instance());
  auto loop = make_loop(d, out);
  for (int i = 0; i < 50 && static_cast<int>(seen.size()) < kBars; ++i) ASSERT_TRUE(loop->poll_once());
  ASSERT_EQ(seen.size(), static_cast<size_t>(kBars));
  for (int m = 0; m < kBars; ++m) EXPECT_EQ(seen[m], m);
  EXPECT_EQ(*loop->poll_once(), 0u);
  auto drained = bus->consumer_state("MD", "test-bars");
  ASSERT_TRUE(drained) << drained.error().to_string();
  EXPECT_EQ(drained->num_pending, 0u);
  EXPECT_EQ(drained->num_ack_pending, 0u);
  EXPECT_EQ(drained->ack_floor_stream_sequence, static_cast<uint64_t>(kBars));
  EXPECT_EQ(bus->stream_state("MD")->last_sequence, static_cast<uint64_t>(kBars));
}

TEST_F(JetStreamTest, PoisonMessageIsDeadLetteredWithItsReasonOnTheRealBroker) {
  ASSERT_TRUE(publisher->publish_bytes("md.bar.binance-us.BTCUSDT.1m", "poison", "trading.v1.Bar",
                                       "", "\xff\xff\xff"));
  ASSERT_TRUE(publisher->flush(5 * kNanosPerSecond));
  Dispatcher d;
  d.on<Bar>([](const Received&, const Bar&) { return HandleResult::ok(); });
  Publisher out(*bus, signal_signer, SystemClock::instance());
  auto loop = make_loop(d, out);
  EXPECT_EQ(*loop->poll_once(), 1u);

  ASSERT_TRUE(bus->ensure_consumer({.stream = "DLQ", .durable = "inspect"}));
  auto dlq = std::move(*bus->subscribe({.stream = "DLQ", .durable = "inspect"}));
  auto letters = std::move(*dlq->fetch(10, 2 * kNanosPerSecond));
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]->subject(), "dlq.MD.test-bars");
  EXPECT_EQ(letters[0]->headers().at("Tp-Dlq-Reason"), "undecodable");
  DeadLetter dl;
  ASSERT_TRUE(dl.ParseFromString(letters[0]->payload()));
  EXPECT_EQ(dl.reason(), "undecodable");
  EXPECT_EQ(dl.payload(), "\xff\xff\xff");
  EXPECT_EQ(dl.headers().at("Nats-Msg-Id"), "poison");
  EXPECT_EQ(events.dead["undecodable"], 1);
  // Terminated: the original is not redelivered.
  EXPECT_EQ(*loop->poll_once(), 0u);
}

TEST_F(JetStreamTest, NakedMessageIsRedeliveredWithTheSameStreamSequence) {
  ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  ASSERT_TRUE(publisher->flush(5 * kNanosPerSecond));
  std::vector<std::pair<uint64_t, uint64_t>> deliveries;  // (seq, delivered)
  auto loop = make_loop(
      [&](const Received& r) {
        deliveries.emplace_back(r.stream_sequence, r.num_delivered);
        return deliveries.size() == 1 ? HandleResult::retry("try later") : HandleResult::ok();
      },
      *publisher);
  for (int i = 0; i < 20 && deliveries.size() < 2; ++i) ASSERT_TRUE(loop->poll_once());
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0], std::make_pair(uint64_t{1}, uint64_t{1}));
  EXPECT_EQ(deliveries[1], std::make_pair(uint64_t{1}, uint64_t{2}));
}

TEST_F(JetStreamTest, BrokerRestartMidStreamLosesNothingAndDoublesNothing) {
  constexpr int kBars = 2000;
  // The restart happens on this (the main) thread: the harness ties the
  // server's life to the thread that started it.
  std::atomic<bool> want_restart{false};
  std::atomic<bool> restarted{false};
  std::thread producer([&] {
    for (int m = 0; m < kBars; ++m) {
      ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
      if (m % 100 == 99) {
        auto flushed = publisher->flush(30 * kNanosPerSecond);
        ASSERT_TRUE(flushed) << flushed.error().to_string();
      }
      if (m == kBars / 2) {
        want_restart = true;
        while (!restarted) std::this_thread::yield();
      }
    }
    auto flushed = publisher->flush(30 * kNanosPerSecond);
    ASSERT_TRUE(flushed) << flushed.error().to_string();
  });

  std::set<int64_t> seen;
  int handled = 0;
  Dispatcher d;
  d.on<Bar>([&](const Received&, const Bar& bar) {
    ++handled;
    seen.insert(bar.close_e8() - 2'310'527'000'000);
    return HandleResult::ok();
  });
  Publisher out(*bus, signal_signer, SystemClock::instance());
  auto loop = make_loop(d, out);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (static_cast<int>(seen.size()) < kBars && std::chrono::steady_clock::now() < deadline) {
    if (want_restart && !restarted) {
      EXPECT_TRUE(nats->restart());
      restarted = true;
    }
    (void)loop->poll_once();  // errors while the broker is down are expected
  }
  producer.join();
  EXPECT_TRUE(restarted);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBars));
  EXPECT_EQ(handled, kBars) << "a message was handled twice";
  EXPECT_GE(bus->reconnects(), 1u);
}

TEST_F(JetStreamTest, PublishingToADeadBrokerFailsWithinTheTimeoutInsteadOfHanging) {
  ASSERT_TRUE(nats->stop());
  ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
  const auto started = std::chrono::steady_clock::now();
  auto flushed = publisher->flush(1 * kNanosPerSecond);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().to_string(), "unavailable: 1 message(s) not acknowledged by the broker");
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_FALSE(bus->connected());
}

TEST_F(JetStreamTest, RecreatedConsumerStartsAtTheGivenSequence) {
  for (int m = 0; m < 10; ++m)
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  ASSERT_TRUE(publisher->flush(5 * kNanosPerSecond));
  auto sub = std::move(*bus->subscribe(consumer));
  auto first = std::move(*sub->fetch(4, kNanosPerSecond));
  ASSERT_EQ(first.size(), 4u);  // delivered, never acked: a crashed process
  sub.reset();
  ASSERT_TRUE(bus->delete_consumer("MD", "test-bars"));
  ASSERT_TRUE(bus->delete_consumer("MD", "test-bars"));  // absent is fine
  auto restarted = consumer;
  restarted.start_sequence = 3;
  ASSERT_TRUE(bus->ensure_consumer(restarted));
  auto again = std::move(*bus->subscribe(restarted));
  auto batch = std::move(*again->fetch(20, kNanosPerSecond));
  ASSERT_EQ(batch.size(), 8u);  // 3..10 at once, in order, no ack-wait to sit out
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i]->stream_sequence(), 3 + i);
    EXPECT_EQ(batch[i]->num_delivered(), 1u);
  }
}

TEST_F(JetStreamTest, EmptyFetchesWaitForTheirTimeoutInsteadOfSpinning) {
  // cnats 3.4.1 can answer a fetch after an earlier timeout at once (nats.c
  // #631); an idle consumer must still not turn into a busy loop.
  auto sub = std::move(*bus->subscribe(consumer));
  const auto started = std::chrono::steady_clock::now();
  int fetches = 0;
  while (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500)) {
    auto batch = sub->fetch(64, 100 * tp::kNanosPerMilli);
    ASSERT_TRUE(batch) << batch.error().to_string();
    EXPECT_TRUE(batch->empty());
    ++fetches;
  }
  EXPECT_LE(fetches, 8) << "idle fetches must each wait about their timeout";
}

TEST_F(JetStreamTest, FetchReturnsAsSoonAsAMessageArrives) {
  // Lockstep stages pass one message per hop: a fetch that sat out its whole
  // timeout waiting for a full batch would cost every hop that timeout.
  auto sub = std::move(*bus->subscribe(consumer));
  (void)sub->fetch(256, 50 * tp::kNanosPerMilli);  // an idle fetch first (nats.c #631)
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(0), "", make_bar(0)));
    EXPECT_TRUE(publisher->flush(5 * tp::kNanosPerSecond));
  });
  const auto started = std::chrono::steady_clock::now();
  auto batch = sub->fetch(256, 3 * tp::kNanosPerSecond);
  const auto took = std::chrono::steady_clock::now() - started;
  later.join();
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_LT(took, std::chrono::milliseconds(1000)) << "fetch waited for a full batch";
  std::cerr << "fetch returned after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

TEST_F(JetStreamTest, ConsumerBacklogIsJetStreamsNumPendingAndShrinksAsTheLoopConsumes) {
  constexpr int kBars = 250;
  constexpr int kOtherBars = 5;
  for (int m = 0; m < kBars; ++m)
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  for (int m = 0; m < kOtherBars; ++m)  // outside the consumer's filter: never its backlog
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.ETHUSDT.1m", "eth:" + std::to_string(m), "",
                                   make_bar(m)));
  ASSERT_TRUE(publisher->flush(10 * kNanosPerSecond));

  // The durable consumer is created after the messages were stored.
  ConsumerConfig backlog{.stream = "MD", .durable = "test-backlog",
                         .filter_subject = "md.bar.*.BTCUSDT.>", .ack_wait_ns = 5 * kNanosPerSecond};
  ASSERT_TRUE(bus->ensure_consumer(backlog));
  auto sub = bus->subscribe(backlog);
  ASSERT_TRUE(sub) << sub.error().to_string();
  auto before = (*sub)->num_pending();
  ASSERT_TRUE(before) << before.error().to_string();
  EXPECT_EQ(*before, static_cast<uint64_t>(kBars));

  int handled = 0;
  Dispatcher d;
  d.on<Bar>([&](const Received&, const Bar&) {
    ++handled;
    return HandleResult::ok();
  });
  Publisher out(*bus, signal_signer, SystemClock::instance());
  ConsumerLoopOptions o;
  o.batch_size = 100;
  o.fetch_timeout_ns = 500 * kNanosPerMilli;
  o.pending_refresh_interval_ns = 0;  // every poll, to watch it move
  o.on_error = [this](const Error& e) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(e.to_string());
  };
  ConsumerLoop loop(std::move(*sub), verifier, out, d, SystemClock::instance(), o, &events);

  // Batches of 100 out of 250: what is left after each batch, as JetStream counts it.
  for (int i = 0; i < 20 && handled < kBars; ++i) ASSERT_TRUE(loop.poll_once());
  ASSERT_EQ(handled, kBars);
  ASSERT_GE(events.pending_reports.size(), 3u);
  EXPECT_EQ(events.pending_reports.front(), static_cast<uint64_t>(kBars - 100));
  for (size_t i = 1; i < events.pending_reports.size(); ++i)
    EXPECT_LT(events.pending_reports[i], events.pending_reports[i - 1]) << "report " << i;
  EXPECT_EQ(events.pending_reports.back(), 0u);
  EXPECT_EQ(loop.last_pending(), 0u);
  EXPECT_EQ(loop.pending_errors(), 0u);
  {
    std::lock_guard lock(errors_mutex);
    EXPECT_TRUE(errors.empty()) << errors.front();
  }

  // New messages become backlog again; the transport's own view agrees.
  for (int m = kBars; m < kBars + 7; ++m)
    ASSERT_TRUE(publisher->publish("md.bar.binance-us.BTCUSDT.1m", bar_id(m), "", make_bar(m)));
  ASSERT_TRUE(publisher->flush(10 * kNanosPerSecond));
  auto state = bus->consumer_state("MD", "test-backlog");
  ASSERT_TRUE(state) << state.error().to_string();
  EXPECT_EQ(state->num_pending, 7u);

  // Delivered but not yet acked is ack-pending, not pending.
  ConsumerConfig eth{.stream = "MD", .durable = "test-eth", .filter_subject = "md.bar.*.ETHUSDT.>"};
  ASSERT_TRUE(bus->ensure_consumer(eth));
  auto eth_sub = std::move(*bus->subscribe(eth));
  EXPECT_EQ(*eth_sub->num_pending(), static_cast<uint64_t>(kOtherBars));
  auto fetched = eth_sub->fetch(2, kNanosPerSecond);
  ASSERT_TRUE(fetched);
  ASSERT_EQ(fetched->size(), 2u);
  EXPECT_EQ(*eth_sub->num_pending(), static_cast<uint64_t>(kOtherBars - 2));

  // A consumer that is gone is an error, not a made-up zero.
  ASSERT_TRUE(bus->delete_consumer("MD", "test-eth"));
  EXPECT_FALSE(eth_sub->num_pending());
}

}  // namespace
}  // namespace tp::bus
