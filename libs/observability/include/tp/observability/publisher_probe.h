// Metrics of one JetStream publisher (one stream or subject prefix).
//
//   tp::obs::PublisherProbe probe(metrics, "ORDERS");
//   probe.set_in_flight(pending);            // after each async publish / ack
//   on ack:   probe.published(); probe.ack_latency(now - sent_at);
//             if (ack.duplicate) probe.duplicate();
//   on error: probe.publish_failed("timeout");
//
// Series (all with the ServiceMetrics constant labels plus stream):
//   tp_publisher_messages_published_total   acknowledged by the stream
//   tp_publisher_publish_errors_total{reason}
//   tp_publisher_ack_duration_seconds       histogram, kPublishAckBucketsSeconds
//   tp_publisher_in_flight_messages         gauge: published, not yet acked
//   tp_publisher_duplicates_total           the stream answered "duplicate"
//
// Reasons come from the caller's fixed enum (e.g. timeout, no_responders,
// window_full, stream_error); created on first use and bounded exactly like
// ConsumerProbe's (see there).
//
// Ownership: the publisher shell owns its probe; the ServiceMetrics it was
// created from must outlive it.
// Thread safety: every verb may be called from any thread (ack handlers run
// on the NATS client's threads).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "tp/observability/service_metrics.h"

namespace tp::obs {

// 50 µs .. 5 s: a loopback pub-ack takes ~100 µs to a few ms; seconds mean
// the broker is struggling and the ack timeout is near.
inline constexpr std::array<double, 16> kPublishAckBucketsSeconds = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};

class PublisherProbe {
 public:
  PublisherProbe(ServiceMetrics& metrics, std::string_view stream,
                 std::initializer_list<std::string_view> declared_error_reasons = {});
  ~PublisherProbe();
  PublisherProbe(PublisherProbe&&) noexcept;
  PublisherProbe& operator=(PublisherProbe&&) noexcept;

  void published();
  void publish_failed(std::string_view reason);
  void ack_latency(std::chrono::nanoseconds elapsed);
  void set_in_flight(int64_t messages);
  void duplicate();

 private:
  struct Series;
  std::unique_ptr<Series> series_;
};

}  // namespace tp::obs
