#include "ledger/core/entry.h"

#include <gtest/gtest.h>

#include "ledger/core/merkle.h"
#include "test_entries.h"
#include "tp/signing/hmac.h"

namespace tp::ledger {
namespace {

using signing::to_hex;

// Known-answer vectors computed with python3 hashlib (docs/ledger.md, "Test vector").
TEST(EntryHash, MatchesIndependentlyComputedVector) {
  Entry e0 = testdata::vector_entry_0();
  EXPECT_EQ(to_hex(e0.payload_sha256),
            "5bc7c0d670eb4fa75e5c7277d224d2173011b41d18ef5119c211b0a4b59d3313");
  EXPECT_EQ(to_hex(canonical_encoding(e0)),
            "0000001174702d6c65646765722d656e7472792f310000000000000000000000024d440000000000"
            "0000010000001c6d642e6261722e62696e616e63652d75732e425443555344542e316d0000002462"
            "61723a62696e616e63652d75733a425443555344543a316d3a31363737363238383030000000086"
            "96e6765737465720000000e74726164696e672e76312e4261720000000a696e6765737465722d31"
            "000000205bc7c0d670eb4fa75e5c7277d224d2173011b41d18ef5119c211b0a4b59d33131748228f"
            "493e58001748228f509a2515000000246261723a62696e616e63652d75733a425443555344543a31"
            "6d3a313637373632383830300000002000000000000000000000000000000000000000000000000000"
            "00000000000000");
  EXPECT_EQ(to_hex(e0.entry_hash),
            "2da993a3e8d42ca03d1b7a5c74e237d7a60fd17d4693f2a6b8d80816153199ea");

  Entry e1 = testdata::vector_entry_1(e0.entry_hash);
  EXPECT_EQ(to_hex(canonical_encoding(e1)),
            "0000001174702d6c65646765722d656e7472792f3100000000000000010000000343544c00000000"
            "0000002a0000000e63746c2e6b696c6c7377697463680000000c6b696c6c7377697463683a310000"
            "0008747261646563746c0000001574726164696e672e76312e4b696c6c5377697463680000000a74"
            "7261646563746c2d3100000020e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
            "1b7852b855ffffffffffffffff000000000000000000000000000000202da993a3e8d42ca03d1b7a5c"
            "74e237d7a60fd17d4693f2a6b8d80816153199ea");
  EXPECT_EQ(to_hex(e1.entry_hash),
            "db3c84ce0f1d05a8f5ea547fd1e9f2590745a0d6ad39495ce9a7a3ffa408c2fd");
}

// Length prefixes make field boundaries unambiguous: moving a character from
// one field to the next changes the hash.
// docs/ledger.md, "Merkle tree": the leaves of the two vector entries and
// the root of the tree of both, computed independently with python3 hashlib.
TEST(EntryHash, MerkleLeafVectors) {
  const Entry e0 = testdata::vector_entry_0();
  const Entry e1 = testdata::vector_entry_1(e0.entry_hash);
  const Digest l0 = leaf_hash(canonical_encoding(e0));
  const Digest l1 = leaf_hash(canonical_encoding(e1));
  EXPECT_EQ(signing::to_hex(to_bytes(l0)), "067628b5aab4f54901c9546aa5259f38d33d8bb71495ba40a396e98bfbce13f1");
  EXPECT_EQ(signing::to_hex(to_bytes(l1)), "2a4289cb80dc25c1fba83a33aaa19946ff5f18eba80e200e104718137c0899fe");
  EXPECT_EQ(signing::to_hex(to_bytes(node_hash(l0, l1))),
            "902623a5ece976fce4d7da4b69a2e270c26ab6f44d37e6d4ea23fadb0cad230d");
  std::string scratch;
  Digest entry{}, leaf{};
  entry_and_leaf_hash(e1, scratch, entry.data(), leaf.data());
  EXPECT_EQ(to_bytes(entry), e1.entry_hash);
  EXPECT_EQ(leaf, l1);
}

TEST(EntryHash, FieldBoundariesAreUnambiguous) {
  Entry a = testdata::vector_entry_0();
  Entry c = a;  // "ingester" + "trading.v1.Bar" == "ingeste" + "rtrading.v1.Bar"
  c.producer = "ingeste";
  c.message_type = "rtrading.v1.Bar";
  EXPECT_NE(entry_hash(a), entry_hash(c));
  EXPECT_NE(canonical_encoding(a), canonical_encoding(c));
}

TEST(EntryHash, CoversEveryFieldButPayloadAndEntryHash) {
  const Entry base = testdata::vector_entry_0();
  const std::string h = entry_hash(base);
  auto changed = [&](auto mutate) {
    Entry e = base;
    mutate(e);
    return entry_hash(e) != h;
  };
  EXPECT_TRUE(changed([](Entry& e) { e.index = 1; }));
  EXPECT_TRUE(changed([](Entry& e) { e.stream = "MX"; }));
  EXPECT_TRUE(changed([](Entry& e) { e.stream_sequence = 2; }));
  EXPECT_TRUE(changed([](Entry& e) { e.subject += "."; }));
  EXPECT_TRUE(changed([](Entry& e) { e.message_id += "0"; }));
  EXPECT_TRUE(changed([](Entry& e) { e.producer = "signal"; }));
  EXPECT_TRUE(changed([](Entry& e) { e.message_type = "trading.v1.Signal"; }));
  EXPECT_TRUE(changed([](Entry& e) { e.key_id = "ingester-2"; }));
  EXPECT_TRUE(changed([](Entry& e) { e.payload_sha256[0] ^= 1; }));
  EXPECT_TRUE(changed([](Entry& e) { e.published_ns += 1; }));
  EXPECT_TRUE(changed([](Entry& e) { e.received_ns -= 1; }));
  EXPECT_TRUE(changed([](Entry& e) { e.correlation_id.clear(); }));
  EXPECT_TRUE(changed([](Entry& e) { e.previous_hash[31] = 1; }));
  // The payload is covered through payload_sha256 (checked separately).
  EXPECT_FALSE(changed([](Entry& e) { e.payload = "other"; }));
  EXPECT_FALSE(changed([](Entry& e) { e.entry_hash = "x"; }));
}

}  // namespace
}  // namespace tp::ledger
