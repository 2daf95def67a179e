// The ledger's tables (services/ledger/migrations): batched appends of
// entries and Merkle tree nodes (COPY, in the checkpoint transaction),
// chunked reads, proofs from stored nodes, signed tree heads, queries, and
// verify_ledger (chain + tree + signed tree heads).
//
//   // in Checkpointed::persist(pqxx::work& tx):
//   if (auto s = tp::ledger::write_batch(tx, core.unwritten(), core.unwritten_nodes()); !s) return s;
//
//   auto report = tp::ledger::verify_ledger(db, {.from = 0});
//   if (report && report->broken) std::cout << report->broken->reason;
//
// Thread safety: as the pqxx transaction / store::Database passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ledger/core/chain_verifier.h"
#include "ledger/core/entry.h"
#include "ledger/core/merkle.h"
#include "ledger/core/tree_head.h"
#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::ledger {

// ---- writes

// Appends the rows with COPY. A (stream, stream_sequence) or index already
// present fails the transaction (kAlreadyExists via store::Database), which
// is the last line of defence against duplicates.
[[nodiscard]] Status write_entries(pqxx::work& tx, std::span<const Entry> entries);
// Appends tree nodes with COPY; a (level, index) already present fails.
[[nodiscard]] Status write_tree_nodes(pqxx::work& tx, std::span<const TreeNode> nodes);
// Both, as one batch of the ledger.
[[nodiscard]] Status write_batch(pqxx::work& tx, std::span<const Entry> entries,
                                 std::span<const TreeNode> nodes);

// The append-only writer role of migration ledger/0002, if it exists and
// the session may switch to it; nullopt otherwise.
[[nodiscard]] Result<std::optional<std::string>> writer_role(pqxx::work& tx);
inline constexpr const char* kWriterRole = "tp_ledger_writer";

// ---- reads

// Rows [from, from + limit) that exist, in index order.
[[nodiscard]] Result<std::vector<Entry>> read_entries(pqxx::work& tx, uint64_t from,
                                                      uint64_t limit);
// Entries in the table: max(index) + 1, 0 when empty.
[[nodiscard]] Result<uint64_t> stored_size(pqxx::work& tx);

using NodeKey = std::pair<uint32_t, uint64_t>;
// The stored nodes among `wanted` (one query); missing ones are absent.
[[nodiscard]] Result<std::map<NodeKey, Digest>> read_tree_nodes(pqxx::work& tx,
                                                                const std::vector<NodeKey>& wanted);
// Root and proofs from stored nodes (kDataLoss if a needed node is missing).
[[nodiscard]] Result<Digest> stored_root(pqxx::work& tx, uint64_t size);
[[nodiscard]] Result<std::vector<Digest>> stored_inclusion_proof(pqxx::work& tx, uint64_t leaf,
                                                                 uint64_t size);
[[nodiscard]] Result<std::vector<Digest>> stored_consistency_proof(pqxx::work& tx, uint64_t first,
                                                                   uint64_t second);

// ---- signed tree heads

[[nodiscard]] Status store_signing_key(pqxx::work& tx, const std::string& key_id,
                                       const std::string& public_key, int64_t now_ns);
// key_id -> raw public key.
[[nodiscard]] Result<std::map<std::string, std::string>> signing_keys(pqxx::work& tx);
// Inserts unless a head of that size exists; returns the stored head of
// that size either way.
[[nodiscard]] Result<SignedTreeHead> store_tree_head(pqxx::work& tx, const SignedTreeHead& head);
[[nodiscard]] Result<std::optional<SignedTreeHead>> load_tree_head(pqxx::work& tx, uint64_t size);
[[nodiscard]] Result<std::optional<SignedTreeHead>> latest_tree_head(pqxx::work& tx);
// Heads with first <= tree_size <= last, by size.
[[nodiscard]] Result<std::vector<SignedTreeHead>> tree_heads_between(pqxx::work& tx, uint64_t first,
                                                                     uint64_t last);

// ---- queries

struct EntryQuery {
  uint64_t from_index = 0;
  std::optional<uint64_t> to_index;     // exclusive
  std::optional<int64_t> from_time_ns;  // published_ns >= (the signed time)
  std::optional<int64_t> to_time_ns;    // published_ns <  (exclusive)
  std::string correlation_id;           // exact; empty = any
  std::string subject_prefix;           // empty = any
  std::string message_type;             // exact; empty = any
  uint32_t limit = 1000;                // 0 = 1000; capped at kMaxQueryLimit
  bool with_payload = true;
  // Order by the signed publish time (then index) instead of index. The
  // ledger consumes streams concurrently, so index order across streams is
  // not causal; publish times are (bar -> signal -> order -> fill).
  bool by_published_time = false;
};
inline constexpr uint32_t kMaxQueryLimit = 10'000;
// Matching entries, in index order or by published time.
[[nodiscard]] Result<std::vector<Entry>> query_entries(pqxx::work& tx, const EntryQuery& query);

// ---- rebuilding the tree

// Computes and stores the tree nodes of entries [0, size) that are missing
// (a database written before migration ledger/0002), in chunks, and
// returns the compact range of size `size`.
[[nodiscard]] Result<CompactRange> backfill_tree(store::Database& db, uint64_t size);

// ---- verification

// What an earlier verification established about entries [0, next_index):
// the entry hash of next_index - 1 and, if the tree was checked, the Merkle
// tree's compact range. Held in memory by the verifier, so a later
// incremental run trusts it rather than the stored rows it replaces.
struct VerifiedPrefix {
  uint64_t next_index = 0;
  std::string last_hash;  // raw 32 bytes; the zero hash for next_index == 0
  bool tree_checked = false;
  CompactRange tree;      // of entries [0, next_index) when tree_checked
};

struct VerifyOptions {
  uint64_t from = 0;  // ignored when `seed` is set (from = seed->next_index)
  // Incremental verification: continue from an earlier verified prefix. The
  // stored entry hash of next_index - 1 and the stored perfect subtrees of
  // [0, next_index) must still equal it (else reported at that entry);
  // rows before it are not re-read.
  std::optional<VerifiedPrefix> seed;
  std::optional<uint64_t> to;  // inclusive; empty = to the end of the log
  uint64_t chunk_rows = 20'000;
  // Called after every chunk with the number of rows checked so far.
  std::function<void(uint64_t)> progress;
  // The tree-head public key pinned by the auditor (raw 32 bytes). Without
  // it, heads are checked against the keys in ledger_signing_keys, which
  // an attacker with the database could have replaced.
  std::optional<std::string> public_key;
  unsigned threads = 0;  // hashing threads; 0 = hardware concurrency
};

struct VerifyReport {
  uint64_t from = 0;
  uint64_t checked = 0;  // entries that verified
  // Chain head recorded in the ledger's checkpoint, if any: the log must be
  // at least this long (a deleted tail is otherwise invisible).
  std::optional<uint64_t> checkpoint_next_index;
  std::optional<ChainBreak> broken;
  // The Merkle tree: whether it was recomputed (the schema has it and the
  // nodes before `from` exist), its size and root after the last verified entry.
  bool tree_checked = false;
  uint64_t tree_size = 0;
  Digest root{};
  uint64_t nodes_checked = 0;       // stored nodes compared
  uint64_t tree_heads_checked = 0;  // signed tree heads whose root and signature matched
  std::optional<SignedTreeHead> latest_tree_head;  // the largest one checked
  bool key_pinned = false;          // signatures checked against VerifyOptions::public_key
  // The verified prefix [0, checked end) when nothing is broken: the seed of
  // the next incremental run.
  std::optional<VerifiedPrefix> verified;
  std::vector<std::string> notes;   // what could not be checked and why
};

// Recomputes the chain over [from, to] in one repeatable-read snapshot,
// reading chunk_rows rows at a time, and with it the Merkle tree: every
// stored node of the range must equal the recomputed one, every signed tree
// head of a size in [from + 1, to + 1] must carry the recomputed root and a
// valid signature, and the checkpoint's compact range must match. The
// first problem (lowest index) is reported. Errors are database errors
// only; a broken log is a report with `broken` set.
[[nodiscard]] Result<VerifyReport> verify_ledger(store::Database& db, const VerifyOptions& options);

}  // namespace tp::ledger
