// Lints the real /metrics output of an admin server carrying every probe
// with `promtool check metrics` (Prometheus' own linter). Skips when promtool
// was not found at configure time (Debian package "prometheus").
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "http_test_client.h"
#include "tp/observability/admin_server.h"
#include "tp/observability/consumer_probe.h"
#include "tp/observability/publisher_probe.h"
#include "tp/observability/service_metrics.h"

namespace tp::obs {
namespace {

#ifdef TP_PROMTOOL_PATH
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 512> chunk;
  while (std::fgets(chunk.data(), chunk.size(), pipe) != nullptr) result.output += chunk.data();
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/tp_metrics_XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd >= 0) ::close(fd);
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
#endif

TEST(PromtoolTest, AdminServerMetricsPassPromtoolCheckMetrics) {
#ifndef TP_PROMTOOL_PATH
  GTEST_SKIP() << "promtool not found at configure time (apt-get install prometheus); "
                  "skipping the promtool lint of /metrics";
#else
  ServiceMetrics metrics("execsim");
  ConsumerProbe consumer(metrics, "ORDERS", "execsim", {"bad_signature", "stale", "replay"});
  ConsumerProbe second_consumer(metrics, "BARS", "execsim");
  PublisherProbe publisher(metrics, "EXECUTIONS", {"timeout"});

  consumer.received();
  consumer.handled();
  consumer.handled("redelivered_duplicate");
  consumer.rejected("undecodable");
  consumer.rejected("Not A Plain Reason");
  consumer.dead_lettered();
  consumer.nacked();
  consumer.redelivered();
  consumer.handler_latency(std::chrono::microseconds(42));
  consumer.set_ack_pending(3);
  consumer.set_pending(42);
  consumer.set_last_sequence(1234);
  second_consumer.received();
  publisher.published();
  publisher.publish_failed("no_responders");
  publisher.ack_latency(std::chrono::microseconds(800));
  publisher.set_in_flight(5);
  publisher.duplicate();

  AdminServer server({.registry = metrics.shared_registry()});
  ASSERT_TRUE(server.start().has_value());
  const auto reply = testing::http_get(server.port(), "/metrics");
  ASSERT_EQ(reply.status, 200);

  TempFile file(reply.body);
  const auto result =
      run(std::string(TP_PROMTOOL_PATH) + " check metrics < '" + file.path() + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- exposition ---\n" << reply.body;
  EXPECT_EQ(result.output, "");

  // The linter must actually be looking: a counter without _total fails it.
  TempFile bad("# HELP tp_bad Bad.\n# TYPE tp_bad counter\ntp_bad 1\n");
  const auto bad_result =
      run(std::string(TP_PROMTOOL_PATH) + " check metrics < '" + bad.path() + "'");
  EXPECT_NE(bad_result.exit_code, 0);
  EXPECT_NE(bad_result.output.find("_total"), std::string::npos) << bad_result.output;
#endif
}

}  // namespace
}  // namespace tp::obs
