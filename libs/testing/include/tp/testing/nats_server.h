// A real nats-server with JetStream for integration tests, listening on
// 127.0.0.1:<free port> with its store in a private temp dir.
//
//   auto nats = tp::testing::NatsServer::start();
//   ASSERT_TRUE(nats) << nats.error().to_string();
//   connect_to((*nats)->url());          // "nats://127.0.0.1:41234"
//   ASSERT_TRUE((*nats)->kill());        // crash it
//   ASSERT_TRUE((*nats)->restart());     // same port, same JetStream store
//
// The binary is $TP_NATS_SERVER if set, else `nats-server` on PATH, else
// /usr/sbin, /usr/bin or /usr/local/bin. The generated config and the
// server's output (nats.conf, nats.log) live in the temp dir; errors quote
// the tail of nats.log. The server is sent SIGKILL if the thread that
// started it exits (PR_SET_PDEATHSIG), so start servers from the test's
// main thread or a thread that outlives them.
//
// Ownership: the NatsServer owns the process and the temp dir; destroying
// it stops the server and removes the directory. Threads: not
// synchronised; drive one NatsServer from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tp/core/error.h"

namespace tp::testing {

struct NatsServerOptions {
  // Appended verbatim to the generated nats.conf (accounts, limits, ...).
  std::string extra_config;
  // max_payload in bytes; 0 keeps the server default (1 MiB).
  int64_t max_payload = 0;
  // How long start() and restart() wait for the client port to answer.
  std::chrono::milliseconds ready_timeout{20'000};
};

class NatsServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<NatsServer>> start(NatsServerOptions options = {});

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  ~NatsServer();

  const std::string& url() const { return url_; }  // "nats://127.0.0.1:<port>"
  uint16_t port() const { return port_; }
  // The temp dir holding nats.conf, nats.log and the JetStream store.
  const std::string& directory() const;
  const std::string& log_path() const { return log_path_; }
  bool running() const;

  // SIGTERM (clean shutdown), then SIGKILL if it has not exited in 10 s.
  // Stopping a stopped server is a no-op.
  [[nodiscard]] Status stop();
  // SIGKILL: a crash, without JetStream's clean shutdown.
  [[nodiscard]] Status kill();
  // Starts the server again on the same port with the same store dir, so
  // streams and messages survive. Stops it first if it is running.
  [[nodiscard]] Status restart();

 private:
  struct State;
  explicit NatsServer(std::unique_ptr<State> state);
  [[nodiscard]] Status launch();

  std::unique_ptr<State> state_;
  std::string url_;
  std::string log_path_;
  uint16_t port_ = 0;
};

}  // namespace tp::testing
