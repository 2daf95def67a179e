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

  // Appends the chain in batches of `batch`, one transaction each.
  void store_chain(const std::vector<Entry>& chain, size_t batch = 7) {
    for (size_t i = 0; i < chain.size(); i += batch) {
      std::span<const Entry> part(chain.data() + i, std::min(batch, chain.size() - i));
      auto s = db_->transact([&](pqxx::work& tx) { return write_entries(tx, part); });
      ASSERT_TRUE(s) << s.error().to_string();
    }
  }

  Status sql(const std::string& statement) { return db_->execute(statement); }

  std::optional<ChainBreak> verify(VerifyOptions options = {}) {
    auto r = verify_ledger(*db_, options);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->broken : std::nullopt;
  }

  void drop_triggers() {
    ASSERT_TRUE(sql("DROP TRIGGER ledger_entries_append_only ON ledger_entries;"
                    "DROP TRIGGER ledger_entries_no_truncate ON ledger_entries;"));
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
      ASSERT_TRUE(sql("DELETE FROM ledger_entries"));
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
  ASSERT_TRUE(sql("DELETE FROM ledger_entries"));
  store_chain(chain);

  // Swap the contents of rows 2 and 5 (their index values exchanged).
  ASSERT_TRUE(sql("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;"
                  "UPDATE ledger_entries SET index = CASE index WHEN 2 THEN 5 ELSE 2 END "
                  "WHERE index IN (2, 5)"));
  EXPECT_EQ(verify()->reason, "previous hash mismatch at index 2: previous_hash is " +
                                  to_hex(chain[4].entry_hash) + ", expected " +
                                  to_hex(chain[1].entry_hash));
  ASSERT_TRUE(sql("DELETE FROM ledger_entries; ALTER TABLE ledger_entries ADD PRIMARY KEY (index)"));
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
  EXPECT_EQ(b->reason, "previous hash mismatch at index 5: previous_hash is " +
                           to_hex(chain[3].entry_hash) + ", expected " +
                           to_hex(forged.entry_hash));
  ASSERT_TRUE(sql("DELETE FROM ledger_entries"));
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
  ASSERT_TRUE(db_->transact([&](pqxx::work& tx) -> Status {
    if (auto s = write_entries(tx, entries); !s) return s;
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

}  // namespace
}  // namespace tp::ledger
