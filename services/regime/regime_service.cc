#include "regime_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "tp/bus/consumer_loop.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"

namespace tp::regime {

void RegimeService::read_config(config::Reader& r) {
  (void)r.one_of("regime.model", {"ewma-v1"}, "ewma-v1");
  EwmaConfig c;
  c.trend_half_life_bars = r.number("regime.trend_half_life_bars", {.min = 1, .max = 1e6, .default_value = 240});
  c.vol_half_life_bars = r.number("regime.vol_half_life_bars", {.min = 1, .max = 1e6, .default_value = 240});
  c.warmup_bars = r.integer("regime.warmup_bars", {.min = 0, .max = 1'000'000, .default_value = 240});
  c.sharpness = r.number("regime.sharpness", {.min = 0.001, .max = 1000, .default_value = 2.0});
  c.chop_threshold = r.number("regime.chop_threshold", {.min = 0, .max = 100, .default_value = 0.5});
  model_config_ = c;
}

Status RegimeService::start(runtime::ServiceContext& ctx) {
  const EwmaConfig config = model_config_;
  if (auto s = validate(config); !s) return s;
  core_ = std::make_unique<RegimeCore>([config] { return std::make_unique<EwmaRegimeModel>(config); });

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

  auto dispatcher = std::make_shared<bus::Dispatcher>();
  dispatcher->on<trading::v1::Bar>(
      [this, &ctx, &posteriors, &ignored](const bus::Received& r, const trading::v1::Bar& bar) {
        runtime::Outbox out;
        const BarOutcome outcome = core_->on_bar(bar, r.envelope.correlation_id, out);
        switch (outcome.kind) {
          case BarOutcome::kInvalid:
            return bus::HandleResult::reject("invalid", outcome.detail);
          case BarOutcome::kIgnored:
            ignored.Add({{"reason", outcome.detail == "flagged out of order" ? "out_of_order_flag"
                                                                             : "not_after_last"}})
                .Increment();
            log::debug("bar ignored", {{"message_id", r.envelope.message_id}, {"why", outcome.detail}});
            return bus::HandleResult::ok();
          case BarOutcome::kEmitted:
            break;
        }
        trading::v1::RegimePosterior p;
        if (!out.empty() && p.ParseFromString(out.items().front().payload))
          posteriors.Add({{"most_likely", trading::v1::RegimeLabel_Name(p.most_likely())}}).Increment();
        if (auto s = runtime::publish_all(out, ctx.publisher()); !s)
          return bus::HandleResult::retry("publish: " + s.error().to_string());
        return bus::HandleResult::ok();
      });
  ctx.add_input({.durable = "regime-bars", .stream = "MD", .filter_subject = "md.bar.>"},
                [dispatcher](const bus::Received& r) { return (*dispatcher)(r); });
  ctx.set_checkpointed(*core_);
  log::info("regime model", {{"model", EwmaRegimeModel::kVersion},
                             {"trend_half_life_bars", config.trend_half_life_bars},
                             {"vol_half_life_bars", config.vol_half_life_bars},
                             {"warmup_bars", config.warmup_bars},
                             {"sharpness", config.sharpness},
                             {"chop_threshold", config.chop_threshold}});
  return ok();
}

}  // namespace tp::regime
