// A small blocking HTTP/1.1 GET client for ops tools (tradectl status, the
// platform launcher): reads admin endpoints such as /readyz and /metrics.
//
//   auto r = tp::obs::http_get("127.0.0.1", 9101, "/readyz", std::chrono::seconds(2));
//   if (r && r->status == 200) ...
//
// Every step (connect, write, read) is bounded by `timeout`; a refused or
// timed-out connection is a kUnavailable / kTimeout error, never a hang.
// Thread safety: reentrant; each call uses its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::obs {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

[[nodiscard]] Result<HttpResponse> http_get(std::string_view host, uint16_t port,
                                            std::string_view target,
                                            std::chrono::milliseconds timeout);

// "http://127.0.0.1:9101/readyz" -> host, port, target. Only http://.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};
[[nodiscard]] Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace tp::obs
