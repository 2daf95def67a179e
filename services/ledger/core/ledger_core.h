// The ledger's pure core: turns every stream message into the next entry of
// the SHA-256 hash chain (docs/ledger.md).
//
//   tp::ledger::LedgerCore core;
//   core.append({.stream = "MD", .stream_sequence = 1, .subject = ..., ...});
//   // the shell writes core.unwritten() in the checkpoint transaction:
//   write_entries(tx, core.unwritten()); core.mark_written();
//
// State (checkpointed): the chain head (next index, last entry hash) and the
// last stream sequence appended per stream. A message at or below its
// stream's last sequence is a redelivery and is skipped, so the chain never
// holds a (stream, sequence) twice.
//
// Batches: entries appended since the last checkpoint are kept in
// unwritten() until the shell has written them. The checkpoint transaction
// may run its body more than once (a connection that broke before COMMIT),
// so writing does not consume them: mark_written() only records that they
// went into a transaction, and the next append() (which starts a new batch,
// because the runtime commits after every batch that reached a handler)
// drops them. discard_unwritten() (batch abandoned) drops them too; the
// runtime then restores the last checkpoint.
//
// Merkle tree: the core also keeps the tree's compact range (the roots of
// its perfect subtrees, docs/ledger.md "Merkle tree") and queues, with the
// entries, every perfect subtree an append completes (level 0 = the leaf
// hash), for the shell to store in ledger_tree_nodes in the same transaction.
//
// No I/O, no clock: every field comes from the message. Thread safety: none;
// the runtime serialises batches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/entry.h"
#include "ledger/core/merkle.h"
#include "tp/core/error.h"

namespace tp::ledger {

// What the ledger records of one stream message (views into the message).
struct Message {
  std::string_view stream;
  uint64_t stream_sequence = 0;
  std::string_view subject;
  std::string_view message_id;
  std::string_view producer;
  std::string_view message_type;
  std::string_view key_id;
  std::string_view payload;
  int64_t published_ns = 0;
  int64_t received_ns = 0;
  std::string_view correlation_id;
};

enum class AppendResult { kAppended, kDuplicate };

class LedgerCore {
 public:
  AppendResult append(const Message& message);

  uint64_t next_index() const { return next_index_; }
  const std::string& last_hash() const { return last_hash_; }
  // 0 when nothing of `stream` has been appended.
  uint64_t last_sequence(std::string_view stream) const;

  // Entries appended in the current batch, in index order.
  const std::vector<Entry>& unwritten() const { return unwritten_; }
  // Tree nodes completed by those entries.
  const std::vector<TreeNode>& unwritten_nodes() const { return unwritten_nodes_; }
  // The Merkle tree over every entry appended (size == next_index()).
  const CompactRange& tree() const { return tree_; }
  // A checkpoint written before the Merkle tree existed has no compact
  // range: the shell rebuilds it from the stored entries (backfill) and
  // hands it over with set_tree() before the first append.
  bool needs_tree() const { return needs_tree_; }
  [[nodiscard]] Status set_tree(CompactRange tree);
  // Records that unwritten() went into the checkpoint transaction. Returns
  // true the first time for a batch (so metrics count each entry once).
  bool mark_written();
  // The batch was abandoned: forget its entries (the caller restores the
  // chain head from the last checkpoint).
  void discard_unwritten();

  // JSON: {"last_hash":"<hex>","last_sequence":{"MD":7,...},"next_index":N,
  //        "tree":["<hex>",...]} (tree: the compact range, largest subtree first).
  std::string snapshot() const;
  // Replaces the state; unwritten entries are dropped. Errors name the
  // offending field, e.g. "ledger snapshot: last_hash must be 64 hex characters".
  [[nodiscard]] Status restore(std::string_view snapshot);

 private:
  uint64_t next_index_ = 0;
  std::string last_hash_ = zero_hash();
  std::map<std::string, uint64_t, std::less<>> last_sequence_;
  std::vector<Entry> unwritten_;
  std::vector<TreeNode> unwritten_nodes_;
  CompactRange tree_;
  bool needs_tree_ = false;
  bool written_ = false;
  std::string scratch_;
};

}  // namespace tp::ledger
