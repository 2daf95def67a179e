#include "tp/bus/consumer_loop.h"

#include <chrono>
#include <thread>
#include <vector>

#include "trading/v1/control.pb.h"

namespace tp::bus {

HandleResult Dispatcher::operator()(const Received& received) const {
  auto it = routes_.find(received.envelope.message_type);
  if (it == routes_.end())
    return HandleResult::reject("unexpected_type", "no handler for message type " +
                                                       received.envelope.message_type +
                                                       " on " + received.subject);
  return it->second(received);
}

struct ConsumerLoop::Settlement {
  struct DeadLetter {
    Delivery* delivery;
    std::string reason;
    std::string detail;
  };
  std::vector<Delivery*> acks;        // handled (or duplicates): ack after flush
  std::vector<Delivery*> retries;     // NAK with delay
  std::vector<DeadLetter> dead;       // dead-letter, then term
  std::vector<Delivery*> handled;     // subset of acks that ran the handler
};

ConsumerLoop::ConsumerLoop(std::unique_ptr<Subscription> subscription,
                           const signing::Verifier& verifier, Publisher& publisher,
                           Handler handler, const Clock& clock, ConsumerLoopOptions options,
                           ConsumerEvents* events)
    : subscription_(std::move(subscription)),
      verifier_(verifier),
      publisher_(publisher),
      handler_(std::move(handler)),
      clock_(clock),
      options_(std::move(options)),
      events_(events),
      guard_(options_.replay) {}

std::string ConsumerLoop::dead_letter_subject() const {
  return options_.dead_letter_prefix + "." + config().stream + "." + config().durable;
}

bool ConsumerLoop::already_processed(uint64_t sequence) const {
  return processed_.contains(sequence);
}

void ConsumerLoop::remember_processed(uint64_t sequence) {
  if (!processed_.insert(sequence).second) return;
  processed_order_.push_back(sequence);
  while (processed_order_.size() > options_.remembered_sequences) {
    processed_.erase(processed_order_.front());
    processed_order_.pop_front();
  }
}

void ConsumerLoop::settle_one(Delivery& d, Settlement& out) {
  if (events_) events_->received(d.num_delivered());
  if (d.payload().size() > options_.max_payload_bytes) {
    out.dead.push_back({&d, "oversized",
                        "payload of " + std::to_string(d.payload().size()) +
                            " bytes exceeds the limit of " +
                            std::to_string(options_.max_payload_bytes)});
    return;
  }
  auto verified = verifier_.verify(d.subject(), d.headers(), d.payload(), d.stored_ns());
  if (!verified) {
    out.dead.push_back({&d, std::string(signing::to_string(verified.error().reason)),
                        verified.error().message});
    return;
  }
  switch (guard_.check(*verified, d.stream_sequence(), d.stored_ns())) {
    case signing::ReplayVerdict::kReplay:
      out.dead.push_back({&d, "replay",
                          "message id " + verified->message_id + " from " + verified->producer +
                              " was already accepted at another stream position"});
      return;
    case signing::ReplayVerdict::kFull:
      if (events_) events_->retried("replay_guard_full");
      out.retries.push_back(&d);
      return;
    case signing::ReplayVerdict::kFresh:
    case signing::ReplayVerdict::kRedelivery:
      break;
  }
  if (already_processed(d.stream_sequence())) {
    if (events_) events_->duplicate();
    out.acks.push_back(&d);
    return;
  }
  Received received{*verified,  d.subject(),         d.payload(),    d.stream(),
                    d.stream_sequence(), d.num_delivered(), d.stored_ns()};
  const auto started = std::chrono::steady_clock::now();
  HandleResult result = HandleResult::retry("handler threw");
  try {
    result = handler_(received);
  } catch (const std::exception& e) {
    // A handler bug must not take the service down with it; the message is
    // parked in the dead-letter stream where it can be inspected.
    result = HandleResult::reject("handler_exception", e.what());
  }
  const double latency =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  switch (result.kind()) {
    case HandleResult::Kind::kOk:
      if (events_) events_->handled(latency);
      out.acks.push_back(&d);
      out.handled.push_back(&d);
      return;
    case HandleResult::Kind::kRetry: {
      const int64_t max_deliver = subscription_->config().max_deliver;
      if (max_deliver > 0 && static_cast<int64_t>(d.num_delivered()) >= max_deliver) {
        out.dead.push_back({&d, "max_deliver",
                            "still failing after " + std::to_string(d.num_delivered()) +
                                " deliveries: " + result.detail()});
      } else {
        if (events_) events_->retried(result.reason());
        out.retries.push_back(&d);
      }
      return;
    }
    case HandleResult::Kind::kReject:
      out.dead.push_back({&d, result.reason(), result.detail()});
      return;
  }
}

Result<size_t> ConsumerLoop::poll_once() {
  auto polled = poll_batch();
  maybe_refresh_pending();
  return polled;
}

void ConsumerLoop::maybe_refresh_pending() {
  if (options_.pending_refresh_interval_ns < 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_pending_refresh_) return;
  // Paced by attempts, not successes: an unreachable broker is asked no more
  // often than a healthy one.
  next_pending_refresh_ = now + std::chrono::nanoseconds(options_.pending_refresh_interval_ns);
  auto pending = subscription_->num_pending();
  if (!pending) {
    ++pending_errors_;
    if (!pending_failing_ && options_.on_error) options_.on_error(pending.error());
    pending_failing_ = true;
    return;  // keep the last value
  }
  pending_failing_ = false;
  last_pending_ = *pending;
  if (events_) events_->pending_messages(*pending);
}

Result<size_t> ConsumerLoop::poll_batch() {
  auto batch = subscription_->fetch(options_.batch_size, options_.fetch_timeout_ns);
  if (!batch) return std::unexpected(batch.error());
  if (batch->empty()) return size_t{0};
  std::unique_lock<std::mutex> batch_lock;
  if (options_.batch_mutex) batch_lock = std::unique_lock(*options_.batch_mutex);
  if (events_) events_->ack_pending(static_cast<int64_t>(batch->size()));

  Settlement s;
  for (auto& delivery : *batch) settle_one(*delivery, s);

  for (auto& dl : s.dead) {
    trading::v1::DeadLetter letter;
    letter.set_reason(dl.reason);
    letter.set_detail(dl.detail);
    letter.set_stream(dl.delivery->stream());
    letter.set_stream_sequence(dl.delivery->stream_sequence());
    letter.set_consumer(config().durable);
    letter.set_subject(dl.delivery->subject());
    for (const auto& [k, v] : dl.delivery->headers()) (*letter.mutable_headers())[k] = v;
    letter.set_payload(dl.delivery->payload());
    letter.set_num_delivered(dl.delivery->num_delivered());
    letter.set_stored_ns(dl.delivery->stored_ns());
    letter.set_dead_lettered_ns(clock_.now_ns());
    std::string payload;
    letter.SerializeToString(&payload);
    auto corr = dl.delivery->headers().find(signing::kHeaderCorrelationId);
    std::string correlation = corr == dl.delivery->headers().end() ? "" : corr->second;
    for (char c : correlation)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        correlation.clear();  // forged or broken header: do not copy it into a signed field
        break;
      }
    const std::string id = "dlq:" + dl.delivery->stream() + ":" + config().durable + ":" +
                           std::to_string(dl.delivery->stream_sequence());
    Headers extra{{"Tp-Dlq-Reason", dl.reason},
                  {"Tp-Dlq-Stream", dl.delivery->stream()},
                  {"Tp-Dlq-Sequence", std::to_string(dl.delivery->stream_sequence())}};
    auto queued = publisher_.publish_bytes(dead_letter_subject(), id, letter.GetTypeName(),
                                           correlation, std::move(payload), std::move(extra));
    if (!queued) {
      // Never terminate what could not be parked: retry it later instead.
      if (options_.on_error) options_.on_error(queued.error());
      s.retries.push_back(dl.delivery);
      dl.delivery = nullptr;
    }
  }
  std::erase_if(s.dead, [](const Settlement::DeadLetter& dl) { return dl.delivery == nullptr; });

  // Outputs of handled messages and the dead letters must be stored before
  // their inputs are settled; otherwise a crash here would lose them.
  if (auto flushed = publisher_.flush(options_.flush_timeout_ns); !flushed) {
    // No delay: the batch comes back before anything newer, keeping order.
    for (auto& delivery : *batch) (void)delivery->nak(0);
    if (options_.on_abandon) options_.on_abandon();
    if (events_) {
      events_->retried("flush_failed");
      events_->ack_pending(0);
    }
    return std::unexpected(flushed.error());
  }
  if (options_.before_settle) {
    if (auto committed = options_.before_settle(); !committed) {
      for (auto& delivery : *batch) (void)delivery->nak(0);
      if (options_.on_abandon) options_.on_abandon();
      if (events_) {
        events_->retried("commit_failed");
        events_->ack_pending(0);
      }
      return std::unexpected(committed.error());
    }
  }
  for (Delivery* d : s.acks) {
    if (d->ack()) remember_processed(d->stream_sequence());
  }
  for (Delivery* d : s.retries) (void)d->nak(options_.retry_delay_ns);
  for (const auto& dl : s.dead) {
    (void)dl.delivery->term();
    if (events_) {
      events_->rejected(dl.reason);
      events_->dead_lettered(dl.reason);
    }
  }
  if (events_) {
    events_->ack_pending(0);
    if (!s.handled.empty()) events_->processed_sequence(s.handled.back()->stream_sequence());
  }
  return batch->size();
}

void ConsumerLoop::run(const std::atomic<bool>& stop) {
  auto backoff = std::chrono::milliseconds(50);
  while (!stop.load(std::memory_order_acquire)) {
    auto polled = poll_once();
    if (polled) {
      backoff = std::chrono::milliseconds(50);
      continue;
    }
    if (options_.on_error) options_.on_error(polled.error());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace tp::bus
