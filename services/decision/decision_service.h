// The decision service shell: config, inputs (signals, regime posteriors,
// positions, kill switch) routed to the pure DecisionCore, outputs published
// through the runtime, and decision-specific metrics.
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<DecisionService>());
//
// Threading: the runtime calls the input handlers under one batch mutex, so
// the core and the metric updates need no locking of their own.
#pragma once

#include <memory>
#include <optional>

#include "decision/core/decision_core.h"
#include "tp/runtime/service.h"

namespace prometheus {
class Gauge;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace tp::decision {

class DecisionService final : public runtime::Service {
 public:
  std::string name() const override { return "decision"; }
  void read_config(config::Reader& reader) override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;

 private:
  bus::HandleResult publish(bus::HandleResult result, runtime::Outbox& out,
                            runtime::ServiceContext& context);

  DecisionConfig config_;
  std::unique_ptr<DecisionCore> core_;
  prometheus::Gauge* kill_switch_gauge_ = nullptr;
  prometheus::Gauge* pending_gauge_ = nullptr;
  prometheus::Counter* intents_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejections_ = nullptr;
};

}  // namespace tp::decision
