#include "sandbox.h"

#include "tp/testing/child_process.h"
#include "tp/testing/free_port.h"
#include "tp/testing/nats_server.h"
#include "tp/testing/postgres_server.h"
#include "tp/testing/temp_dir.h"

namespace tp::launcher {

const std::vector<std::string>& pipeline_services() {
  static const std::vector<std::string> names = {"ingester", "regime",  "paramctl", "signal",
                                                 "decision", "execsim", "ledger"};
  return names;
}

struct Sandbox::Servers {
  std::unique_ptr<testing::NatsServer> nats;
  std::unique_ptr<testing::PostgresServer> postgres;
  std::unique_ptr<testing::TempDir> work;
};

Sandbox::~Sandbox() {
  platform_.reset();  // services first, then the servers they use
  servers_.reset();
}

const std::string& Sandbox::work_dir() const { return servers_->work->path(); }

Result<std::unique_ptr<Sandbox>> Sandbox::create(const SandboxOptions& options) {
  std::unique_ptr<Sandbox> box(new Sandbox());
  box->servers_ = std::make_unique<Servers>();
  auto work = testing::TempDir::create("tp-sandbox");
  if (!work) return std::unexpected(work.error());
  box->servers_->work = std::make_unique<testing::TempDir>(std::move(*work));
  auto nats = testing::NatsServer::start();
  if (!nats) return std::unexpected(nats.error());
  box->servers_->nats = std::move(*nats);
  auto pg = testing::PostgresServer::start();
  if (!pg) return std::unexpected(pg.error());
  box->servers_->postgres = std::move(*pg);
  auto db = box->servers_->postgres->create_database("trading");
  if (!db) return std::unexpected(db.error());
  box->database_ = *db;

  const std::string dir = box->servers_->work->path();
  testing::ChildSpec keys;
  keys.program = "/usr/bin/python3";
  keys.args = {options.source_dir + "/tools/make_keys.py", dir + "/keys"};
  keys.log_path = dir + "/make_keys.log";
  auto kp = testing::ChildProcess::spawn(keys);
  if (!kp) return std::unexpected(kp.error());
  if (!kp->wait_for_exit(std::chrono::seconds(30)) || !kp->exited_successfully())
    return make_error(ErrorCode::kInternal, "make_keys.py failed: " + testing::file_tail(keys.log_path));

  PlatformOptions o;
  o.nats_url = box->servers_->nats->url();
  o.db_connection = box->database_;
  o.keys_dir = dir + "/keys";
  o.log_dir = dir + "/log";
  o.working_dir = options.source_dir;
  for (const auto& name : pipeline_services()) {
    auto bin = options.binaries.find(name);
    if (bin == options.binaries.end())
      return make_error(ErrorCode::kInvalidArgument, "no binary given for " + name);
    ServiceSpec s;
    s.name = name;
    s.binary = bin->second;
    s.config_file = options.source_dir + "/deploy/local/" + name + ".json";
    s.admin_port = testing::free_loopback_port();
    if (auto e = options.env.find(name); e != options.env.end()) s.env = e->second;
    o.services.push_back(std::move(s));
  }
  box->platform_ = std::make_unique<Platform>(std::move(o));
  if (auto s = box->platform_->seed_regime_model(options.source_dir + "/deploy/local/regime-model.json"); !s)
    return std::unexpected(s.error());
  return box;
}

}  // namespace tp::launcher
