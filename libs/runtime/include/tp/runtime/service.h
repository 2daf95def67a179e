// The shell every service binary shares: config, logging, metrics and the
// admin server, the bus, the database, checkpoints, consumer loops, workers,
// and a graceful shutdown on SIGTERM.
//
//   class SignalService final : public tp::runtime::Service {
//     void read_config(tp::config::Reader& r) override { ... }
//     tp::Status start(tp::runtime::ServiceContext& ctx) override {
//       ctx.add_input({.durable = "signal-bars", .stream = "MD", .filter = "md.bar.>"}, handler);
//       ctx.set_checkpointed(core_);
//       return tp::ok();
//     }
//   };
//   int main(int argc, char** argv) {
//     return tp::runtime::run_service(argc, argv, std::make_unique<SignalService>());
//   }
//
// Order of events (Redpanda style): parse and validate config (exit 2 with
// every error) -> logging -> metrics + admin server (/metrics, /healthz,
// /readyz) -> key ring -> bus (streams declared) -> database (migrations) ->
// service start() -> restore checkpoint -> consumer loops and workers ->
// wait for SIGTERM/SIGINT -> stop fetching, finish and settle in-flight
// batches, flush -> service stop() -> exit 0.
//
// Common configuration (docs/configuration.md lists every key):
//   nats.urls, nats.user, nats.password, nats.max_in_flight,
//   nats.publish_ack_timeout, nats.send_asap, database.connection,
//   database.password, admin.address, admin.port, log.level, keys.file,
//   security.max_age, security.max_future, security.replay_capacity,
//   consumer.batch_size, consumer.fetch_timeout, consumer.ack_wait,
//   consumer.max_deliver
//
// Threading: start() runs on the main thread before any loop; each input
// runs its own consumer loop thread; all inputs of a service share one batch
// mutex, so a core sees one batch at a time and needs no locking of its own.
// Workers run on their own threads and must return when `stop` turns true.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tp/bus/consumer_loop.h"
#include "tp/bus/publisher.h"
#include "tp/bus/transport.h"
#include "tp/config/reader.h"
#include "tp/core/clock.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "tp/signing/signer.h"
#include "tp/store/database.h"

namespace tp::obs {
class ServiceMetrics;
class AdminServer;
}  // namespace tp::obs

namespace tp::runtime {

struct CommonConfig {
  std::string service;
  std::vector<std::string> nats_urls;
  std::string nats_user;
  std::string nats_password;  // revealed secret; never logged
  int64_t max_in_flight = 4096;
  std::chrono::milliseconds publish_ack_timeout{5000};
  bool send_asap = false;
  std::string database_connection;  // libpq keywords, password excluded
  std::string database_password;    // revealed secret; never logged
  std::string admin_address = "127.0.0.1";
  uint16_t admin_port = 0;
  std::string log_level = "info";
  std::string keys_file;
  std::chrono::milliseconds max_age{30'000};
  std::chrono::milliseconds max_future{5'000};
  int64_t replay_capacity = 1'000'000;
  int64_t batch_size = 256;
  std::chrono::milliseconds fetch_timeout{100};
  std::chrono::milliseconds ack_wait{30'000};
  int64_t max_deliver = 5;
};

// Reads the common keys; errors accumulate in the reader.
CommonConfig read_common_config(config::Reader& reader, std::string_view service);

// The libpq connection string with the password (quoted), for a service
// that needs a database connection of its own beside the runtime's.
std::string database_connection_string(const CommonConfig& common);

struct InputSpec {
  std::string durable;         // consumer name, e.g. "signal-bars"
  std::string stream;          // e.g. "MD"
  std::string filter_subject;  // empty = the whole stream
  // Backpressure: when set and false, the input fetches nothing and its
  // messages wait in the stream. Called under the batch mutex (the core may
  // be read). A core that buffers inputs for a join uses it to bound its
  // buffers, and with them the size of every checkpoint. The gate must open
  // again once other inputs make progress, or the service stalls.
  std::function<bool()> accepting;
};

class ServiceContext {
 public:
  virtual ~ServiceContext() = default;
  virtual const CommonConfig& common() const = 0;
  virtual const Clock& clock() const = 0;
  virtual bus::Transport& transport() = 0;
  virtual bus::Publisher& publisher() = 0;
  virtual store::Database& database() = 0;
  virtual obs::ServiceMetrics& metrics() = 0;
  virtual obs::AdminServer& admin() = 0;
  virtual const signing::Signer& signer() const = 0;

  // A durable consumer whose verified messages go to `handler`.
  virtual void add_input(InputSpec spec, bus::Handler handler) = 0;
  // A thread of the service's own (a producer loop, a gRPC server).
  virtual void add_worker(std::string name,
                          std::function<void(const std::atomic<bool>& stop)> body) = 0;
  // The core whose state is checkpointed after every batch of every input.
  virtual void set_checkpointed(Checkpointed& core) = 0;
  // Readiness beyond broker, database and consumers (e.g. "grpc").
  virtual void add_readiness_check(std::string name, std::function<bool()> check) = 0;
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string name() const = 0;
  // Reads the service's own keys. Report problems through the reader.
  virtual void read_config(config::Reader& reader) = 0;
  // Service-specific SQL migrations (applied after the runtime's own).
  virtual std::vector<store::MigrationSet> migrations() const { return {}; }
  // Wires inputs, workers and the checkpointed core. An error exits 1.
  [[nodiscard]] virtual Status start(ServiceContext& context) = 0;
  // Called after every loop and worker has stopped.
  virtual void stop() {}
};

// Publishes every item of the outbox (queued; the consumer loop flushes).
[[nodiscard]] Status publish_all(Outbox& outbox, bus::Publisher& publisher);

// The whole life of a service process. Returns the process exit code.
int run_service(int argc, char** argv, std::unique_ptr<Service> service);

}  // namespace tp::runtime
