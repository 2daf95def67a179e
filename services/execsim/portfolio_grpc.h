// trading.v1.PortfolioService, served by execsim on grpc.address
// (docs/services/execsim.md, "Queries"): positions and orders, position
// history, trade statistics, closed trades, and outcomes attributed to
// decision ids. Answers come from the tables execsim writes in its
// checkpoint transaction (execsim/query/portfolio_queries.h), through a
// database connection of its own, so queries never wait for the batch loop.
//
//   PortfolioGrpcService service(std::move(db));
//   auto server = tp::rpc::GrpcServer::start(address, {&service});
//
// Threading: gRPC threads; the Database serialises calls on its connection.
#pragma once

#include <atomic>
#include <memory>

#include "tp/store/database.h"
#include "trading/v1/services.grpc.pb.h"

namespace tp::execsim {

class PortfolioGrpcService final : public trading::v1::PortfolioService::Service {
 public:
  explicit PortfolioGrpcService(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  void set_serving(bool serving) { serving_ = serving; }

  grpc::Status GetPositions(grpc::ServerContext*, const trading::v1::GetPositionsRequest*,
                            trading::v1::GetPositionsResponse*) override;
  grpc::Status GetOrders(grpc::ServerContext*, const trading::v1::GetOrdersRequest*,
                         trading::v1::GetOrdersResponse*) override;
  grpc::Status GetPositionHistory(grpc::ServerContext*, const trading::v1::GetPositionHistoryRequest*,
                                  trading::v1::GetPositionHistoryResponse*) override;
  grpc::Status GetTradeStats(grpc::ServerContext*, const trading::v1::GetTradeStatsRequest*,
                             trading::v1::TradeStats*) override;
  grpc::Status GetOutcomes(grpc::ServerContext*, const trading::v1::GetOutcomesRequest*,
                           trading::v1::GetOutcomesResponse*) override;
  grpc::Status GetTrades(grpc::ServerContext*, const trading::v1::GetTradesRequest*,
                         trading::v1::GetTradesResponse*) override;

 private:
  std::unique_ptr<store::Database> db_;
  std::atomic<bool> serving_{false};
};

}  // namespace tp::execsim
