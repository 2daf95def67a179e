// The signal service shell: reads its config, wires the MD bars and PARAMS
// choices into SignalCore and publishes the signals (docs/services/signal.md).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<tp::signal::SignalService>());
//
// Threading: both inputs run under the runtime's batch mutex, so the core is
// never called concurrently; the service adds no threads of its own.
#pragma once

#include <memory>
#include <optional>

#include "signal/core/signal_core.h"
#include "tp/runtime/service.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace tp::signal {

// Reads the service's own keys (documented in docs/services/signal.md).
SignalCoreConfig read_signal_config(config::Reader& reader);

class SignalService final : public runtime::Service {
 public:
  std::string name() const override { return "signal"; }
  void read_config(config::Reader& reader) override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;

 private:
  bus::HandleResult settle(const Verdict& verdict, std::string_view input,
                           runtime::Outbox& out, runtime::ServiceContext& context);

  SignalCoreConfig config_;
  std::optional<SignalCore> core_;
  prometheus::Family<prometheus::Counter>* ignored_ = nullptr;
  prometheus::Counter* emitted_ = nullptr;
};

}  // namespace tp::signal
