#include "http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tp::tradectl {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<ParsedUrl> parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (!url.starts_with(scheme))
    return make_error(ErrorCode::kInvalidArgument, "'" + url + "' is not an http:// URL");
  std::string rest = url.substr(scheme.size());
  ParsedUrl p;
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  p.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) {
    p.host = authority;
    p.port = "80";
  } else {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  }
  if (p.host.empty() || p.port.empty() ||
      p.port.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorCode::kInvalidArgument, "'" + url + "' has no valid host:port");
  return p;
}

Result<HttpResponse> http_get(const std::string& url, std::chrono::milliseconds timeout) {
  auto parsed = parse_http_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    auto endpoints = resolver.resolve(parsed->host, parsed->port);
    stream.connect(endpoints);
    http::request<http::empty_body> req{http::verb::get, parsed->target, 11};
    req.set(http::field::host, parsed->host);
    req.set(http::field::user_agent, "tradectl");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpResponse{static_cast<int>(res.result_int()), std::move(res.body())};
  } catch (const beast::system_error& e) {
    if (e.code() == beast::error::timeout)
      return make_error(ErrorCode::kTimeout, "GET " + url + ": timed out");
    return make_error(ErrorCode::kUnavailable, "GET " + url + ": " + e.code().message());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kUnavailable, "GET " + url + ": " + e.what());
  }
}

}  // namespace tp::tradectl
