#include "tp/rpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "tp/observability/log.h"
#include "tp/runtime/service.h"

namespace tp::rpc {

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const std::string& address,
                                                      const std::vector<grpc::Service*>& services) {
  std::unique_ptr<GrpcServer> server(new GrpcServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  for (auto* s : services) builder.RegisterService(s);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0)
    return make_error(ErrorCode::kUnavailable, "grpc: cannot listen on " + address);
  log::info("grpc server listening", {{"address", address}, {"port", static_cast<int64_t>(server->port_)}});
  return server;
}

GrpcServer::~GrpcServer() { shutdown(); }

void GrpcServer::set_serving(bool serving) {
  serving_.store(serving);
  if (on_serving_) on_serving_(serving);
}

void GrpcServer::attach(runtime::ServiceContext& ctx, std::function<void(bool)> on_serving) {
  on_serving_ = std::move(on_serving);
  ctx.add_readiness_check("grpc", [this] { return serving(); });
  ctx.add_worker("grpc", [this](const std::atomic<bool>& stop) {
    set_serving(true);
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    set_serving(false);
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
}

void GrpcServer::shutdown() {
  set_serving(false);
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    server_.reset();
  }
}

grpc::Status to_grpc(const Error& error) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (error.code) {
    case ErrorCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case ErrorCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case ErrorCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case ErrorCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case ErrorCode::kPermissionDenied: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case ErrorCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case ErrorCode::kTimeout: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
    case ErrorCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    default: break;
  }
  return {code, error.message};
}

grpc::Status starting(const std::string& service) {
  return {grpc::StatusCode::UNAVAILABLE, service + " is starting"};
}

}  // namespace tp::rpc
