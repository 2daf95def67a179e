// Sustained pipeline throughput on the full bundled data (60,480 bars): the
// seven real services on a fresh nats-server and PostgreSQL, timed from the
// ingester's start until every consumer has drained (bars through to ledger
// entries). Output: JSON on stdout.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "sandbox.h"

int main(int argc, char** argv) {
  std::string root = ".", build = "build";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--root") root = argv[i + 1];
    else if (a == "--build") build = argv[i + 1];
  }
  tp::launcher::SandboxOptions options;
  options.source_dir = root;
  for (const auto& name : tp::launcher::pipeline_services())
    options.binaries[name] = build + "/services/" + name + "/" + name;
  auto box = tp::launcher::Sandbox::create(options);
  if (!box) {
    std::cerr << "pipeline_bench: " << box.error().to_string() << "\n";
    return 1;
  }
  auto& platform = (*box)->platform();
  const auto& services = tp::launcher::pipeline_services();
  for (auto it = services.rbegin(); it != services.rend(); ++it) {
    if (*it == "ingester") continue;
    if (auto s = platform.start(*it); !s) {
      std::cerr << "pipeline_bench: " << s.error().message << "\n";
      return 1;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  if (auto s = platform.start("ingester"); !s) {
    std::cerr << "pipeline_bench: " << s.error().message << "\n";
    return 1;
  }
  auto drained = platform.wait_until_drained(std::chrono::minutes(30), nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!drained) {
    std::cerr << "pipeline_bench: " << drained.error().message << "\n";
    return 1;
  }
  auto progress = platform.progress();
  (void)platform.stop_all();
  uint64_t messages = 0;
  for (const auto& [stream, n] : progress->stream_messages) messages += n;
  pqxx::connection conn((*box)->database());
  pqxx::work tx(conn);
  const auto ledger = tx.exec1("SELECT count(*) FROM ledger_entries")[0].as<int64_t>();
  nlohmann::json out;
  out["bars"] = progress->stream_messages.at("MD");
  out["messages_all_streams"] = messages;
  out["ledger_entries"] = ledger;
  out["seconds"] = seconds;
  out["bars_per_second"] = progress->stream_messages.at("MD") / seconds;
  out["messages_per_second"] = messages / seconds;
  out["ledger_entries_per_second"] = ledger / seconds;
  out["streams"] = progress->stream_messages;
  std::cout << out.dump(2) << "\n";
  return 0;
}
