#include "paramctl/paramctl_service.h"

#include <chrono>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "tp/rpc/grpc_server.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "paramctl/param_grpc.h"
#include "paramctl/preset_store.h"
#include "paramctl/reward_feed.h"
#include "tp/migrations/paramctl.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/runtime/topology.h"

namespace tp::paramctl {
namespace {

bool valid_instrument(const std::string& key) {
  auto slash = key.find('/');
  return slash != std::string::npos && runtime::valid_subject_token(key.substr(0, slash)) &&
         runtime::valid_subject_token(key.substr(slash + 1));
}

}  // namespace

ParamctlConfig read_paramctl_config(config::Reader& r) {
  ParamctlConfig cfg;
  cfg.core.timeframe = r.string("timeframe", {.default_value = "1m"});
  cfg.grpc_address = r.string("grpc.address", {.default_value = "127.0.0.1:50061"});
  cfg.chooser = r.one_of("chooser", {"lints", "default"}, "lints");

  // The bandit's keys are read (and checked) whichever chooser runs.
  auto& b = cfg.bandit;
  auto positive = [&](const std::string& key, double def) {
    const double v = r.number(key, {.default_value = def});
    if (!(v > 0)) r.add_error(key, "must be > 0");
    return v;
  };
  b.model.v = positive("bandit.v", 10.0);
  b.model.lambda = positive("bandit.lambda", 1.0);
  b.model.reward_clip = positive("bandit.reward_clip", 0.05);
  b.model.reward_scale = positive("bandit.reward_scale", 10'000.0);
  b.model.decay = r.number("bandit.decay", {.min = 0.0, .default_value = 0.0});
  b.model.v_min = r.number("bandit.v_min", {.min = 0.0, .default_value = 0.0});
  if (b.model.v_min > b.model.v) r.add_error("bandit.v_min", "must not exceed bandit.v");
  b.seed = static_cast<uint64_t>(r.integer("bandit.seed", {.min = 0, .default_value = 0}));
  b.standardize_clip = positive("bandit.standardize_clip", 5.0);
  b.standardize_min_observations = r.integer(
      "bandit.standardize_min_observations", {.min = 2, .max = 1'000'000'000, .default_value = 30});
  b.pool_instruments = r.boolean("bandit.pool_instruments", {.default_value = false});
  cfg.core.event_time_learning =
      r.one_of("learning.sync", {"event_time", "arrival"}, "event_time") == "event_time";
  cfg.core.max_reward_delay_ns =
      r.duration_ms("bandit.max_reward_delay", {.default_value = std::chrono::milliseconds(0)})
          .count() *
      kNanosPerMilli;

  std::map<std::string, std::string> preset_strategy;
  for (const auto& id : r.object_keys("presets")) {
    const std::string base = "presets." + id;
    trading::v1::ParameterPreset p;
    p.set_preset_id(id);
    p.set_strategy(r.string(base + ".strategy"));
    for (const auto& name : r.object_keys(base + ".values"))
      (*p.mutable_values())[name] = r.number(base + ".values." + name);
    p.set_description(r.string(base + ".description", {.default_value = "", .allow_empty = true}));
    p.set_enabled(r.boolean(base + ".enabled", {.default_value = true}));
    if (id.find_first_of(". \t") != std::string::npos)
      r.add_error(base, "preset id must not contain '.' or whitespace");
    if (!p.strategy().empty() && !runtime::valid_subject_token(p.strategy()))
      r.add_error(base + ".strategy", "must be a valid subject token");
    preset_strategy[id] = p.strategy();
    cfg.presets.push_back(std::move(p));
  }

  const auto names = r.object_keys("strategies");
  if (names.empty()) r.add_error("strategies", "at least one strategy is required");
  for (const auto& name : names) {
    const std::string base = "strategies." + name;
    if (!runtime::valid_subject_token(name))
      r.add_error(base, "strategy id must be a valid subject token");
    StrategySettings s;
    s.instruments = r.string_list(base + ".instruments", {.allow_empty_list = false});
    for (const auto& key : s.instruments)
      if (!valid_instrument(key))
        r.add_error(base + ".instruments", "\"" + key + "\" is not of the form venue/symbol");
    s.default_preset = r.string(base + ".default_preset");
    s.decision_interval_bars =
        r.integer(base + ".decision_interval_bars", {.min = 1, .max = 1'000'000, .default_value = 60});
    auto it = preset_strategy.find(s.default_preset);
    if (!s.default_preset.empty() && it == preset_strategy.end())
      r.add_error(base + ".default_preset",
                  "preset \"" + s.default_preset + "\" is not defined under presets");
    else if (!s.default_preset.empty() && it->second != name)
      r.add_error(base + ".default_preset", "preset \"" + s.default_preset +
                                                "\" belongs to strategy \"" + it->second + "\"");
    cfg.core.strategies[name] = std::move(s);
  }
  return cfg;
}

Result<std::unique_ptr<PresetChooser>> make_chooser(const ParamctlConfig& config) {
  if (config.chooser == "default") return std::make_unique<DefaultPresetChooser>();
  auto lints = LinTsPresetChooser::create(config.bandit, context_feature_names());
  if (!lints) return std::unexpected(lints.error());
  return std::unique_ptr<PresetChooser>(std::move(*lints));
}

ParamctlService::ParamctlService() = default;
ParamctlService::~ParamctlService() { stop(); }

void ParamctlService::read_config(config::Reader& reader) { config_ = read_paramctl_config(reader); }

std::vector<store::MigrationSet> ParamctlService::migrations() const {
  return {tp::migrations::paramctl_migrations()};
}

bus::HandleResult ParamctlService::settle(const Verdict& verdict, std::string_view input,
                                          runtime::Outbox& out, runtime::ServiceContext& ctx) {
  const size_t produced = out.size();
  if (auto s = runtime::publish_all(out, ctx.publisher()); !s)
    return bus::HandleResult::retry("publish: " + s.error().to_string());
  choices_->Increment(static_cast<double>(produced));
  held_->Set(static_cast<double>(core_->waiting_posteriors()));
  // One line per thing waited for (not per position that did not complete it).
  std::string waiting = core_->waiting_for();
  std::string what = waiting.substr(0, waiting.find(" ("));
  if (what != logged_wait_) {
    if (!waiting.empty())
      log::info("choices wait for execsim (event-time learning)", {{"waiting_for", waiting}});
    logged_wait_ = std::move(what);
  }
  switch (verdict.kind) {
    case Verdict::Kind::kApplied:
      return bus::HandleResult::ok();
    case Verdict::Kind::kIgnored:
      ignored_->Add({{"input", std::string(input)}}).Increment();
      log::debug("message ignored", {{"input", input}, {"why", verdict.text}});
      return bus::HandleResult::ok();
    case Verdict::Kind::kInvalid:
      return bus::HandleResult::reject("invalid", verdict.text);
  }
  return bus::HandleResult::ok();
}

Status ParamctlService::start(runtime::ServiceContext& ctx) {
  auto chooser = make_chooser(config_);
  if (!chooser) return std::unexpected(chooser.error());
  core_ = std::make_unique<ParamCore>(config_.core, std::move(*chooser));
  feed_ = std::make_unique<RewardFeed>(*core_, ctx.database());
  log::info("chooser", {{"chooser", std::string(core_->chooser_name())}});
  for (const auto& p : config_.presets)
    if (auto s = core_->check_preset(p); !s) return std::unexpected(s.error());
  if (auto s = upsert_presets(ctx.database(), config_.presets); !s) return s;
  auto presets = load_presets(ctx.database());
  if (!presets) return std::unexpected(presets.error());
  core_->load_presets(*presets);
  if (auto missing = core_->strategies_without_enabled_preset(); !missing.empty())
    return make_error(ErrorCode::kFailedPrecondition,
                      "strategy \"" + missing.front() + "\" has no enabled preset");
  log::info("presets loaded", {{"presets", static_cast<int64_t>(presets->size())},
                               {"seeded", static_cast<int64_t>(config_.presets.size())}});

  auto& registry = ctx.metrics().registry();
  const auto& labels = ctx.metrics().constant_labels();
  choices_ = &prometheus::BuildCounter()
                  .Name("tp_paramctl_choices_emitted_total")
                  .Help("ParameterChoice messages published.")
                  .Labels(labels)
                  .Register(registry)
                  .Add({});
  ignored_ = &prometheus::BuildCounter()
                  .Name("tp_paramctl_messages_ignored_total")
                  .Help("Inputs acknowledged without effect (not configured, stale, duplicate).")
                  .Labels(labels)
                  .Register(registry);

  held_ = &prometheus::BuildGauge()
               .Name("tp_paramctl_held_posteriors")
               .Help("Regime posteriors held back until execsim's positions and outcomes "
                     "up to the previous bar have arrived (event-time learning).")
               .Labels(labels)
               .Register(registry)
               .Add({});

  // Every input: rewards recorded through gRPC Learn are learned first, then
  // the core handles the message and its outputs are published.
  auto handle = [this, &ctx](std::string_view input, const auto& apply) {
    if (auto s = feed_->catch_up(); !s)
      return bus::HandleResult::retry("learn rewards: " + s.error().to_string());
    runtime::Outbox out;
    const Verdict v = apply(out);
    return settle(v, input, out, ctx);
  };
  bus::Dispatcher regime;
  regime.on<trading::v1::RegimePosterior>(
      [this, handle](const bus::Received& r, const trading::v1::RegimePosterior& posterior) {
        return handle("regime", [&](runtime::Outbox& out) {
          return core_->on_regime(posterior, r.envelope.correlation_id, out);
        });
      });
  bus::Dispatcher outcomes;
  outcomes.on<trading::v1::Outcome>(
      [this, handle](const bus::Received& r, const trading::v1::Outcome& outcome) {
        return handle("outcomes", [&](runtime::Outbox& out) {
          return core_->on_outcome(outcome, out, r.envelope.message_id);
        });
      });
  bus::Dispatcher positions;
  positions.on<trading::v1::Position>(
      [this, handle](const bus::Received&, const trading::v1::Position& position) {
        return handle("positions",
                      [&](runtime::Outbox& out) { return core_->on_position(position, out); });
      });
  ctx.add_input({.durable = "paramctl-regime", .stream = std::string(runtime::topology::kRegime),
                 .filter_subject = "regime.>"},
                std::move(regime));
  ctx.add_input({.durable = "paramctl-outcomes", .stream = std::string(runtime::topology::kParams),
                 .filter_subject = "params.outcome.>"},
                std::move(outcomes));
  if (config_.core.event_time_learning)
    ctx.add_input({.durable = "paramctl-positions",
                   .stream = std::string(runtime::topology::kExecutions),
                   .filter_subject = "exec.position.>"},
                  std::move(positions));
  ctx.set_checkpointed(*core_);

  // Built here so a bad address fails the start; serving starts in the
  // worker, which runs after the checkpoint is restored.
  grpc_service_ =
      std::make_unique<ParamGrpcService>(*core_, ctx.database(), *feed_, ctx.clock());
  auto server = rpc::GrpcServer::start(config_.grpc_address, {grpc_service_.get()});
  if (!server) return std::unexpected(server.error());
  server_ = std::move(*server);
  server_->attach(ctx, [svc = grpc_service_.get(), feed = feed_.get()](bool on) {
    // Rewards learned through gRPC after the last checkpoint, before serving
    // (Inspect shows them); a failure here is retried by the next handler.
    if (on)
      if (auto s = feed->catch_up(); !s)
        log::warn("cannot learn recorded rewards yet", {{"error", s.error().to_string()}});
    svc->set_serving(on);
  });
  return ok();
}

int ParamctlService::grpc_port() const { return server_ ? server_->port() : 0; }

void ParamctlService::stop() {
  if (server_) server_->shutdown();
}

}  // namespace tp::paramctl
