#include "platform.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "tp/bus/jetstream_transport.h"
#include "tp/observability/http_client.h"
#include "tp/runtime/topology.h"
#include "tp/testing/child_process.h"

namespace tp::launcher {

struct Platform::Running {
  testing::ChildProcess process;
};

namespace {

const ServiceSpec* find_spec(const PlatformOptions& o, const std::string& name) {
  for (const auto& s : o.services)
    if (s.name == name) return &s;
  return nullptr;
}

// Value of an unlabelled gauge in a Prometheus text exposition.
std::optional<double> gauge_value(const std::string& exposition, const std::string& name) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    auto rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '{')) continue;
    auto space = line.rfind(' ');
    try {
      return std::stod(line.substr(space + 1));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

Platform::Platform(PlatformOptions options) : options_(std::move(options)) {
  for (const auto& s : options_.services)
    log_paths_[s.name] = options_.log_dir + "/" + s.name + ".log";
}

Platform::~Platform() {
  for (auto& [name, r] : running_) r->process.kill_and_reap();
}

Status Platform::seed_regime_model(const std::string& spec_file) {
  const ServiceSpec* regime = find_spec(options_, "regime");
  if (!regime) return make_error(ErrorCode::kNotFound, "no service named regime");
  std::ifstream in(spec_file);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot read " + spec_file);
  std::vector<std::string> args = {"train"};
  try {
    const auto j = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
    for (const auto& [key, value] : j.items())
      args.insert(args.end(), {"--" + key, value.is_string() ? value.get<std::string>() : value.dump()});
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, spec_file + ": " + e.what());
  }
  args.insert(args.end(), {"--promote", "--db", options_.db_connection, "--nats", options_.nats_url, "--keys",
                           options_.keys_dir + "/regime.json", "--operator", "launcher"});
  std::filesystem::create_directories(options_.log_dir);
  testing::ChildSpec child;
  child.program = std::filesystem::absolute(regime->binary).string();
  child.args = args;
  child.drop_env_prefix = "TP_";
  child.log_path = options_.log_dir + "/regime-seed.log";
  child.working_dir = options_.working_dir;
  std::filesystem::remove(child.log_path);
  auto process = testing::ChildProcess::spawn(child);
  if (!process) return std::unexpected(process.error());
  if (!process->wait_for_exit(std::chrono::minutes(5))) {
    process->kill_and_reap();
    return make_error(ErrorCode::kTimeout, "regime train did not finish in 5 minutes");
  }
  if (!process->exited_successfully())
    return make_error(ErrorCode::kInternal, "regime train " + process->exit_description() + ":\n" +
                                                testing::file_tail(child.log_path));
  return ok();
}

Status Platform::start(const std::string& name) {
  const ServiceSpec* spec = find_spec(options_, name);
  if (!spec) return make_error(ErrorCode::kNotFound, "no service named " + name);
  if (running(name)) return make_error(ErrorCode::kFailedPrecondition, name + " is already running");
  std::filesystem::create_directories(options_.log_dir);
  testing::ChildSpec child;
  child.program = std::filesystem::absolute(spec->binary).string();
  if (!spec->config_file.empty()) child.args = {"--config", spec->config_file};
  child.env_overrides = {
      {"TP_NATS__URLS", options_.nats_url},
      {"TP_DATABASE__CONNECTION", options_.db_connection},
      {"TP_KEYS__FILE", options_.keys_dir + "/" + name + ".json"},
      {"TP_ADMIN__PORT", std::to_string(spec->admin_port)},
  };
  for (const auto& e : spec->env) child.env_overrides.push_back(e);
  // Services reject TP_* variables they do not know; the operator's own
  // (TP_NATS_PORT for the stack scripts, ...) are not theirs.
  child.drop_env_prefix = "TP_";
  child.log_path = log_paths_.at(name);
  child.working_dir = options_.working_dir;
  auto process = testing::ChildProcess::spawn(child);
  if (!process) return std::unexpected(process.error());
  auto r = std::make_unique<Running>(Running{std::move(*process)});
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    if (!r->process.running())
      return make_error(ErrorCode::kUnavailable,
                        name + " " + r->process.exit_description() + " while starting; log:\n" +
                            testing::file_tail(child.log_path));
    auto ready = obs::http_get("127.0.0.1", spec->admin_port, "/readyz", std::chrono::seconds(1));
    if (ready && ready->status == 200) {
      running_[name] = std::move(r);
      return ok();
    }
    last = ready ? ready->body : ready.error().to_string();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r->process.kill_and_reap();
  return make_error(ErrorCode::kTimeout, name + " not ready in time (" + last + "); log:\n" +
                                             testing::file_tail(child.log_path));
}

Status Platform::start_all() {
  for (const auto& s : options_.services)
    if (auto st = start(s.name); !st) return st;
  return ok();
}

Status Platform::stop(const std::string& name) {
  auto it = running_.find(name);
  if (it == running_.end()) return ok();
  auto& p = it->second->process;
  p.signal(SIGTERM);
  if (!p.wait_for_exit(std::chrono::seconds(30))) {
    p.kill_and_reap();
    running_.erase(it);
    return make_error(ErrorCode::kTimeout, name + " did not stop within 30 s of SIGTERM");
  }
  const bool clean = p.exited_successfully();
  const std::string how = p.exit_description();
  running_.erase(it);
  if (!clean)
    return make_error(ErrorCode::kInternal, name + " " + how + " after SIGTERM; log:\n" +
                                                testing::file_tail(log_paths_.at(name)));
  return ok();
}

Status Platform::stop_all() {
  Status result = ok();
  // Reverse order: consumers of a stream stop after its producers.
  for (auto it = options_.services.rbegin(); it != options_.services.rend(); ++it) {
    auto s = stop(it->name);
    if (!s && result) result = s;
  }
  return result;
}

void Platform::kill(const std::string& name) {
  auto it = running_.find(name);
  if (it == running_.end()) return;
  it->second->process.kill_and_reap();
  running_.erase(it);
}

bool Platform::running(const std::string& name) {
  auto it = running_.find(name);
  return it != running_.end() && it->second->process.running();
}

uint16_t Platform::admin_port(const std::string& name) const {
  const ServiceSpec* spec = find_spec(options_, name);
  return spec ? spec->admin_port : 0;
}

const std::string& Platform::log_path(const std::string& name) const { return log_paths_.at(name); }

Result<Progress> Platform::progress() {
  bus::JetStreamOptions o;
  o.servers = {options_.nats_url};
  o.name = "launcher";
  o.initial_connect_deadline_ns = 5 * kNanosPerSecond;
  if (!monitor_) {
    auto t = bus::JetStreamTransport::connect(o);
    if (!t) return std::unexpected(t.error());
    monitor_ = std::move(*t);
  }
  auto& bus = monitor_;
  Progress p;
  uint64_t worst = 0;
  for (const auto& stream : runtime::topology::streams()) {
    auto state = bus->stream_state(stream.name);
    if (!state) return std::unexpected(state.error());
    p.stream_messages[stream.name] = state->messages;
    auto names = bus->consumer_names(stream.name);
    if (!names) return std::unexpected(names.error());
    for (const auto& durable : *names) {
      auto c = bus->consumer_state(stream.name, durable);
      if (!c) return std::unexpected(c.error());
      const uint64_t open = c->num_pending + c->num_ack_pending;
      p.unprocessed += open;
      if (open > worst) {
        worst = open;
        p.busiest_consumer = durable;
      }
    }
  }
  if (find_spec(options_, "ingester")) {
    auto metrics = obs::http_get("127.0.0.1", admin_port("ingester"), "/metrics",
                                 std::chrono::seconds(2));
    if (metrics && metrics->status == 200) {
      auto v = gauge_value(metrics->body, "tp_ingester_complete");
      p.ingestion_complete = v && *v >= 1.0;
    }
  } else {
    p.ingestion_complete = true;
  }
  return p;
}

Status Platform::wait_until_drained(std::chrono::milliseconds timeout,
                                    const std::function<void(const Progress&)>& on_progress) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int quiet = 0;
  uint64_t last_total = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& s : options_.services)
      if (running_.contains(s.name) && !running(s.name))
        return make_error(ErrorCode::kUnavailable, s.name + " died; log:\n" +
                                                       testing::file_tail(log_paths_.at(s.name)));
    auto p = progress();
    if (!p) return std::unexpected(p.error());
    if (on_progress) on_progress(*p);
    uint64_t total = 0;
    for (const auto& [name, n] : p->stream_messages) total += n;
    quiet = (p->ingestion_complete && p->unprocessed == 0 && total == last_total) ? quiet + 1 : 0;
    last_total = total;
    if (quiet >= 2) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return make_error(ErrorCode::kTimeout, "pipeline did not drain in time");
}

}  // namespace tp::launcher
