#include <iostream>
#include <memory>

#include "regime_cli.h"
#include "regime_service.h"

int main(int argc, char** argv) {
  if (argc > 1 && tp::regime::is_cli_command(argv[1])) return tp::regime::run_cli(argc, argv, std::cout, std::cerr);
  return tp::runtime::run_service(argc, argv, std::make_unique<tp::regime::RegimeService>());
}
