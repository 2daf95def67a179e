#include "signal/signal_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/runtime/topology.h"

namespace tp::signal {

namespace {

// "venue/symbol" with both parts valid subject tokens.
bool valid_instrument(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return false;
  return runtime::valid_subject_token(key.substr(0, slash)) &&
         runtime::valid_subject_token(key.substr(slash + 1));
}

}  // namespace

SignalCoreConfig read_signal_config(config::Reader& r) {
  SignalCoreConfig cfg;
  cfg.timeframe = r.string("timeframe", {.default_value = "1m"});
  cfg.max_window = static_cast<int>(
      r.integer("max_window", {.min = 2, .max = 100'000, .default_value = 1000}));
  cfg.max_pending_bars = static_cast<size_t>(
      r.integer("join.max_pending_bars", {.min = 1, .max = 1'000'000, .default_value = 2048}));
  cfg.max_pending_choices = static_cast<size_t>(
      r.integer("join.max_pending_choices", {.min = 1, .max = 1'000'000, .default_value = 2048}));
  const auto names = r.object_keys("strategies");
  if (names.empty()) r.add_error("strategies", "at least one strategy is required");
  for (const auto& name : names) {
    const std::string base = "strategies." + name;
    if (!runtime::valid_subject_token(name))
      r.add_error(base, "strategy id must be a valid subject token");
    std::optional<std::string> default_algorithm;
    if (parse_algorithm(name)) default_algorithm = name;
    const std::string algorithm =
        r.one_of(base + ".algorithm", {"ma_trend", "donchian"}, default_algorithm);
    StrategySpec spec;
    spec.algorithm = parse_algorithm(algorithm).value_or(Algorithm::kMaTrend);
    spec.instruments = r.string_list(base + ".instruments", {.allow_empty_list = false});
    for (const auto& key : spec.instruments)
      if (!valid_instrument(key))
        r.add_error(base + ".instruments",
                    "\"" + key + "\" is not of the form venue/symbol");
    cfg.strategies[name] = std::move(spec);
  }
  return cfg;
}

void SignalService::read_config(config::Reader& reader) { config_ = read_signal_config(reader); }

bus::HandleResult SignalService::settle(const Verdict& verdict, std::string_view input,
                                        runtime::Outbox& out, runtime::ServiceContext& context) {
  const size_t produced = out.size();
  if (auto s = runtime::publish_all(out, context.publisher()); !s)
    return bus::HandleResult::retry("publish: " + s.error().to_string());
  emitted_->Increment(static_cast<double>(produced));
  switch (verdict.kind) {
    case Verdict::Kind::kApplied:
      return bus::HandleResult::ok();
    case Verdict::Kind::kIgnored:
      ignored_->Add({{"input", std::string(input)}}).Increment();
      log::debug("message ignored", {{"input", input}, {"why", verdict.text}});
      return bus::HandleResult::ok();
    case Verdict::Kind::kInvalid:
      return bus::HandleResult::reject("invalid", verdict.text);
    case Verdict::Kind::kOverflow:
      return bus::HandleResult::reject("overflow", verdict.text);
  }
  return bus::HandleResult::ok();
}

Status SignalService::start(runtime::ServiceContext& ctx) {
  core_.emplace(config_);
  auto& registry = ctx.metrics().registry();
  const auto& labels = ctx.metrics().constant_labels();
  emitted_ = &prometheus::BuildCounter()
                  .Name("tp_signal_signals_emitted_total")
                  .Help("Signals published (one per strategy and bar).")
                  .Labels(labels)
                  .Register(registry)
                  .Add({});
  ignored_ = &prometheus::BuildCounter()
                  .Name("tp_signal_messages_ignored_total")
                  .Help("Inputs acknowledged without effect (not configured, stale, out of order).")
                  .Labels(labels)
                  .Register(registry);

  bus::Dispatcher bars;
  bars.on<trading::v1::Bar>([this, &ctx](const bus::Received& r, const trading::v1::Bar& bar) {
    runtime::Outbox out;
    Verdict v = core_->on_bar(bar, r.envelope.correlation_id, out);
    return settle(v, "bars", out, ctx);
  });
  bus::Dispatcher choices;
  choices.on<trading::v1::ParameterChoice>(
      [this, &ctx](const bus::Received&, const trading::v1::ParameterChoice& choice) {
        runtime::Outbox out;
        Verdict v = core_->on_choice(choice, out);
        return settle(v, "params", out, ctx);
      });
  ctx.add_input({.durable = "signal-bars", .stream = std::string(runtime::topology::kMarketData),
                 .filter_subject = "md.bar.>"},
                std::move(bars));
  ctx.add_input({.durable = "signal-params", .stream = std::string(runtime::topology::kParams),
                 .filter_subject = "params.choice.>"},
                std::move(choices));
  ctx.set_checkpointed(*core_);
  log::info("signal strategies configured",
            {{"strategies", static_cast<int64_t>(config_.strategies.size())},
             {"timeframe", config_.timeframe},
             {"max_window", static_cast<int64_t>(config_.max_window)}});
  return ok();
}

}  // namespace tp::signal
