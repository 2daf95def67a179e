#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tp/observability/consumer_probe.h"
#include "tp/observability/publisher_probe.h"
#include "tp/observability/service_metrics.h"

namespace tp::obs {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Series lines come out in hash order within a family, so tests look lines
// up instead of comparing the whole exposition.
::testing::AssertionResult has_line(const std::string& exposition, const std::string& line) {
  const auto lines = lines_of(exposition);
  if (std::find(lines.begin(), lines.end(), line) != lines.end()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "missing line:\n  " << line << "\nin:\n" << exposition;
}

std::size_t count_lines_containing(const std::string& exposition, const std::string& needle) {
  const auto lines = lines_of(exposition);
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
    return l.find(needle) != std::string::npos;
  }));
}

constexpr const char* kLabels = R"({service="execsim",consumer="execsim",stream="ORDERS"})";

std::string series(const std::string& name, const std::string& value) {
  return name + kLabels + " " + value;
}

TEST(ConsumerProbeTest, ANewProbeExportsEveryFixedSeriesAtZero) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim");
  const std::string text = metrics.exposition();

  EXPECT_TRUE(has_line(text, "# HELP tp_consumer_messages_received_total Messages fetched from "
                             "the stream, before verification."));
  EXPECT_TRUE(has_line(text, "# TYPE tp_consumer_messages_received_total counter"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_received_total", "0")));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_handled_total{service="execsim",)"
                             R"(consumer="execsim",outcome="ok",stream="ORDERS"} 0)"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_dead_lettered_total", "0")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_nacked_total", "0")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_redeliveries_total", "0")));
  EXPECT_TRUE(has_line(text, "# TYPE tp_consumer_ack_pending_messages gauge"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_ack_pending_messages", "0")));
  EXPECT_TRUE(has_line(text, "# TYPE tp_consumer_pending_messages gauge"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_pending_messages", "0")));
  EXPECT_TRUE(has_line(text, "# TYPE tp_consumer_last_processed_stream_sequence gauge"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_last_processed_stream_sequence", "0")));
  EXPECT_TRUE(has_line(text, "# TYPE tp_consumer_handler_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_handler_duration_seconds_count", "0")));
  // No reason has happened or been declared yet.
  EXPECT_EQ(count_lines_containing(text, "tp_consumer_messages_rejected_total"), 0u);
}

TEST(ConsumerProbeTest, VerbsMoveExactlyTheirSeries) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim");
  for (int i = 0; i < 5; ++i) probe.received();
  probe.handled();
  probe.handled("ok");
  probe.handled("redelivered_duplicate");
  probe.rejected("bad_signature");
  probe.rejected("stale");
  probe.rejected("stale");
  probe.dead_lettered();
  probe.dead_lettered();
  probe.dead_lettered();
  probe.nacked();
  probe.redelivered();
  probe.redelivered();
  probe.set_ack_pending(7);
  probe.set_ack_pending(4);
  probe.set_pending(1200);
  probe.set_pending(1100);
  probe.set_last_sequence(123456789);
  const std::string text = metrics.exposition();

  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_received_total", "5")));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_handled_total{service="execsim",)"
                             R"(consumer="execsim",outcome="ok",stream="ORDERS"} 2)"));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_handled_total{service="execsim",)"
                             R"(consumer="execsim",outcome="redelivered_duplicate",)"
                             R"(stream="ORDERS"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_rejected_total{service="execsim",)"
                             R"(consumer="execsim",reason="bad_signature",stream="ORDERS"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_rejected_total{service="execsim",)"
                             R"(consumer="execsim",reason="stale",stream="ORDERS"} 2)"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_dead_lettered_total", "3")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_nacked_total", "1")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_redeliveries_total", "2")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_ack_pending_messages", "4")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_pending_messages", "1100")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_last_processed_stream_sequence", "123456789")));
}

TEST(ConsumerProbeTest, HandlerLatencyLandsInSecondsBuckets) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim");
  probe.handler_latency(microseconds(10));  // on a bucket boundary: le is inclusive
  probe.handler_latency(microseconds(42));
  probe.handler_latency(milliseconds(2));
  probe.handler_latency(std::chrono::seconds(2));  // beyond the last bucket
  const std::string text = metrics.exposition();

  const std::string b = R"(tp_consumer_handler_duration_seconds_bucket{service="execsim",)"
                        R"(consumer="execsim",stream="ORDERS",le=)";
  EXPECT_TRUE(has_line(text, b + R"("1e-05"} 1)"));
  EXPECT_TRUE(has_line(text, b + R"("2.5e-05"} 1)"));
  EXPECT_TRUE(has_line(text, b + R"("5e-05"} 2)"));
  EXPECT_TRUE(has_line(text, b + R"("0.001"} 2)"));
  EXPECT_TRUE(has_line(text, b + R"("0.0025"} 3)"));
  EXPECT_TRUE(has_line(text, b + R"("1"} 3)"));
  EXPECT_TRUE(has_line(text, b + R"("+Inf"} 4)"));
  EXPECT_EQ(count_lines_containing(text, "tp_consumer_handler_duration_seconds_bucket"),
            kHandlerLatencyBucketsSeconds.size() + 1);
  EXPECT_TRUE(has_line(text, series("tp_consumer_handler_duration_seconds_count", "4")));
  EXPECT_TRUE(has_line(text, series("tp_consumer_handler_duration_seconds_sum", "2.002052")));
}

TEST(ConsumerProbeTest, DeclaredReasonsAreExportedAtZeroOthersAppearOnFirstUse) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim", {"bad_signature", "replay"});
  const std::string r = R"(tp_consumer_messages_rejected_total{service="execsim",)"
                        R"(consumer="execsim",reason=)";
  std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, r + R"("bad_signature",stream="ORDERS"} 0)"));
  EXPECT_TRUE(has_line(text, r + R"("replay",stream="ORDERS"} 0)"));
  EXPECT_EQ(count_lines_containing(text, "reason=\"oversized\""), 0u);

  probe.rejected("oversized");
  text = metrics.exposition();
  EXPECT_TRUE(has_line(text, r + R"("oversized",stream="ORDERS"} 1)"));
}

TEST(ConsumerProbeTest, ReasonValuesAreBoundedAndSanitised) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim");
  const std::string r = R"(tp_consumer_messages_rejected_total{service="execsim",)"
                        R"(consumer="execsim",reason=)";

  probe.rejected("Bad Signature");          // not a plain identifier
  probe.rejected("");                       // empty
  probe.rejected("x\"}\nevil_metric 1");    // an injection attempt
  probe.rejected(std::string(65, 'a'));     // too long
  probe.rejected("other");                  // the overflow bucket itself
  std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, r + R"("other",stream="ORDERS"} 5)"));
  EXPECT_EQ(count_lines_containing(text, "evil_metric"), 0u);

  for (int i = 0; i < 40; ++i) probe.rejected("reason_" + std::to_string(i));
  text = metrics.exposition();
  // 32 distinct values, then everything else goes to "other".
  EXPECT_EQ(count_lines_containing(text, "tp_consumer_messages_rejected_total{"), 33u);
  EXPECT_TRUE(has_line(text, r + R"("reason_31",stream="ORDERS"} 1)"));
  EXPECT_EQ(count_lines_containing(text, "reason=\"reason_32\""), 0u);
  EXPECT_TRUE(has_line(text, r + R"("other",stream="ORDERS"} 13)"));

  // Outcomes are bounded the same way (independently of reasons).
  probe.handled("Weird Outcome");
  EXPECT_TRUE(has_line(metrics.exposition(),
                       R"(tp_consumer_messages_handled_total{service="execsim",)"
                       R"(consumer="execsim",outcome="other",stream="ORDERS"} 1)"));
}

TEST(ConsumerProbeTest, ProbesShareOneFamilyPerMetric) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe orders(metrics, "ORDERS", "execsim");
  ConsumerProbe bars(metrics, "BARS", "execsim");
  ConsumerProbe orders_again(metrics, "ORDERS", "execsim");
  orders.received();
  orders_again.received();
  bars.received();
  const std::string text = metrics.exposition();
  EXPECT_EQ(count_lines_containing(text, "# TYPE tp_consumer_messages_received_total counter"),
            1u);
  EXPECT_EQ(count_lines_containing(text, "# TYPE tp_consumer_handler_duration_seconds "), 1u);
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_received_total", "2")));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_received_total{service="execsim",)"
                             R"(consumer="execsim",stream="BARS"} 1)"));
}

TEST(ConsumerProbeTest, VerbsAreSafeFromManyThreads) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe probe(metrics, "ORDERS", "execsim");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&probe, t] {
      for (int i = 0; i < kPerThread; ++i) {
        probe.received();
        // Every thread races to create the same new reason series.
        probe.rejected(i % 2 == 0 ? "stale" : "replay");
        probe.handler_latency(microseconds(t + 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, series("tp_consumer_messages_received_total", "40000")));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_rejected_total{service="execsim",)"
                             R"(consumer="execsim",reason="stale",stream="ORDERS"} 20000)"));
  EXPECT_TRUE(has_line(text, R"(tp_consumer_messages_rejected_total{service="execsim",)"
                             R"(consumer="execsim",reason="replay",stream="ORDERS"} 20000)"));
  EXPECT_TRUE(has_line(text, series("tp_consumer_handler_duration_seconds_count", "40000")));
}

TEST(ConsumerProbeTest, AMovedProbeKeepsCounting) {
  ServiceMetrics metrics("execsim");
  ConsumerProbe first(metrics, "ORDERS", "execsim");
  first.received();
  ConsumerProbe moved = std::move(first);
  moved.received();
  EXPECT_TRUE(has_line(metrics.exposition(), series("tp_consumer_messages_received_total", "2")));
}

TEST(PublisherProbeTest, VerbsMoveExactlyTheirSeries) {
  ServiceMetrics metrics("decision");
  PublisherProbe probe(metrics, "ORDERS", {"timeout"});
  const std::string l = R"({service="decision",stream="ORDERS"})";
  std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, "# TYPE tp_publisher_messages_published_total counter"));
  EXPECT_TRUE(has_line(text, "tp_publisher_messages_published_total" + l + " 0"));
  EXPECT_TRUE(has_line(text, R"(tp_publisher_publish_errors_total{service="decision",)"
                             R"(reason="timeout",stream="ORDERS"} 0)"));
  EXPECT_TRUE(has_line(text, "# TYPE tp_publisher_in_flight_messages gauge"));
  EXPECT_TRUE(has_line(text, "# TYPE tp_publisher_ack_duration_seconds histogram"));

  probe.published();
  probe.published();
  probe.publish_failed("timeout");
  probe.publish_failed("no_responders");
  probe.duplicate();
  probe.set_in_flight(12);
  probe.ack_latency(microseconds(300));
  probe.ack_latency(milliseconds(7));
  text = metrics.exposition();
  EXPECT_TRUE(has_line(text, "tp_publisher_messages_published_total" + l + " 2"));
  EXPECT_TRUE(has_line(text, R"(tp_publisher_publish_errors_total{service="decision",)"
                             R"(reason="timeout",stream="ORDERS"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tp_publisher_publish_errors_total{service="decision",)"
                             R"(reason="no_responders",stream="ORDERS"} 1)"));
  EXPECT_TRUE(has_line(text, "tp_publisher_duplicates_total" + l + " 1"));
  EXPECT_TRUE(has_line(text, "tp_publisher_in_flight_messages" + l + " 12"));
  EXPECT_TRUE(has_line(text, "tp_publisher_ack_duration_seconds_count" + l + " 2"));
  const std::string b =
      R"(tp_publisher_ack_duration_seconds_bucket{service="decision",stream="ORDERS",le=)";
  EXPECT_TRUE(has_line(text, b + R"("0.00025"} 0)"));
  EXPECT_TRUE(has_line(text, b + R"("0.0005"} 1)"));
  EXPECT_TRUE(has_line(text, b + R"("0.005"} 1)"));
  EXPECT_TRUE(has_line(text, b + R"("0.01"} 2)"));
  EXPECT_TRUE(has_line(text, b + R"("5"} 2)"));
  EXPECT_EQ(count_lines_containing(text, "tp_publisher_ack_duration_seconds_bucket"),
            kPublishAckBucketsSeconds.size() + 1);
}

TEST(ServiceMetricsTest, ServiceNameIsAConstantLabelAndMayBeAnyText) {
  ServiceMetrics metrics("weird \"name\"\n");
  PublisherProbe probe(metrics, "X");
  EXPECT_EQ(metrics.service(), "weird \"name\"\n");
  EXPECT_TRUE(has_line(metrics.exposition(),
                       R"(tp_publisher_messages_published_total{service="weird \"name\"\n",)"
                       R"(stream="X"} 0)"));
}

}  // namespace
}  // namespace tp::obs
