// Adapters from the bus's event hooks to the standard metric probes.
#pragma once

#include <chrono>

#include "tp/bus/events.h"
#include "tp/observability/consumer_probe.h"
#include "tp/observability/publisher_probe.h"

namespace tp::runtime {

class ConsumerMetrics final : public bus::ConsumerEvents {
 public:
  ConsumerMetrics(obs::ServiceMetrics& metrics, std::string_view stream, std::string_view consumer)
      : probe_(metrics, stream, consumer,
               {"bad_signature", "stale", "future", "replay", "unknown_key", "undecodable",
                "unexpected_type", "invalid", "oversized", "max_deliver"}) {}
  void received(uint64_t num_delivered) override {
    probe_.received();
    if (num_delivered > 1) probe_.redelivered();
  }
  void handled(double latency_seconds) override {
    probe_.handled();
    probe_.handler_latency(std::chrono::nanoseconds(static_cast<int64_t>(latency_seconds * 1e9)));
  }
  void duplicate() override { probe_.handled("redelivered_duplicate"); }
  void retried(std::string_view) override { probe_.nacked(); }
  void rejected(std::string_view reason) override { probe_.rejected(reason); }
  void dead_lettered(std::string_view) override { probe_.dead_lettered(); }
  void ack_pending(int64_t count) override { probe_.set_ack_pending(count); }
  void pending_messages(uint64_t n) override { probe_.set_pending(n); }
  void processed_sequence(uint64_t s) override { probe_.set_last_sequence(s); }

 private:
  obs::ConsumerProbe probe_;
};

class PublisherMetrics final : public bus::PublisherEvents {
 public:
  PublisherMetrics(obs::ServiceMetrics& metrics, std::string_view name) : probe_(metrics, name) {}
  void published(double ack_latency_seconds, bool duplicate) override {
    probe_.published();
    if (duplicate) probe_.duplicate();
    probe_.ack_latency(std::chrono::nanoseconds(static_cast<int64_t>(ack_latency_seconds * 1e9)));
  }
  void publish_failed(std::string_view reason) override { probe_.publish_failed(reason); }
  void in_flight(int64_t count) override { probe_.set_in_flight(count); }

 private:
  obs::PublisherProbe probe_;
};

}  // namespace tp::runtime
