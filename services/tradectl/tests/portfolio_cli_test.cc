// tradectl's portfolio commands: parsing and rendering (no database).
#include "portfolio_cli.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tp/core/fixed_point.h"

namespace tp::tradectl {
namespace {

namespace v1 = trading::v1;
int64_t e8(const char* t) { return fixed::from_string(t).value(); }

TEST(PortfolioCli, ParsesFiltersTimesAndLimits) {
  auto o = parse_portfolio_command({"orders", "--strategy", "momo", "--open", "--from", "2023-03-01",
                                    "--to", "2023-03-02T12:00:00Z", "--limit", "50"},
                                   {{"TP_DB", "dbname=x"}});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, PortfolioCommand::kOrders);
  EXPECT_EQ(o->db, "dbname=x");
  EXPECT_EQ(o->strategy, "momo");
  EXPECT_TRUE(o->open_only);
  EXPECT_EQ(o->from_ns, 1'677'628'800LL * 1'000'000'000);
  EXPECT_EQ(o->to_ns, (1'677'628'800LL + 86400 + 43200) * 1'000'000'000);
  EXPECT_EQ(o->limit, 50u);
  auto id = parse_portfolio_command({"orders", "--id", "momo-x-1"}, {});
  ASSERT_TRUE(id);
  EXPECT_EQ(id->id, "momo-x-1");
  auto out = parse_portfolio_command({"outcomes", "--decision", "choice-1", "--from", "17"}, {});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->decision_id, "choice-1");
  EXPECT_EQ(out->from_ns, 17);
}

TEST(PortfolioCli, UsageErrorsNameTheProblem) {
  auto err = [](std::vector<std::string> a) {
    auto o = parse_portfolio_command(a, {});
    return o ? std::string("ok") : o.error().message;
  };
  EXPECT_EQ(err({"stats", "--limit", "5"}), "stats: unknown option '--limit'");
  EXPECT_EQ(err({"stats", "--open"}), "stats: unknown option '--open'");
  EXPECT_EQ(err({"history", "--from", "yesterday"}),
            "history: --from: 'yesterday' is not a time: ns since the epoch, 2023-03-01 or "
            "2023-03-01T00:00:00Z");
  EXPECT_EQ(err({"trades", "--from", "20", "--to", "10"}), "trades: --to is before --from");
  EXPECT_EQ(err({"orders", "--limit", "0"}), "orders: --limit needs a positive integer, got '0'");
  EXPECT_EQ(err({"orders", "--strategy"}), "orders: --strategy needs a value");
  EXPECT_TRUE(is_portfolio_command("stats"));
  EXPECT_FALSE(is_portfolio_command("positions"));
  EXPECT_NE(portfolio_usage("stats").find("usage: tradectl stats"), std::string::npos);
  EXPECT_EQ(portfolio_usage("positions"), "");
}

TEST(PortfolioCli, RendersExactMoneyAndUndefinedRatios) {
  v1::TradeStats s;
  s.set_trades(3);
  s.set_wins(2);
  s.set_losses(1);
  s.set_win_rate(2.0 / 3);
  s.set_average_win_e8(e8("12.5"));
  s.set_average_loss_e8(e8("-4"));
  s.set_profit_factor(std::numeric_limits<double>::infinity());
  s.set_sharpe(std::nan(""));
  s.set_sortino(std::nan(""));
  s.set_volatility(std::nan(""));
  s.set_total_return(0.0125);
  s.set_max_drawdown(0.1);
  s.set_exposure(0.5);
  s.set_turnover_ratio(std::nan(""));
  PortfolioOptions o;
  o.strategy = "momo";
  const std::string text = render_stats(s, o);
  EXPECT_NE(text.find("trade statistics: strategy momo, all instruments"), std::string::npos);
  EXPECT_NE(text.find("win rate                 66.67%"), std::string::npos) << text;
  EXPECT_NE(text.find("average win                12.5"), std::string::npos) << text;
  EXPECT_NE(text.find("profit factor               inf"), std::string::npos) << text;
  EXPECT_NE(text.find("Sharpe (annualised)         n/a"), std::string::npos) << text;

  v1::GetTradesResponse t;
  auto& x = *t.add_trades();
  x.set_closed_time_ns(1'677'628'800LL * 1'000'000'000);
  x.set_strategy("momo");
  x.mutable_instrument()->set_symbol("BTCUSDT");
  x.set_position_side(v1::SIDE_BUY);
  x.set_quantity_e8(e8("0.5"));
  x.set_entry_price_e8(e8("30000"));
  x.set_exit_price_e8(e8("30100.5"));
  x.set_gross_pnl_e8(e8("50.25"));
  x.set_fees_e8(e8("3.00502500"));
  x.set_net_pnl_e8(e8("47.244975"));
  x.set_exec_id("exec:a:2");
  EXPECT_EQ(render_trades(t),
            "closed (bar)          strategy  symbol   position  quantity  entry     exit  gross  "
            "    fees        net  fill      decision\n"
            "--------------------  --------  -------  --------  --------  -----  -------  -----  "
            "--------  ---------  --------  --------\n"
            "2023-03-01T00:00:00Z  momo      BTCUSDT  LONG           0.5  30000  30100.5  50.25  "
            "3.005025  47.244975  exec:a:2\n"
            "1 trades, net 47.244975\n");
  EXPECT_EQ(render_outcomes({}), "no outcomes\n");
}

}  // namespace
}  // namespace tp::tradectl
