#include "tp/observability/http_client.h"

#include <gtest/gtest.h>

#include "tp/observability/admin_server.h"

namespace tp::obs {
namespace {

TEST(HttpClient, ReadsTheAdminEndpoints) {
  AdminServer admin({});
  ASSERT_TRUE(admin.add_readiness_check("broker", [] { return true; }));
  ASSERT_TRUE(admin.start());
  auto health = http_get("127.0.0.1", admin.port(), "/healthz", std::chrono::seconds(5));
  ASSERT_TRUE(health) << health.error().to_string();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  auto ready = http_get("127.0.0.1", admin.port(), "/readyz", std::chrono::seconds(5));
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->body, "ready\nbroker: ok\n");
  auto missing = http_get("127.0.0.1", admin.port(), "/nope", std::chrono::seconds(5));
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpClient, RefusedConnectionIsAnErrorNotAHang) {
  AdminServer admin({});
  ASSERT_TRUE(admin.start());
  const uint16_t port = admin.port();
  admin.stop();
  auto r = http_get("127.0.0.1", port, "/healthz", std::chrono::seconds(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message,
            "GET 127.0.0.1:" + std::to_string(port) + "/healthz: Connection refused");
}

TEST(HttpClient, ParsesUrls) {
  auto u = parse_http_url("http://127.0.0.1:9101/readyz");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9101);
  EXPECT_EQ(u->target, "/readyz");
  EXPECT_EQ(parse_http_url("http://localhost")->target, "/");
  EXPECT_EQ(parse_http_url("https://x").error().message, "not an http:// URL: 'https://x'");
  EXPECT_EQ(parse_http_url("http://x:99999/").error().message, "bad port in URL 'http://x:99999/'");
}

}  // namespace
}  // namespace tp::obs
