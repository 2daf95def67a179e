// A minimal synchronous HTTP/1.1 GET (Boost.Beast), for admin endpoints and
// the nats-server monitoring port. Only http:// URLs.
//
//   auto r = tp::tradectl::http_get("http://127.0.0.1:9104/readyz", std::chrono::seconds(2));
//   if (r) std::cout << r->status << " " << r->body;
//
// Errors: kInvalidArgument for a URL it cannot parse, kUnavailable for
// connection failures, kTimeout when the whole exchange exceeds `timeout`.
// Thread safety: reentrant (each call has its own io_context).
#pragma once

#include <chrono>
#include <string>

#include "tp/core/error.h"

namespace tp::tradectl {

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct ParsedUrl {
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};

[[nodiscard]] Result<ParsedUrl> parse_http_url(const std::string& url);

[[nodiscard]] Result<HttpResponse> http_get(const std::string& url,
                                            std::chrono::milliseconds timeout);

}  // namespace tp::tradectl
