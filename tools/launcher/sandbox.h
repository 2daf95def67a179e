// A throw-away platform: a fresh nats-server and PostgreSQL on free loopback
// ports in temp dirs, fresh key rings, and the service binaries configured
// from deploy/local/. For end-to-end tests and benchmarks.
//
//   auto box = tp::launcher::Sandbox::create({.source_dir = TP_SOURCE_DIR, .binaries = bins});
//   (*box)->platform().start_all();
//   (*box)->platform().wait_until_drained(...);
//
// Threads: create and drive it from one thread (the servers die with it).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "platform.h"
#include "tp/core/error.h"

namespace tp::launcher {

struct SandboxOptions {
  std::string source_dir;                       // repository root
  std::map<std::string, std::string> binaries;  // service name -> executable
  // Extra TP_* overrides per service, e.g. the ingester's data paths.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> env;
};

class Sandbox {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Sandbox>> create(const SandboxOptions& options);
  ~Sandbox();

  Platform& platform() { return *platform_; }
  const std::string& database() const { return database_; }
  const std::string& work_dir() const;

 private:
  struct Servers;
  Sandbox() = default;
  std::unique_ptr<Servers> servers_;
  std::unique_ptr<Platform> platform_;
  std::string database_;
};

// The services in pipeline order: ingester, regime, paramctl, signal,
// decision, execsim, ledger.
const std::vector<std::string>& pipeline_services();

}  // namespace tp::launcher
