#include "ledger_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "audit_grpc.h"
#include "ledger/store/ledger_table.h"
#include "tp/migrations/ledger.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/rpc/grpc_server.h"
#include "tp/runtime/topology.h"
#include "tp/signing/hmac.h"
#include "tree_heads.h"
#include "verification.h"

namespace tp::ledger {
namespace {

// Runs `work` at once and then `interval` after each run ends, until `stop`
// (checked every 50 ms, so a stop is quick even with a long interval).
template <typename Work>
void run_every(std::chrono::milliseconds interval, const std::atomic<bool>& stop, Work&& work) {
  auto next = std::chrono::steady_clock::now();
  while (!stop.load()) {
    if (std::chrono::steady_clock::now() >= next) {
      work();
      next = std::chrono::steady_clock::now() + interval;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

// Metric verbs, so the service code never touches prometheus directly.
class LedgerProbe {
 public:
  explicit LedgerProbe(obs::ServiceMetrics& metrics)
      : entries_(prometheus::BuildCounter()
                     .Name("tp_ledger_entries_total")
                     .Help("Entries written to the audit hash chain, by stream.")
                     .Labels(metrics.constant_labels())
                     .Register(metrics.registry())),
        length_(prometheus::BuildGauge()
                    .Name("tp_ledger_chain_length")
                    .Help("Entries in the audit hash chain (the next index).")
                    .Labels(metrics.constant_labels())
                    .Register(metrics.registry())
                    .Add({})),
        head_size_(prometheus::BuildGauge()
                       .Name("tp_ledger_tree_head_size")
                       .Help("Tree size of the latest signed tree head.")
                       .Labels(metrics.constant_labels())
                       .Register(metrics.registry())
                       .Add({})),
        head_failures_(prometheus::BuildCounter()
                           .Name("tp_ledger_tree_head_failures_total")
                           .Help("Signed tree heads that could not be issued (database errors or "
                                 "a stored tree inconsistent with an earlier head).")
                           .Labels(metrics.constant_labels())
                           .Register(metrics.registry())
                           .Add({})) {}

  void written(const std::string& stream, double count) {
    auto it = per_stream_.find(stream);
    if (it == per_stream_.end())
      it = per_stream_.emplace(stream, &entries_.Add({{"stream", stream}})).first;
    it->second->Increment(count);
  }
  void chain_length(uint64_t length) { length_.Set(static_cast<double>(length)); }
  void tree_head(uint64_t size) { head_size_.Set(static_cast<double>(size)); }
  void tree_head_failed() { head_failures_.Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& entries_;
  prometheus::Gauge& length_;
  prometheus::Gauge& head_size_;
  prometheus::Counter& head_failures_;
  std::map<std::string, prometheus::Counter*> per_stream_;
};

// Adapts the pure core to the runtime's checkpoint: state = chain head and
// tree, domain rows = the batch's entries and tree nodes, in the same
// transaction, written under the append-only writer role when it exists.
class LedgerService::Checkpoint final : public runtime::Checkpointed {
 public:
  Checkpoint(LedgerCore& core, LedgerProbe& probe, store::Database& db,
             std::optional<std::string> writer_role)
      : core_(core), probe_(probe), db_(db), writer_role_(std::move(writer_role)) {}

  std::string snapshot() const override { return core_.snapshot(); }

  Status restore(std::string_view snapshot) override {
    auto s = core_.restore(snapshot);
    if (!s) return s;
    if (core_.needs_tree()) {
      // A checkpoint from before the Merkle tree: rebuild it from the rows.
      log::warn("ledger: building the Merkle tree over existing entries",
                {{"entries", static_cast<int64_t>(core_.next_index())}});
      auto tree = backfill_tree(db_, core_.next_index());
      if (!tree) return std::unexpected(tree.error());
      if (auto t = core_.set_tree(std::move(*tree)); !t) return t;
    }
    probe_.chain_length(core_.next_index());
    return ok();
  }

  Status persist(pqxx::work& tx) override {
    if (core_.unwritten().empty()) return ok();
    // The rows go in under a role that may only INSERT and SELECT them.
    if (writer_role_) tx.exec0("SET LOCAL ROLE " + tx.quote_name(*writer_role_));
    if (auto s = write_batch(tx, core_.unwritten(), core_.unwritten_nodes()); !s) return s;
    if (writer_role_) tx.exec0("RESET ROLE");
    // The transaction body may be re-run after a broken connection: count
    // each batch once. A COMMIT that fails after this point is followed by a
    // redelivery, so the counter can over-count such a batch; the table is
    // the truth, the gauge is reset on restore.
    if (core_.mark_written()) {
      std::map<std::string, double> counts;
      for (const auto& e : core_.unwritten()) counts[e.stream] += 1;
      for (const auto& [stream, n] : counts) probe_.written(stream, n);
      probe_.chain_length(core_.next_index());
    }
    return ok();
  }

  void discard_pending() override { core_.discard_unwritten(); }

 private:
  LedgerCore& core_;
  LedgerProbe& probe_;
  store::Database& db_;
  std::optional<std::string> writer_role_;
};

LedgerService::LedgerService() = default;
LedgerService::~LedgerService() { stop(); }

void LedgerService::read_config(config::Reader& r) {
  config_.grpc_address = r.string("grpc.address", {.default_value = "127.0.0.1:50063"});
  config_.tree_head_interval =
      r.duration_ms("tree_heads.interval", {.min = std::chrono::milliseconds(100),
                                            .max = std::chrono::hours(24),
                                            .default_value = std::chrono::seconds(10)});
  config_.key_file = r.string("tree_heads.key_file", {.default_value = "", .allow_empty = true});
  config_.create_key = r.boolean("tree_heads.create_key", {.default_value = true});
  config_.verification_interval =
      r.duration_ms("verification.interval", {.min = std::chrono::milliseconds(0),
                                              .max = std::chrono::hours(24),
                                              .default_value = std::chrono::minutes(5)});
  config_.verification_full_interval =
      r.duration_ms("verification.full_interval", {.min = std::chrono::milliseconds(0),
                                                   .max = std::chrono::hours(24 * 365),
                                                   .default_value = std::chrono::hours(24)});
}

std::vector<store::MigrationSet> LedgerService::migrations() const {
  return {migrations::ledger_migrations()};
}

Status LedgerService::start(runtime::ServiceContext& ctx) {
  std::string key_file = config_.key_file;
  if (key_file.empty()) {
    if (ctx.common().keys_file.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        "tree_heads.key_file is not set and there is no keys.file to put it beside");
    key_file = (std::filesystem::path(ctx.common().keys_file).parent_path() / "ledger-tree-head.pem").string();
  }
  auto signer = TreeHeadSigner::load_or_create(key_file, config_.create_key);
  if (!signer) return std::unexpected(signer.error());
  signer_.emplace(std::move(*signer));
  log::info("ledger tree-head key", {{"key_id", signer_->key_id()},
                                     {"public_key", signing::to_hex(signer_->public_key())},
                                     {"file", key_file}});

  auto role = ctx.database().transact_value<std::optional<std::string>>(
      [](pqxx::work& tx) { return writer_role(tx); });
  if (!role) return std::unexpected(role.error());
  if (!*role)
    log::warn("ledger: no append-only writer role; entries are written as the session user",
              {{"role", std::string(kWriterRole)}});

  probe_ = std::make_unique<LedgerProbe>(ctx.metrics());
  checkpoint_ = std::make_unique<Checkpoint>(core_, *probe_, ctx.database(), *role);
  issuer_ = std::make_unique<TreeHeadIssuer>(ctx.database(), *signer_, SystemClock::instance());
  if (auto s = issuer_->register_key(); !s) return s;

  for (const auto& stream : runtime::topology::streams()) {
    ctx.add_input({.durable = "ledger-" + stream.name, .stream = stream.name, .filter_subject = ""},
                  [this](const bus::Received& r) {
                    const auto& env = r.envelope;
                    // received_ns is the broker's store time, not our clock:
                    // a replay of the same stream yields the same entries.
                    core_.append({.stream = r.stream,
                                  .stream_sequence = r.stream_sequence,
                                  .subject = r.subject,
                                  .message_id = env.message_id,
                                  .producer = env.producer,
                                  .message_type = env.message_type,
                                  .key_id = env.key_id,
                                  .payload = r.payload,
                                  .published_ns = env.timestamp_ns,
                                  .received_ns = r.stored_ns,
                                  .correlation_id = env.correlation_id});
                    return bus::HandleResult::ok();
                  });
  }
  ctx.set_checkpointed(*checkpoint_);

  // Signed tree heads: one when the log has grown, every interval.
  ctx.add_worker("tree-heads", [this, interval = config_.tree_head_interval](
                                   const std::atomic<bool>& stop) {
    uint64_t last = UINT64_MAX;
    run_every(interval, stop, [&] {
      auto head = issuer_->publish_latest();
      if (!head) {
        probe_->tree_head_failed();
        log::error("ledger: cannot issue a signed tree head", {{"error", head.error().to_string()}});
      } else if (head->tree_size != last) {
        last = head->tree_size;
        probe_->tree_head(head->tree_size);
        log::info("ledger: signed tree head",
                  {{"tree_size", static_cast<int64_t>(head->tree_size)},
                   {"root", signing::to_hex(to_bytes(head->root))},
                   {"timestamp_ns", head->timestamp_ns},
                   {"key_id", head->key_id},
                   {"signature", signing::to_hex(head->signature)}});
      }
    });
  });

  // Self-verification: the first run from entry 0, then incremental, every interval.
  if (config_.verification_interval.count() > 0) {
    // Its own connection: a run holds one REPEATABLE READ transaction for
    // its duration (long for the full run over a large log), which must not
    // hold up the checkpoint writes on the runtime's connection.
    auto db = store::Database::connect(
        {.connection_string = runtime::database_connection_string(ctx.common())});
    if (!db) return std::unexpected(db.error());
    verify_db_ = std::move(*db);
    verifier_ = std::make_unique<LedgerVerifier>(*verify_db_, ctx.clock(), ctx.metrics(),
                                                 config_.verification_full_interval);
    ctx.add_worker("verification", [this, interval = config_.verification_interval](
                                       const std::atomic<bool>& stop) {
      run_every(interval, stop, [this] { (void)verifier_->run(); });
    });
  } else {
    log::warn("ledger: periodic verification is off (verification.interval = 0)");
  }

  grpc_service_ = std::make_unique<AuditGrpcService>(ctx.database(), *issuer_);
  auto server = rpc::GrpcServer::start(config_.grpc_address, {grpc_service_.get()});
  if (!server) return std::unexpected(server.error());
  server_ = std::move(*server);
  server_->attach(ctx, [svc = grpc_service_.get()](bool on) { svc->set_serving(on); });
  log::info("ledger consuming", {{"streams", static_cast<int64_t>(runtime::topology::streams().size())},
                                 {"grpc_port", static_cast<int64_t>(server_->port())}});
  return ok();
}

void LedgerService::stop() {
  if (server_) server_->shutdown();
}

}  // namespace tp::ledger
