// The signal service binary: strategies on bars joined with paramctl's choices.
#include "signal/signal_service.h"

int main(int argc, char** argv) {
  return tp::runtime::run_service(argc, argv, std::make_unique<tp::signal::SignalService>());
}
