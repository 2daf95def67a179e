// The ledger's RFC 6962 Merkle tree (docs/ledger.md, "Merkle tree"): hashes,
// an incremental compact range, proofs built from stored perfect subtrees,
// and the RFC 9162 verification algorithms.
//
//   leaf hash  = SHA-256(0x00 || canonical_encoding(entry))
//   node hash  = SHA-256(0x01 || left || right)
//   empty root = SHA-256("")
//
//   tp::ledger::CompactRange tree;                  // size 0
//   std::vector<TreeNode> completed;
//   tree.append(leaf_hash(encoding), &completed);   // new perfect subtrees
//   tree.root();                                     // MTH(D[0:size])
//
//   // proofs from stored perfect subtrees (level, index) -> hash:
//   auto path = inclusion_proof(leaf, size, source);
//   auto ok = verify_inclusion(leaf, size, leaf_hash, *path, root);
//
// Node coordinates: the perfect subtree at (level L, index i) covers leaves
// [i * 2^L, (i + 1) * 2^L); level 0 nodes are the leaf hashes. Every such
// subtree that is complete is stored once, so the root of any size and any
// proof need only O(log n) lookups of O(log n) stored nodes.
//
// Thread safety: pure functions; CompactRange is a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"

namespace tp::ledger {

// A raw 32-byte SHA-256 digest without heap allocation.
using Digest = std::array<unsigned char, 32>;

std::string to_bytes(const Digest& d);
// kInvalidArgument unless exactly 32 bytes.
[[nodiscard]] Result<Digest> to_digest(std::string_view bytes);

Digest sha256_digest(std::string_view data);
// SHA-256(0x00 || data)
Digest leaf_hash(std::string_view entry_encoding);
// SHA-256(0x01 || left || right)
Digest node_hash(const Digest& left, const Digest& right);
// SHA-256("") = e3b0c442...b855
const Digest& empty_root();

struct TreeNode {
  uint32_t level = 0;
  uint64_t index = 0;
  Digest hash{};
  bool operator==(const TreeNode&) const = default;
};

// The largest power of two strictly smaller than n (n >= 2).
uint64_t split_point(uint64_t n);

// The right edge of a tree of `size` leaves: the roots of the perfect
// subtrees that make it up, from the left (largest) to the right, one per
// set bit of `size`. Appending is amortised O(1) node hashes.
class CompactRange {
 public:
  CompactRange() = default;
  // Validates that `hashes` has one entry per set bit of `size`.
  [[nodiscard]] static Result<CompactRange> create(uint64_t size, std::vector<Digest> hashes);

  uint64_t size() const { return size_; }
  const std::vector<Digest>& hashes() const { return hashes_; }
  // Appends one leaf hash; adds every perfect subtree it completes, the leaf
  // itself first (level 0) then upwards, to `completed` if not null.
  void append(const Digest& leaf, std::vector<TreeNode>* completed = nullptr);
  // MTH of the leaves so far (empty_root() for size 0).
  Digest root() const;

  bool operator==(const CompactRange&) const = default;

 private:
  uint64_t size_ = 0;
  std::vector<Digest> hashes_;
};

// Looks up stored perfect subtrees. An error aborts the computation.
using NodeSource = std::function<Result<Digest>(uint32_t level, uint64_t index)>;

// The (level, index) of the perfect subtrees that make up leaves
// [start, start + size), left to right; `start` must be a multiple of the
// largest of them (always true for the ranges RFC 6962 recursion visits).
std::vector<std::pair<uint32_t, uint64_t>> range_decomposition(uint64_t start, uint64_t size);

// MTH(D[0:size]) from stored subtrees.
[[nodiscard]] Result<Digest> root_at(uint64_t size, const NodeSource& source);
// RFC 6962 2.1.1 PATH(m, D[0:n]). kInvalidArgument unless m < n.
[[nodiscard]] Result<std::vector<Digest>> inclusion_proof(uint64_t m, uint64_t n,
                                                          const NodeSource& source);
// RFC 6962 2.1.2 PROOF(m, D[0:n]): empty for m == 0 or m == n.
// kInvalidArgument unless m <= n.
[[nodiscard]] Result<std::vector<Digest>> consistency_proof(uint64_t m, uint64_t n,
                                                            const NodeSource& source);

// Every (level, index) that root_at/inclusion_proof/consistency_proof will
// ask for, so a caller can fetch them with one query first.
std::vector<std::pair<uint32_t, uint64_t>> nodes_for_root(uint64_t size);
std::vector<std::pair<uint32_t, uint64_t>> nodes_for_inclusion(uint64_t m, uint64_t n);
std::vector<std::pair<uint32_t, uint64_t>> nodes_for_consistency(uint64_t m, uint64_t n);

// RFC 9162 2.1.3.2. ok() or kDataLoss with the reason, e.g.
// "inclusion proof does not lead to the root: computed 3f.., expected 9a..".
[[nodiscard]] Status verify_inclusion(uint64_t leaf_index, uint64_t tree_size, const Digest& leaf,
                                      const std::vector<Digest>& path, const Digest& root);
// RFC 9162 2.1.4.2, plus the trivial cases: first == second needs an empty
// proof and equal roots; first == 0 needs an empty proof.
[[nodiscard]] Status verify_consistency(uint64_t first, uint64_t second, const Digest& first_root,
                                        const Digest& second_root, const std::vector<Digest>& proof);

}  // namespace tp::ledger
