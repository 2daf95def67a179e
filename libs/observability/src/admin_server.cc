#include "tp/observability/admin_server.h"

#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"

namespace tp::obs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";

// Exactly one of the two callables is set.
struct ReadinessCheck {
  std::string name;
  std::function<Status()> status_check;
  std::function<bool()> bool_check;
};

struct CheckOutcome {
  std::string name;
  bool ok = false;
  std::string error;  // empty for a bool check that returned false
};

struct Reply {
  http::status status = http::status::ok;
  std::string_view content_type = kTextContentType;
  std::string body;
  bool allow_get = false;
};

std::string endpoint_text(const asio::ip::address& address, uint16_t port) {
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(port);
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

bool has_query_param(std::string_view query, std::string_view param) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    if (query.substr(0, amp) == param) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

// State shared between the caller's threads and the server thread.
struct AdminServer::Impl {
  explicit Impl(Options o) : options(std::move(o)) {}

  // One listening period, from start() to stop(). Member order matters:
  // sessions still queued in the io_context are destroyed with it and
  // decrement `active_sessions`, so that counter is declared first.
  struct Runtime {
    Runtime(Impl& i) : impl(i) {}
    Impl& impl;
    std::size_t active_sessions = 0;  // server thread only
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    asio::steady_timer accept_retry{io};
    std::thread thread;
    std::string where;
  };

  class Session;

  std::vector<CheckOutcome> run_readiness_checks() const;
  Reply route(http::verb method, std::string_view target) const;
  void accept(Runtime& rt);

  const Options options;

  mutable std::mutex checks_mutex;
  std::vector<std::shared_ptr<const ReadinessCheck>> readiness_checks;
  std::shared_ptr<const std::function<Status()>> liveness_check;

  std::mutex lifecycle_mutex;  // start()/stop()
  std::unique_ptr<Runtime> runtime;
  std::atomic<uint16_t> bound_port{0};
};

// One accepted connection: read a request, answer it, repeat while the
// client keeps the connection alive. Lives on the server thread only.
class AdminServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Runtime& rt)
      : rt_(rt),
        stream_(std::move(socket)),
        buffer_(rt.impl.options.max_header_bytes + rt.impl.options.max_body_bytes) {
    ++rt_.active_sessions;
  }
  ~Session() { --rt_.active_sessions; }

  void start() { read_request(); }

 private:
  const Options& options() const { return rt_.impl.options; }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    stream_.expires_after(options().idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      close_gracefully();
      return;
    }
    if (ec) {
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        send_error(http::status::request_header_fields_too_large, "request header too large\n");
      } else if (ec == http::error::body_limit) {
        send_error(http::status::payload_too_large, "request body too large\n");
      } else if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
        send_error(http::status::bad_request, "bad request\n");
      }
      // Anything else (timeout, reset, shutdown) just drops the connection.
      return;
    }
    const auto& request = parser_->get();
    Reply reply;
    try {
      reply = rt_.impl.route(request.method(),
                             std::string_view(request.target().data(), request.target().size()));
    } catch (const std::exception& e) {
      reply = Reply{http::status::internal_server_error, kTextContentType,
                    "internal error: " + one_line(e.what()) + "\n"};
    }
    // A HEAD response must not carry a body (keep-alive clients would read
    // it as the next response), so it goes out empty.
    if (request.method() == http::verb::head) reply.body.clear();
    send(std::move(reply), request.version(), request.keep_alive());
  }

  void send_error(http::status status, std::string body) {
    send(Reply{status, kTextContentType, std::move(body)}, 11, false);
  }

  void send(Reply reply, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(reply.status);
    response_.set(http::field::content_type,
                  beast::string_view(reply.content_type.data(), reply.content_type.size()));
    if (reply.allow_get) response_.set(http::field::allow, "GET");
    response_.body() = std::move(reply.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(options().idle_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (keep_alive) {
                          self->read_request();
                        } else {
                          self->close_gracefully();
                        }
                      });
  }

  // Half-close, then discard whatever the client still sends until it
  // closes too (or the timeout hits): closing with unread data would reset
  // the connection and could destroy the response before the client reads it.
  void close_gracefully() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(options().idle_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->drain();
                            });
  }

  Runtime& rt_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> scratch_{};
};

std::vector<CheckOutcome> AdminServer::Impl::run_readiness_checks() const {
  std::vector<std::shared_ptr<const ReadinessCheck>> checks;
  {
    std::lock_guard lock(checks_mutex);
    checks = readiness_checks;
  }
  std::vector<CheckOutcome> outcomes;
  outcomes.reserve(checks.size());
  for (const auto& check : checks) {
    CheckOutcome outcome{check->name};
    try {
      if (check->bool_check) {
        outcome.ok = check->bool_check();
      } else {
        const Status status = check->status_check();
        outcome.ok = status.has_value();
        if (!status) outcome.error = one_line(status.error().to_string());
      }
    } catch (const std::exception& e) {
      outcome.error = one_line(std::string("internal: check threw: ") + e.what());
    } catch (...) {
      outcome.error = "internal: check threw a non-standard exception";
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Reply AdminServer::Impl::route(http::verb method, std::string_view target) const {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    return Reply{http::status::not_found, kTextContentType, "not found\n"};
  }
  if (method != http::verb::get) {
    return Reply{http::status::method_not_allowed, kTextContentType, "method not allowed\n",
                 /*allow_get=*/true};
  }

  if (path == "/metrics") {
    std::string body = options.registry ? serialize_metrics(*options.registry) : std::string();
    return Reply{http::status::ok, kMetricsContentType, std::move(body)};
  }

  if (path == "/healthz") {
    std::shared_ptr<const std::function<Status()>> check;
    {
      std::lock_guard lock(checks_mutex);
      check = liveness_check;
    }
    Status status = ok();
    if (check) {
      try {
        status = (*check)();
      } catch (const std::exception& e) {
        status = make_error(ErrorCode::kInternal, std::string("check threw: ") + e.what());
      }
    }
    if (status) return Reply{http::status::ok, kTextContentType, "ok\n"};
    return Reply{http::status::service_unavailable, kTextContentType,
                 "unhealthy: " + one_line(status.error().to_string()) + "\n"};
  }

  // /readyz
  const std::vector<CheckOutcome> outcomes = run_readiness_checks();
  bool ready = true;
  for (const auto& o : outcomes) ready = ready && o.ok;
  const http::status status = ready ? http::status::ok : http::status::service_unavailable;
  const char* verdict = ready ? "ready" : "not ready";

  if (has_query_param(query, "format=json")) {
    nlohmann::ordered_json doc;
    doc["status"] = verdict;
    doc["checks"] = nlohmann::ordered_json::array();
    for (const auto& o : outcomes) {
      nlohmann::ordered_json entry;
      entry["name"] = o.name;
      entry["ok"] = o.ok;
      if (!o.error.empty()) entry["error"] = o.error;
      doc["checks"].push_back(std::move(entry));
    }
    return Reply{status, kJsonContentType,
                 doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
  }

  std::string body = std::string(verdict) + "\n";
  for (const auto& o : outcomes) {
    body += one_line(o.name);
    if (o.ok) {
      body += ": ok\n";
    } else if (o.error.empty()) {
      body += ": failed\n";
    } else {
      body += ": failed: " + o.error + "\n";
    }
  }
  return Reply{status, kTextContentType, std::move(body)};
}

void AdminServer::Impl::accept(Runtime& rt) {
  rt.acceptor.async_accept([this, &rt](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning on the error.
      tp::log::warn("admin server: accept failed",
                    {{"endpoint", rt.where}, {"error", ec.message()}});
      rt.accept_retry.expires_after(std::chrono::milliseconds(100));
      rt.accept_retry.async_wait([this, &rt](beast::error_code wait_ec) {
        if (!wait_ec) accept(rt);
      });
      return;
    }
    if (rt.active_sessions >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), rt)->start();
    }
    accept(rt);
  });
}

AdminServer::AdminServer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

AdminServer::~AdminServer() { stop(); }

namespace {

Status add_check(std::mutex& mutex, std::vector<std::shared_ptr<const ReadinessCheck>>& checks,
                 ReadinessCheck check) {
  std::lock_guard lock(mutex);
  for (const auto& existing : checks) {
    if (existing->name == check.name) {
      return make_error(ErrorCode::kAlreadyExists,
                        "admin server: readiness check '" + check.name + "' already registered");
    }
  }
  checks.push_back(std::make_shared<const ReadinessCheck>(std::move(check)));
  return ok();
}

}  // namespace

Status AdminServer::add_readiness_check(std::string name, std::function<Status()> check) {
  return add_check(impl_->checks_mutex, impl_->readiness_checks,
                   ReadinessCheck{std::move(name), std::move(check), nullptr});
}

Status AdminServer::add_readiness_check(std::string name, std::function<bool()> check) {
  return add_check(impl_->checks_mutex, impl_->readiness_checks,
                   ReadinessCheck{std::move(name), nullptr, std::move(check)});
}

void AdminServer::set_liveness_check(std::function<Status()> check) {
  auto shared = std::make_shared<const std::function<Status()>>(std::move(check));
  std::lock_guard lock(impl_->checks_mutex);
  impl_->liveness_check = std::move(shared);
}

Status AdminServer::start() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (impl_->runtime) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "admin server: already running on " + impl_->runtime->where);
  }
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument,
                      "admin server: invalid address '" + impl_->options.address + "'");
  }
  const tcp::endpoint endpoint(address, impl_->options.port);
  const std::string requested = endpoint_text(address, impl_->options.port);

  auto rt = std::make_unique<Impl::Runtime>(*impl_);
  rt->acceptor.open(endpoint.protocol(), ec);
  if (!ec) rt->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) {
    return make_error(ErrorCode::kUnavailable,
                      "admin server: cannot open a socket for " + requested + ": " + ec.message());
  }
  rt->acceptor.bind(endpoint, ec);
  if (ec) {
    return make_error(ErrorCode::kUnavailable,
                      "admin server: cannot bind " + requested + ": " + ec.message());
  }
  rt->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kUnavailable,
                      "admin server: cannot listen on " + requested + ": " + ec.message());
  }
  const uint16_t port = rt->acceptor.local_endpoint(ec).port();
  if (ec) {
    return make_error(ErrorCode::kUnavailable,
                      "admin server: cannot read the bound port of " + requested + ": " +
                          ec.message());
  }
  rt->where = endpoint_text(address, port);
  impl_->accept(*rt);

  try {
    rt->thread = std::thread([&io = rt->io, where = rt->where] {
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          // A handler bug must not take the process down with the admin port.
          tp::log::error("admin server: handler threw",
                         {{"endpoint", where}, {"error", e.what()}});
        }
      }
    });
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::kInternal,
                      std::string("admin server: cannot start thread: ") + e.what());
  }
  impl_->runtime = std::move(rt);
  impl_->bound_port.store(port);
  return ok();
}

void AdminServer::stop() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (!impl_->runtime) return;
  impl_->runtime->io.stop();
  if (impl_->runtime->thread.joinable()) impl_->runtime->thread.join();
  // Destroying the runtime destroys the io_context, which closes the
  // listener and every connection still queued in it.
  impl_->runtime.reset();
  impl_->bound_port.store(0);
}

bool AdminServer::running() const { return impl_->bound_port.load() != 0; }

uint16_t AdminServer::port() const { return impl_->bound_port.load(); }

}  // namespace tp::obs
