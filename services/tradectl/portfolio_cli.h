// tradectl's portfolio commands (docs/services/tradectl.md, "Portfolio"):
//   orders    orders with their state; --id shows one order's every event
//   history   position history over a time range
//   stats     trade statistics (win rate, profit factor, Sharpe, Sortino, drawdown, ...)
//   trades    closed trades (closing fills) with entry, exit and net PnL
//   outcomes  realised outcomes attributed to decision ids
// They read execsim's tables through the same queries as the gRPC
// PortfolioService (execsim/query/portfolio_queries.h).
//
// This file: argument parsing, usage texts and renderers; pure, unit-tested.
//   auto o = tp::tradectl::parse_portfolio_command({"stats", "--strategy", "momo"}, env);
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "trading/v1/services.pb.h"

namespace tp::tradectl {

enum class PortfolioCommand { kOrders, kHistory, kStats, kTrades, kOutcomes };

struct PortfolioOptions {
  PortfolioCommand command = PortfolioCommand::kOrders;
  std::string db = kDefaultDb;
  std::string strategy;
  std::string venue;
  std::string symbol;
  std::string id;           // orders --id
  std::string decision_id;  // outcomes --decision
  bool open_only = false;   // orders --open
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  uint32_t limit = 0;
  bool help = false;
};

// True for orders, history, stats, trades, outcomes.
bool is_portfolio_command(const std::string& name);

// Usage of one portfolio command ("" when `topic` is not one); the overview
// lines come from cli.cc.
std::string portfolio_usage(const std::string& topic);

// Parses argv[1..] (args[0] is the command). TP_DB is the --db default.
[[nodiscard]] Result<PortfolioOptions> parse_portfolio_command(const std::vector<std::string>& args,
                                                               const Environment& env);

// "1700000000000000000" (ns), "2023-03-01T00:00:00Z" or "2023-03-01" (UTC).
[[nodiscard]] Result<int64_t> parse_portfolio_time(const std::string& text);

std::string render_orders(const trading::v1::GetOrdersResponse& r);
std::string render_order_events(const trading::v1::GetOrdersResponse& r);
std::string render_history(const trading::v1::GetPositionHistoryResponse& r);
std::string render_stats(const trading::v1::TradeStats& s, const PortfolioOptions& o);
std::string render_trades(const trading::v1::GetTradesResponse& r);
std::string render_outcomes(const trading::v1::GetOutcomesResponse& r);

}  // namespace tp::tradectl
