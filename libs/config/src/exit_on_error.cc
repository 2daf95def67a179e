#include "tp/config/exit_on_error.h"

#include <cstdio>
#include <cstdlib>

namespace tp::config {

void exit_with_config_error(const Error& error) {
  // The message alone: it already names the file and every field, and the
  // "invalid_argument: " code prefix means nothing to an operator.
  std::fprintf(stderr, "%s\n", error.message.c_str());
  std::fflush(stderr);
  std::exit(kConfigErrorExitCode);
}

}  // namespace tp::config
