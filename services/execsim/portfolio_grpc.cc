#include "execsim/portfolio_grpc.h"

#include "execsim/query/portfolio_queries.h"
#include "tp/rpc/grpc_server.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

template <typename Response>
grpc::Status answer(bool serving, Result<Response> result, Response* out) {
  if (!serving) return rpc::starting("execsim");
  if (!result) return rpc::to_grpc(result.error());
  *out = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status PortfolioGrpcService::GetPositions(grpc::ServerContext*, const v1::GetPositionsRequest* req,
                                                v1::GetPositionsResponse* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_positions(*db_, *req), resp);
}

grpc::Status PortfolioGrpcService::GetOrders(grpc::ServerContext*, const v1::GetOrdersRequest* req,
                                             v1::GetOrdersResponse* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_orders(*db_, *req), resp);
}

grpc::Status PortfolioGrpcService::GetPositionHistory(grpc::ServerContext*,
                                                      const v1::GetPositionHistoryRequest* req,
                                                      v1::GetPositionHistoryResponse* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_position_history(*db_, *req), resp);
}

grpc::Status PortfolioGrpcService::GetTradeStats(grpc::ServerContext*, const v1::GetTradeStatsRequest* req,
                                                 v1::TradeStats* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_trade_stats(*db_, *req), resp);
}

grpc::Status PortfolioGrpcService::GetOutcomes(grpc::ServerContext*, const v1::GetOutcomesRequest* req,
                                               v1::GetOutcomesResponse* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_outcomes(*db_, *req), resp);
}

grpc::Status PortfolioGrpcService::GetTrades(grpc::ServerContext*, const v1::GetTradesRequest* req,
                                             v1::GetTradesResponse* resp) {
  if (!serving_) return rpc::starting("execsim");
  return answer(serving_, query_trades(*db_, *req), resp);
}

}  // namespace tp::execsim
