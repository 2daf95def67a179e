// Issues signed tree heads over the committed log (docs/ledger.md, "Signed
// tree heads"): the size is the number of committed entries, the root is
// computed from the stored tree nodes, and a new head is signed only if the
// stored tree is consistent with the latest head already issued (an RFC
// 6962 consistency proof from the stored nodes, verified), so the ledger
// never signs a rewritten history.
//
//   TreeHeadIssuer issuer(db, signer, SystemClock::instance());
//   auto head = issuer.publish_latest();   // periodic
//   auto old = issuer.head_at(1000);       // GetTreeHead(tree_size = 1000)
//
// Thread safety: any thread; signing is serialised by a mutex, the database
// by store::Database.
#pragma once

#include <mutex>

#include "ledger/core/tree_head.h"
#include "tp/core/clock.h"
#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::ledger {

class TreeHeadIssuer {
 public:
  TreeHeadIssuer(store::Database& db, const TreeHeadSigner& signer, const Clock& clock)
      : db_(db), signer_(signer), clock_(clock) {}

  // Records the signer's public key in ledger_signing_keys.
  [[nodiscard]] Status register_key();
  // The head of the current committed size: the latest stored one if the
  // log has not grown, else a new one (checked, signed, stored).
  [[nodiscard]] Result<SignedTreeHead> publish_latest();
  // The stored head of `size`, or a new one if none was issued for that
  // size (checked against the latest smaller head). kNotFound if the log
  // is shorter than `size`.
  [[nodiscard]] Result<SignedTreeHead> head_at(uint64_t size);
  // The latest stored head, publishing one if none exists yet.
  [[nodiscard]] Result<SignedTreeHead> latest();

 private:
  Result<SignedTreeHead> issue(pqxx::work& tx, uint64_t size);

  store::Database& db_;
  const TreeHeadSigner& signer_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace tp::ledger
