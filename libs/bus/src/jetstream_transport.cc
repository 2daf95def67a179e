#include "tp/bus/jetstream_transport.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace tp::bus {
namespace {

constexpr int64_t to_ms(int64_t ns) { return ns / kNanosPerMilli; }

std::string describe(natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0),
                     const char* text = nullptr) {
  std::string out = natsStatus_GetText(s);
  if (jerr != 0) out += " (jetstream error " + std::to_string(static_cast<int>(jerr)) + ")";
  if (text && *text) out += ": " + std::string(text);
  if (const char* last = nats_GetLastError(nullptr); last && *last && !(text && *text))
    out += ": " + std::string(last);
  return out;
}

ErrorCode classify(natsStatus s, jsErrCode jerr) {
  switch (static_cast<int>(jerr)) {
    case 10054:  // JSStreamMessageExceedsMaximumErr
      return ErrorCode::kInvalidArgument;
    case 10059:  // JSStreamNotFoundErr
    case 10014:  // JSConsumerNotFoundErr
      return ErrorCode::kNotFound;
    default:
      break;
  }
  switch (s) {
    case NATS_TIMEOUT:
      return ErrorCode::kTimeout;
    case NATS_NOT_FOUND:
      return ErrorCode::kNotFound;
    case NATS_INVALID_ARG:
    case NATS_MAX_PAYLOAD:
      return ErrorCode::kInvalidArgument;
    default:
      // Disconnected, closed, no responders (JetStream not ready yet after a
      // restart), stale connection...: all worth retrying.
      return ErrorCode::kUnavailable;
  }
}

Error nats_error(std::string_view what, natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0),
                 const char* text = nullptr) {
  return Error{classify(s, jerr), "nats: " + std::string(what) + ": " + describe(s, jerr, text)};
}

class JetStreamDelivery final : public Delivery {
 public:
  JetStreamDelivery(natsMsg* msg, std::string stream, uint64_t seq, uint64_t delivered,
                    int64_t stored_ns)
      : msg_(msg),
        subject_(natsMsg_GetSubject(msg)),
        payload_(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
        stream_(std::move(stream)),
        sequence_(seq),
        delivered_(delivered),
        stored_ns_(stored_ns) {
    const char** keys = nullptr;
    int count = 0;
    if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
      for (int i = 0; i < count; ++i) {
        const char* value = nullptr;
        if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK && value)
          headers_.emplace(keys[i], value);
      }
      free(static_cast<void*>(keys));
    }
  }
  ~JetStreamDelivery() override { natsMsg_Destroy(msg_); }

  const std::string& subject() const override { return subject_; }
  const std::string& payload() const override { return payload_; }
  const Headers& headers() const override { return headers_; }
  const std::string& stream() const override { return stream_; }
  uint64_t stream_sequence() const override { return sequence_; }
  uint64_t num_delivered() const override { return delivered_; }
  int64_t stored_ns() const override { return stored_ns_; }

  Status ack() override { return check("ack", natsMsg_Ack(msg_, nullptr)); }
  Status nak(int64_t delay_ns) override {
    return check("nak", natsMsg_NakWithDelay(msg_, to_ms(delay_ns), nullptr));
  }
  Status term() override { return check("term", natsMsg_Term(msg_, nullptr)); }

 private:
  Status check(const char* what, natsStatus s) {
    if (s == NATS_OK) return ok();
    return std::unexpected(nats_error(std::string(what) + " " + stream_ + "#" +
                                          std::to_string(sequence_), s));
  }

  natsMsg* msg_;
  std::string subject_;
  std::string payload_;
  Headers headers_;
  std::string stream_;
  uint64_t sequence_;
  uint64_t delivered_;
  int64_t stored_ns_;
};

class JetStreamSubscription final : public Subscription {
 public:
  // `js` belongs to the transport, which outlives its subscriptions.
  JetStreamSubscription(natsSubscription* sub, jsCtx* js, ConsumerConfig config)
      : sub_(sub), js_(js), config_(std::move(config)) {}
  ~JetStreamSubscription() override { natsSubscription_Destroy(sub_); }

  const ConsumerConfig& config() const override { return config_; }

  Result<std::vector<std::unique_ptr<Delivery>>> fetch(int max, int64_t timeout_ns) override {
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    // Returns early with fewer than `max` messages when no more are pending.
    natsStatus s = natsSubscription_Fetch(&list, sub_, max, std::max<int64_t>(1, to_ms(timeout_ns)),
                                          &jerr);
    std::vector<std::unique_ptr<Delivery>> out;
    if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
      natsMsgList_Destroy(&list);
      // cnats 3.4.1 may return a timeout at once after an earlier timeout
      // (nats.c #631); never spin on it.
      auto elapsed = std::chrono::steady_clock::now() - last_fetch_;
      if (elapsed < std::chrono::milliseconds(1))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      last_fetch_ = std::chrono::steady_clock::now();
      return out;
    }
    last_fetch_ = std::chrono::steady_clock::now();
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      return std::unexpected(nats_error("fetch " + config_.stream + "/" + config_.durable, s, jerr));
    }
    out.reserve(static_cast<size_t>(list.Count));
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* msg = list.Msgs[i];
      list.Msgs[i] = nullptr;
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg) != NATS_OK || meta == nullptr) {
        // Not a JetStream message (status message): nothing to ack.
        natsMsg_Destroy(msg);
        continue;
      }
      out.push_back(std::make_unique<JetStreamDelivery>(
          msg, meta->Stream ? meta->Stream : config_.stream, meta->Sequence.Stream,
          meta->NumDelivered, meta->Timestamp));
      jsMsgMetaData_Destroy(meta);
    }
    natsMsgList_Destroy(&list);
    return out;
  }

  Result<uint64_t> num_pending() override {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = kConsumerInfoTimeoutMs;  // the loop waits for this; keep it short
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    // By name rather than natsSubscription_GetConsumerInfo, which cnats
    // 3.4.1 refuses for a pull subscription ("Invalid Subscription").
    natsStatus s = js_GetConsumerInfo(&ci, js_, config_.stream.c_str(), config_.durable.c_str(),
                                      &o, &jerr);
    if (s != NATS_OK || ci == nullptr) {
      if (ci) jsConsumerInfo_Destroy(ci);
      return std::unexpected(nats_error(
          "consumer info " + config_.stream + "/" + config_.durable, s, jerr));
    }
    const uint64_t pending = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    return pending;
  }

 private:
  static constexpr int64_t kConsumerInfoTimeoutMs = 1000;

  natsSubscription* sub_;
  jsCtx* js_;
  ConsumerConfig config_;
  std::chrono::steady_clock::time_point last_fetch_{};
};

}  // namespace

struct JetStreamTransport::Impl {
  JetStreamOptions options;
  natsOptions* nats_options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  std::atomic<uint64_t> disconnects{0};
  std::atomic<uint64_t> reconnects{0};

  std::mutex pending_mutex;
  std::unordered_map<natsMsg*, PubAckCallback> pending;

  ~Impl() {
    if (js) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 2000;
      js_PublishAsyncComplete(js, &po);
      jsCtx_Destroy(js);
    }
    if (connection) {
      natsConnection_Close(connection);
      natsConnection_Destroy(connection);
    }
    if (nats_options) natsOptions_Destroy(nats_options);
    // Anything still pending will never be acked: say so.
    std::unordered_map<natsMsg*, PubAckCallback> left;
    {
      std::lock_guard lock(pending_mutex);
      left.swap(pending);
    }
    for (auto& [msg, cb] : left)
      if (cb) cb(make_error(ErrorCode::kUnavailable, "nats: transport closed before pub-ack"));
  }

  static void on_disconnected(natsConnection*, void* closure) {
    static_cast<Impl*>(closure)->disconnects.fetch_add(1);
  }
  static void on_reconnected(natsConnection*, void* closure) {
    static_cast<Impl*>(closure)->reconnects.fetch_add(1);
  }
  static void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    PubAckCallback cb;
    {
      std::lock_guard lock(self->pending_mutex);
      auto it = self->pending.find(msg);
      if (it == self->pending.end()) return;
      cb = std::move(it->second);
      self->pending.erase(it);
    }
    if (!cb) return;
    if (pae != nullptr) {
      cb(std::unexpected(nats_error("publish", pae->Err, pae->ErrCode, pae->ErrText)));
    } else if (pa != nullptr) {
      cb(PubAck{pa->Stream ? pa->Stream : "", pa->Sequence, pa->Duplicate});
    } else {
      cb(make_error(ErrorCode::kInternal, "nats: pub-ack without ack or error"));
    }
  }
};

JetStreamTransport::JetStreamTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JetStreamTransport::~JetStreamTransport() = default;

Result<std::unique_ptr<JetStreamTransport>> JetStreamTransport::connect(
    const JetStreamOptions& options) {
  if (options.servers.empty())
    return make_error(ErrorCode::kInvalidArgument, "nats: no server URL configured");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::vector<const char*> servers;
  for (const auto& s : options.servers) servers.push_back(s.c_str());
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK)
    return make_error(ErrorCode::kInternal, "nats: cannot create options");
  impl->nats_options = o;
  natsStatus s = natsOptions_SetServers(o, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK && !options.name.empty()) s = natsOptions_SetName(o, options.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, to_ms(options.connect_timeout_ns));
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, to_ms(options.reconnect_wait_ns));
  if (s == NATS_OK)
    s = natsOptions_SetReconnectJitter(o, to_ms(options.reconnect_jitter_ns),
                                       to_ms(options.reconnect_jitter_ns));
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(o, options.reconnect_buffer_bytes);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, &Impl::on_disconnected, impl.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, &Impl::on_reconnected, impl.get());
  if (s == NATS_OK) s = natsOptions_SetSendAsap(o, options.send_asap);
  if (s == NATS_OK && !options.user.empty())
    s = natsOptions_SetUserInfo(o, options.user.c_str(), options.password.c_str());
  if (s != NATS_OK) return std::unexpected(nats_error("options", s));

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::nanoseconds(options.initial_connect_deadline_ns);
  auto backoff = std::chrono::milliseconds(50);
  for (;;) {
    s = natsConnection_Connect(&impl->connection, o);
    if (s == NATS_OK) break;
    impl->connection = nullptr;
    if (std::chrono::steady_clock::now() + backoff >= deadline)
      return std::unexpected(nats_error("connect to " + options.servers.front(), s));
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = to_ms(options.api_timeout_ns);
  jo.PublishAsync.MaxPending = options.max_in_flight;
  jo.PublishAsync.AckHandler = &Impl::on_pub_ack;
  jo.PublishAsync.AckHandlerClosure = impl.get();
  jo.PublishAsync.StallWait = to_ms(options.stall_wait_ns);
  s = natsConnection_JetStream(&impl->js, impl->connection, &jo);
  if (s != NATS_OK) return std::unexpected(nats_error("jetstream context", s));
  return std::unique_ptr<JetStreamTransport>(new JetStreamTransport(std::move(impl)));
}

Status JetStreamTransport::ensure_stream(const StreamConfig& config) {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = config.name.c_str();
  std::vector<const char*> subjects;
  for (const auto& s : config.subjects) subjects.push_back(s.c_str());
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Storage = config.storage == Storage::kFile ? js_FileStorage : js_MemoryStorage;
  sc.MaxAge = config.max_age_ns;
  sc.MaxBytes = config.max_bytes;
  sc.MaxMsgSize = config.max_message_bytes;
  sc.Duplicates = config.duplicate_window_ns;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, impl_->js, &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == 10058) {  // JSStreamNameExistErr: update to match
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, impl_->js, &sc, nullptr, &jerr);
  }
  if (si) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) return std::unexpected(nats_error("ensure stream " + config.name, s, jerr));
  return ok();
}

Status JetStreamTransport::ensure_consumer(const ConsumerConfig& config) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = config.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  if (config.start_sequence > 0) {
    cc.DeliverPolicy = js_DeliverByStartSequence;
    cc.OptStartSeq = config.start_sequence;
  }
  cc.AckWait = config.ack_wait_ns;
  cc.MaxDeliver = config.max_deliver;
  cc.MaxAckPending = config.max_ack_pending;
  if (!config.filter_subject.empty()) cc.FilterSubject = config.filter_subject.c_str();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, impl_->js, config.stream.c_str(), &cc, nullptr, &jerr);
  if (s != NATS_OK && jerr != 10059) {
    // Exists with another configuration: update it in place.
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateConsumer(&ci, impl_->js, config.stream.c_str(), &cc, nullptr, &jerr);
  }
  if (ci) jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK)
    return std::unexpected(
        nats_error("ensure consumer " + config.stream + "/" + config.durable, s, jerr));
  return ok();
}

Status JetStreamTransport::publish_async(OutgoingMessage message, PubAckCallback on_ack) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, message.subject.c_str(), nullptr, message.payload.data(),
                                static_cast<int>(message.payload.size()));
  if (s != NATS_OK) return std::unexpected(nats_error("create message", s));
  for (const auto& [name, value] : message.headers) {
    s = natsMsgHeader_Set(msg, name.c_str(), value.c_str());
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);
      return std::unexpected(nats_error("set header " + name, s));
    }
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = to_ms(impl_->options.publish_ack_timeout_ns);
  auto id = message.headers.find(signing::kHeaderMessageId);
  if (id != message.headers.end()) po.MsgId = id->second.c_str();
  {
    std::lock_guard lock(impl_->pending_mutex);
    impl_->pending.emplace(msg, std::move(on_ack));
  }
  natsMsg* handed = msg;
  s = js_PublishMsgAsync(impl_->js, &handed, &po);
  if (s != NATS_OK) {
    {
      std::lock_guard lock(impl_->pending_mutex);
      impl_->pending.erase(msg);
    }
    if (handed) natsMsg_Destroy(handed);
    return std::unexpected(nats_error("publish " + message.subject, s));
  }
  return ok();
}

Status JetStreamTransport::flush(int64_t timeout_ns) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = std::max<int64_t>(1, to_ms(timeout_ns));
  natsStatus s = js_PublishAsyncComplete(impl_->js, &po);
  if (s != NATS_OK) return std::unexpected(nats_error("flush", s));
  return ok();
}

Result<std::unique_ptr<Subscription>> JetStreamTransport::subscribe(const ConsumerConfig& config) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Consumer = config.durable.c_str();
  so.ManualAck = true;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const char* subject = config.filter_subject.empty() ? nullptr : config.filter_subject.c_str();
  natsStatus s = js_PullSubscribe(&sub, impl_->js, subject, config.durable.c_str(), nullptr, &so,
                                  &jerr);
  if (s != NATS_OK)
    return std::unexpected(
        nats_error("subscribe " + config.stream + "/" + config.durable, s, jerr));
  return std::make_unique<JetStreamSubscription>(sub, impl_->js, config);
}

Result<ConsumerState> JetStreamTransport::consumer_state(const std::string& stream,
                                                         const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, impl_->js, stream.c_str(), durable.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return std::unexpected(nats_error("consumer info " + stream + "/" + durable, s, jerr));
  ConsumerState out{ci->NumPending, static_cast<uint64_t>(ci->NumAckPending),
                    static_cast<uint64_t>(ci->NumRedelivered), ci->AckFloor.Stream};
  jsConsumerInfo_Destroy(ci);
  return out;
}

Result<StreamState> JetStreamTransport::stream_state(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, impl_->js, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return std::unexpected(nats_error("stream info " + stream, s, jerr));
  StreamState out{si->State.Msgs, si->State.FirstSeq, si->State.LastSeq};
  jsStreamInfo_Destroy(si);
  return out;
}

Result<std::vector<std::string>> JetStreamTransport::consumer_names(const std::string& stream) {
  jsConsumerNamesList* list = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_ConsumerNames(&list, impl_->js, stream.c_str(), nullptr, &jerr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out;  // no consumers yet
  if (s != NATS_OK) return std::unexpected(nats_error("consumer names " + stream, s, jerr));
  for (int i = 0; i < list->Count; ++i) out.emplace_back(list->List[i]);
  jsConsumerNamesList_Destroy(list);
  std::sort(out.begin(), out.end());
  return out;
}

Status JetStreamTransport::delete_consumer(const std::string& stream, const std::string& durable) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteConsumer(impl_->js, stream.c_str(), durable.c_str(), nullptr, &jerr);
  if (s == NATS_OK || s == NATS_NOT_FOUND || jerr == 10014) return ok();  // 10014: consumer not found
  return std::unexpected(nats_error("delete consumer " + stream + "/" + durable, s, jerr));
}

bool JetStreamTransport::connected() const {
  return natsConnection_Status(impl_->connection) == NATS_CONN_STATUS_CONNECTED;
}

size_t JetStreamTransport::in_flight() const {
  std::lock_guard lock(impl_->pending_mutex);
  return impl_->pending.size();
}

uint64_t JetStreamTransport::disconnects() const { return impl_->disconnects.load(); }
uint64_t JetStreamTransport::reconnects() const { return impl_->reconnects.load(); }

}  // namespace tp::bus
