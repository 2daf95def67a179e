// Metrics of one JetStream consumer: what came in, what happened to it, how
// long handling took. Business code calls verbs; the probe owns the metric
// plumbing (Redpanda-style probe).
//
//   tp::obs::ConsumerProbe probe(metrics, "SIGNALS", "decision");
//   probe.received();
//   if (!verified) { probe.rejected("bad_signature"); probe.dead_lettered(); }
//   else { ...handle...; probe.handler_latency(clock_end - clock_start);
//          probe.handled(); probe.set_last_sequence(seq); }
//
// Series (all with the ServiceMetrics constant labels plus stream, consumer):
//   tp_consumer_messages_received_total
//   tp_consumer_messages_handled_total{outcome}      outcome: ok, redelivered_duplicate, ...
//   tp_consumer_messages_rejected_total{reason}      reason: bad_signature, stale, replay, ...
//   tp_consumer_messages_dead_lettered_total
//   tp_consumer_messages_nacked_total                transient failures, NAK with delay
//   tp_consumer_redeliveries_total                   deliveries with delivery count > 1
//   tp_consumer_handler_duration_seconds             histogram, kHandlerLatencyBucketsSeconds
//   tp_consumer_ack_pending_messages                 gauge
//   tp_consumer_pending_messages                     gauge, JetStream num_pending (backlog)
//   tp_consumer_last_processed_stream_sequence       gauge
//
// Outcome and reason values come from the caller's fixed enums. They are
// created on first use and bounded: anything that is not [a-z0-9_]{1,64}, or
// a 33rd distinct value, is counted as "other". Values listed in
// `declared_reject_reasons` are exported as 0 from the start, so alert rules
// see the series before the first rejection.
//
// Ownership: the consumer shell owns its probe; the ServiceMetrics it was
// created from must outlive it. Two probes with the same stream and consumer
// share their series.
// Thread safety: every verb may be called from any thread (lock-free atomics,
// except the first use of a new outcome or reason, which takes a mutex).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "tp/observability/service_metrics.h"

namespace tp::obs {

// 10 µs .. 1 s: a handler that verifies, decodes and updates in-memory state
// takes tens of microseconds; one that writes to PostgreSQL takes milliseconds.
inline constexpr std::array<double, 16> kHandlerLatencyBucketsSeconds = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005,   0.01,     0.025,   0.05,   0.1,    0.25,   0.5,   1.0};

class ConsumerProbe {
 public:
  ConsumerProbe(ServiceMetrics& metrics, std::string_view stream, std::string_view consumer,
                std::initializer_list<std::string_view> declared_reject_reasons = {});
  ~ConsumerProbe();
  ConsumerProbe(ConsumerProbe&&) noexcept;
  ConsumerProbe& operator=(ConsumerProbe&&) noexcept;

  // A message was fetched from the stream (before verification).
  void received();
  // The handler finished and the message was acked. "ok" is the normal case;
  // "redelivered_duplicate" is a redelivery the handler skipped idempotently.
  void handled(std::string_view outcome = "ok");
  // A permanent failure: the message was terminated (and usually dead-lettered).
  void rejected(std::string_view reason);
  void dead_lettered();
  // A transient failure: NAK with delay, the stream will redeliver.
  void nacked();
  // The message's delivery count was greater than 1.
  void redelivered();
  void handler_latency(std::chrono::nanoseconds elapsed);
  void set_ack_pending(int64_t messages);
  // The consumer's backlog on the broker: messages in the stream matching its
  // filter and not yet delivered (JetStream num_pending, from consumer info).
  void set_pending(uint64_t messages);
  // Exact up to 2^53, far beyond any stream we run.
  void set_last_sequence(uint64_t stream_sequence);

 private:
  struct Series;
  std::unique_ptr<Series> series_;
};

}  // namespace tp::obs
