#include "ledger/core/merkle.h"

#include <algorithm>
#include <bit>

#include "ledger/core/entry.h"
#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

std::string hex(const Digest& d) {
  return signing::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Status proof_error(std::string message) {
  return make_error(ErrorCode::kDataLoss, std::move(message));
}

// MTH of [start, start + size) from stored perfect subtrees.
Result<Digest> subtree(uint64_t start, uint64_t size, const NodeSource& source) {
  if (size == 0) return empty_root();
  const auto parts = range_decomposition(start, size);
  std::vector<Digest> hashes;
  hashes.reserve(parts.size());
  for (const auto& [level, index] : parts) {
    auto h = source(level, index);
    if (!h) return h;
    hashes.push_back(*h);
  }
  Digest h = hashes.back();
  for (size_t i = hashes.size() - 1; i-- > 0;) h = node_hash(hashes[i], h);
  return h;
}

Status path(uint64_t m, uint64_t start, uint64_t n, const NodeSource& source,
            std::vector<Digest>& out) {
  if (n == 1) return ok();
  const uint64_t k = split_point(n);
  Result<Digest> sibling;
  if (m < k) {
    if (auto s = path(m, start, k, source, out); !s) return s;
    sibling = subtree(start + k, n - k, source);
  } else {
    if (auto s = path(m - k, start + k, n - k, source, out); !s) return s;
    sibling = subtree(start, k, source);
  }
  if (!sibling) return std::unexpected(sibling.error());
  out.push_back(*sibling);
  return ok();
}

Status subproof(uint64_t m, uint64_t start, uint64_t n, bool whole, const NodeSource& source,
                std::vector<Digest>& out) {
  if (m == n) {
    if (whole) return ok();
    auto h = subtree(start, n, source);
    if (!h) return std::unexpected(h.error());
    out.push_back(*h);
    return ok();
  }
  const uint64_t k = split_point(n);
  Result<Digest> sibling;
  if (m <= k) {
    if (auto s = subproof(m, start, k, whole, source, out); !s) return s;
    sibling = subtree(start + k, n - k, source);
  } else {
    if (auto s = subproof(m - k, start + k, n - k, false, source, out); !s) return s;
    sibling = subtree(start, k, source);
  }
  if (!sibling) return std::unexpected(sibling.error());
  out.push_back(*sibling);
  return ok();
}

template <typename F>
std::vector<std::pair<uint32_t, uint64_t>> record(F&& run) {
  std::vector<std::pair<uint32_t, uint64_t>> wanted;
  NodeSource recorder = [&](uint32_t level, uint64_t index) -> Result<Digest> {
    wanted.emplace_back(level, index);
    return Digest{};
  };
  (void)run(recorder);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return wanted;
}

}  // namespace

std::string to_bytes(const Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

Result<Digest> to_digest(std::string_view bytes) {
  if (bytes.size() != 32)
    return make_error(ErrorCode::kInvalidArgument,
                      "a hash must be 32 bytes, got " + std::to_string(bytes.size()));
  Digest d;
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(d.data()));
  return d;
}

Digest sha256_digest(std::string_view data) {
  Digest d;
  sha256_into(data, d.data());
  return d;
}

Digest leaf_hash(std::string_view entry_encoding) {
  Digest d;
  sha256_into2(std::string_view("\0", 1), entry_encoding, d.data());
  return d;
}

Digest node_hash(const Digest& left, const Digest& right) {
  char buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  Digest d;
  sha256_into(std::string_view(buf, sizeof buf), d.data());
  return d;
}

const Digest& empty_root() {
  static const Digest kEmpty = sha256_digest("");
  return kEmpty;
}

uint64_t split_point(uint64_t n) { return std::bit_floor(n - 1); }

Result<CompactRange> CompactRange::create(uint64_t size, std::vector<Digest> hashes) {
  if (static_cast<size_t>(std::popcount(size)) != hashes.size())
    return make_error(ErrorCode::kInvalidArgument,
                      "a tree of " + std::to_string(size) + " leaves has " +
                          std::to_string(std::popcount(size)) + " perfect subtrees, got " +
                          std::to_string(hashes.size()) + " hashes");
  CompactRange r;
  r.size_ = size;
  r.hashes_ = std::move(hashes);
  return r;
}

void CompactRange::append(const Digest& leaf, std::vector<TreeNode>* completed) {
  const uint64_t s = size_;
  if (completed) completed->push_back({0, s, leaf});
  Digest h = leaf;
  for (uint32_t level = 0; (s >> level) & 1; ++level) {
    h = node_hash(hashes_.back(), h);
    hashes_.pop_back();
    if (completed) completed->push_back({level + 1, s >> (level + 1), h});
  }
  hashes_.push_back(h);
  ++size_;
}

Digest CompactRange::root() const {
  if (hashes_.empty()) return empty_root();
  Digest h = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) h = node_hash(hashes_[i], h);
  return h;
}

std::vector<std::pair<uint32_t, uint64_t>> range_decomposition(uint64_t start, uint64_t size) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  uint64_t pos = start;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if (size & width) {
      out.emplace_back(static_cast<uint32_t>(level), pos >> level);
      pos += width;
    }
  }
  return out;
}

Result<Digest> root_at(uint64_t size, const NodeSource& source) { return subtree(0, size, source); }

Result<std::vector<Digest>> inclusion_proof(uint64_t m, uint64_t n, const NodeSource& source) {
  if (m >= n)
    return make_error(ErrorCode::kInvalidArgument, "entry " + std::to_string(m) +
                                                       " is not in a tree of " + std::to_string(n) +
                                                       " entries");
  std::vector<Digest> out;
  if (auto s = path(m, 0, n, source, out); !s) return std::unexpected(s.error());
  return out;
}

Result<std::vector<Digest>> consistency_proof(uint64_t m, uint64_t n, const NodeSource& source) {
  if (m > n)
    return make_error(ErrorCode::kInvalidArgument, "a tree of " + std::to_string(m) +
                                                       " entries cannot be a prefix of one of " +
                                                       std::to_string(n));
  std::vector<Digest> out;
  if (m == 0 || m == n) return out;
  if (auto s = subproof(m, 0, n, true, source, out); !s) return std::unexpected(s.error());
  return out;
}

std::vector<std::pair<uint32_t, uint64_t>> nodes_for_root(uint64_t size) {
  return record([&](const NodeSource& s) { return root_at(size, s); });
}
std::vector<std::pair<uint32_t, uint64_t>> nodes_for_inclusion(uint64_t m, uint64_t n) {
  return record([&](const NodeSource& s) { return inclusion_proof(m, n, s); });
}
std::vector<std::pair<uint32_t, uint64_t>> nodes_for_consistency(uint64_t m, uint64_t n) {
  return record([&](const NodeSource& s) { return consistency_proof(m, n, s); });
}

Status verify_inclusion(uint64_t leaf_index, uint64_t tree_size, const Digest& leaf,
                        const std::vector<Digest>& proof, const Digest& root) {
  if (leaf_index >= tree_size)
    return proof_error("entry " + std::to_string(leaf_index) + " is not in a tree of " +
                       std::to_string(tree_size) + " entries");
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  Digest r = leaf;
  for (const Digest& p : proof) {
    if (sn == 0)
      return proof_error("inclusion proof is too long: " + std::to_string(proof.size()) +
                         " hashes for entry " + std::to_string(leaf_index) + " of " +
                         std::to_string(tree_size));
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0)
    return proof_error("inclusion proof is too short: " + std::to_string(proof.size()) +
                       " hashes for entry " + std::to_string(leaf_index) + " of " +
                       std::to_string(tree_size));
  if (r != root)
    return proof_error("inclusion proof does not lead to the root: computed " + hex(r) +
                       ", expected " + hex(root));
  return ok();
}

Status verify_consistency(uint64_t first, uint64_t second, const Digest& first_root,
                          const Digest& second_root, const std::vector<Digest>& proof) {
  const std::string sizes = std::to_string(first) + " -> " + std::to_string(second);
  if (second < first) return proof_error("consistency " + sizes + ": the second tree is smaller");
  if (first == second) {
    if (!proof.empty()) return proof_error("consistency " + sizes + ": the proof must be empty");
    if (first_root != second_root)
      return proof_error("consistency " + sizes + ": same size, different roots " +
                         hex(first_root) + " and " + hex(second_root));
    return ok();
  }
  if (first == 0) {
    if (!proof.empty()) return proof_error("consistency " + sizes + ": the proof must be empty");
    return ok();
  }
  if (proof.empty()) return proof_error("consistency " + sizes + ": empty proof");
  std::vector<Digest> p;
  p.reserve(proof.size() + 1);
  if (std::has_single_bit(first)) p.push_back(first_root);
  p.insert(p.end(), proof.begin(), proof.end());
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = p[0];
  Digest sr = p[0];
  for (size_t i = 1; i < p.size(); ++i) {
    const Digest& c = p[i];
    if (sn == 0) return proof_error("consistency " + sizes + ": the proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return proof_error("consistency " + sizes + ": the proof is too short");
  if (fr != first_root)
    return proof_error("consistency " + sizes + ": the proof leads to first root " + hex(fr) +
                       ", expected " + hex(first_root));
  if (sr != second_root)
    return proof_error("consistency " + sizes + ": the proof leads to second root " + hex(sr) +
                       ", expected " + hex(second_root));
  return ok();
}

}  // namespace tp::ledger
