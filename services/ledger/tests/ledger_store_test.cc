// The ledger table against a real PostgreSQL: append-only enforcement,
// batched writes, and tamper detection by verify_ledger at the right index.
#include <gtest/gtest.h>

#include <functional>
#include <pqxx/pqxx>

#include "ledger/core/ledger_core.h"
#include "ledger/store/ledger_table.h"
#include "test_entries.h"
#include "tp/migrations/ledger.h"
#include "tp/signing/hmac.h"
#include "tp/testing/postgres_server.h"

namespace tp::ledger {
namespace {

using signing::to_hex;

class LedgerStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    server_ = std::move(*pg);
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(server_);
    const std::string name =
        std::string("ledger_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto conn = server_->create_database(lower);
    ASSERT_TRUE(conn) << conn.error().to_string();
    auto db = store::Database::connect({.connection_string = *conn});
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    auto applied = store::apply_migrations(*db_, migrations::ledger_migrations());
    ASSERT_TRUE(applied) << applied.error().to_string();
  }

  // Appends the chain and its tree nodes in batches of `batch`, one
  // transaction each, as the ledger does.
  void store_chain(const std::vector<Entry>& chain, size_t batch = 7) {
    CompactRange tree;
    for (size_t i = 0; i < chain.size(); i += batch) {
      std::span<const Entry> part(chain.data() + i, std::min(batch, chain.size() - i));
      std::vector<TreeNode> nodes;
      for (const auto& e : part) tree.append(leaf_hash(canonical_encoding(e)), &nodes);
      auto s = db_->transact([&](pqxx::work& tx) { return write_batch(tx, part, nodes); });
      ASSERT_TRUE(s) << s.error().to_string();
    }
  }

  // Signs and stores a tree head over the first `size` entries of `chain`.
  SignedTreeHead sign_head(const std::vector<Entry>& chain, uint64_t size, int64_t t = 1) {
    CompactRange tree;
    for (uint64_t i = 0; i < size; ++i) tree.append(leaf_hash(canonical_encoding(chain[i])));
    auto head = signer().sign(size, tree.root(), t);
    auto stored = db_->transact_value<SignedTreeHead>([&](pqxx::work& tx) -> Result<SignedTreeHead> {
      if (auto k = store_signing_key(tx, signer().key_id(), signer().public_key(), 0); !k)
        return std::unexpected(k.error());
      return store_tree_head(tx, head);
    });
    EXPECT_TRUE(stored) << stored.error().to_string();
    return head;
  }

  static const TreeHeadSigner& signer() {
    static const TreeHeadSigner s = *TreeHeadSigner::from_seed(std::string(32, '\x07'));
    return s;
  }

  void wipe() {
    ASSERT_TRUE(sql("DELETE FROM ledger_entries; DELETE FROM ledger_tree_nodes;"));
  }

  Status sql(const std::string& statement) { return db_->execute(statement); }

  std::optional<ChainBreak> verify(VerifyOptions options = {}) {
    auto r = verify_ledger(*db_, options);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->broken : std::nullopt;
  }

  void drop_triggers() {
    ASSERT_TRUE(sql("DROP TRIGGER ledger_entries_append_only ON ledger_entries;"
                    "DROP TRIGGER ledger_entries_no_truncate ON ledger_entries;"
                    "DROP TRIGGER ledger_tree_nodes_append_only ON ledger_tree_nodes;"
                    "DROP TRIGGER ledger_tree_heads_append_only ON ledger_tree_heads;"));
  }

  static inline std::unique_ptr<testing::PostgresServer> server_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(LedgerStoreTest, RoundTripsEntriesExactly) {
  Entry e0 = testdata::vector_entry_0();
  Entry e1 = testdata::vector_entry_1(e0.entry_hash);
  e1.payload = std::string("\0\x01\xff\\'x", 6);  // binary and quote characters
  e1.payload_sha256 = sha256(e1.payload);
  e1.correlation_id = "it's";
  e1.entry_hash = entry_hash(e1);
  store_chain({e0, e1});
  auto rows = db_->transact_value<std::vector<Entry>>(
      [](pqxx::work& tx) { return read_entries(tx, 0, 10); });
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], e0);
  EXPECT_EQ((*rows)[1], e1);
  auto report = verify_ledger(*db_, {});
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->broken);
  EXPECT_EQ(report->checked, 2u);
}

TEST_F(LedgerStoreTest, TableIsAppendOnly) {
  store_chain(testdata::build_chain(3));
  auto upd = sql("UPDATE ledger_entries SET subject = 'x' WHERE index = 1");
  ASSERT_FALSE(upd);
  EXPECT_NE(upd.error().message.find("ledger_entries is append-only: UPDATE is not allowed"),
            std::string::npos)
      << upd.error().message;
  auto del = sql("DELETE FROM ledger_entries WHERE index = 2");
  ASSERT_FALSE(del);
  EXPECT_NE(del.error().message.find("ledger_entries is append-only: DELETE is not allowed"),
            std::string::npos)
      << del.error().message;
  auto trunc = sql("TRUNCATE ledger_entries");
  ASSERT_FALSE(trunc);
  EXPECT_NE(trunc.error().message.find("ledger_entries is append-only: TRUNCATE is not allowed"),
            std::string::npos)
      << trunc.error().message;
  auto r = verify_ledger(*db_, {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broken);
  EXPECT_EQ(r->checked, 3u);
}

TEST_F(LedgerStoreTest, DuplicateStreamSequenceIsRefused) {
  auto chain = testdata::build_chain(3);
  store_chain(chain);
  Entry dup = chain[0];
  dup.index = 3;
  auto s = db_->transact([&](pqxx::work& tx) { return write_entries(tx, {&dup, 1}); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAlreadyExists) << s.error().to_string();
}

// Any column of any row changed directly in the database (triggers dropped
// first, as an attacker with owner rights would) is detected at that row.
TEST_F(LedgerStoreTest, DetectsEveryTamperedColumnAtTheRightIndex) {
  const auto chain = testdata::build_chain(9);
  store_chain(chain);
  drop_triggers();
  const std::vector<std::string> tampers = {
      "stream = 'EXEC'", "stream_sequence = stream_sequence + 100", "subject = subject || 'x'",
      "message_id = 'forged'", "producer = 'decision'", "message_type = 'trading.v1.Signal'",
      "key_id = 'k2'", "payload = payload || '\\x00'::bytea",
      "payload_sha256 = set_byte(payload_sha256, 0, get_byte(payload_sha256, 0) # 1)",
      "published_ns = published_ns + 1", "received_ns = received_ns - 1",
      "correlation_id = ''",
      "previous_hash = set_byte(previous_hash, 31, get_byte(previous_hash, 31) # 1)",
      "entry_hash = set_byte(entry_hash, 0, get_byte(entry_hash, 0) # 128)"};
  for (uint64_t row : {0u, 4u, 8u}) {
    for (const auto& set : tampers) {
      ASSERT_TRUE(sql("UPDATE ledger_entries SET " + set + " WHERE index = " +
                      std::to_string(row)));
      auto broken = verify();
      ASSERT_TRUE(broken) << set << " at " << row;
      EXPECT_EQ(broken->index, row) << set << ": " << broken->reason;
      // Put the original rows back for the next case.
      wipe();
      store_chain(chain);
      ASSERT_FALSE(verify());
    }
  }
}

TEST_F(LedgerStoreTest, DetectsDeletedSwappedAndInsertedRows) {
  const auto chain = testdata::build_chain(10);
  store_chain(chain);
  drop_triggers();

  ASSERT_TRUE(sql("DELETE FROM ledger_entries WHERE index = 6"));
  EXPECT_EQ(verify()->reason, "index gap at 6: entry 6 is missing (next entry is 7)");
  wipe();
  store_chain(chain);

  // Swap the contents of rows 2 and 5 (their index values exchanged).
  ASSERT_TRUE(sql("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;"
                  "UPDATE ledger_entries SET index = CASE index WHEN 2 THEN 5 ELSE 2 END "
                  "WHERE index IN (2, 5)"));
  EXPECT_EQ(verify()->reason, "previous hash mismatch at index 2: previous_hash is " +
                                  to_hex(chain[4].entry_hash) + ", expected " +
                                  to_hex(chain[1].entry_hash));
  ASSERT_TRUE(sql("DELETE FROM ledger_entries; ALTER TABLE ledger_entries ADD PRIMARY KEY (index)"));
  ASSERT_TRUE(sql("DELETE FROM ledger_tree_nodes"));
  store_chain(chain);

  // A forged entry with a correct hash inserted at 4, later rows renumbered.
  Entry forged = chain[3];
  forged.index = 4;
  forged.stream = "CTL";
  forged.stream_sequence = 1;
  forged.previous_hash = chain[3].entry_hash;
  forged.entry_hash = entry_hash(forged);
  ASSERT_TRUE(sql("UPDATE ledger_entries SET index = index + 1000 WHERE index >= 4;"
                  "UPDATE ledger_entries SET index = index - 999 WHERE index >= 1000"));
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return write_entries(tx, {&forged, 1}); }));
  auto b = verify();
  ASSERT_TRUE(b);
  // The chain alone breaks at 5 (its link skips the forged row); the stored
  // leaf hash of entry 4 pins the inserted row itself.
  EXPECT_EQ(b->reason, "tree node mismatch at index 4: the stored leaf hash of entry 4 (tree node "
                       "(0, 4)) is " + to_hex(to_bytes(leaf_hash(canonical_encoding(chain[4])))) +
                       ", recomputed " + to_hex(to_bytes(leaf_hash(canonical_encoding(forged)))));
  ChainVerifier chain_only;
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(chain_only.check(chain[i]));
  ASSERT_TRUE(chain_only.check(forged));
  auto shifted = chain[4];
  shifted.index = 5;
  EXPECT_FALSE(chain_only.check(shifted));
  EXPECT_EQ(chain_only.broken()->reason, "previous hash mismatch at index 5: previous_hash is " +
                                             to_hex(chain[3].entry_hash) + ", expected " +
                                             to_hex(forged.entry_hash));
  wipe();
  store_chain(chain);

  // A duplicated (stream, sequence) appended with a valid link and hash.
  ASSERT_TRUE(sql("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_stream_sequence_key"));
  Entry dup = chain[7];
  dup.index = 10;
  dup.previous_hash = chain[9].entry_hash;
  dup.entry_hash = entry_hash(dup);
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return write_entries(tx, {&dup, 1}); }));
  EXPECT_EQ(verify()->reason,
            "duplicated (stream, stream_sequence) (SIG, 3) at index 10: first at index 7");
}

TEST_F(LedgerStoreTest, VerifiesRangesInChunks) {
  const auto chain = testdata::build_chain(95);
  store_chain(chain, 20);
  std::vector<uint64_t> progress;
  auto r = verify_ledger(*db_, {.from = 10, .to = 80, .chunk_rows = 16,
                                .progress = [&](uint64_t n) { progress.push_back(n); }});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->broken);
  EXPECT_EQ(r->checked, 71u);
  EXPECT_EQ(progress.back(), 71u);
  EXPECT_EQ(progress.size(), 5u);

  auto past_end = verify_ledger(*db_, {.from = 90, .to = 99});
  ASSERT_TRUE(past_end);
  EXPECT_EQ(past_end->broken->reason,
            "index gap at 95: entries 95..99 are missing (the log ends at 95 entries)");

  auto bad = verify_ledger(*db_, {.from = 5, .to = 4});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--to 4 is before --from 5");
}

// The checkpoint records the chain head: a deleted tail, or a consistently
// rewritten chain, no longer matches it.
TEST_F(LedgerStoreTest, ComparesTheTailWithTheLedgerCheckpoint) {
  ASSERT_TRUE(sql("CREATE TABLE tp_checkpoints (service text PRIMARY KEY, snapshot bytea NOT NULL,"
                  " applied jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"));
  LedgerCore core;
  for (uint64_t s = 1; s <= 6; ++s)
    (void)core.append({.stream = "MD", .stream_sequence = s, .subject = "md", .message_id = "m",
                       .producer = "p", .message_type = "t", .key_id = "k", .payload = "x",
                       .published_ns = 1, .received_ns = 2, .correlation_id = ""});
  const auto entries = core.unwritten();
  const auto nodes = core.unwritten_nodes();
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) -> Status {
    if (auto s = write_batch(tx, entries, nodes); !s) return s;
    const std::string snap = core.snapshot();
    tx.exec_params("INSERT INTO tp_checkpoints (service, snapshot, applied) VALUES ('ledger', $1, '{}')",
                   pqxx::binarystring(snap.data(), snap.size()));
    return ok();
  }));
  auto r = verify_ledger(*db_, {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broken);
  EXPECT_EQ(r->checkpoint_next_index, 6u);

  drop_triggers();
  ASSERT_TRUE(sql("DELETE FROM ledger_entries WHERE index >= 4"));
  EXPECT_EQ(verify()->reason,
            "index gap at 4: entries 4..5 are missing (the log ends at 4 entries)");
}


// ---- the Merkle tree and signed tree heads

TEST_F(LedgerStoreTest, StoredTreeGivesRootsProofsAndVerifiedHeads) {
  const auto chain = testdata::build_chain(37);
  store_chain(chain, 5);
  const auto h10 = sign_head(chain, 10);
  const auto h37 = sign_head(chain, 37);
  auto r = verify_ledger(*db_, {});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->broken) << r->broken->reason;
  EXPECT_TRUE(r->tree_checked);
  EXPECT_EQ(r->tree_size, 37u);
  EXPECT_EQ(r->root, h37.root);
  EXPECT_EQ(r->nodes_checked, 2u * 37 - 3);  // every perfect subtree: 2n - popcount(n)
  EXPECT_EQ(r->tree_heads_checked, 2u);
  EXPECT_EQ(r->latest_tree_head, h37);
  EXPECT_FALSE(r->key_pinned);

  // Proofs from the stored nodes verify against the signed roots.
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) -> Status {
    EXPECT_EQ(*stored_size(tx), 37u);
    EXPECT_EQ(*stored_root(tx, 10), h10.root);
    for (uint64_t leaf = 0; leaf < 37; ++leaf) {
      auto path = stored_inclusion_proof(tx, leaf, 37);
      EXPECT_TRUE(path);
      EXPECT_TRUE(verify_inclusion(leaf, 37, leaf_hash(canonical_encoding(chain[leaf])), *path, h37.root));
    }
    auto proof = stored_consistency_proof(tx, 10, 37);
    EXPECT_TRUE(verify_consistency(10, 37, h10.root, h37.root, *proof));
    EXPECT_EQ(stored_inclusion_proof(tx, 37, 37).error().message, "entry 37 is not in a tree of 37 entries");
    EXPECT_EQ(stored_root(tx, 38).error().message, "tree node (1, 18) is missing from ledger_tree_nodes");
    auto heads = tree_heads_between(tx, 0, 100);
    EXPECT_EQ(heads->size(), 2u);
    EXPECT_EQ(*latest_tree_head(tx), h37);
    EXPECT_EQ(*load_tree_head(tx, 10), h10);
    // One head per size: a second signature of size 10 keeps the first.
    EXPECT_EQ(*store_tree_head(tx, signer().sign(10, h10.root, 99)), h10);
    return ok();
  }));

  // A pinned key: the same heads verify; another key rejects them.
  r = verify_ledger(*db_, {.public_key = signer().public_key()});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broken);
  EXPECT_TRUE(r->key_pinned);
  auto other = TreeHeadSigner::from_seed(std::string(32, '\x08'));
  r = verify_ledger(*db_, {.public_key = other->public_key()});
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->broken);
  EXPECT_EQ(r->broken->index, 9u);
  EXPECT_EQ(r->broken->reason, "tree head signature invalid at size 10: tree head of size 10 is signed by key " +
                                   signer().key_id() + ", not by the trusted key " + other->key_id());

  // Partial verification seeds the tree from the stored subtrees.
  r = verify_ledger(*db_, {.from = 13, .to = 36, .chunk_rows = 4});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broken);
  EXPECT_TRUE(r->tree_checked);
  EXPECT_EQ(r->tree_heads_checked, 1u);
  EXPECT_EQ(r->root, h37.root);
}

TEST_F(LedgerStoreTest, DetectsTamperedTreeNodesAndHeads) {
  const auto chain = testdata::build_chain(20);
  store_chain(chain);
  const auto h10 = sign_head(chain, 10);
  drop_triggers();

  // Entry 7's row holds the nodes (0, 7), (1, 3), (2, 1), (3, 0); flip (2, 1).
  ASSERT_TRUE(sql("UPDATE ledger_tree_nodes SET hashes = set_byte(hashes, 64, get_byte(hashes, 64) # 1) "
                  "WHERE leaf = 7"));
  auto b = verify();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 7u);
  EXPECT_TRUE(b->reason.starts_with("tree node mismatch at index 7: the stored tree node (2, 1) over "
                                    "entries 4..7 is "))
      << b->reason;
  wipe();
  store_chain(chain);

  ASSERT_TRUE(sql("DELETE FROM ledger_tree_nodes WHERE leaf = 3"));
  EXPECT_EQ(verify()->reason, "tree node missing at index 3: the leaf hash of entry 3 (tree node (0, 3)) "
                              "is not in ledger_tree_nodes");
  wipe();
  store_chain(chain);

  ASSERT_TRUE(sql("UPDATE ledger_tree_heads SET root_hash = set_byte(root_hash, 5, 0) WHERE tree_size = 10"));
  b = verify();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 0u);
  EXPECT_TRUE(b->reason.starts_with("tree head mismatch at size 10: the head signed at 1 ns has root "))
      << b->reason;
  ASSERT_TRUE(sql("DELETE FROM ledger_tree_heads"));
  sign_head(chain, 10);
  ASSERT_TRUE(sql("UPDATE ledger_tree_heads SET signature = set_byte(signature, 63, get_byte(signature, 63) # 1)"));
  EXPECT_EQ(verify()->reason, "tree head signature invalid at size 10: tree head of size 10: the signature "
                              "does not verify with key " + signer().key_id());
  ASSERT_TRUE(sql("DELETE FROM ledger_tree_heads"));
  EXPECT_EQ(h10, sign_head(chain, 10));
  EXPECT_FALSE(verify());
}

// An attacker with the owner's rights rewrites history from entry 12 on,
// recomputing every later link: the chain alone verifies.
TEST_F(LedgerStoreTest, ConsistentRewriteIsCaughtByLeafHashesAndSignedHeads) {
  const auto chain = testdata::build_chain(25);
  store_chain(chain);
  sign_head(chain, 10);
  sign_head(chain, 20);
  auto forged = chain;
  forged[12].payload = "forged";
  forged[12].payload_sha256 = sha256(forged[12].payload);
  for (size_t i = 12; i < forged.size(); ++i) {
    if (i > 12) forged[i].previous_hash = forged[i - 1].entry_hash;
    forged[i].entry_hash = entry_hash(forged[i]);
  }
  drop_triggers();
  ASSERT_TRUE(sql("DELETE FROM ledger_entries WHERE index >= 12"));
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) {
    return write_entries(tx, std::span(forged).subspan(12));
  }));
  // The stored leaf hash of entry 12 still pins the original.
  auto b = verify();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 12u);
  EXPECT_TRUE(b->reason.starts_with("tree node mismatch at index 12: the stored leaf hash of entry 12"))
      << b->reason;

  // The tree nodes rewritten too: the signed head of size 20 catches it, in
  // the range between the last head that matched (10) and 20.
  wipe();
  store_chain(forged);
  b = verify();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 10u);
  EXPECT_TRUE(b->reason.starts_with("tree head mismatch at size 20: "));
  EXPECT_TRUE(b->reason.ends_with("(an entry in 10..19 was changed after it was signed)")) << b->reason;

  // A deleted tail, with nodes and without a checkpoint: the head of size 20 remains.
  wipe();
  store_chain(std::vector<Entry>(chain.begin(), chain.begin() + 15));
  EXPECT_EQ(verify()->reason, "index gap at 15: a tree head of size 20 was signed, the log ends at 15 entries");
}

TEST_F(LedgerStoreTest, TheWriterRoleMayOnlyInsertAndSelect) {
  store_chain(testdata::build_chain(4));
  auto role = db_->transact_value<std::optional<std::string>>([](pqxx::work& tx) { return writer_role(tx); });
  ASSERT_TRUE(role) << role.error().to_string();
  ASSERT_EQ(*role, std::optional<std::string>(kWriterRole));
  drop_triggers();  // privileges alone must stop it
  for (const std::string statement :
       {"UPDATE ledger_entries SET subject = 'x'", "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries", "UPDATE ledger_tree_nodes SET leaf = leaf + 1",
        "DELETE FROM ledger_tree_heads", "DELETE FROM ledger_signing_keys",
        "DROP TRIGGER ledger_tree_nodes_no_truncate ON ledger_tree_nodes",
        "ALTER TABLE ledger_entries DISABLE TRIGGER ALL"}) {
    auto s = sql("SET ROLE tp_ledger_writer; " + statement);
    ASSERT_FALSE(s) << statement;
    const auto& m = s.error().message;
    EXPECT_TRUE(m.find("permission denied for table") != std::string::npos ||
                m.find("must be owner of") != std::string::npos)
        << statement << ": " << m;
  }
  const auto more = testdata::build_chain(6);
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) -> Status {
    tx.exec0("SET LOCAL ROLE tp_ledger_writer");
    return write_batch(tx, std::span(more).subspan(4), {});
  }));
  auto r = verify_ledger(*db_, {});
  ASSERT_TRUE(r);
  // The chain verifies; entries 4 and 5 were written without tree nodes here.
  EXPECT_EQ(r->broken->reason, "tree node missing at index 4: the leaf hash of entry 4 (tree node (0, 4)) "
                               "is not in ledger_tree_nodes");
}

TEST_F(LedgerStoreTest, BackfillBuildsTheTreeOfAnOlderLog) {
  const auto chain = testdata::build_chain(45);
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return write_entries(tx, chain); }));
  // An interrupted earlier backfill left some nodes behind.
  CompactRange expected;
  std::vector<TreeNode> nodes;
  for (const auto& e : chain) expected.append(leaf_hash(canonical_encoding(e)), &nodes);
  size_t first_ten = 0;  // the nodes completed by entries 0..9
  while (((nodes[first_ten].index + 1) << nodes[first_ten].level) - 1 < 10) ++first_ten;
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) {
    return write_tree_nodes(tx, std::span(nodes).subspan(0, first_ten));
  }));
  auto tree = backfill_tree(*db_, 45);
  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_EQ(*tree, expected);
  auto r = verify_ledger(*db_, {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broken) << r->broken->reason;
  EXPECT_EQ(r->nodes_checked, nodes.size());

  drop_triggers();
  ASSERT_TRUE(sql("UPDATE ledger_entries SET subject = 'x' WHERE index = 30"));
  auto bad = backfill_tree(*db_, 45);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message.starts_with(
      "cannot build the Merkle tree over a broken chain: hash mismatch at index 30"))
      << bad.error().message;
}

TEST_F(LedgerStoreTest, QueriesByTimeCorrelationSubjectAndType) {
  LedgerCore core;
  struct M {
    const char* stream;
    const char* subject;
    const char* type;
    const char* correlation;
    int64_t t;
  };
  const M ms[] = {{"MD", "md.bar.x.BTCUSDT.1m", "trading.v1.Bar", "bar:1", 100},
                  {"SIG", "sig.ma.BTCUSDT", "trading.v1.Signal", "bar:1", 110},
                  {"MD", "md.bar.x.ETHUSDT.1m", "trading.v1.Bar", "bar:2", 120},
                  {"ORDERS", "orders.intent.ma", "trading.v1.OrderIntent", "bar:1", 130},
                  {"EXEC", "exec.fill.ma", "trading.v1.ExecutionReport", "bar:1", 140},
                  {"CTL", "ctl.killswitch", "trading.v1.KillSwitch", "", 150},
                  {"MD", "md.bar_x", "trading.v1.Bar", "", 160}};
  uint64_t seq = 0;
  for (const auto& m : ms)
    (void)core.append({.stream = m.stream, .stream_sequence = ++seq, .subject = m.subject,
                       .message_id = "id", .producer = "p", .message_type = m.type, .key_id = "k",
                       .payload = "payload", .published_ns = m.t, .received_ns = m.t + 1,
                       .correlation_id = m.correlation});
  const auto entries = core.unwritten();
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) { return write_batch(tx, entries, core.unwritten_nodes()); }));
  auto q = [&](EntryQuery query) {
    auto rows = db_->transact_value<std::vector<Entry>>([&](pqxx::work& tx) { return query_entries(tx, query); });
    EXPECT_TRUE(rows) << rows.error().to_string();
    std::vector<uint64_t> out;
    for (const auto& e : *rows) out.push_back(e.index);
    return out;
  };
  using V = std::vector<uint64_t>;
  EXPECT_EQ(q({.correlation_id = "bar:1"}), (V{0, 1, 3, 4}));  // bar -> signal -> order -> fill
  EXPECT_EQ(q({.from_time_ns = 110, .to_time_ns = 140}), (V{1, 2, 3}));
  EXPECT_EQ(q({.subject_prefix = "md.bar."}), (V{0, 2}));  // '_' is not a wildcard
  EXPECT_EQ(q({.subject_prefix = "md.bar_"}), (V{6}));
  EXPECT_EQ(q({.message_type = "trading.v1.Bar", .limit = 2}), (V{0, 2}));
  EXPECT_EQ(q({.from_index = 2, .to_index = 5, .message_type = "trading.v1.Bar"}), (V{2}));
  EXPECT_EQ(q({.correlation_id = "it's"}), V{});
  EXPECT_EQ(q({.from_time_ns = 100, .limit = 3, .by_published_time = true}), (V{0, 1, 2}));
  auto rows = db_->transact_value<std::vector<Entry>>(
      [&](pqxx::work& tx) { return query_entries(tx, {.correlation_id = "bar:2", .with_payload = false}); });
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].payload, "");
  EXPECT_EQ((*rows)[0].payload_sha256, entries[2].payload_sha256);
  rows = db_->transact_value<std::vector<Entry>>(
      [&](pqxx::work& tx) { return query_entries(tx, {.correlation_id = "bar:2"}); });
  EXPECT_EQ((*rows)[0], entries[2]);
}

}  // namespace
}  // namespace tp::ledger
