#include "decision/decision_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/runtime/topology.h"

namespace tp::decision {

namespace v1 = trading::v1;
using bus::HandleResult;
using bus::Received;

void DecisionService::read_config(config::Reader& reader) {
  config_ = read_decision_config(reader);
}

HandleResult DecisionService::publish(HandleResult result, runtime::Outbox& out,
                                      runtime::ServiceContext& context) {
  for (const auto& item : out.items()) {
    if (item.message_type == "trading.v1.OrderIntent") {
      intents_->Increment();
    } else if (item.message_type == "trading.v1.DecisionRejection") {
      v1::DecisionRejection r;
      r.ParseFromString(item.payload);
      rejections_->Add({{"reason", v1::RejectReason_Name(r.reason())}}).Increment();
    }
  }
  kill_switch_gauge_->Set(core_->engaged_kill_switches().empty() ? 0.0 : 1.0);
  pending_gauge_->Set(static_cast<double>(core_->pending_bars()));
  // Queueing fails only for a message that cannot be signed (a bug), never
  // transiently: dead-letter the input visibly rather than retry forever.
  if (auto s = runtime::publish_all(out, context.publisher()); !s) {
    log::critical("cannot queue outputs", {{"error", s.error().to_string()}});
    return HandleResult::reject("publish_failed", s.error().to_string());
  }
  return result;
}

Status DecisionService::start(runtime::ServiceContext& context) {
  core_ = std::make_unique<DecisionCore>(config_);
  auto& metrics = context.metrics();
  kill_switch_gauge_ = &prometheus::BuildGauge()
                            .Name("tp_decision_kill_switch_engaged")
                            .Help("1 while any kill switch scope is engaged, else 0.")
                            .Labels(metrics.constant_labels())
                            .Register(metrics.registry())
                            .Add({});
  pending_gauge_ = &prometheus::BuildGauge()
                        .Name("tp_decision_pending_bars")
                        .Help("Bar times waiting for a signal, regime posterior or position.")
                        .Labels(metrics.constant_labels())
                        .Register(metrics.registry())
                        .Add({});
  intents_ = &prometheus::BuildCounter()
                  .Name("tp_decision_intents_total")
                  .Help("Order intents emitted.")
                  .Labels(metrics.constant_labels())
                  .Register(metrics.registry())
                  .Add({});
  rejections_ = &prometheus::BuildCounter()
                     .Name("tp_decision_rejections_total")
                     .Help("Decision rejections emitted, by reason.")
                     .Labels(metrics.constant_labels())
                     .Register(metrics.registry());

  tp::bus::Dispatcher signals;
  signals.on<v1::Signal>([this, &context](const Received& r, const v1::Signal& m) {
    runtime::Outbox out;
    return publish(core_->on_signal(m, r.envelope.correlation_id, out), out, context);
  });
  tp::bus::Dispatcher regimes;
  regimes.on<v1::RegimePosterior>(
      [this, &context](const Received&, const v1::RegimePosterior& m) {
        runtime::Outbox out;
        return publish(core_->on_regime(m, out), out, context);
      });
  tp::bus::Dispatcher positions;
  positions.on<v1::Position>([this, &context](const Received&, const v1::Position& m) {
    runtime::Outbox out;
    return publish(core_->on_position(m, out), out, context);
  });
  tp::bus::Dispatcher control;
  control.on<v1::KillSwitch>([this, &context](const Received&, const v1::KillSwitch& m) {
    runtime::Outbox out;
    auto result = core_->on_kill_switch(m);
    if (result.kind() == HandleResult::Kind::kOk)
      log::warn("kill switch", {{"engaged", m.engaged()},
                                {"scope", m.scope()},
                                {"reason", m.reason()},
                                {"operator", m.operator_()}});
    return publish(std::move(result), out, context);
  });

  // Signals and regimes run ahead of the positions that close each bar;
  // bound how far (docs/services/decision.md, "Backpressure").
  constexpr size_t kMaxLead = 32;
  context.add_input({.durable = "decision-signals",
                     .stream = std::string(runtime::topology::kSignals),
                     .filter_subject = "sig.>",
                     .accepting = [this] { return core_->pending_with_signals() < kMaxLead; }},
                    signals);
  context.add_input({.durable = "decision-regime",
                     .stream = std::string(runtime::topology::kRegime),
                     .filter_subject = "regime.>",
                     .accepting = [this] { return core_->pending_with_regime() < kMaxLead; }},
                    regimes);
  context.add_input({.durable = "decision-positions",
                     .stream = std::string(runtime::topology::kExecutions),
                     .filter_subject = "exec.position.>"},
                    positions);
  context.add_input({.durable = "decision-control",
                     .stream = std::string(runtime::topology::kControl),
                     .filter_subject = std::string(runtime::subjects::kKillSwitch)},
                    control);
  context.set_checkpointed(*core_);
  return ok();
}

}  // namespace tp::decision
