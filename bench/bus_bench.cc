// Bus benchmarks on a real nats-server (JetStream, file storage), all in one
// run so the ratios compare like with like:
//   raw_publish     cnats async publish through JetStreamTransport, 200 B, no signing
//   raw_consume     durable pull consumer, fetch + ack, no verification
//   signed_publish  tp::bus::Publisher: HMAC-signed envelope, deterministic ids
//   signed_consume  tp::bus::ConsumerLoop: verify + replay guard + decode + ack
//   latency         one signed hop (publish -> stored -> fetched -> verified ->
//                   handled) at offered loads of 1k/s and 10k/s, default
//                   buffered sending and send_asap
// Each throughput figure is the median of --repeat runs. Output: JSON on stdout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tp/bus/consumer_loop.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/bus/publisher.h"
#include "tp/signing/key_ring.h"
#include "tp/testing/nats_server.h"

namespace {

using Clock = std::chrono::steady_clock;
using tp::kNanosPerSecond;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

[[noreturn]] void die(const std::string& what, const tp::Error& e) {
  std::cerr << "bus_bench: " << what << ": " << e.to_string() << "\n";
  std::exit(1);
}

std::unique_ptr<tp::bus::JetStreamTransport> connect(const std::string& url, bool asap) {
  tp::bus::JetStreamOptions o;
  o.servers = {url};
  o.name = "bench";
  o.max_in_flight = 16384;
  o.send_asap = asap;
  auto t = tp::bus::JetStreamTransport::connect(o);
  if (!t) die("connect", t.error());
  return std::move(*t);
}

struct Env {
  std::shared_ptr<const tp::signing::KeyRing> ring;
  std::unique_ptr<tp::signing::Signer> signer;
  std::unique_ptr<tp::signing::Verifier> verifier;
};

Env make_env() {
  Env env;
  auto ring = tp::signing::KeyRing::create(
      {{"bench-1", "bench", std::string(32, 'b'), {"bench.>", "dlq.>"}, tp::signing::KeyStatus::kActive}},
      "bench-1");
  if (!ring) die("ring", ring.error());
  env.ring = std::make_shared<const tp::signing::KeyRing>(std::move(*ring));
  auto signer = tp::signing::Signer::create(env.ring, "bench", tp::SystemClock::instance());
  if (!signer) die("signer", signer.error());
  env.signer = std::make_unique<tp::signing::Signer>(std::move(*signer));
  env.verifier = std::make_unique<tp::signing::Verifier>(env.ring, tp::signing::FreshnessWindow{});
  return env;
}

void ensure(tp::bus::Transport& t, const std::string& stream, const std::string& subjects) {
  if (auto s = t.ensure_stream({.name = stream, .subjects = {subjects}}); !s) die("stream", s.error());
  if (auto s = t.ensure_stream({.name = "DLQ", .subjects = {"dlq.>"}}); !s) die("dlq", s.error());
}

double raw_publish(tp::bus::Transport& t, const std::string& stream, int n) {
  ensure(t, stream, "bench." + stream + ".>");
  const std::string payload(200, 'x');
  auto start = Clock::now();
  std::atomic<int> failed{0};
  for (int i = 0; i < n; ++i) {
    tp::bus::OutgoingMessage m{"bench." + stream + ".x", payload,
                               {{"Nats-Msg-Id", stream + "-" + std::to_string(i)}}};
    if (auto s = t.publish_async(std::move(m), [&](tp::Result<tp::bus::PubAck> a) {
          if (!a) failed++;
        });
        !s)
      die("publish", s.error());
  }
  if (auto s = t.flush(60 * kNanosPerSecond); !s) die("flush", s.error());
  if (failed) std::cerr << "bus_bench: " << failed << " raw publishes failed\n";
  return n / seconds_since(start);
}

double raw_consume(tp::bus::Transport& t, const std::string& stream, int n) {
  tp::bus::ConsumerConfig c{.stream = stream, .durable = "raw-" + stream, .max_ack_pending = 20000};
  if (auto s = t.ensure_consumer(c); !s) die("consumer", s.error());
  auto sub = t.subscribe(c);
  if (!sub) die("subscribe", sub.error());
  int got = 0;
  auto start = Clock::now();
  while (got < n) {
    auto batch = (*sub)->fetch(512, kNanosPerSecond);
    if (!batch) die("fetch", batch.error());
    for (auto& d : *batch) (void)d->ack();
    got += static_cast<int>(batch->size());
  }
  return n / seconds_since(start);
}

double signed_publish(tp::bus::Transport& t, Env& env, const std::string& stream, int n) {
  ensure(t, stream, "bench." + stream + ".>");
  tp::bus::Publisher pub(t, *env.signer, tp::SystemClock::instance());
  const std::string payload(200, 'x');
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (auto s = pub.publish_bytes("bench." + stream + ".x", stream + "-" + std::to_string(i),
                                   "bench.Payload", "", payload);
        !s)
      die("signed publish", s.error());
  }
  if (auto s = pub.flush(60 * kNanosPerSecond); !s) die("signed flush", s.error());
  return n / seconds_since(start);
}

double signed_consume(tp::bus::Transport& t, Env& env, const std::string& stream, int n) {
  tp::bus::ConsumerConfig c{.stream = stream, .durable = "signed-" + stream, .max_ack_pending = 20000};
  if (auto s = t.ensure_consumer(c); !s) die("consumer", s.error());
  auto sub = t.subscribe(c);
  if (!sub) die("subscribe", sub.error());
  tp::bus::Publisher out(t, *env.signer, tp::SystemClock::instance());
  int handled = 0;
  tp::bus::ConsumerLoopOptions o;
  o.batch_size = 512;
  o.fetch_timeout_ns = kNanosPerSecond;
  o.replay.capacity = static_cast<size_t>(n) + 10;
  tp::bus::ConsumerLoop loop(std::move(*sub), *env.verifier, out,
                             [&](const tp::bus::Received&) {
                               ++handled;
                               return tp::bus::HandleResult::ok();
                             },
                             tp::SystemClock::instance(), o);
  auto start = Clock::now();
  while (handled < n) {
    auto r = loop.poll_once();
    if (!r) die("poll", r.error());
  }
  return n / seconds_since(start);
}

// A 200-byte payload whose first 20 characters are the send time (steady clock, ns).
std::string stamped_payload() {
  char stamp[21];
  std::snprintf(stamp, sizeof stamp, "%020lld",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count()));
  return std::string(stamp, 20) + std::string(180, 'x');
}

double age_ms(const std::string& payload) {
  const int64_t sent = std::stoll(payload.substr(0, 20));
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  return static_cast<double>(now - sent) / 1e6;
}

// Calls send(i) for i in [0, rate * duration) at the offered rate.
void offer(int rate, double duration_s, const std::function<void(int)>& send) {
  const int total = static_cast<int>(rate * duration_s);
  const auto interval = std::chrono::nanoseconds(kNanosPerSecond / rate);
  auto next = Clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(next);
    next += interval;
    send(i);
  }
}

nlohmann::json latency_result(std::vector<double>& samples, int rate, bool asap) {
  std::sort(samples.begin(), samples.end());
  return {{"offered_per_second", rate},
          {"send_asap", asap},
          {"messages", samples.size()},
          {"p50_ms", percentile(samples, 0.50)},
          {"p99_ms", percentile(samples, 0.99)},
          {"p999_ms", percentile(samples, 0.999)},
          {"max_ms", samples.empty() ? 0 : samples.back()}};
}

// A publisher connection and a subscriber connection with a durable pull
// consumer on `stream`: the two ends of one measured hop.
struct Hop {
  std::unique_ptr<tp::bus::JetStreamTransport> pub;
  std::unique_ptr<tp::bus::JetStreamTransport> sub_transport;
  std::unique_ptr<tp::bus::Subscription> sub;
};

Hop open_hop(const std::string& url, const std::string& stream, const std::string& durable, bool asap) {
  Hop h{connect(url, asap), connect(url, asap), nullptr};
  ensure(*h.pub, stream, "bench." + stream + ".>");
  tp::bus::ConsumerConfig c{.stream = stream, .durable = durable, .max_ack_pending = 20000};
  if (auto s = h.sub_transport->ensure_consumer(c); !s) die("consumer", s.error());
  auto sub = h.sub_transport->subscribe(c);
  if (!sub) die("subscribe", sub.error());
  h.sub = std::move(*sub);
  return h;
}

// The same hop without the platform: raw async publish of a timestamped
// payload, raw fetch + ack. The baseline the signed hop is compared with.
nlohmann::json raw_latency(const std::string& url, const std::string& stream, int rate,
                           double duration_s, bool asap) {
  Hop hop = open_hop(url, stream, "rawlat-" + stream, asap);
  auto& pub_t = hop.pub;
  const int total = static_cast<int>(rate * duration_s);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(total));
  std::thread consumer([&] {
    auto deadline = Clock::now() + std::chrono::seconds(static_cast<int>(duration_s) + 30);
    while (static_cast<int>(samples.size()) < total && Clock::now() < deadline) {
      auto batch = hop.sub->fetch(256, 100 * tp::kNanosPerMilli);
      if (!batch) continue;
      for (auto& d : *batch) {
        samples.push_back(age_ms(d->payload()));
        (void)d->ack();
      }
    }
  });
  offer(rate, duration_s, [&](int i) {
    tp::bus::OutgoingMessage m{"bench." + stream + ".x", stamped_payload(),
                               {{"Nats-Msg-Id", stream + "-" + std::to_string(i)}}};
    (void)pub_t->publish_async(std::move(m), [](tp::Result<tp::bus::PubAck>) {});
  });
  (void)pub_t->flush(30 * kNanosPerSecond);
  consumer.join();
  return latency_result(samples, rate, asap);
}

nlohmann::json latency(const std::string& url, Env& env, const std::string& stream, int rate,
                       double duration_s, bool asap) {
  Hop hop = open_hop(url, stream, "lat-" + stream, asap);
  const int total = static_cast<int>(rate * duration_s);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(total));
  tp::bus::Publisher out(*hop.sub_transport, *env.signer, tp::SystemClock::instance());
  tp::bus::ConsumerLoopOptions o;
  o.batch_size = 256;
  o.fetch_timeout_ns = 100 * tp::kNanosPerMilli;
  o.replay.capacity = static_cast<size_t>(total) + 10;
  tp::bus::ConsumerLoop loop(std::move(hop.sub), *env.verifier, out,
                             [&](const tp::bus::Received& r) {
                               samples.push_back(age_ms(r.payload));
                               return tp::bus::HandleResult::ok();
                             },
                             tp::SystemClock::instance(), o);
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    while (!done.load() || static_cast<int>(samples.size()) < total) {
      (void)loop.poll_once();
      if (done.load() && static_cast<int>(samples.size()) >= total) break;
    }
  });
  tp::bus::Publisher pub(*hop.pub, *env.signer, tp::SystemClock::instance());
  offer(rate, duration_s, [&](int i) {
    (void)pub.publish_bytes("bench." + stream + ".x", stream + "-" + std::to_string(i), "bench.Payload", "",
                            stamped_payload());
    if (i % 256 == 255) (void)pub.flush(0);  // collect acks without blocking the schedule
  });
  (void)pub.flush(30 * kNanosPerSecond);
  done = true;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (static_cast<int>(samples.size()) < total && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  consumer.join();
  return latency_result(samples, rate, asap);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100000, repeat = 3;
  double latency_seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--messages") n = std::atoi(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (a == "--latency-seconds") latency_seconds = std::atof(argv[i + 1]);
  }
  auto server = tp::testing::NatsServer::start();
  if (!server) die("nats-server", server.error());
  const std::string url = (*server)->url();
  Env env = make_env();
  std::vector<double> rp, rc, sp, sc;
  for (int r = 0; r < repeat; ++r) {
    auto t = connect(url, false);
    const std::string raw = "RAW" + std::to_string(r), sig = "SIGNED" + std::to_string(r);
    rp.push_back(raw_publish(*t, raw, n));
    rc.push_back(raw_consume(*t, raw, n));
    sp.push_back(signed_publish(*t, env, sig, n));
    sc.push_back(signed_consume(*t, env, sig, n));
    std::cerr << "bus_bench: round " << r + 1 << "/" << repeat << " done\n";
  }
  nlohmann::json out;
  out["messages_per_round"] = n;
  out["rounds"] = repeat;
  out["payload_bytes"] = 200;
  out["raw_publish_per_second"] = median(rp);
  out["raw_consume_per_second"] = median(rc);
  out["signed_publish_per_second"] = median(sp);
  out["signed_consume_per_second"] = median(sc);
  out["signed_to_raw_publish_ratio"] = median(sp) / median(rp);
  out["signed_to_raw_consume_ratio"] = median(sc) / median(rc);
  int k = 0;
  for (int rate : {1000, 10000})
    for (bool asap : {false, true}) {
      out["raw_latency"].push_back(raw_latency(url, "RAWLAT" + std::to_string(k), rate, latency_seconds, asap));
      out["latency"].push_back(latency(url, env, "LAT" + std::to_string(k++), rate, latency_seconds, asap));
    }
  std::cout << out.dump(2) << "\n";
  return 0;
}
