// Signed tree heads: Ed25519 through OpenSSL (RFC 8032 key vector), the
// documented message encoding, tampering of any byte, key files.
#include "ledger/core/tree_head.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tp/signing/hmac.h"
#include "tp/testing/temp_dir.h"

namespace tp::ledger {
namespace {

using signing::from_hex;
using signing::to_hex;

// RFC 8032 section 7.1, TEST 1.
const std::string kSeed =
    *from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const std::string kPublic =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

TEST(TreeHead, KeyFromTheRfc8032Vector) {
  auto signer = TreeHeadSigner::from_seed(kSeed);
  ASSERT_TRUE(signer) << signer.error().to_string();
  EXPECT_EQ(to_hex(signer->public_key()), kPublic);
  EXPECT_EQ(signer->key_id(), "ed25519:" + to_hex(signing::sha256(*from_hex(kPublic))).substr(0, 16));
  auto parsed = parse_public_key(public_key_pem(signer->public_key()));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(*parsed, signer->public_key());
  EXPECT_EQ(*parse_public_key(kPublic + "\n"), signer->public_key());
  EXPECT_FALSE(parse_public_key("abcd"));
}

TEST(TreeHead, MessageEncodingIsTheDocumentedOne) {
  SignedTreeHead h{.tree_size = 5, .root = empty_root(), .timestamp_ns = -1, .key_id = "k"};
  EXPECT_EQ(to_hex(tree_head_message(h)),
            "00000015" + to_hex("tp-ledger-tree-head/1") + "0000000000000005" + "00000020" +
                to_hex(to_bytes(empty_root())) + "ffffffffffffffff" + "00000001" + to_hex("k"));
}

TEST(TreeHead, SignsAndDetectsAnyChangedByte) {
  auto signer = TreeHeadSigner::from_seed(kSeed);
  ASSERT_TRUE(signer);
  const SignedTreeHead h = signer->sign(1234, leaf_hash("x"), 1'700'000'000'000'000'000);
  EXPECT_EQ(h.signature.size(), 64u);
  EXPECT_EQ(h, signer->sign(1234, leaf_hash("x"), 1'700'000'000'000'000'000));  // deterministic
  ASSERT_TRUE(verify_tree_head(h, signer->public_key()));

  for (size_t b = 0; b < 64; ++b) {
    auto bad = h;
    bad.signature[b] ^= 0x01;
    EXPECT_FALSE(verify_tree_head(bad, signer->public_key())) << b;
  }
  for (size_t b = 0; b < 32; ++b) {
    auto bad = h;
    bad.root[b] ^= 0x01;
    EXPECT_FALSE(verify_tree_head(bad, signer->public_key())) << b;
  }
  auto bad = h;
  bad.tree_size = 1235;
  EXPECT_FALSE(verify_tree_head(bad, signer->public_key()));
  bad = h;
  bad.timestamp_ns += 1;
  EXPECT_FALSE(verify_tree_head(bad, signer->public_key()));
  bad = h;
  bad.signature.pop_back();
  EXPECT_FALSE(verify_tree_head(bad, signer->public_key()));

  auto other = TreeHeadSigner::generate();
  ASSERT_TRUE(other);
  auto wrong = verify_tree_head(h, other->public_key());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "tree head of size 1234 is signed by key " + signer->key_id() +
                                       ", not by the trusted key " + other->key_id());
  // A forger who relabels the head with the other key's id still fails.
  bad = h;
  bad.key_id = other->key_id();
  EXPECT_EQ(verify_tree_head(bad, other->public_key()).error().message,
            "tree head of size 1234: the signature does not verify with key " + other->key_id());
}

TEST(TreeHead, KeyFilesAreCreatedOnceAndReloaded) {
  auto dir = testing::TempDir::create("tp-tree-head-");
  ASSERT_TRUE(dir);
  const std::string path = dir->path() + "/keys/ledger-tree-head.pem";
  EXPECT_EQ(TreeHeadSigner::load_or_create(path, false).error().code, ErrorCode::kNotFound);
  auto created = TreeHeadSigner::load_or_create(path, true);
  ASSERT_TRUE(created) << created.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = TreeHeadSigner::load_or_create(path, true);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), created->public_key());
  auto pub = read_public_key_file(path + ".pub");
  ASSERT_TRUE(pub) << pub.error().to_string();
  EXPECT_EQ(*pub, created->public_key());
  const auto h = again->sign(1, empty_root(), 7);
  EXPECT_TRUE(verify_tree_head(h, *pub));
}

}  // namespace
}  // namespace tp::ledger
