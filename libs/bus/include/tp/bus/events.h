// Hooks through which the bus reports what happens to messages, so that
// metric plumbing stays out of the message path. The observability library's
// probes implement these (tp::obs::ConsumerProbe / PublisherProbe); tests can
// implement them to count.
//
// Thread safety: PublisherEvents may be called from the transport's callback
// thread; implementations must be thread-safe. ConsumerEvents are called
// from the consumer loop's thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace tp::bus {

class ConsumerEvents {
 public:
  virtual ~ConsumerEvents() = default;
  virtual void received(uint64_t num_delivered) = 0;       // every fetched message
  virtual void handled(double latency_seconds) = 0;         // handler succeeded, acked
  virtual void duplicate() = 0;                             // already processed: acked, skipped
  virtual void retried(std::string_view reason) = 0;        // NAKed for a transient failure
  virtual void rejected(std::string_view reason) = 0;       // permanent failure
  virtual void dead_lettered(std::string_view reason) = 0;  // stored in the dead-letter stream
  virtual void ack_pending(int64_t count) = 0;              // fetched but not yet settled
  virtual void processed_sequence(uint64_t stream_sequence) = 0;
  // The consumer's backlog on the broker (Subscription::num_pending), reported
  // each time the loop refreshes it (every few seconds, not per batch). Not
  // called while it cannot be read; the last value stands.
  virtual void pending_messages(uint64_t count) = 0;
};

class PublisherEvents {
 public:
  virtual ~PublisherEvents() = default;
  virtual void published(double ack_latency_seconds, bool duplicate) = 0;
  virtual void publish_failed(std::string_view reason) = 0;
  virtual void in_flight(int64_t count) = 0;
};

}  // namespace tp::bus
