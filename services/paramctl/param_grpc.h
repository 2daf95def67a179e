// ParamService (proto/trading/v1/services.proto) over ParamCore and the
// paramctl tables.
//
//   ParamGrpcService service(core, db, clock);
//   builder.RegisterService(&service);
//   service.set_serving(true);   // once the core's checkpoint is restored
//
// RegisterPreset validates (ParamCore::check_preset), upserts the row and
// then the in-memory catalogue; ListPresets reads the catalogue; Select asks
// the chooser for a choice with id "sel:<strategy>:<venue>:<symbol>:<ns>"
// (trace.event_time_ns, or now) and records it (with the standardised
// context) in paramctl_decisions; Learn records a reward for a recorded
// decision and the chooser learns it (RewardFeed); Inspect returns per-arm
// counts and the posterior mean and stddev.
// Until set_serving(true) every call answers UNAVAILABLE.
//
// Thread safety: gRPC calls it from its own threads; ParamCore locks itself,
// the Database serialises queries, registrations are serialised here.
#pragma once

#include <atomic>
#include <mutex>

#include <grpcpp/grpcpp.h>

#include "paramctl/core/param_core.h"
#include "paramctl/reward_feed.h"
#include "tp/core/clock.h"
#include "tp/store/database.h"
#include "trading/v1/services.grpc.pb.h"

namespace tp::paramctl {

class ParamGrpcService final : public trading::v1::ParamService::Service {
 public:
  ParamGrpcService(ParamCore& core, store::Database& db, RewardFeed& feed, const Clock& clock)
      : core_(core), db_(db), feed_(feed), clock_(clock) {}

  void set_serving(bool serving) { serving_ = serving; }
  bool serving() const { return serving_; }

  grpc::Status RegisterPreset(grpc::ServerContext*, const trading::v1::RegisterPresetRequest*,
                              trading::v1::RegisterPresetResponse*) override;
  grpc::Status ListPresets(grpc::ServerContext*, const trading::v1::ListPresetsRequest*,
                           trading::v1::ListPresetsResponse*) override;
  grpc::Status Select(grpc::ServerContext*, const trading::v1::SelectRequest*,
                      trading::v1::SelectResponse*) override;
  grpc::Status Learn(grpc::ServerContext*, const trading::v1::LearnRequest*,
                     trading::v1::LearnResponse*) override;
  grpc::Status Inspect(grpc::ServerContext*, const trading::v1::InspectRequest*,
                       trading::v1::InspectResponse*) override;

 private:
  ParamCore& core_;
  store::Database& db_;
  RewardFeed& feed_;
  const Clock& clock_;
  std::atomic<bool> serving_{false};
  std::mutex register_mu_;
};

}  // namespace tp::paramctl
