// The execsim service shell (paper venue): config, inputs (bars, decision
// outputs, cancels) routed to the pure ExecsimCore, outputs published through
// the runtime, rows written to PostgreSQL in the checkpoint transaction,
// execsim-specific metrics, and the gRPC PortfolioService on grpc.address
// (answered from those tables through a database connection of its own).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<ExecsimService>());
//
// Threading: the runtime calls the input handlers under one batch mutex, so
// the core, the persistence adapter and the metric updates need no locking.
#pragma once

#include <memory>

#include "execsim/core/execsim_core.h"
#include "execsim/execsim_store.h"
#include "tp/runtime/service.h"

namespace prometheus {
class Gauge;
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace tp::rpc {
class GrpcServer;
}

namespace tp::execsim {

class PortfolioGrpcService;

class ExecsimService final : public runtime::Service {
 public:
  std::string name() const override { return "execsim"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;
  void stop() override;
  ExecsimService();
  ~ExecsimService() override;

 private:
  bus::HandleResult publish(bus::HandleResult result, runtime::Outbox& out,
                            runtime::ServiceContext& context);

  ExecsimConfig config_;
  std::unique_ptr<ExecsimCore> core_;
  std::unique_ptr<PersistedExecsim> persisted_;
  prometheus::Family<prometheus::Counter>* reports_ = nullptr;
  prometheus::Counter* outcomes_ = nullptr;
  prometheus::Gauge* waiting_bars_ = nullptr;
  prometheus::Gauge* working_orders_ = nullptr;
  std::unique_ptr<PortfolioGrpcService> portfolio_;
  std::unique_ptr<rpc::GrpcServer> server_;
};

}  // namespace tp::execsim
