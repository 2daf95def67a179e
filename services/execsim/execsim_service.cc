#include "execsim/execsim_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "execsim/portfolio_grpc.h"
#include "tp/migrations/execsim.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "tp/rpc/grpc_server.h"
#include "tp/runtime/topology.h"

namespace tp::execsim {

namespace v1 = trading::v1;
using bus::HandleResult;
using bus::Received;

ExecsimService::ExecsimService() = default;
ExecsimService::~ExecsimService() = default;

void ExecsimService::stop() {
  if (server_) server_->shutdown();
}

void ExecsimService::read_config(config::Reader& reader) {
  config_ = read_execsim_config(reader);
}

std::vector<store::MigrationSet> ExecsimService::migrations() const {
  return {migrations::execsim_migrations()};
}

HandleResult ExecsimService::publish(HandleResult result, runtime::Outbox& out,
                                     runtime::ServiceContext& context) {
  for (const auto& item : out.items()) {
    if (item.message_type == "trading.v1.ExecutionReport") {
      v1::ExecutionReport r;
      r.ParseFromString(item.payload);
      reports_->Add({{"exec_type", v1::ExecType_Name(r.exec_type())}}).Increment();
    } else if (item.message_type == "trading.v1.Outcome") {
      outcomes_->Increment();
    }
  }
  waiting_bars_->Set(static_cast<double>(core_->waiting_bars()));
  working_orders_->Set(static_cast<double>(core_->working_orders()));
  // Queueing fails only for a message that cannot be signed (a bug), never
  // transiently: dead-letter the input visibly rather than retry forever.
  if (auto s = runtime::publish_all(out, context.publisher()); !s) {
    log::critical("cannot queue outputs", {{"error", s.error().to_string()}});
    return HandleResult::reject("publish_failed", s.error().to_string());
  }
  return result;
}

Status ExecsimService::start(runtime::ServiceContext& context) {
  core_ = std::make_unique<ExecsimCore>(config_);
  persisted_ = std::make_unique<PersistedExecsim>(*core_);
  auto& metrics = context.metrics();
  reports_ = &prometheus::BuildCounter()
                  .Name("tp_execsim_reports_total")
                  .Help("Execution reports published, by exec type.")
                  .Labels(metrics.constant_labels())
                  .Register(metrics.registry());
  outcomes_ = &prometheus::BuildCounter()
                   .Name("tp_execsim_outcomes_total")
                   .Help("Outcomes attributed to decision ids.")
                   .Labels(metrics.constant_labels())
                   .Register(metrics.registry())
                   .Add({});
  waiting_bars_ = &prometheus::BuildGauge()
                       .Name("tp_execsim_waiting_bars")
                       .Help("Bars queued until the previous bar's decisions are all present.")
                       .Labels(metrics.constant_labels())
                       .Register(metrics.registry())
                       .Add({});
  working_orders_ = &prometheus::BuildGauge()
                         .Name("tp_execsim_working_orders")
                         .Help("Orders accepted and not yet filled or canceled.")
                         .Labels(metrics.constant_labels())
                         .Register(metrics.registry())
                         .Add({});

  tp::bus::Dispatcher bars;
  bars.on<v1::Bar>([this, &context](const Received& r, const v1::Bar& m) {
    persisted_->before_handle();
    runtime::Outbox out;
    return publish(core_->on_bar(m, r.envelope.correlation_id, out), out, context);
  });
  tp::bus::Dispatcher orders;
  orders.on<v1::OrderIntent>([this, &context](const Received&, const v1::OrderIntent& m) {
    persisted_->before_handle();
    runtime::Outbox out;
    return publish(core_->on_intent(m, out), out, context);
  });
  orders.on<v1::DecisionRejection>(
      [this, &context](const Received&, const v1::DecisionRejection& m) {
        persisted_->before_handle();
        runtime::Outbox out;
        return publish(core_->on_rejection(m, out), out, context);
      });
  orders.on<v1::CancelRequest>([this, &context](const Received&, const v1::CancelRequest& m) {
    persisted_->before_handle();
    runtime::Outbox out;
    return publish(core_->on_cancel(m, out), out, context);
  });
  // Bars run ahead of the decisions each one waits for; bound the queue
  // (docs/services/execsim.md, "Backpressure").
  constexpr size_t kMaxWaitingBars = 32;
  context.add_input({.durable = "execsim-bars",
                     .stream = std::string(runtime::topology::kMarketData),
                     .filter_subject = "md.bar.>",
                     .accepting = [this] { return core_->waiting_bars() < kMaxWaitingBars; }},
                    bars);
  context.add_input({.durable = "execsim-orders",
                     .stream = std::string(runtime::topology::kOrders),
                     .filter_subject = "orders.>"},
                    orders);
  context.set_checkpointed(*persisted_);

  if (!config_.grpc_address.empty()) {
    auto db = store::Database::connect(
        {.connection_string = runtime::database_connection_string(context.common())});
    if (!db) return std::unexpected(db.error());
    portfolio_ = std::make_unique<PortfolioGrpcService>(std::move(*db));
    auto server = rpc::GrpcServer::start(config_.grpc_address, {portfolio_.get()});
    if (!server) return std::unexpected(server.error());
    server_ = std::move(*server);
    server_->attach(context, [svc = portfolio_.get()](bool on) { svc->set_serving(on); });
    log::info("PortfolioService listening",
              {{"address", config_.grpc_address}, {"port", server_->port()}});
  }
  return ok();
}

}  // namespace tp::execsim
