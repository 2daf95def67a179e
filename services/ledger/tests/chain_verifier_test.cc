#include "ledger/core/chain_verifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "test_entries.h"
#include "tp/signing/hmac.h"

namespace tp::ledger {
namespace {

using signing::to_hex;

std::optional<ChainBreak> verify(const std::vector<Entry>& rows, uint64_t first = 0,
                                 std::string previous = zero_hash()) {
  ChainVerifier v(first, std::move(previous));
  for (const auto& r : rows)
    if (!v.check(r)) break;
  return v.broken();
}

TEST(ChainVerifier, AcceptsAnIntactChain) {
  auto chain = testdata::build_chain(50);
  ChainVerifier v;
  for (const auto& r : chain) ASSERT_TRUE(v.check(r));
  EXPECT_FALSE(v.broken());
  EXPECT_EQ(v.checked(), 50u);
  EXPECT_EQ(v.next_index(), 50u);
  EXPECT_EQ(v.last_hash(), chain.back().entry_hash);
}

TEST(ChainVerifier, VerifiesAPartialRangeFromTheStoredLink) {
  auto chain = testdata::build_chain(20);
  std::vector<Entry> tail(chain.begin() + 10, chain.end());
  EXPECT_FALSE(verify(tail, 10, chain[9].entry_hash));
  auto broken = verify(tail, 10, zero_hash());
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->index, 10u);
}

// Every field of every row (a sample of rows, every field), changed: the
// break is reported at that row.
TEST(ChainVerifier, DetectsAChangedFieldAtItsIndex) {
  const auto chain = testdata::build_chain(12);
  const std::vector<std::function<void(Entry&)>> tampers = {
      [](Entry& e) { e.stream = "EXEC"; },
      [](Entry& e) { e.stream_sequence += 1000; },
      [](Entry& e) { e.subject += "x"; },
      [](Entry& e) { e.message_id = "forged"; },
      [](Entry& e) { e.producer = "decision"; },
      [](Entry& e) { e.message_type = "trading.v1.Signal"; },
      [](Entry& e) { e.key_id = "other"; },
      [](Entry& e) { e.payload += "!"; },
      [](Entry& e) { e.payload_sha256[5] ^= 0x40; },
      [](Entry& e) { e.published_ns -= 1; },
      [](Entry& e) { e.received_ns += 1; },
      [](Entry& e) { e.correlation_id = "x"; },
      [](Entry& e) { e.previous_hash[0] ^= 1; },
      [](Entry& e) { e.entry_hash[31] ^= 1; },
  };
  for (size_t row = 0; row < chain.size(); ++row) {
    for (size_t t = 0; t < tampers.size(); ++t) {
      auto rows = chain;
      tampers[t](rows[row]);
      auto broken = verify(rows);
      ASSERT_TRUE(broken) << "row " << row << " tamper " << t;
      EXPECT_EQ(broken->index, row) << "tamper " << t << ": " << broken->reason;
    }
  }
}

TEST(ChainVerifier, ExactMessages) {
  const auto chain = testdata::build_chain(6);
  {
    auto rows = chain;
    rows[3].subject = "forged";
    const std::string recomputed = to_hex(entry_hash(rows[3]));
    EXPECT_EQ(verify(rows)->reason, "hash mismatch at index 3: entry_hash is " +
                                        to_hex(chain[3].entry_hash) + ", recomputed " + recomputed);
  }
  {
    auto rows = chain;
    rows[2].payload = "forged";
    EXPECT_EQ(verify(rows)->reason, "payload digest mismatch at index 2: payload_sha256 is " +
                                        to_hex(chain[2].payload_sha256) + ", payload hashes to " +
                                        to_hex(sha256("forged")));
  }
  {
    auto rows = chain;
    rows.erase(rows.begin() + 4);  // a deleted row
    EXPECT_EQ(verify(rows)->reason, "index gap at 4: entry 4 is missing (next entry is 5)");
  }
  {
    auto rows = chain;
    std::swap(rows[1], rows[4]);  // two rows swapped, indices kept in place
    std::swap(rows[1].index, rows[4].index);
    auto b = verify(rows);
    EXPECT_EQ(b->index, 1u);
    EXPECT_EQ(b->reason, "previous hash mismatch at index 1: previous_hash is " +
                             to_hex(chain[3].entry_hash) + ", expected " +
                             to_hex(chain[0].entry_hash));
  }
  {
    auto rows = chain;
    std::swap(rows[1], rows[4]);  // two rows swapped in order, indices travel along
    EXPECT_EQ(verify(rows)->reason, "index gap at 1: entry 1 is missing (next entry is 4)");
  }
  {
    auto rows = chain;
    rows.insert(rows.begin() + 3, rows[2]);
    EXPECT_EQ(verify(rows)->reason, "index out of order at 3: found entry 2");
  }
}

// A forged entry inserted with a correct hash, the later rows renumbered:
// the first row after it no longer links.
TEST(ChainVerifier, DetectsAnInsertedEntry) {
  const auto chain = testdata::build_chain(6);
  auto rows = chain;
  Entry forged = chain[2];
  forged.index = 3;
  forged.stream = "CTL";
  forged.stream_sequence = 1;
  forged.previous_hash = chain[2].entry_hash;
  forged.entry_hash = entry_hash(forged);
  rows.insert(rows.begin() + 3, forged);
  for (size_t i = 4; i < rows.size(); ++i) rows[i].index = i;
  auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 4u);
  EXPECT_EQ(b->reason, "previous hash mismatch at index 4: previous_hash is " +
                           to_hex(chain[2].entry_hash) + ", expected " +
                           to_hex(forged.entry_hash));
}

// A (stream, sequence) appended twice, even with a correctly recomputed hash.
TEST(ChainVerifier, DetectsDuplicatedStreamSequence) {
  auto rows = testdata::build_chain(6);  // MD 1, SIG 1, ORDERS 1, MD 2, SIG 2, ORDERS 2
  Entry dup = rows[3];
  dup.index = 6;
  dup.previous_hash = rows[5].entry_hash;
  dup.entry_hash = entry_hash(dup);
  rows.push_back(dup);
  EXPECT_EQ(verify(rows)->reason,
            "duplicated (stream, stream_sequence) (MD, 2) at index 6: first at index 3");

  Entry older = rows[0];  // MD 1 again, after MD 2
  older.index = 6;
  older.previous_hash = rows[5].entry_hash;
  older.entry_hash = entry_hash(older);
  rows[6] = older;
  EXPECT_EQ(verify(rows)->reason,
            "stream sequence out of order at index 6: (MD, 1) after (MD, 2) at index 3");
}

TEST(ChainVerifier, ReportsMissingTail) {
  auto chain = testdata::build_chain(5);
  ChainVerifier v;
  for (const auto& r : chain) ASSERT_TRUE(v.check(r));
  v.expect_end(5);
  EXPECT_FALSE(v.broken());
  v.expect_end(8);
  ASSERT_TRUE(v.broken());
  EXPECT_EQ(v.broken()->reason, "index gap at 5: entries 5..7 are missing (the log ends at 5 entries)");
}

TEST(ChainVerifier, StopsAtTheFirstBreak) {
  auto rows = testdata::build_chain(8);
  rows[2].key_id = "x";
  rows[5].key_id = "y";
  ChainVerifier v;
  for (const auto& r : rows) v.check(r);
  EXPECT_EQ(v.broken()->index, 2u);
  EXPECT_EQ(v.checked(), 2u);
}

TEST(ChainVerifier, RebuildsTheMerkleTreeOfTheCore) {
  LedgerCore core;
  std::vector<Entry> rows;
  for (uint64_t s = 1; s <= 40; ++s) {
    (void)core.append({.stream = "MD", .stream_sequence = s, .subject = "s", .message_id = "m",
                       .producer = "p", .message_type = "t", .key_id = "k", .payload = "x",
                       .published_ns = 1, .received_ns = 2, .correlation_id = ""});
  }
  rows = core.unwritten();
  ChainVerifier whole;
  whole.collect_nodes(true);
  ASSERT_TRUE(whole.check_all(rows, 2));
  EXPECT_EQ(whole.tree(), core.tree());
  EXPECT_EQ(whole.completed_nodes(), core.unwritten_nodes());

  // From the middle, seeded with the tree of the prefix.
  ChainVerifier prefix;
  for (size_t i = 0; i < 17; ++i) ASSERT_TRUE(prefix.check(rows[i]));
  ChainVerifier rest(17, rows[16].entry_hash, prefix.tree());
  ASSERT_TRUE(rest.check_all(std::span(rows).subspan(17), 1));
  EXPECT_TRUE(rest.tree_enabled());
  EXPECT_EQ(rest.tree().root(), core.tree().root());
  ChainVerifier untreed(17, rows[16].entry_hash);
  EXPECT_FALSE(untreed.tree_enabled());
}

TEST(ChainVerifier, ParallelHashingFindsTheSameFirstBreak) {
  auto rows = testdata::build_chain(3000);
  rows[2100].subject += "x";
  rows[2500].payload += "y";
  ChainVerifier serial, parallel;
  for (const auto& r : rows)
    if (!serial.check(r)) break;
  EXPECT_FALSE(parallel.check_all(rows, 2));
  ASSERT_TRUE(parallel.broken());
  EXPECT_EQ(parallel.broken()->index, 2100u);
  EXPECT_EQ(parallel.broken()->reason, serial.broken()->reason);
  EXPECT_EQ(parallel.tree(), serial.tree());
}

// Throughput of the pure verifier on small entries; printed, not asserted
// (shared CI machines). The target is >= 1M entries/s.
TEST(ChainVerifier, Throughput) {
  const auto chain = testdata::build_chain(100'000);
  const auto start = std::chrono::steady_clock::now();
  ChainVerifier v;
  v.check_all(chain, std::max(1u, std::thread::hardware_concurrency()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(v.broken());
  std::cout << "verified " << chain.size() << " entries in " << seconds << " s ("
            << static_cast<int64_t>(chain.size() / seconds) << " entries/s)\n";
}

}  // namespace
}  // namespace tp::ledger
