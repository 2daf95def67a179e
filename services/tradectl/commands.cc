#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>

#include <grpcpp/grpcpp.h>

#include "audit_grpc.h"
#include "http_get.h"
#include "portfolio_commands.h"
#include "ledger/core/tree_head.h"
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
#include "tp/signing/hmac.h"
#include "trading/v1/control.pb.h"
#include "trading/v1/services.grpc.pb.h"

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
                                 std::ostream& err,
                                 std::optional<std::string> public_key = std::nullopt) {
  const auto start = std::chrono::steady_clock::now();
  auto report = ledger::verify_ledger(db, {.from = from, .to = to, .public_key = public_key});
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
  r.tree_checked = report->tree_checked;
  r.tree_size = report->tree_size;
  r.root_hex = signing::to_hex(ledger::to_bytes(report->root));
  r.nodes_checked = report->nodes_checked;
  r.heads_checked = report->tree_heads_checked;
  if (report->latest_tree_head) r.latest_head_size = report->latest_tree_head->tree_size;
  r.key_pinned = report->key_pinned;
  r.notes = report->notes;
  return r;
}

// The ledger's AuditService, each call with a deadline; errors name the address.
class AuditClient {
 public:
  explicit AuditClient(const std::string& address)
      : address_(address),
        stub_(trading::v1::AuditService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  Result<ledger::SignedTreeHead> tree_head(uint64_t size) {
    trading::v1::GetTreeHeadRequest req;
    req.set_tree_size(size);
    trading::v1::SignedTreeHead resp;
    if (auto s = call([&](grpc::ClientContext* c) { return stub_->GetTreeHead(c, req, &resp); }); !s)
      return std::unexpected(s.error());
    return ledger::from_proto(resp);
  }
  Result<trading::v1::InclusionProof> inclusion(uint64_t leaf, uint64_t size) {
    trading::v1::GetInclusionProofRequest req;
    req.set_leaf_index(leaf);
    req.set_tree_size(size);
    trading::v1::InclusionProof resp;
    if (auto s = call([&](grpc::ClientContext* c) { return stub_->GetInclusionProof(c, req, &resp); }); !s)
      return std::unexpected(s.error());
    return resp;
  }
  Result<trading::v1::ConsistencyProof> consistency(uint64_t first, uint64_t second) {
    trading::v1::GetConsistencyProofRequest req;
    req.set_first(first);
    req.set_second(second);
    trading::v1::ConsistencyProof resp;
    if (auto s = call([&](grpc::ClientContext* c) { return stub_->GetConsistencyProof(c, req, &resp); }); !s)
      return std::unexpected(s.error());
    return resp;
  }
  Result<std::vector<ledger::Entry>> entries(const trading::v1::GetEntriesRequest& req) {
    trading::v1::GetEntriesResponse resp;
    if (auto s = call([&](grpc::ClientContext* c) { return stub_->GetEntries(c, req, &resp); }); !s)
      return std::unexpected(s.error());
    std::vector<ledger::Entry> out;
    for (const auto& e : resp.entries()) out.push_back(ledger::from_proto(e));
    return out;
  }

 private:
  template <typename F>
  Status call(F&& f) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = f(&ctx);
    if (s.ok()) return ok();
    return make_error(s.error_code() == grpc::StatusCode::NOT_FOUND ? ErrorCode::kNotFound
                                                                     : ErrorCode::kUnavailable,
                      "ledger at " + address_ + ": " + s.error_message());
  }
  std::string address_;
  std::unique_ptr<trading::v1::AuditService::Stub> stub_;
};

std::string hexd(const ledger::Digest& d) { return signing::to_hex(ledger::to_bytes(d)); }

std::string describe_head(const ledger::SignedTreeHead& h) {
  return "size " + std::to_string(h.tree_size) + ", root " + hexd(h.root) + ", signed " +
         format_time_ms(h.timestamp_ns) + " by " + h.key_id;
}

std::vector<ledger::Digest> digests(const google::protobuf::RepeatedPtrField<std::string>& in,
                                    std::string& error) {
  std::vector<ledger::Digest> out;
  for (const auto& h : in) {
    auto d = ledger::to_digest(h);
    if (!d) {
      error = "a proof hash is not 32 bytes";
      return {};
    }
    out.push_back(*d);
  }
  return out;
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
  std::optional<std::string> key;
  if (!o.public_key_file.empty()) {
    auto k = ledger::read_public_key_file(o.public_key_file);
    if (!k) {
      err << "tradectl: audit verify: public key: " << k.error().to_string() << "\n";
      return kExitFailure;
    }
    key = *k;
  }
  auto db = connect_db(o.db);
  if (!db) {
    err << "tradectl: audit verify: " << db.error().to_string() << "\n";
    return kExitFailure;
  }
  auto r = audit(**db, o.from, o.to, err, key);
  if (!r) return kExitFailure;
  out << render_audit(*r);
  return r->broken_index ? kExitFailure : kExitOk;
}

int run_audit_prove(const Options& o, std::ostream& out, std::ostream& err) {
  auto key = ledger::read_public_key_file(o.public_key_file);
  if (!key) {
    err << "tradectl: audit prove: public key: " << key.error().to_string() << "\n";
    return kExitFailure;
  }
  AuditClient client(o.ledger);
  auto fail = [&](const std::string& why) {
    out << "FAILED: " << why << "\n";
    return kExitFailure;
  };
  auto head = client.tree_head(o.size.value_or(0));
  if (!head) {
    err << "tradectl: audit prove: " << head.error().message << "\n";
    return kExitFailure;
  }
  out << "tree head: " << describe_head(*head) << "\n";
  if (auto s = ledger::verify_tree_head(*head, *key); !s) return fail(s.error().message);
  out << "  signature OK (Ed25519, pinned key " << ledger::key_id_for(*key) << ")\n";
  if (o.entry >= head->tree_size)
    return fail("entry " + std::to_string(o.entry) + " is not in the signed tree of " +
                std::to_string(head->tree_size) + " entries");
  trading::v1::GetEntriesRequest req;
  req.set_from_index(o.entry);
  req.set_to_index(o.entry + 1);
  auto rows = client.entries(req);
  if (!rows) {
    err << "tradectl: audit prove: " << rows.error().message << "\n";
    return kExitFailure;
  }
  if (rows->size() != 1 || (*rows)[0].index != o.entry)
    return fail("the ledger did not return entry " + std::to_string(o.entry));
  const ledger::Entry& e = (*rows)[0];
  out << "entry " << e.index << ": " << e.stream << " #" << e.stream_sequence << " " << e.message_type
      << " on " << e.subject << " (message " << e.message_id << ", producer " << e.producer
      << ", published " << format_time_ms(e.published_ns) << ")\n";
  if (ledger::sha256(e.payload) != e.payload_sha256)
    return fail("the payload of entry " + std::to_string(e.index) + " does not hash to its payload_sha256");
  if (ledger::entry_hash(e) != e.entry_hash)
    return fail("entry " + std::to_string(e.index) + "'s fields do not hash to its entry_hash");
  const ledger::Digest leaf = ledger::leaf_hash(ledger::canonical_encoding(e));
  out << "  payload digest and entry hash OK; leaf hash " << hexd(leaf) << "\n";
  auto proof = client.inclusion(o.entry, head->tree_size);
  if (!proof) {
    err << "tradectl: audit prove: " << proof.error().message << "\n";
    return kExitFailure;
  }
  std::string bad;
  auto path = digests(proof->audit_path(), bad);
  if (!bad.empty()) return fail(bad);
  if (auto s = ledger::verify_inclusion(o.entry, head->tree_size, leaf, path, head->root); !s)
    return fail(s.error().message);
  out << "inclusion proof: " << path.size() << " hashes, leads to the signed root\nOK\n";
  return kExitOk;
}

int run_audit_consistency(const Options& o, std::ostream& out, std::ostream& err) {
  auto key = ledger::read_public_key_file(o.public_key_file);
  if (!key) {
    err << "tradectl: audit consistency: public key: " << key.error().to_string() << "\n";
    return kExitFailure;
  }
  AuditClient client(o.ledger);
  auto fail = [&](const std::string& why) {
    out << "FAILED: " << why << "\n";
    return kExitFailure;
  };
  auto second = client.tree_head(o.to.value_or(0));
  if (!second) {
    err << "tradectl: audit consistency: " << second.error().message << "\n";
    return kExitFailure;
  }
  if (o.from > second->tree_size)
    return fail("the latest signed tree has " + std::to_string(second->tree_size) +
                " entries, fewer than " + std::to_string(o.from));
  auto first = o.from == 0 ? Result<ledger::SignedTreeHead>(ledger::SignedTreeHead{
                                 .tree_size = 0, .root = ledger::empty_root()})
                           : client.tree_head(o.from);
  if (!first) {
    err << "tradectl: audit consistency: " << first.error().message << "\n";
    return kExitFailure;
  }
  for (const auto* h : {&*first, &*second}) {
    if (h->tree_size == 0 && h == &*first) {
      out << "tree head 1: size 0 (the empty tree, root " << hexd(h->root) << ")\n";
      continue;
    }
    out << "tree head " << (h == &*first ? 1 : 2) << ": " << describe_head(*h) << "\n";
    if (auto s = ledger::verify_tree_head(*h, *key); !s) return fail(s.error().message);
    out << "  signature OK (Ed25519, pinned key " << ledger::key_id_for(*key) << ")\n";
  }
  auto proof = client.consistency(first->tree_size, second->tree_size);
  if (!proof) {
    err << "tradectl: audit consistency: " << proof.error().message << "\n";
    return kExitFailure;
  }
  std::string bad;
  auto hashes = digests(proof->proof(), bad);
  if (!bad.empty()) return fail(bad);
  if (auto s = ledger::verify_consistency(first->tree_size, second->tree_size, first->root,
                                          second->root, hashes);
      !s)
    return fail(s.error().message);
  out << "consistency proof: " << hashes.size() << " hashes: the log of " << second->tree_size
      << " entries extends the log of " << first->tree_size << "\nOK\n";
  return kExitOk;
}

int run_audit_entries(const Options& o, std::ostream& out, std::ostream& err) {
  AuditClient client(o.ledger);
  trading::v1::GetEntriesRequest req;
  req.set_from_index(o.from_index);
  if (o.since_ns) req.set_from_time_ns(*o.since_ns);
  if (o.until_ns) req.set_to_time_ns(*o.until_ns);
  req.set_correlation_id(o.correlation_id);
  req.set_subject_prefix(o.subject_prefix);
  req.set_message_type(o.message_type);
  req.set_limit(o.limit);
  req.set_by_published_time(!o.correlation_id.empty());
  auto rows = client.entries(req);
  if (!rows) {
    err << "tradectl: audit entries: " << rows.error().message << "\n";
    return kExitFailure;
  }
  std::vector<EntryRow> table;
  for (const auto& e : *rows)
    table.push_back({e.index, e.published_ns, e.stream, e.stream_sequence, e.message_type, e.subject,
                     e.producer, e.correlation_id});
  out << render_entries(table);
  return kExitOk;
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
    case Command::kAuditProve: return run_audit_prove(o, out, err);
    case Command::kAuditConsistency: return run_audit_consistency(o, out, err);
    case Command::kAuditEntries: return run_audit_entries(o, out, err);
  }
  return kExitUsage;
}

int main_with(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // orders, history, stats, trades, outcomes (portfolio_commands.h)
  if (auto code = run_portfolio(args, process_environment(), out, err)) return *code;
  auto parsed = parse_command_line(args, process_environment());
  if (!parsed) {
    err << "tradectl: " << parsed.error().message << "\n";
    std::string topic = args.empty() ? "" : args[0];
    if (topic == "audit" && args.size() > 1 &&
        (args[1] == "verify" || args[1] == "prove" || args[1] == "consistency" || args[1] == "entries"))
      topic += " " + args[1];
    err << usage(topic);
    return kExitUsage;
  }
  return run(*parsed, out, err);
}

}  // namespace tp::tradectl
