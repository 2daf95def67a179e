// Recomputes the ledger's hash chain from its rows and reports the first
// broken entry and why. Pure and streaming: feed rows in index order, one at
// a time (the caller reads them in chunks), memory stays bounded by the
// number of streams.
//
//   tp::ledger::ChainVerifier v;                 // from index 0
//   for (const auto& row : rows) if (!v.check(row)) break;
//   if (v.broken()) std::cout << v.broken()->reason;
//   // "hash mismatch at index 7: entry_hash is 3f.., recomputed 9a.."
//
// Checks per row, in this order (docs/ledger.md, "Verification"):
//   1. index continuity      "index gap at N: entry N is missing (next entry is M)"
//                             "index out of order at N: found entry M"
//   2. chain link            "previous hash mismatch at index N: previous_hash is X, expected Y"
//   3. payload digest        "payload digest mismatch at index N: payload_sha256 is X, payload hashes to Y"
//   4. entry hash            "hash mismatch at index N: entry_hash is X, recomputed Y"
//   5. stream sequence       "duplicated (stream, stream_sequence) (MD, 7) at index N: first at index K"
//                             "stream sequence out of order at index N: (MD, 5) after (MD, 7) at index K"
// Hashes are printed as lowercase hex.
//
// The verifier also rebuilds the Merkle tree (docs/ledger.md, "Merkle
// tree") over every entry that verified: tree() is the compact range of
// entries [0, next_index()), seeded with the tree of the entries before
// first_index for a partial verification. With collect_nodes(true), the
// perfect subtrees completed by the last check()/check_all() call are kept
// in completed_nodes() so the caller can compare them with stored ones.
//
// check_all() computes the per-entry hashes (payload digest, entry hash,
// leaf hash; each depends only on the row) in blocks on `threads` threads
// while the calling thread runs the sequential checks of every block as
// soon as it is hashed; the result is identical to check() row by row.
//
// Thread safety: none; one verifier per verification.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/entry.h"
#include "ledger/core/merkle.h"

namespace tp::ledger {

struct ChainBreak {
  uint64_t index = 0;  // the first entry that does not verify
  std::string reason;  // full sentence, starts with the kind of break
};

class ChainVerifier {
 public:
  // Verifies entries from `first_index`, whose previous_hash must equal
  // `expected_previous_hash` (the zero hash for index 0; the stored
  // entry_hash of first_index - 1 for a partial verification).
  // `tree` is the Merkle tree of entries [0, first_index); a tree of another
  // size disables the tree (tree_enabled() false).
  explicit ChainVerifier(uint64_t first_index = 0,
                         std::string expected_previous_hash = zero_hash(),
                         CompactRange tree = {});

  // Verifies the next row. Returns false once the chain is broken (this row
  // or an earlier one); later rows are ignored.
  bool check(const Entry& row);
  // Verifies rows in order, hashing on `threads` threads (>= 1).
  bool check_all(std::span<const Entry> rows, unsigned threads = 1);

  void collect_nodes(bool on) { collect_ = on; }
  const std::vector<TreeNode>& completed_nodes() const { return completed_; }
  bool tree_enabled() const { return tree_enabled_; }
  const CompactRange& tree() const { return tree_; }

  // Records that the rows ended although entry `expected_end` (exclusive)
  // was expected, e.g. the chain head of the ledger's checkpoint.
  void expect_end(uint64_t expected_end);

  uint64_t checked() const { return checked_; }     // rows that verified
  uint64_t next_index() const { return next_index_; }
  const std::string& last_hash() const { return previous_hash_; }
  const std::optional<ChainBreak>& broken() const { return broken_; }

 private:
  bool fail(uint64_t index, std::string reason);
  struct RowHashes {
    Digest payload;
    Digest entry;
    Digest leaf;
  };
  bool check_hashed(const Entry& row, const RowHashes& h);

  struct StreamPosition {
    uint64_t sequence = 0;
    uint64_t index = 0;
  };

  uint64_t next_index_;
  std::string previous_hash_;
  uint64_t checked_ = 0;
  std::optional<ChainBreak> broken_;
  std::map<std::string, StreamPosition, std::less<>> streams_;
  std::string scratch_;
  CompactRange tree_;
  bool tree_enabled_ = true;
  bool collect_ = false;
  std::vector<TreeNode> completed_;
  std::vector<RowHashes> hashes_;
};

}  // namespace tp::ledger
