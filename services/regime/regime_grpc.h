// trading.v1.RegimeService over the model registry (docs/services/regime-hmm.md):
//   Train       fit a version on bars stored in regime_bars, register it
//               (20% of the observations held out for validation)
//   Predict     one observation -> state and regime posterior
//   GetModel, ListModels
//   Promote     registry row + signed ModelPromoted on ctl.model
//
// Threading: gRPC threads. The registry's Database serialises calls; the
// promotion publisher is guarded by its own mutex; loaded versions are
// cached (immutable, shared).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "model_registry.h"
#include "tp/bus/publisher.h"
#include "trading/v1/services.grpc.pb.h"

namespace tp::regime {

struct TrainDefaults {
  double validation_fraction = 0.2;
  hmm::FitOptions fit;
};

// What the registry knows about a version, as the API returns it.
trading::v1::ModelInfo to_model_info(const ModelRecord& record);

class RegimeGrpcService final : public trading::v1::RegimeService::Service {
 public:
  RegimeGrpcService(ModelRegistry& registry, bus::Publisher& promotions, TrainDefaults defaults)
      : registry_(registry), promotions_(promotions), defaults_(std::move(defaults)) {}

  void set_serving(bool serving) { serving_ = serving; }

  grpc::Status Train(grpc::ServerContext*, const trading::v1::TrainRequest*, trading::v1::TrainResponse*) override;
  grpc::Status Predict(grpc::ServerContext*, const trading::v1::PredictRequest*,
                       trading::v1::PredictResponse*) override;
  grpc::Status GetModel(grpc::ServerContext*, const trading::v1::GetModelRequest*, trading::v1::ModelInfo*) override;
  grpc::Status ListModels(grpc::ServerContext*, const trading::v1::ListModelsRequest*,
                          trading::v1::ListModelsResponse*) override;
  grpc::Status Promote(grpc::ServerContext*, const trading::v1::PromoteRequest*,
                       trading::v1::PromoteResponse*) override;

 private:
  Result<std::shared_ptr<const HmmModelVersion>> version(const std::string& name);

  ModelRegistry& registry_;
  bus::Publisher& promotions_;
  TrainDefaults defaults_;
  std::atomic<bool> serving_{false};
  std::mutex publish_mu_;
  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const HmmModelVersion>> cache_;
};

}  // namespace tp::regime
