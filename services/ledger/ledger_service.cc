#include "ledger_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <pqxx/pqxx>

#include "ledger/store/ledger_table.h"
#include "tp/migrations/ledger.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/runtime/topology.h"

namespace tp::ledger {

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
                    .Add({})) {}

  void written(const std::string& stream, double count) {
    auto it = per_stream_.find(stream);
    if (it == per_stream_.end())
      it = per_stream_.emplace(stream, &entries_.Add({{"stream", stream}})).first;
    it->second->Increment(count);
  }
  void chain_length(uint64_t length) { length_.Set(static_cast<double>(length)); }

 private:
  prometheus::Family<prometheus::Counter>& entries_;
  prometheus::Gauge& length_;
  std::map<std::string, prometheus::Counter*> per_stream_;
};

// Adapts the pure core to the runtime's checkpoint: state = chain head,
// domain rows = the batch's entries, in the same transaction.
class LedgerService::Checkpoint final : public runtime::Checkpointed {
 public:
  Checkpoint(LedgerCore& core, LedgerProbe& probe) : core_(core), probe_(probe) {}

  std::string snapshot() const override { return core_.snapshot(); }

  Status restore(std::string_view snapshot) override {
    auto s = core_.restore(snapshot);
    if (s) probe_.chain_length(core_.next_index());
    return s;
  }

  Status persist(pqxx::work& tx) override {
    if (auto s = write_entries(tx, core_.unwritten()); !s) return s;
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
};

LedgerService::LedgerService() = default;
LedgerService::~LedgerService() = default;

void LedgerService::read_config(config::Reader&) {
  // No keys of its own: the ledger consumes every stream of the topology.
}

std::vector<store::MigrationSet> LedgerService::migrations() const {
  return {migrations::ledger_migrations()};
}

Status LedgerService::start(runtime::ServiceContext& ctx) {
  probe_ = std::make_unique<LedgerProbe>(ctx.metrics());
  checkpoint_ = std::make_unique<Checkpoint>(core_, *probe_);
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
  log::info("ledger consuming", {{"streams", static_cast<int64_t>(runtime::topology::streams().size())}});
  return ok();
}

}  // namespace tp::ledger
