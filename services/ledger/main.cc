#include "ledger_service.h"

int main(int argc, char** argv) {
  return tp::runtime::run_service(argc, argv, std::make_unique<tp::ledger::LedgerService>());
}
