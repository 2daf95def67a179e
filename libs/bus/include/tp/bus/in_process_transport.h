// JetStream semantics in memory, for unit tests and deterministic runs.
//
// Streams store messages with sequence numbers and store times taken from
// the injected Clock; publishes inside a stream's duplicate window with a
// known Nats-Msg-Id are acked as duplicates and not stored; durable
// consumers track pending messages, redeliver after ack_wait (by the Clock)
// or after a NAK's delay, and stop redelivering after max_deliver, exactly
// like JetStream. Pub-ack callbacks run synchronously inside publish_async,
// so a single-threaded run is fully deterministic.
//
//   tp::ManualClock clock(t0);
//   tp::bus::InProcessTransport bus(clock);
//   bus.ensure_stream({.name = "MD", .subjects = {"md.>"}});
//
// Fault injection for tests: fail_publishes(n) makes the next n publishes
// fail with kUnavailable, as a broker outage would.
//
// Thread safety: all methods are thread-safe (one mutex); fetch with a
// timeout waits on a condition variable in real time.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "tp/bus/transport.h"

namespace tp::bus {

class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(const Clock& clock);
  ~InProcessTransport() override;

  Status ensure_stream(const StreamConfig& config) override;
  Status ensure_consumer(const ConsumerConfig& config) override;
  Status publish_async(OutgoingMessage message, PubAckCallback on_ack) override;
  Status flush(int64_t timeout_ns) override;
  Result<std::unique_ptr<Subscription>> subscribe(const ConsumerConfig& config) override;
  Status delete_consumer(const std::string& stream, const std::string& durable) override;
  Result<ConsumerState> consumer_state(const std::string& stream,
                                       const std::string& durable) override;
  Result<StreamState> stream_state(const std::string& stream) override;
  Result<std::vector<std::string>> consumer_names(const std::string& stream) override;
  bool connected() const override { return true; }
  size_t in_flight() const override { return 0; }

  void fail_publishes(int count);
  // Number of messages stored in a stream (0 for an unknown stream).
  uint64_t stream_size(const std::string& stream) const;
  // Messages of a stream in order, for tests (e.g. reading the dead letters).
  struct StoredMessage {
    uint64_t sequence;
    std::string subject;
    std::string payload;
    Headers headers;
    int64_t stored_ns;
  };
  std::vector<StoredMessage> stream_messages(const std::string& stream) const;

  struct State;  // shared with deliveries and subscriptions

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tp::bus
