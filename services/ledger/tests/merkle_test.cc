// RFC 6962 hashing and proofs: known vectors (the certificate-transparency
// test leaves, recomputed independently with python3 hashlib), and every
// leaf and size up to 70 against a direct recursive implementation of the
// RFC's definitions; every proof fails when any byte changes.
#include "ledger/core/merkle.h"

#include <gtest/gtest.h>

#include <map>

#include "tp/signing/hmac.h"

namespace tp::ledger {
namespace {

std::string hex(const Digest& d) { return signing::to_hex(to_bytes(d)); }

Digest digest_hex(const std::string& h) { return *to_digest(*signing::from_hex(h)); }

// ---- the RFC 6962 definitions, verbatim (recursive, over leaf hashes)
Digest mth(const std::vector<Digest>& d, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n == 0) return empty_root();
  if (n == 1) return d[begin];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return node_hash(mth(d, begin, begin + k), mth(d, begin + k, end));
}

std::vector<Digest> ref_path(size_t m, const std::vector<Digest>& d, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n <= 1) return {};
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Digest> out;
  if (m < k) {
    out = ref_path(m, d, begin, begin + k);
    out.push_back(mth(d, begin + k, end));
  } else {
    out = ref_path(m - k, d, begin + k, end);
    out.push_back(mth(d, begin, begin + k));
  }
  return out;
}

std::vector<Digest> ref_subproof(size_t m, const std::vector<Digest>& d, size_t begin, size_t end,
                                 bool b) {
  const size_t n = end - begin;
  if (m == n) return b ? std::vector<Digest>{} : std::vector<Digest>{mth(d, begin, end)};
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Digest> out;
  if (m <= k) {
    out = ref_subproof(m, d, begin, begin + k, b);
    out.push_back(mth(d, begin + k, end));
  } else {
    out = ref_subproof(m - k, d, begin + k, end, false);
    out.push_back(mth(d, begin, begin + k));
  }
  return out;
}

std::vector<Digest> ref_proof(size_t m, const std::vector<Digest>& d, size_t n) {
  if (m == 0 || m == n) return {};
  return ref_subproof(m, d, 0, n, true);
}

// A tree built incrementally, its completed subtrees kept as a node source.
struct Tree {
  CompactRange range;
  std::map<std::pair<uint32_t, uint64_t>, Digest> nodes;
  std::vector<Digest> leaves;

  void add(std::string_view data) {
    const Digest leaf = leaf_hash(data);
    leaves.push_back(leaf);
    std::vector<TreeNode> completed;
    range.append(leaf, &completed);
    for (const auto& n : completed) {
      EXPECT_TRUE(nodes.emplace(std::pair{n.level, n.index}, n.hash).second);
    }
  }
  NodeSource source() const {
    return [this](uint32_t level, uint64_t index) -> Result<Digest> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return make_error(ErrorCode::kNotFound, "no node");
      return it->second;
    };
  }
};

Tree ct_tree() {
  Tree t;
  for (const char* h : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                        "606162636465666768696a6b6c6d6e6f"})
    t.add(*signing::from_hex(h));
  return t;
}

Tree numbered_tree(int n) {
  Tree t;
  for (int i = 0; i < n; ++i) t.add("entry-" + std::to_string(i));
  return t;
}

TEST(Merkle, EmptyTreeRootIsSha256OfTheEmptyString) {
  EXPECT_EQ(hex(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(CompactRange{}.root(), empty_root());
  auto r = root_at(0, [](uint32_t, uint64_t) -> Result<Digest> {
    return make_error(ErrorCode::kInternal, "no lookups for the empty tree");
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, empty_root());
}

TEST(Merkle, LeafAndNodeHashesArePrefixed) {
  EXPECT_EQ(to_bytes(leaf_hash("abc")), signing::sha256(std::string("\x00" "abc", 4)));
  EXPECT_EQ(hex(leaf_hash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const Digest l = leaf_hash("l"), r = leaf_hash("r");
  EXPECT_EQ(to_bytes(node_hash(l, r)), signing::sha256("\x01" + to_bytes(l) + to_bytes(r)));
  EXPECT_NE(to_bytes(node_hash(l, r)), signing::sha256(to_bytes(l) + to_bytes(r)));
  // A leaf can never be confused with a node of the same bytes.
  EXPECT_NE(leaf_hash(to_bytes(l) + to_bytes(r)), node_hash(l, r));
}

TEST(Merkle, CertificateTransparencyVectors) {
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  Tree t = ct_tree();
  for (uint64_t n = 1; n <= 8; ++n) {
    auto r = root_at(n, t.source());
    ASSERT_TRUE(r);
    EXPECT_EQ(hex(*r), roots[n - 1]) << n;
  }
  EXPECT_EQ(hex(t.range.root()), roots[7]);

  auto hexes = [](const std::vector<Digest>& v) {
    std::vector<std::string> out;
    for (const auto& d : v) out.push_back(hex(d));
    return out;
  };
  EXPECT_EQ(hexes(*inclusion_proof(0, 8, t.source())),
            (std::vector<std::string>{
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}));
  EXPECT_EQ(hexes(*inclusion_proof(5, 8, t.source())),
            (std::vector<std::string>{
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}));
  EXPECT_EQ(hexes(*consistency_proof(3, 8, t.source())),
            (std::vector<std::string>{
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}));
  EXPECT_EQ(hexes(*consistency_proof(6, 8, t.source())),
            (std::vector<std::string>{
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}));
  EXPECT_TRUE(verify_consistency(3, 8, digest_hex(roots[2]), digest_hex(roots[7]),
                                 *consistency_proof(3, 8, t.source())));
}

TEST(Merkle, CompactRangeAndStoredNodesMatchTheDefinitionForEverySize) {
  const Tree t = numbered_tree(70);
  for (uint64_t n = 0; n <= 70; ++n) {
    auto r = root_at(n, t.source());
    ASSERT_TRUE(r) << n;
    EXPECT_EQ(*r, mth(t.leaves, 0, n)) << n;
    Tree prefix = numbered_tree(static_cast<int>(n));
    EXPECT_EQ(prefix.range.root(), *r) << n;
    EXPECT_EQ(prefix.range.hashes().size(), static_cast<size_t>(std::popcount(n)));
    // A range restored from its hashes continues identically.
    auto restored = CompactRange::create(n, prefix.range.hashes());
    ASSERT_TRUE(restored);
    restored->append(t.leaves.size() > n ? t.leaves[n] : leaf_hash("x"));
    prefix.add(t.leaves.size() > n ? "entry-" + std::to_string(n) : "x");
    EXPECT_EQ(restored->root(), prefix.range.root());
  }
  // Every completed perfect subtree is stored exactly once: 2n - popcount(n).
  EXPECT_EQ(t.nodes.size(), 2u * 70 - std::popcount(70u));
  EXPECT_FALSE(CompactRange::create(3, {empty_root()}));
  EXPECT_EQ(CompactRange::create(3, {}).error().message,
            "a tree of 3 leaves has 2 perfect subtrees, got 0 hashes");
}

TEST(Merkle, InclusionProofsForEveryLeafAndSizeVerifyAndFailOnAnyChangedByte) {
  const Tree t = numbered_tree(70);
  for (uint64_t n = 1; n <= 70; ++n) {
    const Digest root = mth(t.leaves, 0, n);
    for (uint64_t m = 0; m < n; ++m) {
      SCOPED_TRACE("leaf " + std::to_string(m) + " of " + std::to_string(n));
      auto proof = inclusion_proof(m, n, t.source());
      ASSERT_TRUE(proof);
      ASSERT_EQ(*proof, ref_path(m, t.leaves, 0, n));
      ASSERT_EQ(nodes_for_inclusion(m, n).empty(), n == 1);
      ASSERT_TRUE(verify_inclusion(m, n, t.leaves[m], *proof, root));
      if (n > 64) continue;  // byte flips: sizes up to 64
      auto bad = *proof;
      for (size_t e = 0; e < bad.size(); ++e)
        for (size_t b = 0; b < 32; ++b) {
          bad[e][b] ^= 0x01;
          if (verify_inclusion(m, n, t.leaves[m], bad, root)) FAIL() << e << ":" << b;
          bad[e][b] ^= 0x01;
        }
      for (size_t b = 0; b < 32; ++b) {
        Digest leaf = t.leaves[m], r = root;
        leaf[b] ^= 0x80;
        r[b] ^= 0x80;
        ASSERT_FALSE(verify_inclusion(m, n, leaf, *proof, root));
        ASSERT_FALSE(verify_inclusion(m, n, t.leaves[m], *proof, r));
      }
      // Another leaf of the tree, a shorter or longer path, or another
      // position does not verify.
      ASSERT_FALSE(verify_inclusion(m, n, t.leaves[(m + 1) % 70], *proof, root));
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        ASSERT_FALSE(verify_inclusion(m, n, t.leaves[m], shorter, root));
      }
      auto longer = *proof;
      longer.push_back(root);
      ASSERT_FALSE(verify_inclusion(m, n, t.leaves[m], longer, root));
      if (n > 1) {
        ASSERT_FALSE(verify_inclusion((m + 1) % n, n, t.leaves[m], *proof, root));
      }
    }
    ASSERT_FALSE(verify_inclusion(n, n, t.leaves[0], {}, root));
  }
  EXPECT_EQ(inclusion_proof(5, 5, t.source()).error().message,
            "entry 5 is not in a tree of 5 entries");
}

TEST(Merkle, ConsistencyProofsForEveryPairOfSizesVerifyAndFailOnAnyChangedByte) {
  const Tree t = numbered_tree(70);
  for (uint64_t n = 0; n <= 70; ++n) {
    const Digest second = mth(t.leaves, 0, n);
    for (uint64_t m = 0; m <= n; ++m) {
      SCOPED_TRACE(std::to_string(m) + " -> " + std::to_string(n));
      const Digest first = mth(t.leaves, 0, m);
      auto proof = consistency_proof(m, n, t.source());
      ASSERT_TRUE(proof);
      ASSERT_EQ(*proof, ref_proof(m, t.leaves, n));
      ASSERT_TRUE(verify_consistency(m, n, first, second, *proof));
      if (m == 0) continue;  // every tree extends the empty one
      if (n > 64) continue;
      auto bad = *proof;
      for (size_t e = 0; e < bad.size(); ++e)
        for (size_t b = 0; b < 32; ++b) {
          bad[e][b] ^= 0x01;
          if (verify_consistency(m, n, first, second, bad)) FAIL() << e << ":" << b;
          bad[e][b] ^= 0x01;
        }
      for (size_t b = 0; b < 32; ++b) {
        Digest f = first, s = second;
        f[b] ^= 0x80;
        s[b] ^= 0x80;
        ASSERT_FALSE(verify_consistency(m, n, f, second, *proof));
        ASSERT_FALSE(verify_consistency(m, n, first, s, *proof));
      }
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        ASSERT_FALSE(verify_consistency(m, n, first, second, shorter));
      }
      auto longer = *proof;
      longer.push_back(second);
      ASSERT_FALSE(verify_consistency(m, n, first, second, longer));
    }
  }
  EXPECT_FALSE(verify_consistency(5, 4, empty_root(), empty_root(), {}));
  EXPECT_EQ(consistency_proof(5, 4, t.source()).error().message,
            "a tree of 5 entries cannot be a prefix of one of 4");
}

TEST(Merkle, ProofsAskOnlyForTheNodesTheyAnnounce) {
  const Tree t = numbered_tree(45);
  for (uint64_t n = 1; n <= 45; ++n) {
    for (uint64_t m = 0; m <= n; ++m) {
      auto wanted = m < n ? nodes_for_inclusion(m, n) : nodes_for_root(n);
      std::map<std::pair<uint32_t, uint64_t>, Digest> only;
      for (const auto& w : wanted) only[w] = t.nodes.at(w);
      auto restricted = [&](uint32_t l, uint64_t i) -> Result<Digest> {
        auto it = only.find({l, i});
        if (it == only.end()) return make_error(ErrorCode::kNotFound, "not announced");
        return it->second;
      };
      if (m < n) {
        EXPECT_TRUE(inclusion_proof(m, n, restricted));
      } else {
        EXPECT_TRUE(root_at(n, restricted));
      }
      only.clear();
      for (const auto& w : nodes_for_consistency(m, n)) only[w] = t.nodes.at(w);
      EXPECT_TRUE(consistency_proof(m, n, restricted));
    }
  }
}

}  // namespace
}  // namespace tp::ledger
