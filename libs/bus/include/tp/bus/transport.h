// The broker abstraction: streams, durable pull consumers, async publish with
// pub-acks, and per-message ack/nak/term.
//
// Two implementations share this interface:
//   - JetStreamTransport (jetstream_transport.h): NATS JetStream via cnats,
//     for live services and integration tests;
//   - InProcessTransport (in_process_transport.h): the same semantics in
//     memory, driven by an injected Clock, for unit tests and deterministic
//     in-process runs (backtests).
// Everything above this interface (Publisher, ConsumerLoop, services) is the
// same in both worlds.
//
// Delivery semantics (both implementations): at-least-once. A fetched
// message is "pending" until acked; if not acked within the consumer's
// ack_wait, or NAKed, it is delivered again with num_delivered + 1 and the
// same stream sequence. After max_deliver deliveries the broker stops
// redelivering (ConsumerLoop dead-letters such messages before that happens).
//
// Thread safety: Transport methods may be called from any thread. A
// Subscription is used by one thread at a time. A Delivery is acked from the
// thread that fetched it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tp/core/clock.h"
#include "tp/core/error.h"
#include "tp/signing/envelope.h"

namespace tp::bus {

using signing::Headers;

enum class Storage { kFile, kMemory };

struct StreamConfig {
  std::string name;                    // e.g. "MD"
  std::vector<std::string> subjects;   // e.g. {"md.>"}
  Storage storage = Storage::kFile;
  int64_t max_age_ns = 0;              // 0 = keep forever
  int64_t max_bytes = -1;              // -1 = unlimited
  int32_t max_message_bytes = 1 << 20;
  // Must cover the freshness window and the time a restarted publisher needs
  // to republish (docs/protocol.md).
  int64_t duplicate_window_ns = 2 * 60 * kNanosPerSecond;
};

struct ConsumerConfig {
  std::string stream;
  std::string durable;                 // durable name, e.g. "signal-bars"
  std::string filter_subject;          // empty = every subject of the stream
  int64_t ack_wait_ns = 30 * kNanosPerSecond;
  int64_t max_deliver = 5;
  int64_t max_ack_pending = 4096;
  // 0: deliver the whole stream. Otherwise the first stream sequence to
  // deliver; only takes effect when the consumer is created.
  uint64_t start_sequence = 0;
};

struct OutgoingMessage {
  std::string subject;
  std::string payload;
  Headers headers;                     // must contain Nats-Msg-Id
};

struct PubAck {
  std::string stream;
  uint64_t sequence = 0;
  bool duplicate = false;              // the stream's duplicate window dropped it
};

// Called exactly once for each publish_async that returned ok, possibly from
// another thread (and possibly before publish_async returns). Not called
// when publish_async itself returns an error.
using PubAckCallback = std::function<void(Result<PubAck>)>;

// Progress of a durable consumer, for lag metrics, readiness and for knowing
// when a run has drained.
struct ConsumerState {
  uint64_t num_pending = 0;      // stored but not yet delivered
  uint64_t num_ack_pending = 0;  // delivered, not yet acked
  uint64_t num_redelivered = 0;
  uint64_t ack_floor_stream_sequence = 0;
};

struct StreamState {
  uint64_t messages = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
};

class Delivery {
 public:
  virtual ~Delivery() = default;
  virtual const std::string& subject() const = 0;
  virtual const std::string& payload() const = 0;
  virtual const Headers& headers() const = 0;
  virtual const std::string& stream() const = 0;
  virtual uint64_t stream_sequence() const = 0;
  virtual uint64_t num_delivered() const = 0;  // 1 on first delivery
  virtual int64_t stored_ns() const = 0;       // when the broker stored it
  [[nodiscard]] virtual Status ack() = 0;
  [[nodiscard]] virtual Status nak(int64_t delay_ns) = 0;
  [[nodiscard]] virtual Status term() = 0;     // never redeliver
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  // Up to `max` messages; waits at most `timeout_ns` for the first one. An
  // empty vector means nothing arrived in time (not an error).
  [[nodiscard]] virtual Result<std::vector<std::unique_ptr<Delivery>>> fetch(int max,
                                                                             int64_t timeout_ns) = 0;
  virtual const ConsumerConfig& config() const = 0;
  // The consumer's backlog: messages in the stream that match its filter and
  // have not been delivered to it yet (JetStream's num_pending; the
  // in-process transport counts as consumer_state() does). On JetStream this
  // is a consumer-info request to the server, so call it seldom (ConsumerLoop
  // refreshes it every ConsumerLoopOptions::pending_refresh_interval_ns).
  [[nodiscard]] virtual Result<uint64_t> num_pending() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Create the stream, or update it to match; idempotent.
  [[nodiscard]] virtual Status ensure_stream(const StreamConfig& config) = 0;
  // Create the durable consumer, or update it to match; idempotent.
  [[nodiscard]] virtual Status ensure_consumer(const ConsumerConfig& config) = 0;
  // Queues the message. Blocks while the in-flight window is full (bounded
  // by the stall timeout, then kResourceExhausted). `on_ack` reports the
  // pub-ack or the error (timeout, no stream, broker down).
  [[nodiscard]] virtual Status publish_async(OutgoingMessage message, PubAckCallback on_ack) = 0;
  // Waits until every queued publish has been acked or failed.
  [[nodiscard]] virtual Status flush(int64_t timeout_ns) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<Subscription>> subscribe(
      const ConsumerConfig& config) = 0;
  // Removes a durable consumer (and its delivery state); absent is not an error.
  [[nodiscard]] virtual Status delete_consumer(const std::string& stream,
                                               const std::string& durable) = 0;
  [[nodiscard]] virtual Result<ConsumerState> consumer_state(const std::string& stream,
                                                            const std::string& durable) = 0;
  [[nodiscard]] virtual Result<StreamState> stream_state(const std::string& stream) = 0;
  // Durable consumer names of a stream, sorted.
  [[nodiscard]] virtual Result<std::vector<std::string>> consumer_names(
      const std::string& stream) = 0;
  virtual bool connected() const = 0;
  virtual size_t in_flight() const = 0;
};

}  // namespace tp::bus
