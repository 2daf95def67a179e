// tradectl's portfolio commands end to end against PostgreSQL: execsim's
// core produces the rows (through its own store code), tradectl reads them.
#include "portfolio_commands.h"

#include <gtest/gtest.h>

#include <sstream>

#include "execsim/execsim_store.h"
#include "tp/core/fixed_point.h"
#include "tp/migrations/execsim.h"
#include "tp/runtime/checkpoint.h"
#include "tp/testing/postgres_server.h"

namespace tp::tradectl {
namespace {

namespace v1 = trading::v1;
constexpr int64_t kT0 = 1'677'628'800LL * 1'000'000'000;  // 2023-03-01T00:00:00Z
constexpr int64_t kStep = 60LL * 1'000'000'000;
int64_t e8(const char* t) { return fixed::from_string(t).value(); }

v1::Bar bar(int i, const char* open) {
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
  b.set_volume_e8(e8("10"));
  return b;
}

v1::OrderIntent order(int i, const char* id, v1::Side side, v1::OrderType type, const char* limit) {
  v1::OrderIntent in;
  auto& o = *in.mutable_order();
  o.set_client_order_id(id);
  o.mutable_instrument()->set_venue("binance-us");
  o.mutable_instrument()->set_symbol("BTCUSDT");
  o.set_side(side);
  o.set_type(type);
  o.set_limit_price_e8(e8(limit));
  o.set_quantity_e8(e8("1"));
  o.set_strategy("momo");
  o.mutable_trace()->set_event_time_ns(kT0 + i * kStep);
  o.mutable_trace()->set_decision_id(std::string("choice-") + id);
  return in;
}

TEST(PortfolioCommands, ReadExecsimTables) {
  auto pg = testing::PostgresServer::start();
  ASSERT_TRUE(pg) << pg.error().to_string();
  auto conninfo = (*pg)->create_database("tradectl_portfolio");
  ASSERT_TRUE(conninfo);
  auto db = store::Database::connect({.connection_string = *conninfo});
  ASSERT_TRUE(db);
  ASSERT_TRUE(store::apply_migrations(**db, runtime::checkpoint_migrations()));
  ASSERT_TRUE(store::apply_migrations(**db, migrations::execsim_migrations()));

  execsim::ExecsimConfig config;
  config.strategies["momo"] = {{{"binance-us", "BTCUSDT"}}, e8("100000")};
  config.fills.taker_fee_bps = 10;
  execsim::ExecsimCore core(config);
  runtime::Outbox out;
  (void)core.on_bar(bar(0, "30000"), "", out);
  (void)core.on_intent(order(0, "buy-1", v1::SIDE_BUY, v1::ORDER_TYPE_MARKET, "0"), out);
  (void)core.on_bar(bar(1, "30000"), "", out);  // bought 1 at 30000, fee 30
  (void)core.on_intent(order(1, "sell-1", v1::SIDE_SELL, v1::ORDER_TYPE_LIMIT, "30080"), out);
  (void)core.on_bar(bar(2, "30000"), "", out);  // high 30100: sold at 30080 (maker, no fee)
  ASSERT_TRUE((*db)->transact([&](pqxx::work& tx) { return execsim::write_rows(tx, core.pending_rows()); }));

  auto run = [&](std::vector<std::string> args, int expect = kExitOk) {
    args.push_back("--db");
    args.push_back(*conninfo);
    std::ostringstream o, e;
    auto code = run_portfolio(args, {}, o, e);
    EXPECT_TRUE(code.has_value());
    EXPECT_EQ(code.value_or(-1), expect) << e.str();
    return o.str() + e.str();
  };
  const std::string orders = run({"orders"});
  EXPECT_NE(orders.find("buy-1"), std::string::npos) << orders;
  EXPECT_NE(orders.find("2 orders"), std::string::npos) << orders;
  const std::string one = run({"orders", "--id", "sell-1"});
  EXPECT_NE(one.find("LIMIT 30080 traded through (high 30100); maker fee 0 bps"), std::string::npos) << one;
  EXPECT_NE(run({"history", "--from", "2023-03-01T00:01:00Z"}).find("2023-03-01T00:02:00Z"), std::string::npos);
  const std::string trades = run({"trades"});
  EXPECT_NE(trades.find("1 trades, net 50"), std::string::npos) << trades;  // 80 - 30
  const std::string stats = run({"stats", "--strategy", "momo"});
  EXPECT_NE(stats.find("win rate                   100.00%"), std::string::npos) << stats;
  const std::string outcomes = run({"outcomes", "--decision", "choice-sell-1"});
  EXPECT_NE(outcomes.find("1 outcomes, net 50"), std::string::npos) << outcomes;
  run({"orders", "--id", "nope"}, kExitFailure);
  EXPECT_FALSE(run_portfolio({"positions"}, {}, std::cout, std::cerr).has_value());
}

}  // namespace
}  // namespace tp::tradectl
