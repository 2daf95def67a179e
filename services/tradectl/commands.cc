#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "http_get.h"
#include "ledger/store/ledger_table.h"
#include "queries.h"
#include "report.h"
#include "status_report.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/bus/publisher.h"
#include "tp/core/clock.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "trading/v1/control.pb.h"

extern char** environ;

namespace tp::tradectl {

namespace {

constexpr auto kHttpTimeout = std::chrono::milliseconds(3000);

Result<std::unique_ptr<store::Database>> connect_db(const std::string& conninfo) {
  // An ops tool should answer quickly: two attempts, short backoff.
  return store::Database::connect({.connection_string = conninfo,
                                   .retry = {.max_attempts = 2,
                                             .initial_backoff = std::chrono::milliseconds(200)}});
}

// Forwards to the real transport and remembers the pub-ack of the last
// publish, so tradectl can print the stream sequence the Publisher hides.
class AckRecordingTransport final : public bus::Transport {
 public:
  explicit AckRecordingTransport(bus::Transport& inner) : inner_(inner) {}
  Status ensure_stream(const bus::StreamConfig& c) override { return inner_.ensure_stream(c); }
  Status ensure_consumer(const bus::ConsumerConfig& c) override { return inner_.ensure_consumer(c); }
  Status publish_async(bus::OutgoingMessage message, bus::PubAckCallback on_ack) override {
    return inner_.publish_async(std::move(message),
                                [this, on_ack = std::move(on_ack)](Result<bus::PubAck> ack) {
                                  if (ack) {
                                    std::lock_guard lock(mu_);
                                    last_ = *ack;
                                  }
                                  on_ack(std::move(ack));
                                });
  }
  Status flush(int64_t timeout_ns) override { return inner_.flush(timeout_ns); }
  Result<std::unique_ptr<bus::Subscription>> subscribe(const bus::ConsumerConfig& c) override {
    return inner_.subscribe(c);
  }
  Status delete_consumer(const std::string& stream, const std::string& durable) override {
    return inner_.delete_consumer(stream, durable);
  }
  Result<bus::ConsumerState> consumer_state(const std::string& stream,
                                            const std::string& durable) override {
    return inner_.consumer_state(stream, durable);
  }
  Result<bus::StreamState> stream_state(const std::string& stream) override {
    return inner_.stream_state(stream);
  }
  Result<std::vector<std::string>> consumer_names(const std::string& stream) override {
    return inner_.consumer_names(stream);
  }
  bool connected() const override { return inner_.connected(); }
  size_t in_flight() const override { return inner_.in_flight(); }
  std::optional<bus::PubAck> last_ack() const {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  bus::Transport& inner_;
  mutable std::mutex mu_;
  std::optional<bus::PubAck> last_;
};

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

std::optional<AuditResult> audit(store::Database& db, uint64_t from, std::optional<uint64_t> to,
                                 std::ostream& err) {
  const auto start = std::chrono::steady_clock::now();
  auto report = ledger::verify_ledger(db, {.from = from, .to = to});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report) {
    err << "tradectl: audit verify: " << report.error().to_string() << "\n";
    return std::nullopt;
  }
  AuditResult r{.from = from, .checked = report->checked, .seconds = seconds};
  if (report->broken) {
    r.broken_index = report->broken->index;
    r.broken_reason = report->broken->reason;
  }
  return r;
}

}  // namespace

int run_status(const Options& o, std::ostream& out, std::ostream&) {
  std::vector<ServiceStatus> rows;
  bool all_ready = true;
  for (const auto& target : o.admins) {
    std::string base = target.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto health = http_get(base + "/healthz", kHttpTimeout);
    auto ready = http_get(base + "/readyz", kHttpTimeout);
    rows.push_back(interpret_status(target, health, ready));
    all_ready = all_ready && rows.back().is_ready;
  }
  out << render_status(rows);
  return all_ready ? kExitOk : kExitFailure;
}

int run_positions(const Options& o, std::ostream& out, std::ostream& err) {
  auto db = connect_db(o.db);
  if (!db) {
    err << "tradectl: positions: " << db.error().to_string() << "\n";
    return kExitFailure;
  }
  auto rows = load_positions(**db);
  if (!rows) {
    err << "tradectl: positions: " << rows.error().to_string() << "\n";
    return kExitFailure;
  }
  out << render_positions(*rows);
  return kExitOk;
}

int run_killswitch(const Options& o, std::ostream& out, std::ostream& err) {
  auto ring = signing::KeyRing::from_file(o.keys_file);
  if (!ring) {
    err << "tradectl: killswitch: key ring " << o.keys_file << ": " << ring.error().to_string()
        << "\n";
    return kExitFailure;
  }
  auto shared = std::make_shared<const signing::KeyRing>(std::move(*ring));
  const Clock& clock = SystemClock::instance();
  auto signer = signing::Signer::create(shared, "tradectl", clock);
  if (!signer) {
    err << "tradectl: killswitch: " << signer.error().to_string() << "\n";
    return kExitFailure;
  }
  auto transport = bus::JetStreamTransport::connect(
      {.servers = o.nats_urls, .name = "tradectl", .initial_connect_deadline_ns = 5 * kNanosPerSecond});
  if (!transport) {
    err << "tradectl: killswitch: " << transport.error().to_string() << "\n";
    return kExitFailure;
  }
  for (const auto& stream : runtime::topology::streams()) {
    if (stream.name != runtime::topology::kControl) continue;
    if (auto s = (*transport)->ensure_stream(stream); !s) {
      err << "tradectl: killswitch: stream CTL: " << s.error().to_string() << "\n";
      return kExitFailure;
    }
  }
  AckRecordingTransport recording(**transport);
  bus::Publisher publisher(recording, *signer, clock);

  trading::v1::KillSwitch ks;
  ks.set_engaged(o.engage);
  ks.set_scope(o.scope);
  ks.set_reason(o.reason);
  ks.set_operator_(o.operator_name);
  ks.set_issued_ns(clock.now_ns());
  // Unique per flip: the duplicate window must not swallow a second flip.
  const std::string id = "killswitch:" + std::string(o.engage ? "on" : "off") + ":" +
                         std::to_string(ks.issued_ns());
  if (auto s = publisher.publish(runtime::subjects::kKillSwitch, id, id, ks); !s) {
    err << "tradectl: killswitch: " << s.error().to_string() << "\n";
    return kExitFailure;
  }
  if (auto s = publisher.flush(10 * kNanosPerSecond); !s) {
    err << "tradectl: killswitch: not acknowledged by the broker: " << s.error().to_string() << "\n";
    return kExitFailure;
  }
  auto ack = recording.last_ack();
  out << "kill switch " << (o.engage ? "ON" : "OFF") << " scope " << o.scope << " published on "
      << runtime::subjects::kKillSwitch << ": stream " << (ack ? ack->stream : "?") << " sequence "
      << (ack ? std::to_string(ack->sequence) : "?") << " (message id " << id << ")\n";
  return kExitOk;
}

int run_audit_verify(const Options& o, std::ostream& out, std::ostream& err) {
  auto db = connect_db(o.db);
  if (!db) {
    err << "tradectl: audit verify: " << db.error().to_string() << "\n";
    return kExitFailure;
  }
  auto r = audit(**db, o.from, o.to, err);
  if (!r) return kExitFailure;
  out << render_audit(*r);
  return r->broken_index ? kExitFailure : kExitOk;
}

int run_summary(const Options& o, std::ostream& out, std::ostream& err) {
  auto db = connect_db(o.db);
  if (!db) {
    err << "tradectl: summary: " << db.error().to_string() << "\n";
    return kExitFailure;
  }
  auto s = load_summary(**db);
  if (!s) {
    err << "tradectl: summary: " << s.error().to_string() << "\n";
    return kExitFailure;
  }
  if (!o.nats_monitor.empty()) {
    std::string base = o.nats_monitor;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto reply = http_get(base + "/jsz?streams=true", kHttpTimeout);
    Result<std::map<std::string, int64_t>> counts =
        reply ? parse_jsz_streams(reply->body) : std::unexpected(reply.error());
    if (!counts) {
      s->notes.push_back("broker stream counts unavailable: " + counts.error().message);
    } else {
      for (const auto& [stream, n] : *counts) {
        auto it = std::find_if(s->streams.begin(), s->streams.end(),
                               [&](const StreamCount& c) { return c.stream == stream; });
        if (it == s->streams.end()) {
          s->streams.push_back({stream, 0, n});
        } else {
          it->broker_messages = n;
        }
      }
      std::sort(s->streams.begin(), s->streams.end(),
                [](const StreamCount& a, const StreamCount& b) { return a.stream < b.stream; });
    }
  }
  bool have_ledger = s->messages_by_type.size() > 0 ||
                     std::none_of(s->notes.begin(), s->notes.end(), [](const std::string& n) {
                       return n.starts_with("table ledger_entries");
                     });
  if (have_ledger) {
    s->audit = audit(**db, 0, std::nullopt, err);
    if (!s->audit) return kExitFailure;
  }
  out << render_summary(*s);
  return s->audit && s->audit->broken_index ? kExitFailure : kExitOk;
}

int run(const Options& o, std::ostream& out, std::ostream& err) {
  switch (o.command) {
    case Command::kHelp: out << usage(o.help_topic); return kExitOk;
    case Command::kStatus: return run_status(o, out, err);
    case Command::kPositions: return run_positions(o, out, err);
    case Command::kKillSwitch: return run_killswitch(o, out, err);
    case Command::kAuditVerify: return run_audit_verify(o, out, err);
    case Command::kSummary: return run_summary(o, out, err);
  }
  return kExitUsage;
}

int main_with(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_command_line(args, process_environment());
  if (!parsed) {
    err << "tradectl: " << parsed.error().message << "\n";
    std::string topic = args.empty() ? "" : args[0];
    err << usage(topic == "audit" ? "audit verify" : topic);
    return kExitUsage;
  }
  return run(*parsed, out, err);
}

}  // namespace tp::tradectl
