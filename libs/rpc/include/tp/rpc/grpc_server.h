// A service's gRPC server, run by the runtime shell: it listens from start()
// (so a bad address fails the start), serves once the checkpoint is
// restored (the "grpc" worker), reports readiness "grpc", and shuts down
// with the service.
//
//   // in Service::start():
//   auto server = tp::rpc::GrpcServer::start(config.grpc_address, {&my_service});
//   if (!server) return std::unexpected(server.error());
//   (*server)->attach(ctx, [&](bool on) { my_service.set_serving(on); });
//   // in each handler:
//   if (!serving_) return tp::rpc::starting("regime");
//   if (!result) return tp::rpc::to_grpc(result.error());
//   // in Service::stop():
//   server->shutdown();
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tp/core/error.h"

namespace grpc {
class Server;
class Service;
class Status;
}  // namespace grpc

namespace tp::runtime {
class ServiceContext;
}

namespace tp::rpc {

class GrpcServer {
 public:
  // Listens on host:port (port 0 picks a free one). kUnavailable when it cannot.
  [[nodiscard]] static Result<std::unique_ptr<GrpcServer>> start(const std::string& address,
                                                                 const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  // Adds the "grpc" worker (serving while the service runs) and readiness
  // check; `on_serving` hears every change (handlers answer "starting" until true).
  void attach(runtime::ServiceContext& ctx, std::function<void(bool)> on_serving = nullptr);
  bool serving() const { return serving_.load(); }
  int port() const { return port_; }
  // Stops serving and waits up to 2 s for calls in flight. Idempotent.
  void shutdown();

 private:
  GrpcServer() = default;
  void set_serving(bool serving);
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
  std::function<void(bool)> on_serving_;
};

// tp::Error -> grpc::Status with the same text.
grpc::Status to_grpc(const Error& error);
// UNAVAILABLE "<service> is starting", for calls before serving starts.
grpc::Status starting(const std::string& service);

}  // namespace tp::rpc
