// Free TCP ports on the loopback interface for servers started by tests.
//
//   uint16_t port = tp::testing::free_loopback_port();
//   start_server("127.0.0.1", port);
//
// The port is found by binding 127.0.0.1:0 and closing the socket again, so
// another process may take it before the caller binds it; the server
// harnesses (NatsServer, PostgresServer) detect "address already in use" and
// retry with a new port. Threads: any thread may call.
#pragma once

#include <cstdint>

namespace tp::testing {

// Aborts the test process if no socket can be created at all, because no
// test that needs a port can run in that environment.
uint16_t free_loopback_port();

}  // namespace tp::testing
