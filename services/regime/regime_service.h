// The regime service: Bar(t) from MD -> RegimePosterior(t) on
// regime.<venue>.<symbol>.<tf> (docs/services/regime.md).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<tp::regime::RegimeService>());
//
// One input, durable "regime-bars" on MD filtered "md.bar.>"; the core is
// checkpointed after every batch. No workers.
//
// Threads: read_config/start on the main thread; the handler on the
// consumer loop thread, under the runtime's batch mutex.
#pragma once

#include <memory>
#include <string>

#include "tp/regime/regime_core.h"
#include "tp/runtime/service.h"

namespace tp::regime {

class RegimeService final : public runtime::Service {
 public:
  std::string name() const override { return "regime"; }
  void read_config(config::Reader& reader) override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;

  const EwmaConfig& model_config() const { return model_config_; }

 private:
  EwmaConfig model_config_;
  std::unique_ptr<RegimeCore> core_;
};

}  // namespace tp::regime
