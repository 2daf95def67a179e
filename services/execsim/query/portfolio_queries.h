// The portfolio queries behind trading.v1.PortfolioService (served by
// execsim) and tradectl's orders / history / stats / trades / outcomes
// commands: reads of the tables execsim writes in its checkpoint
// transaction (docs/services/execsim.md, "PostgreSQL tables", "Queries").
// Each call runs in one REPEATABLE READ, READ ONLY transaction, so its
// answer is one consistent state.
//
//   auto db = tp::store::Database::connect({.connection_string = conninfo});
//   auto stats = tp::execsim::query_trade_stats(**db, request);
//   if (!stats) ... stats.error() (kNotFound when execsim's tables do not exist yet)
//
// Thread safety: as store::Database (calls are serialised on its connection).
#pragma once

#include "tp/core/error.h"
#include "tp/store/database.h"
#include "trading/v1/services.pb.h"

namespace tp::execsim {

[[nodiscard]] Result<trading::v1::GetPositionsResponse> query_positions(
    store::Database& db, const trading::v1::GetPositionsRequest& request);
[[nodiscard]] Result<trading::v1::GetOrdersResponse> query_orders(
    store::Database& db, const trading::v1::GetOrdersRequest& request);
[[nodiscard]] Result<trading::v1::GetPositionHistoryResponse> query_position_history(
    store::Database& db, const trading::v1::GetPositionHistoryRequest& request);
[[nodiscard]] Result<trading::v1::TradeStats> query_trade_stats(
    store::Database& db, const trading::v1::GetTradeStatsRequest& request);
[[nodiscard]] Result<trading::v1::GetOutcomesResponse> query_outcomes(
    store::Database& db, const trading::v1::GetOutcomesRequest& request);
[[nodiscard]] Result<trading::v1::GetTradesResponse> query_trades(
    store::Database& db, const trading::v1::GetTradesRequest& request);

}  // namespace tp::execsim
