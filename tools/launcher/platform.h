// Runs the seven service binaries as real processes against a running
// nats-server and PostgreSQL: start, wait until ready, watch progress, wait
// until the pipeline has drained, stop (SIGTERM) or crash (SIGKILL) any one.
// Used by `make run` (tools/launcher/run_platform.cc) and by the end-to-end
// tests (tests/e2e).
//
//   tp::launcher::Platform platform(options);
//   platform.start_all();                    // waits for every /readyz
//   platform.wait_until_drained(std::chrono::minutes(10), print_progress);
//   platform.stop_all();                     // SIGTERM; every service must exit 0
//
// Services are launched with `--config <file>` and the common settings as
// environment overrides (TP_NATS__URLS, TP_DATABASE__CONNECTION,
// TP_KEYS__FILE, TP_ADMIN__PORT), so one config file serves every
// environment.
//
// Threads: drive a Platform from one thread (the one that started it: child
// processes die with that thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tp/core/error.h"

namespace tp::bus {
class JetStreamTransport;
}

namespace tp::launcher {

struct ServiceSpec {
  std::string name;         // also the key ring file name in keys_dir
  std::string binary;       // path of the executable
  std::string config_file;  // JSON config; empty = environment only
  uint16_t admin_port = 0;
  std::vector<std::pair<std::string, std::string>> env;  // extra TP_* overrides
};

struct PlatformOptions {
  std::string nats_url;
  std::string db_connection;
  std::string keys_dir;
  std::string log_dir;
  std::string working_dir;  // where services resolve relative paths
  std::vector<ServiceSpec> services;
  std::chrono::milliseconds ready_timeout{30'000};
};

struct Progress {
  std::map<std::string, uint64_t> stream_messages;  // stream -> stored messages
  uint64_t unprocessed = 0;     // pending + ack-pending over every durable consumer
  std::string busiest_consumer; // the consumer with the most unprocessed messages
  bool ingestion_complete = false;
};

class Platform {
 public:
  explicit Platform(PlatformOptions options);
  ~Platform();  // kills whatever is still running
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Trains, registers and promotes the regime model described by
  // `spec_file` (deploy/local/regime-model.json) with the regime binary's
  // CLI, before the services start. Idempotent: the version is
  // content-addressed and re-promoting the active version changes nothing.
  [[nodiscard]] Status seed_regime_model(const std::string& spec_file);

  [[nodiscard]] Status start(const std::string& name);
  [[nodiscard]] Status start_all();
  // SIGTERM, then waits; an exit status other than 0 is an error.
  [[nodiscard]] Status stop(const std::string& name);
  [[nodiscard]] Status stop_all();
  // SIGKILL: a crash.
  void kill(const std::string& name);
  bool running(const std::string& name);

  [[nodiscard]] Result<Progress> progress();
  // Until ingestion is complete and every consumer has processed everything,
  // twice in a row. Fails if a service dies or the timeout passes.
  [[nodiscard]] Status wait_until_drained(std::chrono::milliseconds timeout,
                                          const std::function<void(const Progress&)>& on_progress);

  uint16_t admin_port(const std::string& name) const;
  const std::string& log_path(const std::string& name) const;
  const PlatformOptions& options() const { return options_; }

 private:
  struct Running;
  PlatformOptions options_;
  std::map<std::string, std::unique_ptr<Running>> running_;
  std::map<std::string, std::string> log_paths_;
  std::unique_ptr<bus::JetStreamTransport> monitor_;  // for progress()
};

}  // namespace tp::launcher
