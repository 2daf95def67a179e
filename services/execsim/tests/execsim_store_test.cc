// execsim's tables against a real PostgreSQL: rows written through the
// checkpoint transaction, idempotent on replay, and a restart restores the
// core from the checkpoint.
#include "execsim/execsim_store.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tp/core/fixed_point.h"
#include "tp/migrations/execsim.h"
#include "tp/runtime/checkpoint.h"
#include "tp/testing/postgres_server.h"

namespace tp::execsim {
namespace {

namespace v1 = trading::v1;

constexpr int64_t kT0 = 1'700'000'000LL * kNanosPerSecond;
constexpr int64_t kStep = 60LL * kNanosPerSecond;
int64_t e8(const char* text) { return fixed::from_string(text).value(); }

ExecsimConfig make_config() {
  ExecsimConfig c;
  c.strategies["momo"] = {{{"binance-us", "BTCUSDT"}}, e8("100000")};
  c.fills.slippage_bps = 10;
  c.fills.taker_fee_bps = 10;
  c.fills.max_volume_share_e8 = e8("0.1");
  return c;
}

v1::Bar bar(int i, const char* open, const char* volume) {
  v1::Bar b;
  b.mutable_instrument()->set_venue("binance-us");
  b.mutable_instrument()->set_symbol("BTCUSDT");
  b.set_timeframe("1m");
  b.set_open_time_ns(kT0 + i * kStep);
  b.set_close_time_ns(kT0 + (i + 1) * kStep);
  b.set_open_e8(e8(open));
  b.set_high_e8(e8(open) + e8("100"));
  b.set_low_e8(e8(open) - e8("100"));
  b.set_close_e8(e8(open) + e8("50"));
  b.set_volume_e8(e8(volume));
  return b;
}

v1::OrderIntent buy(int i, const char* qty) {
  v1::OrderIntent in;
  auto& o = *in.mutable_order();
  o.set_client_order_id("momo-binance-us-BTCUSDT-" + std::to_string((kT0 + i * kStep) / kNanosPerSecond));
  o.mutable_instrument()->set_venue("binance-us");
  o.mutable_instrument()->set_symbol("BTCUSDT");
  o.set_side(v1::SIDE_BUY);
  o.set_type(v1::ORDER_TYPE_MARKET);
  o.set_quantity_e8(e8(qty));
  o.set_strategy("momo");
  o.mutable_trace()->set_event_time_ns(kT0 + i * kStep);
  o.mutable_trace()->set_decision_id("choice-1");
  return in;
}

class ExecsimStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::start();
    ASSERT_TRUE(pg) << pg.error().to_string();
    pg_ = std::move(*pg);
    auto conninfo = pg_->create_database("execsim_test");
    ASSERT_TRUE(conninfo) << conninfo.error().to_string();
    auto db = store::Database::connect({.connection_string = *conninfo});
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    ASSERT_TRUE(store::apply_migrations(*db_, runtime::checkpoint_migrations()));
    auto applied = store::apply_migrations(*db_, migrations::execsim_migrations());
    ASSERT_TRUE(applied) << applied.error().to_string();
  }

  // One "batch": the handler, then the checkpoint with the rows.
  void commit(PersistedExecsim& persisted, uint64_t sequence) {
    runtime::CheckpointStore checkpoints(*db_, "execsim");
    auto s = checkpoints.save({persisted.snapshot(), {{"execsim-bars", sequence}}},
                              [&](pqxx::work& tx) { return persisted.persist(tx); });
    ASSERT_TRUE(s) << s.error().to_string();
  }

  std::string query(const std::string& sql) {
    std::string out;
    auto s = db_->transact([&](pqxx::work& tx) -> Status {
      for (const auto& row : tx.exec(sql)) {
        for (const auto& field : row) out += std::string(field.c_str()) + "|";
        out += "\n";
      }
      return ok();
    });
    EXPECT_TRUE(s) << s.error().to_string();
    return out;
  }

  std::unique_ptr<testing::PostgresServer> pg_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(ExecsimStoreTest, WritesOrdersFillsAndPositionsInTheCheckpointTransaction) {
  ExecsimCore core(make_config());
  PersistedExecsim persisted(core);
  runtime::Outbox out;
  persisted.before_handle();
  ASSERT_EQ(core.on_bar(bar(0, "30000", "10"), "bar-0", out).kind(), bus::HandleResult::Kind::kOk);
  ASSERT_EQ(core.on_intent(buy(0, "1.5"), out).kind(), bus::HandleResult::Kind::kOk);
  ASSERT_EQ(core.on_bar(bar(1, "30100", "10"), "bar-1", out).kind(), bus::HandleResult::Kind::kOk);
  commit(persisted, 2);
  // The Database may re-run a transaction body: writing again changes nothing.
  commit(persisted, 2);
  persisted.before_handle();
  EXPECT_TRUE(core.pending_rows().empty());

  EXPECT_EQ(query("SELECT client_order_id, status, quantity_e8, cumulative_quantity_e8, "
                  "leaves_quantity_e8, average_price_e8 FROM execsim_orders"),
            "momo-binance-us-BTCUSDT-1700000000|PARTIAL_FILL|150000000|100000000|50000000|"
            "3013010000000|\n");
  EXPECT_EQ(query("SELECT exec_id, side, quantity_e8, price_e8, notional_e8, fee_e8, liquidity, "
                  "bar_time_ns, decision_id FROM execsim_fills"),
            "exec:momo-binance-us-BTCUSDT-1700000000:2|BUY|100000000|3013010000000|"
            "3013010000000|3013010000|TAKER|1700000060000000000|choice-1|\n");
  EXPECT_EQ(query("SELECT strategy, bar_time_ns, quantity_e8, cash_e8 FROM execsim_positions"),
            "momo|1700000060000000000|100000000|6983976990000|\n");
  EXPECT_EQ(query("SELECT count(*) FROM execsim_position_history"), "2|\n");

  // The next batch completes the order; the latest position moves on.
  ASSERT_EQ(core.on_intent(buy(1, "0"), out).kind(), bus::HandleResult::Kind::kOk);
  ASSERT_EQ(core.on_bar(bar(2, "30000", "10"), "bar-2", out).kind(), bus::HandleResult::Kind::kOk);
  commit(persisted, 3);
  EXPECT_EQ(query("SELECT status, cumulative_quantity_e8 FROM execsim_orders ORDER BY "
                  "client_order_id"),
            "FILL|150000000|\nREJECTED|0|\n");
  EXPECT_EQ(query("SELECT bar_time_ns, quantity_e8 FROM execsim_positions"),
            "1700000120000000000|150000000|\n");
  EXPECT_EQ(query("SELECT count(*) FROM execsim_fills"), "2|\n");

  // A restart restores the core exactly from the checkpoint.
  runtime::CheckpointStore checkpoints(*db_, "execsim");
  auto saved = checkpoints.load();
  ASSERT_TRUE(saved && *saved);
  ExecsimCore restarted(make_config());
  ASSERT_TRUE(restarted.restore((*saved)->snapshot));
  EXPECT_EQ(restarted.snapshot(), core.snapshot());
}

TEST_F(ExecsimStoreTest, AbandonedBatchWritesNothing) {
  ExecsimCore core(make_config());
  PersistedExecsim persisted(core);
  runtime::Outbox out;
  ASSERT_EQ(core.on_bar(bar(0, "30000", "10"), "bar-0", out).kind(), bus::HandleResult::Kind::kOk);
  EXPECT_FALSE(core.pending_rows().empty());
  persisted.discard_pending();
  EXPECT_TRUE(core.pending_rows().empty());
  commit(persisted, 1);
  EXPECT_EQ(query("SELECT count(*) FROM execsim_position_history"), "0|\n");
}

}  // namespace
}  // namespace tp::execsim
