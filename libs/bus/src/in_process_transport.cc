#include "tp/bus/in_process_transport.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <set>
#include <unordered_map>

#include "tp/signing/key_ring.h"

namespace tp::bus {

struct InProcessTransport::State {
  struct Stream {
    StreamConfig config;
    std::vector<StoredMessage> messages;  // messages[i].sequence == i + 1
    std::unordered_map<std::string, int64_t> recent_ids;  // Nats-Msg-Id -> stored_ns
    std::deque<std::pair<int64_t, std::string>> id_expiry;
  };
  struct Pending {
    uint64_t num_delivered = 0;
    int64_t redeliver_at_ns = 0;  // when it becomes deliverable again
    bool outstanding = false;     // delivered and neither acked nor naked
  };
  struct Consumer {
    ConsumerConfig config;
    uint64_t next_index = 0;                 // next never-delivered message index
    std::map<uint64_t, Pending> unacked;     // by stream sequence
  };

  explicit State(const Clock& c) : clock(&c) {}

  const Clock* clock;
  mutable std::mutex mutex;
  std::condition_variable arrived;
  std::map<std::string, Stream> streams;
  std::map<std::pair<std::string, std::string>, Consumer> consumers;
  int failing_publishes = 0;

  Stream* stream_for_subject(const std::string& subject) {
    for (auto& [name, stream] : streams)
      for (const auto& pattern : stream.config.subjects)
        if (signing::subject_matches(pattern, subject)) return &stream;
    return nullptr;
  }

  void settle(const std::string& stream, const std::string& durable, uint64_t seq,
              std::optional<int64_t> redeliver_at) {
    std::lock_guard lock(mutex);
    auto it = consumers.find({stream, durable});
    if (it == consumers.end()) return;
    auto p = it->second.unacked.find(seq);
    if (p == it->second.unacked.end()) return;
    if (!redeliver_at) {
      it->second.unacked.erase(p);
      return;
    }
    p->second.outstanding = false;
    p->second.redeliver_at_ns = *redeliver_at;
    arrived.notify_all();
  }

  // Caller holds the mutex.
  Result<ConsumerState> consumer_state(const std::string& stream, const std::string& durable) const {
    auto it = consumers.find({stream, durable});
    if (it == consumers.end())
      return make_error(ErrorCode::kNotFound,
                        "consumer " + stream + "/" + durable + " does not exist");
    const auto& consumer = it->second;
    const auto& messages = streams.at(stream).messages;
    ConsumerState out;
    for (size_t i = consumer.next_index; i < messages.size(); ++i)
      if (consumer.config.filter_subject.empty() ||
          signing::subject_matches(consumer.config.filter_subject, messages[i].subject))
        ++out.num_pending;
    for (const auto& [seq, p] : consumer.unacked) {
      if (p.outstanding) ++out.num_ack_pending;
      else ++out.num_pending;  // NAKed or expired: waiting for redelivery
      if (p.num_delivered > 1) ++out.num_redelivered;
    }
    out.ack_floor_stream_sequence =
        consumer.unacked.empty() ? consumer.next_index : consumer.unacked.begin()->first - 1;
    return out;
  }
};

namespace {

class InProcessDelivery final : public Delivery {
 public:
  InProcessDelivery(std::shared_ptr<InProcessTransport::State> state, std::string durable,
                    std::string stream, InProcessTransport::StoredMessage message,
                    uint64_t num_delivered)
      : state_(std::move(state)),
        durable_(std::move(durable)),
        stream_(std::move(stream)),
        message_(std::move(message)),
        num_delivered_(num_delivered) {}

  const std::string& subject() const override { return message_.subject; }
  const std::string& payload() const override { return message_.payload; }
  const Headers& headers() const override { return message_.headers; }
  const std::string& stream() const override { return stream_; }
  uint64_t stream_sequence() const override { return message_.sequence; }
  uint64_t num_delivered() const override { return num_delivered_; }
  int64_t stored_ns() const override { return message_.stored_ns; }

  Status ack() override {
    state_->settle(stream_, durable_, message_.sequence, std::nullopt);
    return ok();
  }
  Status nak(int64_t delay_ns) override {
    state_->settle(stream_, durable_, message_.sequence, state_->clock->now_ns() + delay_ns);
    return ok();
  }
  Status term() override { return ack(); }

 private:
  std::shared_ptr<InProcessTransport::State> state_;
  std::string durable_;
  std::string stream_;
  InProcessTransport::StoredMessage message_;
  uint64_t num_delivered_;
};

class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::shared_ptr<InProcessTransport::State> state, ConsumerConfig config)
      : state_(std::move(state)), config_(std::move(config)) {}

  const ConsumerConfig& config() const override { return config_; }

  Result<std::vector<std::unique_ptr<Delivery>>> fetch(int max, int64_t timeout_ns) override {
    std::unique_lock lock(state_->mutex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
    for (;;) {
      auto batch = collect(max);
      if (!batch) return std::unexpected(batch.error());
      if (!batch->empty() || timeout_ns <= 0) return batch;
      if (state_->arrived.wait_until(lock, deadline) == std::cv_status::timeout) {
        return collect(max);
      }
    }
  }

  Result<uint64_t> num_pending() override {
    std::lock_guard lock(state_->mutex);
    auto state = state_->consumer_state(config_.stream, config_.durable);
    if (!state) return std::unexpected(state.error());
    return state->num_pending;
  }

 private:
  // Redeliveries that are due come first (lowest sequence first), then new
  // messages, as JetStream does. Caller holds the mutex.
  Result<std::vector<std::unique_ptr<Delivery>>> collect(int max) {
    auto cit = state_->consumers.find({config_.stream, config_.durable});
    if (cit == state_->consumers.end())
      return make_error(ErrorCode::kNotFound, "consumer " + config_.stream + "/" +
                                                  config_.durable + " does not exist");
    auto& consumer = cit->second;
    auto& stream = state_->streams.at(config_.stream);
    const int64_t now = state_->clock->now_ns();
    std::vector<std::unique_ptr<Delivery>> out;

    auto deliver = [&](uint64_t seq, InProcessTransport::State::Pending& p) {
      p.num_delivered += 1;
      p.outstanding = true;
      p.redeliver_at_ns = now + consumer.config.ack_wait_ns;
      out.push_back(std::make_unique<InProcessDelivery>(state_, config_.durable, config_.stream,
                                                        stream.messages[seq - 1],
                                                        p.num_delivered));
    };

    for (auto& [seq, pending] : consumer.unacked) {
      if (static_cast<int>(out.size()) >= max) break;
      if (pending.redeliver_at_ns > now) continue;
      if (consumer.config.max_deliver > 0 &&
          static_cast<int64_t>(pending.num_delivered) >= consumer.config.max_deliver)
        continue;  // JetStream stops here; the message stays unacked forever
      deliver(seq, pending);
    }
    while (static_cast<int>(out.size()) < max && consumer.next_index < stream.messages.size()) {
      if (consumer.config.max_ack_pending > 0 &&
          static_cast<int64_t>(consumer.unacked.size()) >= consumer.config.max_ack_pending)
        break;
      const auto& m = stream.messages[consumer.next_index++];
      if (!config_.filter_subject.empty() &&
          !signing::subject_matches(config_.filter_subject, m.subject))
        continue;
      deliver(m.sequence, consumer.unacked[m.sequence]);
    }
    return out;
  }

  std::shared_ptr<InProcessTransport::State> state_;
  ConsumerConfig config_;
};

}  // namespace

InProcessTransport::InProcessTransport(const Clock& clock)
    : state_(std::make_shared<State>(clock)) {}

InProcessTransport::~InProcessTransport() = default;

Status InProcessTransport::ensure_stream(const StreamConfig& config) {
  if (config.name.empty() || config.subjects.empty())
    return make_error(ErrorCode::kInvalidArgument, "stream needs a name and subjects");
  std::lock_guard lock(state_->mutex);
  auto& stream = state_->streams[config.name];
  stream.config = config;
  return ok();
}

Status InProcessTransport::ensure_consumer(const ConsumerConfig& config) {
  std::lock_guard lock(state_->mutex);
  if (!state_->streams.contains(config.stream))
    return make_error(ErrorCode::kNotFound, "stream " + config.stream + " does not exist");
  auto [it, created] = state_->consumers.try_emplace({config.stream, config.durable});
  it->second.config = config;
  if (created && config.start_sequence > 1) it->second.next_index = config.start_sequence - 1;
  return ok();
}

Status InProcessTransport::publish_async(OutgoingMessage message, PubAckCallback on_ack) {
  Result<PubAck> result;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->failing_publishes > 0) {
      --state_->failing_publishes;
      result = make_error(ErrorCode::kUnavailable, "in-process broker: injected outage");
    } else if (auto* stream = state_->stream_for_subject(message.subject); !stream) {
      result = make_error(ErrorCode::kNotFound,
                          "no stream captures subject " + message.subject);
    } else if (static_cast<int64_t>(message.payload.size()) > stream->config.max_message_bytes) {
      result = make_error(ErrorCode::kInvalidArgument, "message size exceeds maximum allowed");
    } else {
      const int64_t now = state_->clock->now_ns();
      while (!stream->id_expiry.empty() &&
             stream->id_expiry.front().first + stream->config.duplicate_window_ns <= now) {
        auto& [t, id] = stream->id_expiry.front();
        auto found = stream->recent_ids.find(id);
        if (found != stream->recent_ids.end() && found->second == t) stream->recent_ids.erase(found);
        stream->id_expiry.pop_front();
      }
      auto id_it = message.headers.find(signing::kHeaderMessageId);
      std::string id = id_it == message.headers.end() ? "" : id_it->second;
      if (!id.empty() && stream->recent_ids.contains(id)) {
        result = PubAck{stream->config.name, 0, true};
      } else {
        uint64_t seq = stream->messages.size() + 1;
        stream->messages.push_back({seq, std::move(message.subject), std::move(message.payload),
                                    std::move(message.headers), now});
        if (!id.empty()) {
          stream->recent_ids[id] = now;
          stream->id_expiry.emplace_back(now, id);
        }
        result = PubAck{stream->config.name, seq, false};
        state_->arrived.notify_all();
      }
    }
  }
  if (on_ack) on_ack(std::move(result));
  return ok();
}

Status InProcessTransport::flush(int64_t) { return ok(); }

Result<std::unique_ptr<Subscription>> InProcessTransport::subscribe(const ConsumerConfig& config) {
  std::lock_guard lock(state_->mutex);
  if (!state_->consumers.contains({config.stream, config.durable}))
    return make_error(ErrorCode::kNotFound,
                      "consumer " + config.stream + "/" + config.durable + " does not exist");
  return std::make_unique<InProcessSubscription>(state_, config);
}

Result<ConsumerState> InProcessTransport::consumer_state(const std::string& stream,
                                                         const std::string& durable) {
  std::lock_guard lock(state_->mutex);
  return state_->consumer_state(stream, durable);
}

Result<StreamState> InProcessTransport::stream_state(const std::string& stream) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->streams.find(stream);
  if (it == state_->streams.end())
    return make_error(ErrorCode::kNotFound, "stream " + stream + " does not exist");
  StreamState out;
  out.messages = it->second.messages.size();
  out.first_sequence = out.messages ? 1 : 0;
  out.last_sequence = out.messages;
  return out;
}

Result<std::vector<std::string>> InProcessTransport::consumer_names(const std::string& stream) {
  std::lock_guard lock(state_->mutex);
  if (!state_->streams.contains(stream))
    return make_error(ErrorCode::kNotFound, "stream " + stream + " does not exist");
  std::vector<std::string> out;
  for (const auto& [key, consumer] : state_->consumers)
    if (key.first == stream) out.push_back(key.second);
  return out;  // std::map order: already sorted
}

Status InProcessTransport::delete_consumer(const std::string& stream, const std::string& durable) {
  std::lock_guard lock(state_->mutex);
  state_->consumers.erase({stream, durable});
  return ok();
}

void InProcessTransport::fail_publishes(int count) {
  std::lock_guard lock(state_->mutex);
  state_->failing_publishes = count;
}

uint64_t InProcessTransport::stream_size(const std::string& stream) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->streams.find(stream);
  return it == state_->streams.end() ? 0 : it->second.messages.size();
}

std::vector<InProcessTransport::StoredMessage> InProcessTransport::stream_messages(
    const std::string& stream) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->streams.find(stream);
  if (it == state_->streams.end()) return {};
  return it->second.messages;
}

}  // namespace tp::bus
