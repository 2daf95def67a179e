// Transport over NATS JetStream, on the cnats C client (Debian 12: 3.4.1).
//
//   auto bus = tp::bus::JetStreamTransport::connect({.servers = {url}, .name = "signal"});
//   if (!bus) return fail(bus.error());
//
// Connection: the first connect is retried with backoff until
// initial_connect_deadline_ns (so a service may start before the broker);
// after that cnats reconnects forever with reconnect_wait_ns plus jitter,
// buffering publishes meanwhile. connected() reflects the live state for
// /readyz.
//
// Publishing: js_PublishMsgAsync with Nats-Msg-Id set from the message
// headers, a bounded in-flight window (max_in_flight; cnats's default of 0
// means unlimited, see nats.c #538), a per-message ack timeout
// (publish_ack_timeout_ns), and stall_wait_ns of blocking when the window is
// full. Every publish gets exactly one callback: the pub-ack or the error.
//
// Consuming: synchronous natsSubscription_FetchRequest on a pull
// subscription bound to an existing durable consumer, from a thread the
// caller owns (async pull subscriptions deadlock in 3.4.1, nats.c #823).
//
// Thread safety: as Transport. Callbacks arrive on cnats's threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tp/bus/transport.h"

namespace tp::bus {

struct JetStreamOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string name;                                   // connection name, e.g. the service
  std::string user;                                   // optional credentials
  std::string password;
  int64_t connect_timeout_ns = 2 * kNanosPerSecond;
  int64_t initial_connect_deadline_ns = 30 * kNanosPerSecond;
  int64_t reconnect_wait_ns = 250 * kNanosPerMilli;
  int64_t reconnect_jitter_ns = 100 * kNanosPerMilli;
  int reconnect_buffer_bytes = 8 << 20;
  int64_t max_in_flight = 4096;
  int64_t publish_ack_timeout_ns = 5 * kNanosPerSecond;
  int64_t stall_wait_ns = 2 * kNanosPerSecond;
  int64_t api_timeout_ns = 5 * kNanosPerSecond;
  // Latency versus throughput: flush every publish immediately instead of
  // letting cnats's flusher batch writes. Measure before choosing.
  bool send_asap = false;
};

class JetStreamTransport final : public Transport {
 public:
  [[nodiscard]] static Result<std::unique_ptr<JetStreamTransport>> connect(
      const JetStreamOptions& options);
  ~JetStreamTransport() override;

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
  bool connected() const override;
  size_t in_flight() const override;

  // Times the connection was lost and re-established since connect().
  uint64_t disconnects() const;
  uint64_t reconnects() const;

  struct Impl;

 private:
  explicit JetStreamTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tp::bus
