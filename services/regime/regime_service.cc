#include "regime_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "model_registry.h"
#include "regime_grpc.h"
#include "tp/bus/consumer_loop.h"
#include "tp/bus/publisher.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/regime/hmm_model.h"
#include "tp/rpc/grpc_server.h"
#include "tp/runtime/topology.h"
#include "tp/migrations/regime.h"
#include "trading/v1/control.pb.h"

namespace tp::regime {

// The core plus the bars of the current batch, written to regime_bars in
// the checkpoint's transaction.
class RegimeService::Persisted final : public runtime::Checkpointed {
 public:
  Persisted(RegimeCore& core, bool store_bars) : core_(core), store_bars_(store_bars) {}

  void remember(const trading::v1::Bar& bar) {
    if (store_bars_) pending_.push_back(bar);
  }
  std::string snapshot() const override { return core_.snapshot(); }
  Status restore(std::string_view snapshot) override { return core_.restore(snapshot); }
  Status persist(pqxx::work& tx) override {
    auto s = insert_bars(tx, pending_);
    pending_.clear();
    return s;
  }
  void discard_pending() override { pending_.clear(); }

 private:
  RegimeCore& core_;
  bool store_bars_;
  std::vector<trading::v1::Bar> pending_;
};

RegimeService::RegimeService() = default;
RegimeService::~RegimeService() { stop(); }

void RegimeService::read_config(config::Reader& r) {
  EwmaConfig c;
  c.trend_half_life_bars = r.number("regime.fallback.trend_half_life_bars", {.min = 1, .max = 1e6, .default_value = 240});
  c.vol_half_life_bars = r.number("regime.fallback.vol_half_life_bars", {.min = 1, .max = 1e6, .default_value = 240});
  c.warmup_bars = r.integer("regime.fallback.warmup_bars", {.min = 0, .max = 1'000'000, .default_value = 240});
  c.sharpness = r.number("regime.fallback.sharpness", {.min = 0.001, .max = 1000, .default_value = 2.0});
  c.chop_threshold = r.number("regime.fallback.chop_threshold", {.min = 0, .max = 100, .default_value = 0.5});
  config_.fallback = c;
  config_.history_bars = r.integer("regime.history_bars",
                                   {.min = 1, .max = 100'000, .default_value = RegimeCore::kDefaultHistoryBars});
  config_.store_bars = r.boolean("regime.store_bars", {.default_value = true});
  config_.grpc_address = r.string("grpc.address", {.default_value = "127.0.0.1:50062"});
  config_.train_validation_fraction =
      r.number("regime.train.validation_fraction", {.min = 0, .max = 0.9, .default_value = 0.2});
  config_.train_restarts = static_cast<int>(r.integer("regime.train.restarts", {.min = 1, .max = 1000, .default_value = 8}));
  config_.train_max_iterations =
      static_cast<int>(r.integer("regime.train.max_iterations", {.min = 1, .max = 100'000, .default_value = 300}));
}

std::vector<store::MigrationSet> RegimeService::migrations() const {
  return {tp::migrations::regime_migrations()};
}

Status RegimeService::start(runtime::ServiceContext& ctx) {
  if (auto s = validate(config_.fallback); !s) return s;
  registry_ = std::make_unique<ModelRegistry>(ctx.database());
  const auto fallback = std::make_shared<EwmaModelVersion>(config_.fallback);
  ModelLoader loader = [this, fallback](std::string_view name) -> Result<ModelVersionPtr> {
    if (name == fallback->version()) return ModelVersionPtr(fallback);
    auto v = registry_->load(std::string(name));
    if (!v) return std::unexpected(v.error());
    return ModelVersionPtr(*v);
  };
  auto promoted = registry_->promoted();
  if (!promoted) return std::unexpected(promoted.error());
  ModelVersionPtr initial = fallback;
  if (*promoted) {
    auto v = loader(**promoted);
    if (!v) return std::unexpected(v.error());
    initial = *v;
  }
  core_ = std::make_unique<RegimeCore>(initial, loader, config_.history_bars);
  persisted_ = std::make_unique<Persisted>(*core_, config_.store_bars);

  auto& m = ctx.metrics();
  auto& posteriors = prometheus::BuildCounter()
                         .Name("tp_regime_posteriors_total")
                         .Help("Posteriors published, by most likely regime")
                         .Labels(m.constant_labels())
                         .Register(m.registry());
  auto& ignored = prometheus::BuildCounter()
                      .Name("tp_regime_bars_ignored_total")
                      .Help("Bars that are not part of their series (out of order), by reason")
                      .Labels(m.constant_labels())
                      .Register(m.registry());
  auto& reloads = prometheus::BuildCounter()
                      .Name("tp_regime_model_reloads_total")
                      .Help("Model promotions received, by result (switched, already_active, superseded, failed)")
                      .Labels(m.constant_labels())
                      .Register(m.registry());
  auto& active = prometheus::BuildGauge()
                     .Name("tp_regime_active_model")
                     .Help("1 for the model version labelling bars now")
                     .Labels(m.constant_labels())
                     .Register(m.registry());
  auto show_active = [&active](const std::string& previous, const std::string& now) {
    if (!previous.empty()) active.Add({{"version", previous}}).Set(0);
    active.Add({{"version", now}}).Set(1);
  };
  show_active("", core_->active_version());

  auto bars = std::make_shared<bus::Dispatcher>();
  bars->on<trading::v1::Bar>([this, &ctx, &posteriors, &ignored](const bus::Received& r,
                                                                 const trading::v1::Bar& bar) {
    runtime::Outbox out;
    const BarOutcome outcome = core_->on_bar(bar, r.envelope.correlation_id, out);
    switch (outcome.kind) {
      case BarOutcome::kInvalid:
        return bus::HandleResult::reject("invalid", outcome.detail);
      case BarOutcome::kIgnored:
        ignored.Add({{"reason", outcome.detail == "flagged out of order" ? "out_of_order_flag" : "not_after_last"}})
            .Increment();
        log::debug("bar ignored", {{"message_id", r.envelope.message_id}, {"why", outcome.detail}});
        return bus::HandleResult::ok();
      case BarOutcome::kEmitted:
        break;
    }
    persisted_->remember(bar);
    trading::v1::RegimePosterior p;
    if (!out.empty() && p.ParseFromString(out.items().front().payload))
      posteriors.Add({{"most_likely", trading::v1::RegimeLabel_Name(p.most_likely())}}).Increment();
    if (auto s = runtime::publish_all(out, ctx.publisher()); !s)
      return bus::HandleResult::retry("publish: " + s.error().to_string());
    return bus::HandleResult::ok();
  });

  auto control = std::make_shared<bus::Dispatcher>();
  control->on<trading::v1::ModelPromoted>([this, loader, &reloads, show_active](
                                              const bus::Received& r, const trading::v1::ModelPromoted& event) {
    if (event.model_name() != kHmmModelName) return bus::HandleResult::ok();
    // Only the latest promotion counts: replays of older ones (a fresh
    // consumer reads the whole stream) must not flip the model back.
    auto latest = registry_->promoted();
    if (!latest) return bus::HandleResult::retry("registry: " + latest.error().to_string());
    if (!*latest || **latest != event.version()) {
      reloads.Add({{"result", "superseded"}}).Increment();
      log::info("model promotion superseded", {{"version", event.version()},
                                               {"latest", *latest ? **latest : std::string("none")}});
      return bus::HandleResult::ok();
    }
    auto version = loader(event.version());
    if (!version) {
      if (is_transient(version.error().code))
        return bus::HandleResult::retry("registry: " + version.error().to_string());
      reloads.Add({{"result", "failed"}}).Increment();
      return bus::HandleResult::reject("model_unavailable", version.error().to_string());
    }
    auto outcome = core_->activate(*version);
    if (!outcome) {
      reloads.Add({{"result", "failed"}}).Increment();
      return bus::HandleResult::reject("model_unavailable", outcome.error().to_string());
    }
    if (!outcome->switched) {
      reloads.Add({{"result", "already_active"}}).Increment();
      return bus::HandleResult::ok();
    }
    reloads.Add({{"result", "switched"}}).Increment();
    show_active(outcome->previous, event.version());
    log::info("regime model hot-reloaded", {{"version", event.version()},
                                           {"previous", outcome->previous},
                                           {"operator", event.operator_()},
                                           {"primed_bars", outcome->primed_bars},
                                           {"message_id", r.envelope.message_id}});
    return bus::HandleResult::ok();
  });

  ctx.add_input({.durable = "regime-bars", .stream = "MD", .filter_subject = "md.bar.>"},
                [bars](const bus::Received& r) { return (*bars)(r); });
  ctx.add_input({.durable = "regime-control",
                 .stream = std::string(runtime::topology::kControl),
                 .filter_subject = std::string(runtime::subjects::kModelPromoted)},
                [control](const bus::Received& r) { return (*control)(r); });
  ctx.set_checkpointed(*persisted_);

  promotions_ = std::make_unique<bus::Publisher>(ctx.transport(), ctx.signer(), ctx.clock());
  TrainDefaults defaults;
  defaults.validation_fraction = config_.train_validation_fraction;
  defaults.fit.restarts = config_.train_restarts;
  defaults.fit.max_iterations = config_.train_max_iterations;
  grpc_service_ = std::make_unique<RegimeGrpcService>(*registry_, *promotions_, defaults);
  auto server = rpc::GrpcServer::start(config_.grpc_address, {grpc_service_.get()});
  if (!server) return std::unexpected(server.error());
  server_ = std::move(*server);
  server_->attach(ctx, [svc = grpc_service_.get()](bool on) { svc->set_serving(on); });

  log::info("regime model", {{"active", core_->active_version()},
                             {"source", *promoted ? "registry" : "fallback (no promoted model)"},
                             {"history_bars", config_.history_bars}});
  return ok();
}

void RegimeService::stop() {
  if (server_) server_->shutdown();
}

}  // namespace tp::regime
