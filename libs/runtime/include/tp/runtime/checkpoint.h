// Checkpoints: a core's state plus the last stream sequence it applied per
// input consumer, stored in PostgreSQL so a restarted service continues
// exactly where it stopped (docs/pipeline.md, "Restarts").
//
//   CheckpointStore store(db, "decision");
//   auto saved = store.load();             // nullopt on first start
//   store.save({core.snapshot(), applied}, [&](pqxx::work& tx) { ... same transaction ... });
//
// Table tp_checkpoints(service text primary key, snapshot bytea, applied
// jsonb, updated_at timestamptz), created by checkpoint_migrations().
//
// Thread safety: as store::Database (calls are serialised).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "tp/core/error.h"
#include "tp/store/database.h"
#include "tp/store/migrations.h"

namespace tp::runtime {

// A core whose state survives restarts.
class Checkpointed {
 public:
  virtual ~Checkpointed() = default;
  virtual std::string snapshot() const = 0;
  [[nodiscard]] virtual Status restore(std::string_view snapshot) = 0;
  // Domain rows to write in the checkpoint's transaction (e.g. fills).
  [[nodiscard]] virtual Status persist(pqxx::work&) { return ok(); }
  // Forget rows queued for persist() when a batch is abandoned.
  virtual void discard_pending() {}
};

struct Checkpoint {
  std::string snapshot;
  std::map<std::string, uint64_t> applied;  // durable consumer -> last applied stream sequence
};

store::MigrationSet checkpoint_migrations();

class CheckpointStore {
 public:
  CheckpointStore(store::Database& db, std::string service);
  [[nodiscard]] Result<std::optional<Checkpoint>> load();
  [[nodiscard]] Status save(const Checkpoint& checkpoint,
                            const std::function<Status(pqxx::work&)>& same_transaction = nullptr);

 private:
  store::Database& db_;
  std::string service_;
};

}  // namespace tp::runtime
