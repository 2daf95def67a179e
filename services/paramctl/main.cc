// The paramctl binary: parameter presets, per-bar choices, outcomes, ParamService gRPC.
#include "paramctl/paramctl_service.h"

int main(int argc, char** argv) {
  return tp::runtime::run_service(argc, argv, std::make_unique<tp::paramctl::ParamctlService>());
}
