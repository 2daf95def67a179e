#include "tree_heads.h"

#include <pqxx/pqxx>

#include "ledger/store/ledger_table.h"

namespace tp::ledger {

Status TreeHeadIssuer::register_key() {
  return db_.transact([&](pqxx::work& tx) {
    return store_signing_key(tx, signer_.key_id(), signer_.public_key(), clock_.now_ns());
  });
}

Result<SignedTreeHead> TreeHeadIssuer::issue(pqxx::work& tx, uint64_t size) {
  if (auto stored = load_tree_head(tx, size); !stored) {
    return std::unexpected(stored.error());
  } else if (*stored) {
    return **stored;
  }
  auto root = stored_root(tx, size);
  if (!root) return std::unexpected(root.error());
  // The nearest smaller head already issued must be a prefix of this tree.
  pqxx::result r = tx.exec_params(
      "SELECT tree_size, root_hash FROM ledger_tree_heads WHERE tree_size < $1 "
      "ORDER BY tree_size DESC LIMIT 1",
      static_cast<int64_t>(size));
  if (!r.empty()) {
    const auto first = r[0][0].as<uint64_t>();
    auto first_root = to_digest(pqxx::binarystring(r[0][1]).str());
    if (!first_root) return std::unexpected(first_root.error());
    auto proof = stored_consistency_proof(tx, first, size);
    if (!proof) return std::unexpected(proof.error());
    if (auto ok = verify_consistency(first, size, *first_root, *root, *proof); !ok)
      return make_error(ErrorCode::kDataLoss,
                        "refusing to sign a tree head of size " + std::to_string(size) +
                            ": the stored tree does not extend the head of size " +
                            std::to_string(first) + " already signed (" + ok.error().message + ")");
  }
  // ...and a prefix of the nearest larger one (a head asked for an old size).
  r = tx.exec_params(
      "SELECT tree_size, root_hash FROM ledger_tree_heads WHERE tree_size > $1 "
      "ORDER BY tree_size LIMIT 1",
      static_cast<int64_t>(size));
  if (!r.empty()) {
    const auto second = r[0][0].as<uint64_t>();
    auto second_root = to_digest(pqxx::binarystring(r[0][1]).str());
    if (!second_root) return std::unexpected(second_root.error());
    auto proof = stored_consistency_proof(tx, size, second);
    if (!proof) return std::unexpected(proof.error());
    if (auto ok = verify_consistency(size, second, *root, *second_root, *proof); !ok)
      return make_error(ErrorCode::kDataLoss,
                        "refusing to sign a tree head of size " + std::to_string(size) +
                            ": the stored tree is not a prefix of the head of size " +
                            std::to_string(second) + " already signed (" + ok.error().message + ")");
  }
  return store_tree_head(tx, signer_.sign(size, *root, clock_.now_ns()));
}

Result<SignedTreeHead> TreeHeadIssuer::publish_latest() {
  std::lock_guard lock(mu_);
  return db_.transact_value<SignedTreeHead>([&](pqxx::work& tx) -> Result<SignedTreeHead> {
    auto size = stored_size(tx);
    if (!size) return std::unexpected(size.error());
    return issue(tx, *size);
  });
}

Result<SignedTreeHead> TreeHeadIssuer::head_at(uint64_t size) {
  std::lock_guard lock(mu_);
  return db_.transact_value<SignedTreeHead>([&](pqxx::work& tx) -> Result<SignedTreeHead> {
    if (auto stored = load_tree_head(tx, size); !stored) {
      return std::unexpected(stored.error());
    } else if (*stored) {
      return **stored;
    }
    auto have = stored_size(tx);
    if (!have) return std::unexpected(have.error());
    if (size > *have)
      return make_error(ErrorCode::kNotFound, "the log has " + std::to_string(*have) +
                                                  " entries, fewer than " + std::to_string(size));
    return issue(tx, size);
  });
}

Result<SignedTreeHead> TreeHeadIssuer::latest() {
  {
    std::lock_guard lock(mu_);
    auto head = db_.transact_value<std::optional<SignedTreeHead>>(
        [&](pqxx::work& tx) { return latest_tree_head(tx); });
    if (!head) return std::unexpected(head.error());
    if (*head) return **head;
  }
  return publish_latest();
}

}  // namespace tp::ledger
