#include "paramctl/param_grpc.h"

#include <cmath>

#include "paramctl/preset_store.h"
#include "tp/rpc/grpc_server.h"
#include "tp/observability/log.h"

namespace tp::paramctl {
namespace {

using rpc::to_grpc;

grpc::Status starting() { return rpc::starting("paramctl"); }

}  // namespace

grpc::Status ParamGrpcService::RegisterPreset(grpc::ServerContext*,
                                              const trading::v1::RegisterPresetRequest* request,
                                              trading::v1::RegisterPresetResponse* response) {
  if (!serving_) return starting();
  std::lock_guard lock(register_mu_);
  const auto& preset = request->preset();
  if (auto s = core_.check_preset(preset); !s) return to_grpc(s.error());
  auto created = upsert_preset(db_, preset);
  if (!created) return to_grpc(created.error());
  core_.upsert_preset(preset);
  for (const auto& p : core_.list_presets(preset.strategy()))
    if (p.preset_id() == preset.preset_id()) *response->mutable_preset() = p;
  response->set_created(*created);
  log::info("preset registered", {{"preset_id", preset.preset_id()},
                                  {"strategy", preset.strategy()},
                                  {"enabled", preset.enabled()},
                                  {"created", *created}});
  return grpc::Status::OK;
}

grpc::Status ParamGrpcService::ListPresets(grpc::ServerContext*,
                                           const trading::v1::ListPresetsRequest* request,
                                           trading::v1::ListPresetsResponse* response) {
  if (!serving_) return starting();
  for (auto& p : core_.list_presets(request->strategy())) *response->add_presets() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status ParamGrpcService::Select(grpc::ServerContext*,
                                      const trading::v1::SelectRequest* request,
                                      trading::v1::SelectResponse* response) {
  if (!serving_) return starting();
  const int64_t t =
      request->trace().event_time_ns() > 0 ? request->trace().event_time_ns() : clock_.now_ns();
  const auto& inst = request->instrument();
  const std::string id = "sel:" + request->strategy() + ":" + inst.venue() + ":" + inst.symbol() +
                         ":" + std::to_string(t);
  auto choice = core_.select(request->strategy(), inst, request->context(), t, id);
  if (!choice) return to_grpc(choice.error());
  choice->mutable_trace()->set_correlation_id(request->trace().correlation_id());
  const auto& z = choice->context().standardized();
  DecisionRow row{id,
                  request->strategy(),
                  inst.venue(),
                  inst.symbol(),
                  choice->preset().preset_id(),
                  context_json(choice->context()),
                  t,
                  std::vector<double>(z.begin(), z.end())};
  if (auto s = record_decision(db_, row); !s) return to_grpc(s.error());
  *response->mutable_choice() = std::move(*choice);
  return grpc::Status::OK;
}

grpc::Status ParamGrpcService::Learn(grpc::ServerContext*,
                                     const trading::v1::LearnRequest* request,
                                     trading::v1::LearnResponse* response) {
  if (!serving_) return starting();
  if (request->decision_id().empty())
    return {grpc::StatusCode::INVALID_ARGUMENT, "decision_id is required"};
  if (!std::isfinite(request->reward()))
    return {grpc::StatusCode::INVALID_ARGUMENT, "reward must be finite"};
  auto result = feed_.learn(request->decision_id(), request->reward());
  if (!result) return to_grpc(result.error());
  response->set_applied(result->applied);
  response->set_text(result->text);
  return grpc::Status::OK;
}

grpc::Status ParamGrpcService::Inspect(grpc::ServerContext*,
                                       const trading::v1::InspectRequest* request,
                                       trading::v1::InspectResponse* response) {
  if (!serving_) return starting();
  auto result = core_.inspect(request->strategy(), request->instrument());
  if (!result) return to_grpc(result.error());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace tp::paramctl
