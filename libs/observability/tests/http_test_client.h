// A tiny blocking HTTP/1.1 client for the admin server tests, on Beast, so
// the tests need no curl. Every socket read has a 10 s guard so a server bug
// fails the test instead of hanging it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tp::obs::testing {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string connection;
  std::string body;
};

// One request on a fresh connection ("Connection: close").
HttpReply http_request(uint16_t port, std::string_view method, std::string_view target);
inline HttpReply http_get(uint16_t port, std::string_view target) {
  return http_request(port, "GET", target);
}

// Writes `bytes` verbatim, then returns everything the server sends until it
// closes the connection. Empty if the server closed without answering.
std::string raw_exchange(uint16_t port, std::string_view bytes);

// Connects and sends nothing; returns true once the server closes the
// connection (false if the 10 s guard expires first).
bool server_closes_idle_connection(uint16_t port);

// Two GET requests over one kept-alive connection; returns both bodies
// joined by "|".
std::string two_requests_on_one_connection(uint16_t port, std::string_view first,
                                           std::string_view second);

// True if a TCP connection to 127.0.0.1:port is refused.
bool connection_refused(uint16_t port);

}  // namespace tp::obs::testing
