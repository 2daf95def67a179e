#include "tp/observability/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>

namespace tp::obs {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
}  // namespace

Result<HttpResponse> http_get(std::string_view host, uint16_t port, std::string_view target,
                              std::chrono::milliseconds timeout) {
  const std::string where = std::string(host) + ":" + std::to_string(port) + std::string(target);
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code failure;
  HttpResponse out;
  beast::flat_buffer buffer;
  http::request<http::string_body> request{http::verb::get, std::string(target), 11};
  http::response<http::string_body> response;
  request.set(http::field::host, std::string(host));
  request.set(http::field::connection, "close");

  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(std::string(host), std::to_string(port), ec);
  if (ec) return make_error(ErrorCode::kUnavailable, "GET " + where + ": " + ec.message());
  // Async operations honour the stream's deadline; io.run() makes them blocking.
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      failure = e;
      return;
    }
    stream.expires_after(timeout);
    http::async_write(stream, request, [&](beast::error_code we, std::size_t) {
      if (we) {
        failure = we;
        return;
      }
      stream.expires_after(timeout);
      http::async_read(stream, buffer, response, [&](beast::error_code re, std::size_t) {
        if (re) failure = re;
      });
    });
  });
  io.run();
  if (failure) {
    auto code = failure == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable;
    return make_error(code, "GET " + where + ": " + failure.message());
  }
  out.status = static_cast<int>(response.result_int());
  out.content_type = std::string(response[http::field::content_type]);
  out.body = std::move(response.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  const std::string original(url);
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    return make_error(ErrorCode::kInvalidArgument, "not an http:// URL: '" + original + "'");
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  auto colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto digits = authority.substr(colon + 1);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || p != digits.data() + digits.size() || port == 0 || port > 65535)
      return make_error(ErrorCode::kInvalidArgument, "bad port in URL '" + original + "'");
    out.port = static_cast<uint16_t>(port);
  }
  if (out.host.empty()) return make_error(ErrorCode::kInvalidArgument, "no host in URL '" + original + "'");
  return out;
}

}  // namespace tp::obs
