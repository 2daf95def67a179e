// The ledger service shell: one durable consumer per stream ("ledger-<STREAM>"),
// every verified message appended to the hash chain, entries written in the
// checkpoint transaction. See services/ledger/README.md.
//
// Threading: the runtime's consumer loops call the handler and the
// Checkpointed methods one batch at a time (shared batch mutex); the probe's
// prometheus metrics are thread-safe for the scraper.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/core/ledger_core.h"
#include "tp/runtime/service.h"

namespace tp::ledger {

class LedgerProbe;

class LedgerService final : public runtime::Service {
 public:
  LedgerService();
  ~LedgerService() override;

  std::string name() const override { return "ledger"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;

 private:
  class Checkpoint;
  LedgerCore core_;
  std::unique_ptr<LedgerProbe> probe_;
  std::unique_ptr<Checkpoint> checkpoint_;
};

}  // namespace tp::ledger
