// The regime service: Bar(t) from MD -> RegimePosterior(t) on
// regime.<venue>.<symbol>.<tf> (docs/services/regime.md, regime-hmm.md).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<tp::regime::RegimeService>());
//
// Inputs:
//   regime-bars     MD "md.bar.>": one posterior per bar; each bar is also
//                   stored in regime_bars (the checkpoint's transaction)
//   regime-control  CTL "ctl.model": ModelPromoted -> hot reload between
//                   two bars, if it names the registry's latest promotion
// The model at a first start is the registry's promoted version, or the
// "ewma-v1" fallback while none is promoted; after that the checkpoint
// says which version is active. gRPC RegimeService on grpc.address.
//
// Threads: read_config/start on the main thread; both inputs on consumer
// loop threads under the runtime's batch mutex; gRPC on its own threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tp/regime/regime_core.h"
#include "tp/runtime/service.h"
#include "trading/v1/market_data.pb.h"

namespace tp::rpc {
class GrpcServer;
}

namespace tp::bus {
class Publisher;
}

namespace tp::regime {

class ModelRegistry;
class RegimeGrpcService;

struct RegimeServiceConfig {
  EwmaConfig fallback;
  int64_t history_bars = RegimeCore::kDefaultHistoryBars;
  bool store_bars = true;
  std::string grpc_address = "127.0.0.1:50062";
  double train_validation_fraction = 0.2;
  int train_restarts = 8;
  int train_max_iterations = 300;
};

class RegimeService final : public runtime::Service {
 public:
  RegimeService();
  ~RegimeService() override;

  std::string name() const override { return "regime"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;
  void stop() override;

  const RegimeServiceConfig& config() const { return config_; }

 private:
  class Persisted;

  RegimeServiceConfig config_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<RegimeCore> core_;
  std::unique_ptr<Persisted> persisted_;
  std::unique_ptr<bus::Publisher> promotions_;
  std::unique_ptr<RegimeGrpcService> grpc_service_;
  std::unique_ptr<rpc::GrpcServer> server_;
};

}  // namespace tp::regime
