// `make run`: runs the seven services on the bundled data against the local
// stack (tools/stack.sh), shows progress, prints the summary, stops
// everything and exits 0 when the run was clean.
//
//   run_platform --root . --build build --var var
//
// Ports: TP_NATS_PORT (4222), TP_PG_PORT (55432), TP_ADMIN_BASE_PORT (9101:
// ingester 9101, regime 9102, paramctl 9103, signal 9104, decision 9105,
// execsim 9106, ledger 9107).
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "platform.h"
#include "tp/testing/child_process.h"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

int usage() {
  std::cerr << "usage: run_platform [--root DIR] [--build DIR] [--var DIR] [--timeout-seconds N]"
               " [--serve]\n"
               "  --serve  start the services and keep them running until SIGTERM/SIGINT"
               " (make up / make down)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = ".", build = "build", var = "var";
  long timeout_s = 1800;
  bool serve = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--serve") {
      serve = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    if (a == "--root") root = argv[++i];
    else if (a == "--build") build = argv[++i];
    else if (a == "--var") var = argv[++i];
    else if (a == "--timeout-seconds") timeout_s = std::atol(argv[++i]);
    else return usage();
  }
  const std::string nats_url = "nats://127.0.0.1:" + env_or("TP_NATS_PORT", "4222");
  const std::string db = "host=127.0.0.1 port=" + env_or("TP_PG_PORT", "55432") +
                         " user=tp dbname=" + env_or("TP_PG_DATABASE", "trading");
  const int base = std::atoi(env_or("TP_ADMIN_BASE_PORT", "9101").c_str());

  tp::launcher::PlatformOptions o;
  o.nats_url = nats_url;
  o.db_connection = db;
  o.keys_dir = var + "/keys";
  o.log_dir = var + "/log";
  o.working_dir = root;
  const char* order[] = {"ingester", "regime", "paramctl", "signal", "decision", "execsim", "ledger"};
  int n = 0;
  for (const char* name : order) {
    tp::launcher::ServiceSpec s;
    s.name = name;
    s.binary = build + "/services/" + name + "/" + name;
    s.config_file = root + "/deploy/local/" + name + ".json";
    s.admin_port = static_cast<uint16_t>(base + n++);
    o.services.push_back(s);
  }
  tp::launcher::Platform platform(o);
  const std::string model_spec = root + "/deploy/local/regime-model.json";
  std::cout << "run: training and promoting the regime model (" << model_spec << ")\n";
  if (auto s = platform.seed_regime_model(model_spec); !s) {
    std::cerr << "run: " << s.error().message << "\n";
    return 1;
  }
  std::cout << "run: starting services (logs in " << o.log_dir << ")\n";
  // Consumers first, the ingester last, so the first bars find everyone ready.
  for (auto it = o.services.rbegin(); it != o.services.rend(); ++it) {
    if (auto s = platform.start(it->name); !s) {
      std::cerr << "run: " << s.error().message << "\n";
      return 1;
    }
    std::cout << "  " << it->name << " ready  http://127.0.0.1:" << it->admin_port
              << "/metrics  /healthz  /readyz\n";
  }
  if (serve) {
    // Signals are taken by sigwait, here only; the services stop cleanly.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::cout << "run: all services running; stop with SIGTERM (make down)" << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "run: stopping services" << std::endl;
    if (auto s = platform.stop_all(); !s) {
      std::cerr << "run: " << s.error().message << "\n";
      return 1;
    }
    return 0;
  }
  auto drained = platform.wait_until_drained(
      std::chrono::seconds(timeout_s), [](const tp::launcher::Progress& p) {
        std::cout << "\r  bars " << p.stream_messages.at("MD") << "  signals "
                  << p.stream_messages.at("SIG") << "  orders+rejects "
                  << p.stream_messages.at("ORDERS") << "  exec " << p.stream_messages.at("EXEC")
                  << "  dead letters " << p.stream_messages.at("DLQ") << "  backlog "
                  << p.unprocessed << (p.busiest_consumer.empty() ? "" : " (" + p.busiest_consumer + ")")
                  << (p.ingestion_complete ? "  [ingestion complete]" : "") << "        "
                  << std::flush;
      });
  std::cout << "\n";
  if (!drained) {
    std::cerr << "run: " << drained.error().message << "\n";
    (void)platform.stop_all();
    return 1;
  }
  std::cout << "run: pipeline drained; stopping services\n";
  if (auto s = platform.stop_all(); !s) {
    std::cerr << "run: " << s.error().message << "\n";
    return 1;
  }
  // The summary is tradectl's: one implementation for ops and for make run.
  tp::testing::ChildSpec summary;
  summary.program = std::filesystem::absolute(build + "/services/tradectl/tradectl").string();
  summary.args = {"summary", "--db", db, "--nats-monitor",
                  "http://127.0.0.1:" + env_or("TP_NATS_MONITOR_PORT", "8222")};
  summary.log_path = var + "/log/summary.txt";
  std::filesystem::remove(summary.log_path);
  auto proc = tp::testing::ChildProcess::spawn(summary);
  if (!proc) {
    std::cerr << "run: tradectl: " << proc.error().message << "\n";
    return 1;
  }
  proc->wait_for_exit(std::chrono::minutes(5));
  std::ifstream text(summary.log_path);
  std::cout << text.rdbuf();
  if (!proc->exited_successfully()) {
    std::cerr << "run: tradectl summary " << proc->exit_description() << "\n";
    return 1;
  }
  std::cout << "run: done. Admin URLs were http://127.0.0.1:" << base << "-" << base + 6
            << " (/metrics, /healthz, /readyz).\n";
  return 0;
}
