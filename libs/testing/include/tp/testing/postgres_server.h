// A real PostgreSQL server for integration tests: initdb into a private
// temp dir, then postgres on 127.0.0.1:<free port>, trust auth, user "tp".
//
//   auto pg = tp::testing::PostgresServer::start();
//   ASSERT_TRUE(pg) << pg.error().to_string();
//   auto conninfo = (*pg)->create_database("ledger_test");
//   // "host=127.0.0.1 port=41234 user=tp dbname=ledger_test"
//   ASSERT_TRUE((*pg)->restart());       // same port, same data
//
// Binaries (initdb, postgres) come from $TP_PG_BINDIR if set, else the
// newest /usr/lib/postgresql/<version>/bin (Debian does not put them on
// PATH), else PATH. PostgreSQL refuses to run as root, so when the test runs
// as root the servers run as $TP_PG_USER (default "nobody") and the temp
// dir is chowned to that user; $TMPDIR must then be traversable by it.
// Durability settings are relaxed for speed (fsync=off,
// full_page_writes=off): a killed server keeps every committed row (the OS
// still has the writes) but a machine crash would not.
//
// The server is sent SIGKILL if the thread that started it exits
// (PR_SET_PDEATHSIG); its backends exit when they notice the postmaster is
// gone. Logs (initdb.log, postgres.log) are in directory(); errors quote
// their tail.
//
// Ownership: the PostgresServer owns the processes and the temp dir;
// destroying it stops the server and removes the directory. Threads:
// not synchronised; drive one PostgresServer from one thread at a time.
// connection_string() may be read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"

namespace tp::testing {

struct PostgresServerOptions {
  // Extra server settings, each "name=value", passed as `-c name=value`.
  std::vector<std::string> settings;
  // How long start() and restart() wait for the server to accept a
  // connection (crash recovery after kill() happens inside this window).
  std::chrono::milliseconds ready_timeout{30'000};
  // How long initdb may take.
  std::chrono::milliseconds initdb_timeout{120'000};
};

class PostgresServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PostgresServer>> start(
      PostgresServerOptions options = {});

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  // libpq keyword form: "host=127.0.0.1 port=N user=tp dbname=<database>".
  std::string connection_string(std::string_view database = "postgres") const;
  // CREATE DATABASE <name>; returns its connection string. kAlreadyExists
  // if it exists; kUnavailable if the server is down.
  [[nodiscard]] Result<std::string> create_database(std::string_view name);

  uint16_t port() const { return port_; }
  // The temp dir holding data/, the logs and the Unix socket.
  const std::string& directory() const;
  const std::string& log_path() const { return log_path_; }
  bool running() const;

  // Fast shutdown (SIGINT: roll back open transactions, disconnect
  // clients), then SIGKILL if it has not exited in 10 s. SIGTERM would be
  // PostgreSQL's "smart" shutdown, which waits for every client to leave.
  // Stopping a stopped server is a no-op.
  [[nodiscard]] Status stop();
  // SIGKILL to the postmaster and all its backends: a crash. The next
  // start runs crash recovery.
  [[nodiscard]] Status kill();
  // Starts postgres again on the same port with the same data directory.
  // Stops it first if it is running.
  [[nodiscard]] Status restart();

 private:
  struct State;
  explicit PostgresServer(std::unique_ptr<State> state);
  [[nodiscard]] Status launch();

  std::unique_ptr<State> state_;
  std::string log_path_;
  uint16_t port_ = 0;
};

}  // namespace tp::testing
