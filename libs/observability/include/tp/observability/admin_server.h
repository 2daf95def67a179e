// The admin HTTP server of a process: /metrics, /healthz, /readyz.
//
// One per process, on its own thread, bound to a loopback or pod address:
//
//   tp::obs::ServiceMetrics metrics("decision");
//   tp::obs::AdminServer admin({.address = "0.0.0.0", .port = 9100,
//                               .registry = metrics.shared_registry()});
//   (void)admin.add_readiness_check("broker", [&] { return bus.connected(); });
//   (void)admin.add_readiness_check("database", [&] { return store.ping_status(); });
//   if (auto s = admin.start(); !s) { log(s.error().to_string()); return 1; }
//   ...
//   admin.stop();  // or let the destructor do it
//
// Endpoints (GET only; any other method on these paths is 405 with
// "Allow: GET"; any other path is 404; a query string is ignored except
// /readyz?format=json):
//   /metrics  200, the registry in Prometheus text format 0.0.4,
//             Content-Type "text/plain; version=0.0.4; charset=utf-8".
//   /healthz  200 "ok\n" while the liveness check passes (always, if none is
//             set); 503 "unhealthy: <error>\n" otherwise.
//   /readyz   200 when every readiness check passes (also when there are
//             none), 503 otherwise. Plain-text body: a first line "ready" or
//             "not ready", then one line per check in registration order:
//               ready                       not ready
//               broker: ok                  broker: ok
//               database: ok                database: failed: unavailable: connection refused
//                                           consumers: failed
//             A bool check that returns false shows "failed"; a Status check
//             shows "failed: <code>: <message>"; a check that throws shows
//             "failed: internal: check threw: <what>". Newlines in messages
//             become spaces.
//             /readyz?format=json gives the same as application/json:
//               {"status":"not ready","checks":[{"name":"broker","ok":true},
//                {"name":"database","ok":false,"error":"unavailable: ..."}]}
//
// Robustness: a request (headers plus body) larger than the limits gets 431
// or 413, unparseable bytes get 400, and the connection is closed; a
// connection that does not deliver a complete request within idle_timeout is
// closed; connections beyond max_connections are closed on accept. None of
// this affects other connections or the process.
//
// Checks run on the server thread on every request: they must be quick and
// non-blocking (read an atomic the owning component maintains), never do I/O.
//
// Ownership: the service's main owns it; the registry is shared. Checks
// capture references to components, so stop the server (or destroy it)
// before those components.
// Thread safety: every method may be called from any thread except from
// inside a check (stop() joins the thread the checks run on).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tp/core/error.h"

namespace prometheus {
class Registry;
}

namespace tp::obs {

class AdminServer {
 public:
  struct Options {
    // An IP literal (IPv4 or IPv6); host names are not resolved.
    std::string address = "127.0.0.1";
    // 0 picks a free ephemeral port; read it back with port().
    uint16_t port = 0;
    // Served on /metrics; null serves an empty exposition.
    std::shared_ptr<const prometheus::Registry> registry;
    // Time allowed to deliver one complete request (and between requests on
    // a kept-alive connection) before the server closes the connection.
    std::chrono::milliseconds idle_timeout{10'000};
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 4 * 1024;
    std::size_t max_connections = 32;
  };

  explicit AdminServer(Options options);
  ~AdminServer();  // stop()

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Registers a readiness check; names are unique (kAlreadyExists otherwise,
  // "admin server: readiness check 'broker' already registered"). Checks may
  // be added before or after start().
  [[nodiscard]] Status add_readiness_check(std::string name, std::function<Status()> check);
  [[nodiscard]] Status add_readiness_check(std::string name, std::function<bool()> check);

  // Replaces the liveness check behind /healthz (e.g. a Heartbeat's check).
  void set_liveness_check(std::function<Status()> check);

  // Binds and listens synchronously (so the port is connectable when this
  // returns), then serves on a new thread. Errors:
  //   kFailedPrecondition "admin server: already running on 127.0.0.1:9100"
  //   kInvalidArgument    "admin server: invalid address 'localhost'"
  //   kUnavailable        "admin server: cannot bind 127.0.0.1:9100: Address already in use"
  // A stopped server can be started again.
  [[nodiscard]] Status start();

  // Closes the listener and every connection and joins the thread.
  // Idempotent.
  void stop();

  bool running() const;
  // The bound port while running (the real one when Options::port was 0),
  // 0 otherwise.
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tp::obs
