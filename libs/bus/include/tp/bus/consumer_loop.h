// The consume loop every service runs: fetch -> verify -> decode -> handle
// -> flush outputs -> ack.
//
//   tp::bus::Dispatcher handlers;
//   handlers.on<trading::v1::Bar>([&](const Received& r, const trading::v1::Bar& bar) {
//     return core.on_bar(bar) ? HandleResult::ok() : HandleResult::reject("invalid", "...");
//   });
//   tp::bus::ConsumerLoop loop(std::move(subscription), verifier, publisher, handlers, {});
//   loop.run(stop_flag);
//
// For each fetched message, in order:
//   1. payload larger than max_payload_bytes      -> dead letter "oversized"
//   2. signature, key, producer, subject, freshness (signing::Verifier)
//                                                  -> dead letter with the verifier's reason
//   3. replay guard: an injected copy              -> dead letter "replay"
//                    guard full                    -> NAK (transient)
//   4. already processed at this stream sequence   -> ack, skip ("duplicate")
//   5. handler: ok                                 -> ack after outputs are stored
//               retry(why)                         -> NAK with delay; after max_deliver
//                                                     deliveries, dead letter "max_deliver"
//               reject(reason, why)                -> dead letter with reason
// Outputs the handlers published, and the dead letters, are flushed to the
// broker before any input is acked or terminated; if that flush fails the
// whole batch is NAKed and will be redelivered (outputs have deterministic
// ids, so the retry stores nothing twice) and poll_once() returns the error.
// A dead letter is a signed
// trading.v1.DeadLetter on dlq.<stream>.<consumer> carrying the original
// subject, headers and bytes, with Tp-Dlq-Reason in its headers.
//
// Idempotence: the loop remembers the last N processed stream sequences, so
// a redelivery of a message whose ack was lost is acked without running the
// handler again. Across restarts, stateful handlers must check the stream
// sequence against their own persisted state (Received::stream_sequence).
//
// Thread safety: a loop runs on one thread; stop it from any thread with
// the std::atomic<bool> passed to run().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "tp/bus/events.h"
#include "tp/bus/publisher.h"
#include "tp/bus/transport.h"
#include "tp/signing/replay_guard.h"
#include "tp/signing/signer.h"

namespace tp::bus {

// What a handler decided about one message.
class HandleResult {
 public:
  enum class Kind { kOk, kRetry, kReject };
  static HandleResult ok() { return {Kind::kOk, "", ""}; }
  // Transient: try again later (e.g. the database is down).
  static HandleResult retry(std::string why) { return {Kind::kRetry, "transient", std::move(why)}; }
  // Permanent: the message itself is bad; `reason` is a stable label.
  static HandleResult reject(std::string reason, std::string why) {
    return {Kind::kReject, std::move(reason), std::move(why)};
  }
  Kind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }
  const std::string& detail() const { return detail_; }

 private:
  HandleResult(Kind k, std::string r, std::string d)
      : kind_(k), reason_(std::move(r)), detail_(std::move(d)) {}
  Kind kind_;
  std::string reason_;
  std::string detail_;
};

// A verified message, as handlers see it.
struct Received {
  const signing::Envelope& envelope;
  const std::string& subject;
  const std::string& payload;
  const std::string& stream;
  uint64_t stream_sequence;
  uint64_t num_delivered;
  int64_t stored_ns;
};

using Handler = std::function<HandleResult(const Received&)>;

// Routes by message type (Tp-Type) to typed handlers; decodes the payload.
// An undecodable payload is rejected as "undecodable", an unregistered type
// as "unexpected_type".
class Dispatcher {
 public:
  template <typename Message>
  Dispatcher& on(std::function<HandleResult(const Received&, const Message&)> handler) {
    routes_[Message().GetTypeName()] = [handler = std::move(handler)](const Received& r) {
      Message message;
      if (!message.ParseFromString(r.payload))
        return HandleResult::reject("undecodable",
                                    "payload is not a valid " + message.GetTypeName());
      return handler(r, message);
    };
    return *this;
  }
  HandleResult operator()(const Received& received) const;

 private:
  std::map<std::string, Handler, std::less<>> routes_;
};

struct ConsumerLoopOptions {
  int batch_size = 256;
  int64_t fetch_timeout_ns = 500 * kNanosPerMilli;
  int64_t retry_delay_ns = 1 * kNanosPerSecond;     // NAK delay for transient failures
  size_t max_payload_bytes = 1 << 20;
  int64_t flush_timeout_ns = 10 * kNanosPerSecond;
  std::string dead_letter_prefix = "dlq";
  size_t remembered_sequences = 1 << 16;
  signing::ReplayGuardConfig replay{};
  // Called with every error the loop recovers from (fetch failures, flush
  // failures), e.g. to log it. May be empty.
  std::function<void(const Error&)> on_error;
  // Runs after the batch's outputs are stored and before its inputs are
  // settled, e.g. to checkpoint state in the same step. An error NAKs the
  // whole batch (without delay, so it is redelivered before newer messages).
  std::function<Status()> before_settle;
  // Runs when a handled batch is abandoned (flush or before_settle failed)
  // and will be redelivered, e.g. to roll in-memory state back to the last
  // checkpoint so the redelivery is not applied twice.
  std::function<void()> on_abandon;
  // When set, held while a fetched batch is handled, flushed and settled, so
  // that several loops sharing one core apply whole batches one at a time.
  std::mutex* batch_mutex = nullptr;
  // How often poll_once() reads the consumer's backlog (Subscription::
  // num_pending, a request to the broker) and reports it through
  // ConsumerEvents::pending_messages. Measured in real (steady) time; the
  // first poll reads it. 0: after every poll; negative: never. A failed read
  // is counted (pending_errors()) and reported to on_error once per run of
  // failures; it never fails the poll.
  int64_t pending_refresh_interval_ns = 5 * kNanosPerSecond;
};

class ConsumerLoop {
 public:
  ConsumerLoop(std::unique_ptr<Subscription> subscription, const signing::Verifier& verifier,
               Publisher& publisher, Handler handler, const Clock& clock,
               ConsumerLoopOptions options, ConsumerEvents* events = nullptr);

  // Fetches and settles one batch; returns how many messages it fetched. An
  // error means the batch could not be completed (fetch, flush or
  // before_settle failed) and was NAKed for redelivery.
  [[nodiscard]] Result<size_t> poll_once();

  // Polls until `stop` becomes true; backs off on errors. Finishes and
  // settles the batch in hand before returning.
  void run(const std::atomic<bool>& stop);

  const ConsumerConfig& config() const { return subscription_->config(); }
  std::string dead_letter_subject() const;

  // The backlog last read from the broker (nullopt until a read succeeded),
  // and how many reads failed.
  std::optional<uint64_t> last_pending() const { return last_pending_; }
  uint64_t pending_errors() const { return pending_errors_; }

 private:
  struct Settlement;
  Result<size_t> poll_batch();
  void maybe_refresh_pending();
  void settle_one(Delivery& delivery, Settlement& out);
  bool already_processed(uint64_t sequence) const;
  void remember_processed(uint64_t sequence);

  std::unique_ptr<Subscription> subscription_;
  const signing::Verifier& verifier_;
  Publisher& publisher_;
  Handler handler_;
  const Clock& clock_;
  ConsumerLoopOptions options_;
  ConsumerEvents* events_;
  signing::ReplayGuard guard_;
  std::unordered_set<uint64_t> processed_;
  std::deque<uint64_t> processed_order_;
  std::chrono::steady_clock::time_point next_pending_refresh_{};  // epoch: read at once
  std::optional<uint64_t> last_pending_;
  uint64_t pending_errors_ = 0;
  bool pending_failing_ = false;
};

}  // namespace tp::bus
