#include "tp/observability/admin_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "http_test_client.h"
#include "tp/core/clock.h"
#include "tp/observability/heartbeat.h"
#include "tp/observability/publisher_probe.h"
#include "tp/observability/service_metrics.h"

namespace tp::obs {
namespace {

using testing::http_get;
using testing::http_request;
using testing::raw_exchange;

constexpr const char* kText = "text/plain; charset=utf-8";

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<AdminServer>(options());
  }
  AdminServer::Options options() {
    AdminServer::Options o;
    o.registry = metrics_.shared_registry();
    return o;
  }
  uint16_t start() {
    auto status = server_->start();
    EXPECT_TRUE(status.has_value()) << status.error().to_string();
    return server_->port();
  }

  ServiceMetrics metrics_{"test_svc"};
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, MetricsServesTheRegistryInPrometheusTextFormat) {
  PublisherProbe probe(metrics_, "ORDERS");
  probe.published();
  probe.published();
  const uint16_t port = start();

  const auto reply = http_get(port, "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(reply.body.find("# TYPE tp_publisher_messages_published_total counter\n"
                            "tp_publisher_messages_published_total{service=\"test_svc\","
                            "stream=\"ORDERS\"} 2\n"),
            std::string::npos)
      << reply.body;
  EXPECT_EQ(reply.body, metrics_.exposition());

  // The exposition is live, not a snapshot taken at start().
  probe.published();
  EXPECT_NE(http_get(port, "/metrics?ignored=1").body.find("stream=\"ORDERS\"} 3\n"),
            std::string::npos);
}

TEST_F(AdminServerTest, MetricsWithoutRegistryIsEmpty) {
  AdminServer bare(AdminServer::Options{});
  ASSERT_TRUE(bare.start().has_value());
  const auto reply = http_get(bare.port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
}

TEST_F(AdminServerTest, HealthzIsOkWithoutALivenessCheck) {
  const auto reply = http_get(start(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, kText);
  EXPECT_EQ(reply.body, "ok\n");
}

TEST_F(AdminServerTest, HealthzFailsWhenTheMainLoopStopsBeating) {
  ManualClock clock(1'000 * kNanosPerSecond);
  Heartbeat main_loop(clock, std::chrono::seconds(5));
  server_->set_liveness_check([&] { return main_loop.check(); });
  const uint16_t port = start();

  clock.advance_ns(5 * kNanosPerSecond);
  EXPECT_EQ(http_get(port, "/healthz").status, 200);

  clock.advance_ns(1 * kNanosPerSecond + 500 * kNanosPerMilli);
  const auto stalled = http_get(port, "/healthz");
  EXPECT_EQ(stalled.status, 503);
  EXPECT_EQ(stalled.body,
            "unhealthy: unavailable: main loop stalled: no heartbeat for 6.500s (limit 5.000s)\n");

  main_loop.beat();
  const auto alive = http_get(port, "/healthz");
  EXPECT_EQ(alive.status, 200);
  EXPECT_EQ(alive.body, "ok\n");
}

TEST_F(AdminServerTest, ReadyzWithoutChecksIsReady) {
  const auto reply = http_get(start(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, kText);
  EXPECT_EQ(reply.body, "ready\n");
}

TEST_F(AdminServerTest, ReadyzListsEveryPassingCheckInRegistrationOrder) {
  ASSERT_TRUE(server_->add_readiness_check("broker", [] { return true; }).has_value());
  ASSERT_TRUE(server_->add_readiness_check("database", []() -> Status { return ok(); }));
  const auto reply = http_get(start(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ready\nbroker: ok\ndatabase: ok\n");
}

TEST_F(AdminServerTest, ReadyzNotReadyNamesEachFailingCheckAndWhy) {
  ASSERT_TRUE(server_->add_readiness_check("broker", [] { return true; }));
  ASSERT_TRUE(server_->add_readiness_check("database", []() -> Status {
    return make_error(ErrorCode::kUnavailable, "connection refused\nretrying");
  }));
  ASSERT_TRUE(server_->add_readiness_check("consumers", [] { return false; }));
  ASSERT_TRUE(server_->add_readiness_check("cache", []() -> bool {
    throw std::runtime_error("boom");
  }));
  const uint16_t port = start();

  const auto reply = http_get(port, "/readyz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.content_type, kText);
  EXPECT_EQ(reply.body,
            "not ready\n"
            "broker: ok\n"
            "database: failed: unavailable: connection refused retrying\n"
            "consumers: failed\n"
            "cache: failed: internal: check threw: boom\n");

  const auto json = http_get(port, "/readyz?format=json");
  EXPECT_EQ(json.status, 503);
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(json.body,
            R"({"status":"not ready","checks":[{"name":"broker","ok":true},)"
            R"({"name":"database","ok":false,"error":"unavailable: connection refused retrying"},)"
            R"({"name":"consumers","ok":false},)"
            R"({"name":"cache","ok":false,"error":"internal: check threw: boom"}]})"
            "\n");
}

TEST_F(AdminServerTest, ReadyzFollowsTheChecksLiveAndAcceptsChecksAfterStart) {
  std::atomic<bool> broker_connected{false};
  ASSERT_TRUE(server_->add_readiness_check("broker", [&] { return broker_connected.load(); }));
  const uint16_t port = start();
  EXPECT_EQ(http_get(port, "/readyz").status, 503);

  broker_connected = true;
  EXPECT_EQ(http_get(port, "/readyz").body, "ready\nbroker: ok\n");

  ASSERT_TRUE(server_->add_readiness_check("consumers", [] { return false; }));
  const auto reply = http_get(port, "/readyz?format=json");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body,
            R"({"status":"not ready","checks":[{"name":"broker","ok":true},)"
            R"({"name":"consumers","ok":false}]})"
            "\n");
}

TEST_F(AdminServerTest, DuplicateReadinessCheckNameIsAnError) {
  ASSERT_TRUE(server_->add_readiness_check("broker", [] { return true; }));
  const auto status = server_->add_readiness_check("broker", [] { return false; });
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(status.error().message, "admin server: readiness check 'broker' already registered");
}

TEST_F(AdminServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  const uint16_t port = start();
  const auto missing = http_get(port, "/metricz");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "not found\n");
  EXPECT_EQ(http_get(port, "/").status, 404);
  EXPECT_EQ(http_request(port, "POST", "/nowhere").status, 404);

  for (const char* method : {"POST", "PUT", "DELETE", "HEAD", "PATCH"}) {
    const auto reply = http_request(port, method, "/metrics");
    EXPECT_EQ(reply.status, 405) << method;
    EXPECT_EQ(reply.allow, "GET") << method;
  }
  EXPECT_EQ(http_request(port, "POST", "/readyz").body, "method not allowed\n");
  // HEAD responses never carry a body.
  EXPECT_EQ(http_request(port, "HEAD", "/healthz").body, "");
}

TEST_F(AdminServerTest, GarbageBytesGet400AndTheServerKeepsServing) {
  const uint16_t port = start();
  const std::string reply = raw_exchange(port, "\x01\x02garbage\xff\xfe not http at all\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("\r\n\r\nbad request\n"), std::string::npos) << reply;

  constexpr char kBinary[] = "\0\0\0\0GET /metrics\0 HTTP/1.1\r\n\r\n";
  const std::string binary(kBinary, sizeof kBinary - 1);
  EXPECT_EQ(raw_exchange(port, binary).rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(raw_exchange(port, "GET /healthz HTTP/9.9\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);

  EXPECT_EQ(http_get(port, "/healthz").body, "ok\n");
}

TEST_F(AdminServerTest, HugeHeadersGet431AndTheServerKeepsServing) {
  const uint16_t port = start();
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  const std::string reply = raw_exchange(port, request);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u) << reply;

  const std::string long_target = "GET /" + std::string(20 * 1024, 'x') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(raw_exchange(port, long_target).rfind("HTTP/1.1 431", 0), 0u);

  EXPECT_EQ(http_get(port, "/healthz").status, 200);
}

TEST_F(AdminServerTest, OversizedBodyGets413) {
  const uint16_t port = start();
  const std::string request = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                              std::string(100000, 'b');
  EXPECT_EQ(raw_exchange(port, request).rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u);
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
}

TEST_F(AdminServerTest, IdleConnectionsAreClosed) {
  AdminServer::Options o = options();
  o.idle_timeout = std::chrono::milliseconds(100);
  AdminServer server(o);
  ASSERT_TRUE(server.start().has_value());
  // A client that never completes its request is cut off; the guard in the
  // client fails the test after 10 s if the server never does.
  EXPECT_TRUE(testing::server_closes_idle_connection(server.port()));
  EXPECT_EQ(raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n"), "");
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200);
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const uint16_t port = start();
  EXPECT_EQ(testing::two_requests_on_one_connection(port, "/healthz", "/readyz"), "ok\n|ready\n");
}

TEST_F(AdminServerTest, StartStopAndRestart) {
  EXPECT_FALSE(server_->running());
  EXPECT_EQ(server_->port(), 0);

  const uint16_t first_port = start();
  EXPECT_TRUE(server_->running());
  EXPECT_NE(first_port, 0);

  const auto again = server_->start();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(again.error().message,
            "admin server: already running on 127.0.0.1:" + std::to_string(first_port));

  server_->stop();
  EXPECT_FALSE(server_->running());
  EXPECT_EQ(server_->port(), 0);
  EXPECT_TRUE(testing::connection_refused(first_port));
  server_->stop();  // idempotent

  const uint16_t second_port = start();
  EXPECT_EQ(http_get(second_port, "/healthz").body, "ok\n");
  server_->stop();
}

TEST_F(AdminServerTest, DestructorStopsTheServer) {
  uint16_t port = 0;
  {
    AdminServer scoped(options());
    ASSERT_TRUE(scoped.start().has_value());
    port = scoped.port();
    EXPECT_EQ(http_get(port, "/healthz").status, 200);
  }
  EXPECT_TRUE(testing::connection_refused(port));
}

TEST_F(AdminServerTest, PortInUseIsAClearError) {
  const uint16_t port = start();
  AdminServer::Options o = options();
  o.port = port;
  AdminServer second(o);
  const auto status = second.start();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(status.error().message, "admin server: cannot bind 127.0.0.1:" +
                                        std::to_string(port) + ": Address already in use");
  EXPECT_FALSE(second.running());
  // The first server is unaffected.
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
}

TEST_F(AdminServerTest, InvalidAddressIsAClearError) {
  AdminServer::Options o = options();
  o.address = "localhost";
  AdminServer server(o);
  const auto status = server.start();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message, "admin server: invalid address 'localhost'");
}

TEST_F(AdminServerTest, ConnectionsBeyondTheLimitAreClosedWithoutAnswer) {
  AdminServer::Options o = options();
  o.max_connections = 0;
  AdminServer server(o);
  ASSERT_TRUE(server.start().has_value());
  EXPECT_EQ(raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), "");
}

}  // namespace
}  // namespace tp::obs
