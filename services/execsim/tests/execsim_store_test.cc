// execsim's tables against a real PostgreSQL: rows written through the
// checkpoint transaction, idempotent on replay, and a restart restores the
// core from the checkpoint.
#include "execsim/execsim_store.h"

#include <gtest/gtest.h>

#include <cmath>

#include "execsim/portfolio_grpc.h"
#include "execsim/query/portfolio_queries.h"

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
    conninfo_ = *conninfo;
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
  std::string conninfo_;
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

// The queries (and PortfolioService on top of them) answer from the tables
// exactly: initial cash reconciles, orders carry their event history,
// closed trades, statistics and outcomes agree with the hand computation.
TEST_F(ExecsimStoreTest, PortfolioQueriesAnswerFromTheTables) {
  ExecsimCore core(make_config());
  PersistedExecsim persisted(core);
  runtime::Outbox out;
  auto ok_ = [](const bus::HandleResult& r) { EXPECT_EQ(r.kind(), bus::HandleResult::Kind::kOk); };
  persisted.before_handle();
  ok_(core.on_bar(bar(0, "30000", "10"), "bar-0", out));
  ok_(core.on_intent(buy(0, "1"), out));
  ok_(core.on_bar(bar(1, "30100", "10"), "bar-1", out));  // buy 1 at 30130.1, fee 30.1301
  v1::OrderIntent sell = buy(1, "1");
  sell.mutable_order()->set_client_order_id("momo-sell");
  sell.mutable_order()->set_side(v1::SIDE_SELL);
  sell.mutable_order()->set_type(v1::ORDER_TYPE_LIMIT);
  sell.mutable_order()->set_limit_price_e8(e8("30250"));
  sell.mutable_order()->mutable_trace()->set_decision_id("choice-2");
  ok_(core.on_intent(sell, out));
  ok_(core.on_bar(bar(2, "30200", "10"), "bar-2", out));  // high 30300: sold at 30250, no fee
  commit(persisted, 3);

  auto positions = query_positions(*db_, {});
  ASSERT_TRUE(positions) << positions.error().to_string();
  ASSERT_EQ(positions->positions_size(), 1);
  EXPECT_EQ(positions->initial_cash_e8(), e8("100000"));
  EXPECT_EQ(positions->cash_e8(), e8("100089.7699"));  // 100000 - 30130.1 - 30.1301 + 30250
  EXPECT_EQ(positions->realized_pnl_e8(), e8("119.9"));

  v1::GetOrdersRequest one;
  one.set_client_order_id("momo-sell");
  auto orders = query_orders(*db_, one);
  ASSERT_TRUE(orders) << orders.error().to_string();
  ASSERT_EQ(orders->orders_size(), 1);
  EXPECT_EQ(orders->orders(0).limit_price_e8(), e8("30250"));
  EXPECT_EQ(orders->last_reports(0).order_status(), v1::ORDER_STATUS_FILLED);
  ASSERT_EQ(orders->events_size(), 2);
  EXPECT_EQ(orders->events(0).exec_type(), v1::EXEC_ACK);
  EXPECT_EQ(orders->events(1).text(), "LIMIT 30250 traded through (high 30300); maker fee 0 bps");
  v1::GetOrdersRequest open;
  open.set_open_only(true);
  EXPECT_EQ(query_orders(*db_, open)->orders_size(), 0);
  EXPECT_EQ(query_orders(*db_, {})->orders_size(), 2);

  EXPECT_EQ(query_position_history(*db_, {})->positions_size(), 3);
  auto trades = query_trades(*db_, {});
  ASSERT_EQ(trades->trades_size(), 1);
  EXPECT_EQ(trades->trades(0).entry_price_e8(), e8("30130.1"));
  EXPECT_EQ(trades->trades(0).exit_price_e8(), e8("30250"));
  EXPECT_EQ(trades->trades(0).net_pnl_e8(), e8("89.7699"));
  EXPECT_EQ(trades->trades(0).position_side(), v1::SIDE_BUY);

  auto stats = query_trade_stats(*db_, {});
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->trades(), 1u);
  EXPECT_EQ(stats->wins(), 1u);
  EXPECT_EQ(stats->net_pnl_e8(), e8("89.7699"));
  EXPECT_EQ(stats->turnover_e8(), e8("60380.1"));
  EXPECT_EQ(stats->fees_e8(), e8("30.1301"));
  EXPECT_EQ(stats->fills(), 2u);
  EXPECT_EQ(stats->bars(), 3u);
  EXPECT_TRUE(std::isinf(stats->profit_factor()));

  v1::GetOutcomesRequest by_decision;
  by_decision.set_decision_id("choice-2");
  auto outcomes = query_outcomes(*db_, by_decision);
  ASSERT_EQ(outcomes->outcomes_size(), 1);
  EXPECT_EQ(outcomes->realized_pnl_e8(), e8("89.7699"));
  EXPECT_EQ(outcomes->outcome_ids(0), "outcome:choice-2:momo-sell:2");

  // The gRPC service answers the same, once serving.
  auto conn = store::Database::connect({.connection_string = conninfo_});
  ASSERT_TRUE(conn);
  PortfolioGrpcService service(std::move(*conn));
  v1::GetPositionsRequest req;
  v1::GetPositionsResponse resp;
  EXPECT_EQ(service.GetPositions(nullptr, &req, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  service.set_serving(true);
  ASSERT_TRUE(service.GetPositions(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.SerializeAsString(), positions->SerializeAsString());

  // A restart rebuilds the books exactly; so does replaying the fills table.
  runtime::CheckpointStore checkpoints(*db_, "execsim");
  auto saved = checkpoints.load();
  ASSERT_TRUE(saved && *saved);
  ExecsimCore restarted(make_config());
  ASSERT_TRUE(restarted.restore((*saved)->snapshot));
  EXPECT_EQ(restarted.snapshot(), core.snapshot());
  Book replay{.cash_e8 = e8("100000")};
  auto s = db_->transact([&](pqxx::work& tx) -> Status {
    for (const auto& r : tx.exec("SELECT side, quantity_e8, notional_e8, fee_e8 FROM execsim_fills "
                                 "ORDER BY bar_time_ns, exec_id"))
      apply_fill(replay, std::string(r[0].c_str()) == "BUY" ? v1::SIDE_BUY : v1::SIDE_SELL,
                 r[1].as<int64_t>(), r[2].as<int64_t>(), r[3].as<int64_t>());
    return ok();
  });
  ASSERT_TRUE(s);
  const Book* live = restarted.book("momo", {"binance-us", "BTCUSDT"});
  EXPECT_EQ(replay.cash_e8, live->cash_e8);
  EXPECT_EQ(replay.quantity_e8, live->quantity_e8);
  EXPECT_EQ(replay.realized_pnl_e8, live->realized_pnl_e8);
  EXPECT_EQ(replay.fees_e8, live->fees_e8);
}

}  // namespace
}  // namespace tp::execsim
