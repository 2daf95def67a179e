// The ledger's periodic self-verification (verification.h) against a real
// PostgreSQL: the gauges after a passing run carry ok = 1 and the injected
// clock's time; incremental runs check only the new entries (and the link
// into them); a tampered row (UPDATE as the database owner, triggers
// dropped) makes the next run report ok = 0 at the first bad index; a full
// run, due after verification.full_interval, finds tampering in entries an
// earlier run had already verified.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <sstream>

#include "ledger/core/ledger_core.h"
#include "ledger/store/ledger_table.h"
#include "test_entries.h"
#include "tp/migrations/ledger.h"
#include "tp/observability/service_metrics.h"
#include "tp/testing/postgres_server.h"
#include "verification.h"

namespace tp::ledger {
namespace {

constexpr int64_t kStart = 1'700'000'000'500'000'000;  // 1700000000.5 s

class LedgerVerificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    server_ = std::move(*pg);
    auto conn = server_->create_database("ledger_verification");
    ASSERT_TRUE(conn) << conn.error().to_string();
    auto db = store::Database::connect({.connection_string = *conn});
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    auto applied = store::apply_migrations(*db_, migrations::ledger_migrations());
    ASSERT_TRUE(applied) << applied.error().to_string();
    chain_ = testdata::build_chain(40);
  }

  // Appends chain_[stored_, end) and its tree nodes in one transaction.
  void append_to(size_t end) {
    std::span<const Entry> part(chain_.data() + stored_, end - stored_);
    std::vector<TreeNode> nodes;
    for (const auto& e : part) tree_.append(leaf_hash(canonical_encoding(e)), &nodes);
    auto s = db_->transact([&](pqxx::work& tx) { return write_batch(tx, part, nodes); });
    ASSERT_TRUE(s) << s.error().to_string();
    stored_ = end;
  }

  void sign_head_now() {
    static const TreeHeadSigner signer = *TreeHeadSigner::from_seed(std::string(32, '\x07'));
    auto head = signer.sign(stored_, tree_.root(), 1);
    auto s = db_->transact_value<SignedTreeHead>([&](pqxx::work& tx) -> Result<SignedTreeHead> {
      if (auto k = store_signing_key(tx, signer.key_id(), signer.public_key(), 0); !k)
        return std::unexpected(k.error());
      return store_tree_head(tx, head);
    });
    ASSERT_TRUE(s) << s.error().to_string();
  }

  Status sql(const std::string& statement) { return db_->execute(statement); }

  // The value of an unlabelled (but service=) gauge in the exposition.
  double gauge(const std::string& name) {
    std::istringstream text(metrics_.exposition());
    for (std::string line; std::getline(text, line);)
      if (line.rfind(name + "{", 0) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
    ADD_FAILURE() << name << " not exported:\n" << metrics_.exposition();
    return -1;
  }

  std::unique_ptr<testing::PostgresServer> server_;
  std::unique_ptr<store::Database> db_;
  std::vector<Entry> chain_;
  CompactRange tree_;
  size_t stored_ = 0;
  obs::ServiceMetrics metrics_{"ledger"};
  ManualClock clock_{kStart};
};

TEST_F(LedgerVerificationTest, SetsTheGaugesAndReportsTheFirstBadIndex) {
  LedgerVerifier verifier(*db_, clock_, metrics_, std::chrono::hours(24), 2);
  append_to(20);

  auto r = verifier.run();
  EXPECT_TRUE(r.ok) << (r.broken ? r.broken->reason : r.error.value_or(""));
  EXPECT_TRUE(r.full);
  EXPECT_EQ(r.from, 0u);
  EXPECT_EQ(r.verified_to, 20u);
  EXPECT_EQ(r.timestamp_ns, kStart);
  EXPECT_EQ(gauge("tp_ledger_verification_ok"), 1);
  EXPECT_NEAR(gauge("tp_ledger_last_verification_timestamp_seconds"), 1'700'000'000.5, 1e-3);

  // Incremental: only the new entries, and the signed head among them.
  append_to(25);
  sign_head_now();
  append_to(30);
  clock_.advance_ns(60 * kNanosPerSecond);
  r = verifier.run();
  EXPECT_TRUE(r.ok) << (r.broken ? r.broken->reason : r.error.value_or(""));
  EXPECT_FALSE(r.full);
  EXPECT_EQ(r.from, 20u);
  EXPECT_EQ(r.verified_to, 30u);
  EXPECT_EQ(r.timestamp_ns, kStart + 60 * kNanosPerSecond);
  EXPECT_NEAR(gauge("tp_ledger_last_verification_timestamp_seconds"), 1'700'000'060.5, 1e-3);

  // A new row tampered with before the next run: reported at its index.
  append_to(40);
  ASSERT_TRUE(sql("DROP TRIGGER ledger_entries_append_only ON ledger_entries"));
  ASSERT_TRUE(sql("UPDATE ledger_entries SET subject = subject || 'x' WHERE index = 33"));
  clock_.advance_ns(60 * kNanosPerSecond);
  r = verifier.run();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->index, 33u) << r.broken->reason;
  EXPECT_EQ(r.from, 30u);
  EXPECT_EQ(r.verified_to, 30u);  // the verified prefix does not advance
  EXPECT_EQ(r.timestamp_ns, kStart + 120 * kNanosPerSecond);
  EXPECT_EQ(gauge("tp_ledger_verification_ok"), 0);
  EXPECT_NEAR(gauge("tp_ledger_last_verification_timestamp_seconds"), 1'700'000'120.5, 1e-3);
  // ... and again on the next run, until it is repaired.
  r = verifier.run();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->index, 33u);
  ASSERT_TRUE(sql("UPDATE ledger_entries SET subject = left(subject, -1) WHERE index = 33"));
  r = verifier.run();
  EXPECT_TRUE(r.ok) << (r.broken ? r.broken->reason : r.error.value_or(""));
  EXPECT_EQ(r.verified_to, 40u);
  EXPECT_EQ(gauge("tp_ledger_verification_ok"), 1);

  // The link into the next incremental run is checked against the hash
  // verified earlier, not against the stored row.
  ASSERT_TRUE(sql("UPDATE ledger_entries SET entry_hash = set_byte(entry_hash, 0, "
                  "get_byte(entry_hash, 0) # 1) WHERE index = 39"));
  r = verifier.run();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->index, 39u);
  EXPECT_NE(r.broken->reason.find("verified earlier"), std::string::npos) << r.broken->reason;
  ASSERT_TRUE(sql("UPDATE ledger_entries SET entry_hash = set_byte(entry_hash, 0, "
                  "get_byte(entry_hash, 0) # 1) WHERE index = 39"));
  EXPECT_TRUE(verifier.run().ok);

  // An entry an earlier run verified: incremental runs do not re-read it;
  // the full run due after full_interval reports it.
  ASSERT_TRUE(sql("UPDATE ledger_entries SET subject = subject || 'x' WHERE index = 5"));
  r = verifier.run();
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.full);
  clock_.advance_ns(25LL * 3600 * kNanosPerSecond);
  r = verifier.run();
  EXPECT_TRUE(r.full);
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->index, 5u) << r.broken->reason;
  EXPECT_EQ(gauge("tp_ledger_verification_ok"), 0);
}

TEST_F(LedgerVerificationTest, AnEmptyLogVerifies) {
  LedgerVerifier verifier(*db_, clock_, metrics_, std::chrono::milliseconds(0), 1);
  auto r = verifier.run();
  EXPECT_TRUE(r.ok) << (r.broken ? r.broken->reason : r.error.value_or(""));
  EXPECT_EQ(r.verified_to, 0u);
  EXPECT_EQ(gauge("tp_ledger_verification_ok"), 1);
  append_to(3);
  r = verifier.run();
  EXPECT_TRUE(r.ok) << (r.broken ? r.broken->reason : r.error.value_or(""));
  EXPECT_FALSE(r.full);
  EXPECT_EQ(r.verified_to, 3u);
}

}  // namespace
}  // namespace tp::ledger
