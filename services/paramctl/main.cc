// The paramctl binary: parameter presets, per-bar choices (LinTS bandit),
// outcomes, ParamService gRPC; `paramctl simulate` runs offline.
#include <iostream>

#include "paramctl/paramctl_cli.h"
#include "paramctl/paramctl_service.h"

int main(int argc, char** argv) {
  if (argc > 1 && tp::paramctl::is_cli_command(argv[1]))
    return tp::paramctl::run_cli(argc, argv, std::cout, std::cerr);
  return tp::runtime::run_service(argc, argv, std::make_unique<tp::paramctl::ParamctlService>());
}
