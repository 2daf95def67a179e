// The paramctl service shell: config (presets, strategies, gRPC address),
// preset seeding, the REGIME and PARAMS inputs and the ParamService gRPC
// server (docs/services/paramctl.md).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<tp::paramctl::ParamctlService>());
//
// Threading: both inputs run under the runtime's batch mutex; the gRPC
// server runs its own threads (built in start(), so a bad address fails the
// start; its "grpc" worker turns serving on once the checkpoint is restored
// and shuts the server down on stop). ParamCore locks itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "paramctl/core/lints_chooser.h"
#include "paramctl/core/param_core.h"
#include "tp/runtime/service.h"

namespace tp::rpc {
class GrpcServer;
}

namespace prometheus {
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace tp::paramctl {

class ParamGrpcService;
class RewardFeed;

struct ParamctlConfig {
  ParamCoreConfig core;
  std::vector<trading::v1::ParameterPreset> presets;  // seeded at start-up
  std::string grpc_address = "127.0.0.1:50061";
  std::string chooser = "lints";  // "lints" | "default"
  LinTsChooserConfig bandit;
};

// The chooser the config names.
[[nodiscard]] Result<std::unique_ptr<PresetChooser>> make_chooser(const ParamctlConfig& config);

// Reads the service's own keys; problems go to the reader.
ParamctlConfig read_paramctl_config(config::Reader& reader);

class ParamctlService final : public runtime::Service {
 public:
  ParamctlService();
  ~ParamctlService() override;
  std::string name() const override { return "paramctl"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;
  void stop() override;

  // The bound gRPC port (after start).
  int grpc_port() const;

 private:
  bus::HandleResult settle(const Verdict& verdict, std::string_view input, runtime::Outbox& out,
                           runtime::ServiceContext& context);

  ParamctlConfig config_;
  std::unique_ptr<ParamCore> core_;
  std::unique_ptr<RewardFeed> feed_;
  std::unique_ptr<ParamGrpcService> grpc_service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  prometheus::Family<prometheus::Counter>* ignored_ = nullptr;
  prometheus::Counter* choices_ = nullptr;
  prometheus::Gauge* held_ = nullptr;
  std::string logged_wait_;  // what the last "waiting" log line said
};

}  // namespace tp::paramctl
