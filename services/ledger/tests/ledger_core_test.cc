#include "ledger/core/ledger_core.h"

#include <gtest/gtest.h>

#include "ledger/core/chain_verifier.h"
#include "test_entries.h"
#include "tp/signing/hmac.h"

namespace tp::ledger {
namespace {

Message message(std::string_view stream, uint64_t seq, std::string_view payload = "p") {
  return {.stream = stream,
          .stream_sequence = seq,
          .subject = "subject",
          .message_id = "id",
          .producer = "producer",
          .message_type = "trading.v1.Bar",
          .key_id = "key",
          .payload = payload,
          .published_ns = 10,
          .received_ns = 20,
          .correlation_id = "corr"};
}

TEST(LedgerCore, AppendsTheDocumentedVectorEntry) {
  LedgerCore core;
  const Entry v = testdata::vector_entry_0();
  ASSERT_EQ(core.append({.stream = v.stream,
                         .stream_sequence = v.stream_sequence,
                         .subject = v.subject,
                         .message_id = v.message_id,
                         .producer = v.producer,
                         .message_type = v.message_type,
                         .key_id = v.key_id,
                         .payload = v.payload,
                         .published_ns = v.published_ns,
                         .received_ns = v.received_ns,
                         .correlation_id = v.correlation_id}),
            AppendResult::kAppended);
  ASSERT_EQ(core.unwritten().size(), 1u);
  EXPECT_EQ(core.unwritten()[0], v);
  EXPECT_EQ(signing::to_hex(core.last_hash()),
            "2da993a3e8d42ca03d1b7a5c74e237d7a60fd17d4693f2a6b8d80816153199ea");
  EXPECT_EQ(core.next_index(), 1u);
}

TEST(LedgerCore, ChainsEntriesWithGapFreeIndices) {
  auto chain = testdata::build_chain(10);
  ASSERT_EQ(chain.size(), 10u);
  EXPECT_EQ(chain[0].previous_hash, zero_hash());
  for (size_t i = 0; i < chain.size(); ++i) {
    EXPECT_EQ(chain[i].index, i);
    EXPECT_EQ(chain[i].entry_hash, entry_hash(chain[i]));
    if (i > 0) {
      EXPECT_EQ(chain[i].previous_hash, chain[i - 1].entry_hash);
    }
  }
}

TEST(LedgerCore, SkipsRedeliveredSequencesPerStream) {
  LedgerCore core;
  EXPECT_EQ(core.append(message("MD", 5)), AppendResult::kAppended);
  EXPECT_EQ(core.append(message("MD", 5)), AppendResult::kDuplicate);
  EXPECT_EQ(core.append(message("MD", 3)), AppendResult::kDuplicate);
  EXPECT_EQ(core.append(message("SIG", 1)), AppendResult::kAppended);
  EXPECT_EQ(core.append(message("MD", 9)), AppendResult::kAppended);
  EXPECT_EQ(core.next_index(), 3u);
  EXPECT_EQ(core.last_sequence("MD"), 9u);
  EXPECT_EQ(core.last_sequence("SIG"), 1u);
  EXPECT_EQ(core.last_sequence("CTL"), 0u);
}

TEST(LedgerCore, WrittenEntriesAreDroppedWhenTheNextBatchStarts) {
  LedgerCore core;
  (void)core.append(message("MD", 1));
  (void)core.append(message("MD", 2));
  EXPECT_TRUE(core.mark_written());
  // A re-run of the checkpoint transaction body sees the same entries.
  EXPECT_EQ(core.unwritten().size(), 2u);
  EXPECT_FALSE(core.mark_written());
  EXPECT_EQ(core.unwritten().size(), 2u);
  // Next batch: a duplicate alone must not resurrect the old entries.
  EXPECT_EQ(core.append(message("MD", 2)), AppendResult::kDuplicate);
  EXPECT_TRUE(core.unwritten().empty());
  (void)core.append(message("MD", 3));
  ASSERT_EQ(core.unwritten().size(), 1u);
  EXPECT_EQ(core.unwritten()[0].index, 2u);
}

TEST(LedgerCore, AbandonedBatchRollsBackToTheCheckpoint) {
  LedgerCore core;
  (void)core.append(message("MD", 1));
  const std::string committed = core.snapshot();
  core.mark_written();
  (void)core.append(message("MD", 2));
  (void)core.append(message("SIG", 1));
  core.mark_written();
  core.discard_unwritten();  // the checkpoint failed
  ASSERT_TRUE(core.restore(committed));
  EXPECT_TRUE(core.unwritten().empty());
  EXPECT_EQ(core.next_index(), 1u);
  // Redelivery is appended again at the same indices.
  EXPECT_EQ(core.append(message("MD", 2)), AppendResult::kAppended);
  EXPECT_EQ(core.unwritten()[0].index, 1u);
}

TEST(LedgerCore, SnapshotRestoreReproducesTheSameChain) {
  LedgerCore uninterrupted;
  LedgerCore first;
  std::vector<Entry> a, b;
  for (uint64_t s = 1; s <= 6; ++s) {
    (void)uninterrupted.append(message(s % 2 ? "MD" : "SIG", s, "x" + std::to_string(s)));
  }
  a = uninterrupted.unwritten();
  for (uint64_t s = 1; s <= 3; ++s)
    (void)first.append(message(s % 2 ? "MD" : "SIG", s, "x" + std::to_string(s)));
  b = first.unwritten();
  LedgerCore second;
  ASSERT_TRUE(second.restore(first.snapshot()));
  EXPECT_EQ(second.snapshot(), first.snapshot());
  for (uint64_t s = 1; s <= 6; ++s)  // 1..3 are redeliveries and skipped
    (void)second.append(message(s % 2 ? "MD" : "SIG", s, "x" + std::to_string(s)));
  for (const auto& e : second.unwritten()) b.push_back(e);
  EXPECT_EQ(a, b);
}

TEST(LedgerCore, SnapshotFormat) {
  LedgerCore core;
  EXPECT_EQ(core.snapshot(),
            R"({"last_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
            R"("last_sequence":{},"next_index":0,"tree":[]})");
  (void)core.append(message("MD", 7));
  const std::string leaf = signing::to_hex(to_bytes(leaf_hash(canonical_encoding(core.unwritten()[0]))));
  EXPECT_EQ(core.snapshot(), R"({"last_hash":")" + signing::to_hex(core.last_hash()) +
                                 R"(","last_sequence":{"MD":7},"next_index":1,"tree":[")" + leaf +
                                 R"("]})");
}

// The core's Merkle tree: the leaf of every entry, the completed subtrees
// queued with the batch, the compact range checkpointed.
TEST(LedgerCore, BuildsTheMerkleTreeWithTheChain) {
  LedgerCore core;
  CompactRange expected;
  std::vector<TreeNode> expected_nodes;
  for (uint64_t s = 1; s <= 11; ++s) {
    (void)core.append(message("MD", s, "p" + std::to_string(s)));
    expected.append(leaf_hash(canonical_encoding(core.unwritten().back())), &expected_nodes);
  }
  EXPECT_EQ(core.tree(), expected);
  EXPECT_EQ(core.tree().size(), 11u);
  EXPECT_EQ(core.unwritten_nodes(), expected_nodes);
  EXPECT_EQ(core.unwritten_nodes().size(), 2u * 11 - 3);  // 2n - popcount(n)
  core.mark_written();
  (void)core.append(message("MD", 12));
  EXPECT_EQ(core.unwritten().size(), 1u);
  // Entry 11 completes (0,11), (1,5), (2,2).
  EXPECT_EQ(core.unwritten_nodes().size(), 3u);
  EXPECT_EQ(core.unwritten_nodes()[2].level, 2u);
  EXPECT_EQ(core.unwritten_nodes()[2].index, 2u);

  LedgerCore restored;
  ASSERT_TRUE(restored.restore(core.snapshot()));
  EXPECT_EQ(restored.tree(), core.tree());
  EXPECT_FALSE(restored.needs_tree());
}

TEST(LedgerCore, ACheckpointWithoutTreeAsksForABackfill) {
  LedgerCore core;
  const std::string h(64, 'a');
  ASSERT_TRUE(core.restore(R"({"next_index":2,"last_hash":")" + h + R"(","last_sequence":{"MD":3}})"));
  EXPECT_TRUE(core.needs_tree());
  EXPECT_FALSE(core.set_tree(CompactRange{}));
  CompactRange two;
  two.append(leaf_hash("a"));
  two.append(leaf_hash("b"));
  ASSERT_TRUE(core.set_tree(two));
  EXPECT_FALSE(core.needs_tree());
  EXPECT_EQ(core.tree(), two);
}

TEST(LedgerCore, RestoreRejectsBadSnapshotsWithExactMessages) {
  LedgerCore core;
  auto err = [&](std::string_view s) {
    auto r = core.restore(s);
    return r ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(err("[]"), "ledger snapshot: not a JSON object");
  EXPECT_EQ(err(R"({"next_index":-1})"), "ledger snapshot: next_index must be an unsigned integer");
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":"zz"})"),
            "ledger snapshot: last_hash must be 64 hex characters");
  const std::string h(64, 'a');
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":")" + h + R"("})"),
            "ledger snapshot: last_sequence must be an object");
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":")" + h + R"(","last_sequence":{"MD":"x"}})"),
            "ledger snapshot: last_sequence.MD must be an unsigned integer");
  EXPECT_EQ(err(R"({"next_index":0,"last_hash":")" + h + R"(","last_sequence":{}})"),
            "ledger snapshot: an empty chain must have the zero last_hash");
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":")" + h + R"(","last_sequence":{},"tree":[]})"),
            "ledger snapshot: a tree of 1 leaves has 1 perfect subtrees, got 0 hashes");
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":")" + h + R"(","last_sequence":{},"tree":["x"]})"),
            "ledger snapshot: tree hashes must be 64 hex characters");
  EXPECT_EQ(err(R"({"next_index":1,"last_hash":")" + h + R"(","last_sequence":{"MD":3}})"), "ok");
  EXPECT_EQ(core.next_index(), 1u);
  EXPECT_EQ(core.last_sequence("MD"), 3u);
}

}  // namespace
}  // namespace tp::ledger
