// Signs protobuf messages and publishes them with deterministic message ids,
// so that a republish after a crash or a broker outage is dropped by the
// stream's duplicate window instead of being stored twice.
//
//   tp::bus::Publisher pub(transport, signer, clock);
//   pub.publish("md.bar.binance-us.BTCUSDT.1m", "bar:binance-us:BTCUSDT:1m:1677628800",
//               correlation_id, bar);
//   ...
//   if (auto s = pub.flush(5 * tp::kNanosPerSecond); !s) { /* do not ack inputs */ }
//
// publish() queues; flush() waits until every queued message has a pub-ack.
// Transient failures (timeouts, broker down, window full) are retried inside
// flush() with the same message id, re-signed with a fresh timestamp so a
// long outage cannot make the retry stale. A permanent failure (no stream
// for the subject, message too large) makes flush() return an error naming
// the message. A consumer must flush its outputs before acking its inputs:
// that is what makes at-least-once delivery lose nothing.
//
// Thread safety: publish() and flush() from one thread at a time; pub-ack
// callbacks arrive on the transport's thread and are handled internally.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tp/bus/events.h"
#include "tp/bus/transport.h"
#include "tp/core/clock.h"
#include "tp/signing/signer.h"

namespace google::protobuf {
class MessageLite;
}

namespace tp::bus {

// The payload bytes every producer sends: deterministic serialisation (map
// fields in key order), so a republish or a replay after a restart carries
// byte-identical payloads. False if the message cannot be serialised.
[[nodiscard]] bool serialize_deterministic(const google::protobuf::MessageLite& message, std::string& out);

class Publisher {
 public:
  Publisher(Transport& transport, const signing::Signer& signer, const Clock& clock,
            PublisherEvents* events = nullptr);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Serialises, signs and queues `message`. Fails only when the message
  // cannot be signed or serialised (a bug in the caller).
  [[nodiscard]] Status publish(std::string_view subject, std::string_view message_id,
                               std::string_view correlation_id,
                               const google::protobuf::MessageLite& message);
  // Same for a payload that is already serialised, of type `message_type`.
  // `extra_headers` travel unsigned beside the signed ones (e.g.
  // Tp-Dlq-Reason, for filtering); they cannot replace a signed header.
  [[nodiscard]] Status publish_bytes(std::string_view subject, std::string_view message_id,
                                     std::string_view message_type,
                                     std::string_view correlation_id, std::string payload,
                                     Headers extra_headers = {});

  // Waits until everything queued is stored by the broker, retrying
  // transient failures, for at most `timeout_ns`.
  [[nodiscard]] Status flush(int64_t timeout_ns);

  size_t unconfirmed() const;
  uint64_t confirmed_total() const;
  uint64_t duplicates_total() const;

 private:
  struct Pending;
  Status send(std::shared_ptr<Pending> pending);

  Transport& transport_;
  const signing::Signer& signer_;
  const Clock& clock_;
  PublisherEvents* events_;

  mutable std::mutex mutex_;
  size_t unconfirmed_ = 0;
  uint64_t confirmed_ = 0;
  uint64_t duplicates_ = 0;
  std::vector<std::shared_ptr<Pending>> to_retry_;
  std::vector<std::string> permanent_failures_;
};

}  // namespace tp::bus
