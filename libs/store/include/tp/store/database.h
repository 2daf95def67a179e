// A PostgreSQL connection (libpqxx) with bounded connect-with-retry,
// transparent reconnect, and pqxx exceptions turned into tp::Error.
//
//   auto db = tp::store::Database::connect({.connection_string = conninfo});
//   if (!db) return std::unexpected(db.error());        // kUnavailable after retries
//   tp::Status s = (*db)->transact([&](pqxx::work& tx) -> tp::Status {
//     tx.exec_params("INSERT INTO fills(id, qty) VALUES ($1, $2)", id, qty);
//     return tp::ok();
//   });                                                  // unique violation -> kAlreadyExists
//
// pqxx types appear in this API on purpose: services write their own SQL,
// and pqxx::work already is the right query interface. What this class
// adds is the boundary: no pqxx exception escapes transact(), a broken
// connection is replaced, and the body is re-run when it is safe to do so
// (the connection broke before COMMIT was sent, so nothing was committed).
// The body must therefore have no side effects outside the transaction
// that would be wrong to repeat. Exceptions thrown inside the body are
// caught and converted too, so bodies may use pqxx freely.
//
// Threads: any thread may call any method; calls are serialised on one
// connection (a pqxx connection runs one transaction at a time). Use one
// Database per worker thread for parallelism.
// Ownership: the Database owns its connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/connection>
#include <pqxx/transaction>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::store {

// Attempts are spaced initial_backoff, initial_backoff * multiplier, ...
// each capped at max_backoff. The defaults wait about 21 s in total,
// enough for a database that starts alongside the service.
struct RetryPolicy {
  int max_attempts = 10;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
  double multiplier = 2.0;
};

// The pause before attempt `attempt + 1` after attempt `attempt` failed
// (attempt counts from 1).
std::chrono::milliseconds backoff_after(const RetryPolicy& policy, int attempt);

using SleepFunction = std::function<void(std::chrono::milliseconds)>;

struct DatabaseOptions {
  // libpq keyword ("host=... dbname=...") or URI ("postgresql://...") form.
  std::string connection_string;
  RetryPolicy retry;
  // How the retry loop waits; tests inject a recorder. Default: sleep.
  SleepFunction sleep;
  // Added as connect_timeout unless the connection string sets one, so a
  // black-holed host cannot hang a connection attempt forever.
  std::chrono::seconds connect_timeout{5};
  // How many times transact() runs a body whose connection broke before
  // commit, or that lost a serialization/deadlock race (counting the first).
  int transaction_attempts = 3;
};

class Database {
 public:
  // Connects, retrying per options.retry. kInvalidArgument for a bad
  // policy, kUnavailable when every attempt failed (the message names the
  // server without any password and quotes libpq's last error).
  [[nodiscard]] static Result<std::unique_ptr<Database>> connect(DatabaseOptions options);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs body in a read-committed read-write transaction and commits it if
  // body returns ok; rolls back and returns body's error otherwise. If there
  // is no live connection, reconnects first (with the retry policy).
  [[nodiscard]] Status transact(const std::function<Status(pqxx::work&)>& body);

  // transact() for a body that produces a value.
  template <typename T>
  [[nodiscard]] Result<T> transact_value(const std::function<Result<T>(pqxx::work&)>& body) {
    std::optional<T> value;
    Status status = transact([&](pqxx::work& tx) -> Status {
      Result<T> r = body(tx);
      if (!r) return std::unexpected(r.error());
      value = std::move(*r);
      return ok();
    });
    if (!status) return std::unexpected(status.error());
    return std::move(*value);
  }

  // Runs sql (one or more statements) in its own transaction.
  [[nodiscard]] Status execute(std::string_view sql);

  // One "SELECT 1" round trip with a single reconnect attempt and no
  // backoff: for readiness probes, which must answer quickly.
  [[nodiscard]] Status ping();

  // The connection target with any password removed, for logs.
  const std::string& description() const { return description_; }

 private:
  explicit Database(DatabaseOptions options);
  [[nodiscard]] Status connect_locked(const RetryPolicy& policy);

  DatabaseOptions options_;
  std::string effective_connection_string_;
  std::string description_;
  std::mutex mu_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace tp::store
