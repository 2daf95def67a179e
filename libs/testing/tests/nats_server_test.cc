#include "tp/testing/nats_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <nats/nats.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A minimal JetStream client, to prove the server really stores messages.
class JetStreamClient {
 public:
  static Result<std::unique_ptr<JetStreamClient>> connect(const std::string& url) {
    auto client = std::unique_ptr<JetStreamClient>(new JetStreamClient());
    natsStatus s = natsConnection_ConnectTo(&client->nc_, url.c_str());
    if (s != NATS_OK) return make_error(ErrorCode::kUnavailable, natsStatus_GetText(s));
    s = natsConnection_JetStream(&client->js_, client->nc_, nullptr);
    if (s != NATS_OK) return make_error(ErrorCode::kInternal, natsStatus_GetText(s));
    return client;
  }
  ~JetStreamClient() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
  }

  Status add_file_stream(const std::string& name, const std::string& subject) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subjects[] = {subject.c_str()};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&info, js_, &cfg, nullptr, &err);
    if (info) jsStreamInfo_Destroy(info);
    if (s != NATS_OK) return make_error(ErrorCode::kInternal, natsStatus_GetText(s));
    return ok();
  }

  Status publish(const std::string& subject, const std::string& data) {
    jsPubAck* ack = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), data.data(), static_cast<int>(data.size()),
                              nullptr, &err);
    if (ack) jsPubAck_Destroy(ack);
    if (s != NATS_OK) return make_error(ErrorCode::kInternal, natsStatus_GetText(s));
    return ok();
  }

  Result<uint64_t> stream_messages(const std::string& name) {
    jsStreamInfo* info = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &err);
    if (s != NATS_OK) return make_error(ErrorCode::kNotFound, natsStatus_GetText(s));
    uint64_t msgs = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return msgs;
  }

  int64_t max_payload() const { return natsConnection_GetMaxPayload(nc_); }

 private:
  JetStreamClient() = default;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

std::unique_ptr<NatsServer> must_start(NatsServerOptions options = {}) {
  auto server = NatsServer::start(std::move(options));
  EXPECT_TRUE(server) << server.error().to_string();
  return server ? std::move(*server) : nullptr;
}

TEST(NatsServerTest, ServesJetStreamOnLoopbackFromItsOwnTempDir) {
  auto server = must_start();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->url(), "nats://127.0.0.1:" + std::to_string(server->port()));
  EXPECT_TRUE(server->running());
  EXPECT_THAT(read_file(server->directory() + "/nats.conf"),
              HasSubstr("listen: 127.0.0.1:" + std::to_string(server->port()) + "\n"));

  auto client = JetStreamClient::connect(server->url());
  ASSERT_TRUE(client) << client.error().to_string();
  ASSERT_TRUE((*client)->add_file_stream("ORDERS", "orders.>"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*client)->publish("orders.new", "o" + std::to_string(i)));
  auto msgs = (*client)->stream_messages("ORDERS");
  ASSERT_TRUE(msgs) << msgs.error().to_string();
  EXPECT_EQ(*msgs, 3u);
  EXPECT_TRUE(std::filesystem::is_directory(server->directory() + "/jetstream"));
}

TEST(NatsServerTest, StopThenRestartKeepsThePortAndTheStreams) {
  auto server = must_start();
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  {
    auto client = JetStreamClient::connect(server->url());
    ASSERT_TRUE(client) << client.error().to_string();
    ASSERT_TRUE((*client)->add_file_stream("BARS", "md.bar.>"));
    ASSERT_TRUE((*client)->publish("md.bar.sim.AAPL.1m", "bar-1"));
    ASSERT_TRUE((*client)->publish("md.bar.sim.AAPL.1m", "bar-2"));
  }
  ASSERT_TRUE(server->stop());
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(JetStreamClient::connect(server->url()));
  ASSERT_TRUE(server->stop()) << "stopping a stopped server is a no-op";

  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  EXPECT_EQ(server->port(), port);
  auto client = JetStreamClient::connect(server->url());
  ASSERT_TRUE(client) << client.error().to_string();
  auto msgs = (*client)->stream_messages("BARS");
  ASSERT_TRUE(msgs) << msgs.error().to_string();
  EXPECT_EQ(*msgs, 2u);
}

TEST(NatsServerTest, KillThenRestartKeepsAcknowledgedMessages) {
  auto server = must_start();
  ASSERT_TRUE(server);
  {
    auto client = JetStreamClient::connect(server->url());
    ASSERT_TRUE(client) << client.error().to_string();
    ASSERT_TRUE((*client)->add_file_stream("EXEC", "exec.>"));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*client)->publish("exec.fill", "f" + std::to_string(i)));
  }
  ASSERT_TRUE(server->kill());
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(JetStreamClient::connect(server->url()));
  auto second_kill = server->kill();
  ASSERT_FALSE(second_kill);
  EXPECT_EQ(second_kill.error().to_string(),
            "failed_precondition: nats-server on " + server->url() + " is not running");

  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  auto client = JetStreamClient::connect(server->url());
  ASSERT_TRUE(client) << client.error().to_string();
  auto msgs = (*client)->stream_messages("EXEC");
  ASSERT_TRUE(msgs) << msgs.error().to_string();
  EXPECT_EQ(*msgs, 5u);
}

TEST(NatsServerTest, TwoServersRunInParallelOnDifferentPortsAndDirs) {
  auto a = must_start();
  auto b = must_start();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->directory(), b->directory());
  auto ca = JetStreamClient::connect(a->url());
  auto cb = JetStreamClient::connect(b->url());
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE((*ca)->add_file_stream("ONLY_A", "a.>"));
  EXPECT_FALSE((*cb)->stream_messages("ONLY_A")) << "the servers must not share state";
}

TEST(NatsServerTest, DestructionStopsTheServerAndRemovesItsTempDir) {
  std::string dir;
  std::string url;
  {
    auto server = must_start();
    ASSERT_TRUE(server);
    dir = server->directory();
    url = server->url();
    ASSERT_TRUE(std::filesystem::exists(dir + "/nats.log"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(JetStreamClient::connect(url));
}

TEST(NatsServerTest, AppliesMaxPayloadAndExtraConfig) {
  auto server = must_start({.extra_config = "max_connections: 1", .max_payload = 8 * 1024 * 1024});
  ASSERT_TRUE(server);
  // The harness's own readiness probe may still hold the single allowed
  // connection for a moment after start() returns: wait for it to go.
  auto first = JetStreamClient::connect(server->url());
  for (int i = 0; i < 100 && !first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first = JetStreamClient::connect(server->url());
  }
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ((*first)->max_payload(), 8 * 1024 * 1024);
  EXPECT_FALSE(JetStreamClient::connect(server->url())) << "max_connections: 1 must be in force";
}

TEST(NatsServerTest, ABadConfigFailsWithTheServersOwnWords) {
  auto server = NatsServer::start({.extra_config = "jetstream: {{{ not a config"});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(server.error().message, StartsWith("nats-server on nats://127.0.0.1:"));
  EXPECT_THAT(server.error().message,
              HasSubstr(" exited with status 1 before it was ready; nats.log:\n"));
  EXPECT_THAT(server.error().message, HasSubstr("nats-server: Parse error on line 9"));
}

}  // namespace
}  // namespace tp::testing
