// Writes execsim's pending rows (orders, every report, fills, positions,
// closed trades, outcomes) into
// PostgreSQL inside the checkpoint transaction, and the Checkpointed adapter
// that ties the pure core to that transaction.
//
//   PersistedExecsim persisted(core);
//   ctx.set_checkpointed(persisted);
//   // in every handler, before calling the core:
//   persisted.before_handle();
//
// Table schemas: migrations/0001_execsim_tables.sql, docs/services/execsim.md.
// Every statement is idempotent (ON CONFLICT), so a transaction the
// Database re-runs, or a batch replayed after a crash, writes nothing twice.
//
// Thread safety: called under the runtime's batch mutex only.
#pragma once

#include "execsim/core/execsim_core.h"
#include "tp/runtime/checkpoint.h"

namespace tp::execsim {

[[nodiscard]] Status write_rows(pqxx::work& tx, const PendingRows& rows);

class PersistedExecsim final : public runtime::Checkpointed {
 public:
  explicit PersistedExecsim(ExecsimCore& core) : core_(core) {}

  std::string snapshot() const override { return core_.snapshot(); }
  [[nodiscard]] Status restore(std::string_view snapshot) override {
    written_ = false;
    return core_.restore(snapshot);
  }
  [[nodiscard]] Status persist(pqxx::work& tx) override;
  void discard_pending() override {
    core_.discard_pending();
    written_ = false;
  }
  // Rows written by a committed checkpoint are dropped before the next batch.
  // (Not in persist(): the Database may re-run a transaction body.)
  void before_handle() {
    if (!written_) return;
    core_.clear_pending_rows();
    written_ = false;
  }

 private:
  ExecsimCore& core_;
  bool written_ = false;
};

}  // namespace tp::execsim
