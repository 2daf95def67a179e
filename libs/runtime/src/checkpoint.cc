#include "tp/runtime/checkpoint.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace tp::runtime {

store::MigrationSet checkpoint_migrations() {
  return {"runtime",
          {{1, "checkpoints",
            "CREATE TABLE IF NOT EXISTS tp_checkpoints (\n"
            "  service text PRIMARY KEY,\n"
            "  snapshot bytea NOT NULL,\n"
            "  applied jsonb NOT NULL,\n"
            "  updated_at timestamptz NOT NULL DEFAULT now()\n"
            ");\n"}}};
}

CheckpointStore::CheckpointStore(store::Database& db, std::string service)
    : db_(db), service_(std::move(service)) {}

Result<std::optional<Checkpoint>> CheckpointStore::load() {
  return db_.transact_value<std::optional<Checkpoint>>(
      [&](pqxx::work& tx) -> Result<std::optional<Checkpoint>> {
        auto rows = tx.exec_params("SELECT snapshot, applied::text FROM tp_checkpoints WHERE service = $1",
                                   service_);
        if (rows.empty()) return std::optional<Checkpoint>{};
        Checkpoint cp;
        pqxx::binarystring bytes(rows[0][0]);
        cp.snapshot = bytes.str();
        auto applied = nlohmann::json::parse(rows[0][1].c_str(), nullptr, false);
        if (applied.is_discarded() || !applied.is_object())
          return make_error(ErrorCode::kDataLoss,
                            "checkpoint of " + service_ + ": applied sequences are not a JSON object");
        for (auto& [k, v] : applied.items()) {
          if (!v.is_number_unsigned())
            return make_error(ErrorCode::kDataLoss, "checkpoint of " + service_ + ": sequence of " +
                                                        k + " is not an unsigned integer");
          cp.applied[k] = v.get<uint64_t>();
        }
        return std::optional<Checkpoint>(std::move(cp));
      });
}

Status CheckpointStore::save(const Checkpoint& checkpoint,
                             const std::function<Status(pqxx::work&)>& same_transaction) {
  nlohmann::json applied = nlohmann::json::object();
  for (const auto& [k, v] : checkpoint.applied) applied[k] = v;
  const std::string applied_text = applied.dump();
  return db_.transact([&](pqxx::work& tx) -> Status {
    if (same_transaction) {
      if (auto s = same_transaction(tx); !s) return s;
    }
    pqxx::binarystring bytes(checkpoint.snapshot.data(), checkpoint.snapshot.size());
    tx.exec_params(
        "INSERT INTO tp_checkpoints (service, snapshot, applied, updated_at) "
        "VALUES ($1, $2, $3::jsonb, now()) "
        "ON CONFLICT (service) DO UPDATE SET snapshot = EXCLUDED.snapshot, "
        "applied = EXCLUDED.applied, updated_at = now()",
        service_, bytes, applied_text);
    return ok();
  });
}

}  // namespace tp::runtime
