#include "tp/bus/publisher.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>

#include <chrono>
#include <thread>

namespace tp::bus {

struct Publisher::Pending {
  std::string subject;
  std::string message_id;
  std::string message_type;
  std::string correlation_id;
  std::string payload;
  Headers extra_headers;
  int attempts = 0;
  int64_t first_sent_ns = 0;
  int64_t sent_ns = 0;
};

Publisher::Publisher(Transport& transport, const signing::Signer& signer, const Clock& clock,
                     PublisherEvents* events)
    : transport_(transport), signer_(signer), clock_(clock), events_(events) {}

Publisher::~Publisher() = default;

bool serialize_deterministic(const google::protobuf::MessageLite& message, std::string& out) {
  out.clear();
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  return message.SerializeToCodedStream(&coded);
}

Status Publisher::publish(std::string_view subject, std::string_view message_id,
                          std::string_view correlation_id,
                          const google::protobuf::MessageLite& message) {
  std::string payload;
  if (!serialize_deterministic(message, payload))
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot serialise " + message.GetTypeName() + " " + std::string(message_id));
  return publish_bytes(subject, message_id, message.GetTypeName(), correlation_id,
                       std::move(payload), {});
}

Status Publisher::publish_bytes(std::string_view subject, std::string_view message_id,
                                std::string_view message_type, std::string_view correlation_id,
                                std::string payload, Headers extra_headers) {
  auto pending = std::make_shared<Pending>();
  pending->subject = subject;
  pending->message_id = message_id;
  pending->message_type = message_type;
  pending->correlation_id = correlation_id;
  pending->payload = std::move(payload);
  pending->extra_headers = std::move(extra_headers);
  pending->first_sent_ns = clock_.now_ns();
  {
    std::lock_guard lock(mutex_);
    ++unconfirmed_;
    if (events_) events_->in_flight(static_cast<int64_t>(unconfirmed_));
  }
  return send(std::move(pending));
}

Status Publisher::send(std::shared_ptr<Pending> pending) {
  auto envelope = signer_.sign(pending->subject, pending->message_id, pending->message_type,
                               pending->correlation_id, pending->payload);
  if (!envelope) {
    std::lock_guard lock(mutex_);
    --unconfirmed_;
    return std::unexpected(envelope.error());
  }
  pending->attempts += 1;
  pending->sent_ns = clock_.now_ns();
  OutgoingMessage message{pending->subject, pending->payload, signing::to_headers(*envelope)};
  for (const auto& [name, value] : pending->extra_headers) message.headers.emplace(name, value);
  auto on_ack = [this, pending](Result<PubAck> ack) {
    std::lock_guard lock(mutex_);
    if (ack) {
      --unconfirmed_;
      ++confirmed_;
      if (ack->duplicate) ++duplicates_;
      if (events_) {
        double latency = static_cast<double>(clock_.now_ns() - pending->sent_ns) / 1e9;
        events_->published(latency < 0 ? 0 : latency, ack->duplicate);
        events_->in_flight(static_cast<int64_t>(unconfirmed_));
      }
      return;
    }
    if (events_) events_->publish_failed(to_string(ack.error().code));
    if (is_transient(ack.error().code)) {
      to_retry_.push_back(pending);
    } else {
      --unconfirmed_;
      permanent_failures_.push_back(pending->message_id + " on " + pending->subject + ": " +
                                    ack.error().to_string());
    }
  };
  auto status = transport_.publish_async(std::move(message), on_ack);
  if (!status) {
    std::lock_guard lock(mutex_);
    if (events_) events_->publish_failed(to_string(status.error().code));
    if (is_transient(status.error().code)) {
      to_retry_.push_back(pending);
    } else {
      --unconfirmed_;
      permanent_failures_.push_back(pending->message_id + " on " + pending->subject + ": " +
                                    status.error().to_string());
    }
  }
  return ok();
}

Status Publisher::flush(int64_t timeout_ns) {
  using std::chrono::steady_clock;
  const auto deadline = steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         deadline - steady_clock::now()).count();
    if (remaining > 0) (void)transport_.flush(remaining);
    std::vector<std::shared_ptr<Pending>> retry;
    std::vector<std::string> failures;
    size_t unconfirmed;
    {
      std::lock_guard lock(mutex_);
      retry.swap(to_retry_);
      failures.swap(permanent_failures_);
      unconfirmed = unconfirmed_;
    }
    if (!failures.empty()) {
      std::string text = std::to_string(failures.size()) + " message(s) rejected by the broker: " +
                         failures.front();
      // Retries in flight are kept; the caller must not ack its inputs.
      for (auto& p : retry) (void)send(std::move(p));
      return make_error(ErrorCode::kFailedPrecondition, text);
    }
    if (unconfirmed == 0) return ok();
    if (steady_clock::now() >= deadline) {
      std::lock_guard lock(mutex_);
      for (auto& p : retry) to_retry_.push_back(std::move(p));
      return make_error(ErrorCode::kUnavailable,
                        std::to_string(unconfirmed) + " message(s) not acknowledged by the broker");
    }
    if (!retry.empty()) {
      // The broker is failing: pace the retries instead of spinning.
      std::this_thread::sleep_for(std::min(
          backoff, std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                         steady_clock::now())));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
      for (auto& p : retry) (void)send(std::move(p));
    } else {
      // Acks still outstanding (the transport's flush timed out): poll.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

size_t Publisher::unconfirmed() const {
  std::lock_guard lock(mutex_);
  return unconfirmed_;
}
uint64_t Publisher::confirmed_total() const {
  std::lock_guard lock(mutex_);
  return confirmed_;
}
uint64_t Publisher::duplicates_total() const {
  std::lock_guard lock(mutex_);
  return duplicates_;
}

}  // namespace tp::bus
