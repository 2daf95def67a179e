#include "http_test_client.h"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <stdexcept>

namespace tp::obs::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Blocking calls on top of Beast's async operations, because only those
// honour tcp_stream's timeout: a server bug fails the test after 10 s
// instead of hanging it.
class GuardedConnection {
 public:
  GuardedConnection() : stream_(io_) {}

  beast::error_code connect(uint16_t port) {
    return run([&](auto done) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            [done](beast::error_code ec) { done(ec); });
    });
  }

  beast::error_code write_raw(std::string_view bytes) {
    return run([&](auto done) {
      asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                        [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  beast::error_code write(http::request<http::string_body>& req) {
    return run([&](auto done) {
      http::async_write(stream_, req, [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  beast::error_code read(http::response<http::string_body>& res) {
    return run([&](auto done) {
      http::async_read(stream_, buffer_, res,
                       [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  beast::error_code read_some(std::string& out) {
    std::array<char, 4096> chunk;
    std::size_t got = 0;
    auto ec = run([&](auto done) {
      stream_.async_read_some(asio::buffer(chunk), [done, &got](beast::error_code ec,
                                                                std::size_t n) {
        got = n;
        done(ec);
      });
    });
    out.append(chunk.data(), got);
    return ec;
  }

 private:
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result;
    stream_.expires_after(std::chrono::seconds(10));
    start([&result](beast::error_code ec) { result = ec; });
    io_.run();
    io_.restart();
    return result;
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

void require(beast::error_code ec, const char* what) {
  if (ec) throw std::runtime_error(std::string(what) + ": " + ec.message());
}

std::string header(const http::response<http::string_body>& res, http::field f) {
  auto it = res.find(f);
  return it == res.end() ? std::string() : std::string(it->value());
}

}  // namespace

HttpReply http_request(uint16_t port, std::string_view method, std::string_view target) {
  GuardedConnection conn;
  require(conn.connect(port), "connect");
  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  req.prepare_payload();
  require(conn.write(req), "write");
  http::response<http::string_body> res;
  require(conn.read(res), "read");
  return HttpReply{static_cast<int>(res.result_int()), header(res, http::field::content_type),
                   header(res, http::field::allow), header(res, http::field::connection),
                   res.body()};
}

std::string raw_exchange(uint16_t port, std::string_view bytes) {
  GuardedConnection conn;
  require(conn.connect(port), "connect");
  // A write error (the server answered and closed early) still lets us read
  // what it sent before.
  (void)conn.write_raw(bytes);
  std::string received;
  beast::error_code ec;
  do {
    ec = conn.read_some(received);
  } while (!ec);
  if (ec == beast::error::timeout) {
    throw std::runtime_error("raw_exchange: server neither answered nor closed");
  }
  return received;
}

bool server_closes_idle_connection(uint16_t port) {
  GuardedConnection conn;
  require(conn.connect(port), "connect");
  std::string ignored;
  beast::error_code ec;
  do {
    ec = conn.read_some(ignored);
  } while (!ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

std::string two_requests_on_one_connection(uint16_t port, std::string_view first,
                                           std::string_view second) {
  GuardedConnection conn;
  require(conn.connect(port), "connect");
  std::string joined;
  for (std::string_view target : {first, second}) {
    http::request<http::string_body> req(http::verb::get,
                                         beast::string_view(target.data(), target.size()), 11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    require(conn.write(req), "write");
    http::response<http::string_body> res;
    require(conn.read(res), "read");
    if (!joined.empty()) joined += "|";
    joined += res.body();
  }
  return joined;
}

bool connection_refused(uint16_t port) {
  GuardedConnection conn;
  return conn.connect(port) == asio::error::connection_refused;
}

}  // namespace tp::obs::testing
