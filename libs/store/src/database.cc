#include "tp/store/database.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <thread>

#include "tp/store/pqxx_error.h"

namespace tp::store {
namespace {

bool is_uri(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

// Never let a password reach a log line or an error message.
std::string redact(std::string_view conninfo) {
  std::string out;
  if (is_uri(conninfo)) {
    out = std::string(conninfo);
    auto scheme_end = out.find("://") + 3;
    auto at = out.find('@', scheme_end);
    auto slash = out.find('/', scheme_end);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = out.find(':', scheme_end);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    auto pw = out.find("password=");
    if (pw != std::string::npos && (out[pw - 1] == '?' || out[pw - 1] == '&')) {
      auto end = out.find('&', pw);
      out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
    }
    return out;
  }
  // Keyword form: key = value pairs; values may be 'quoted' with \-escapes.
  size_t i = 0;
  auto skip_space = [&] {
    while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= conninfo.size()) break;
    size_t key_start = i;
    while (i < conninfo.size() && conninfo[i] != '=' &&
           !std::isspace(static_cast<unsigned char>(conninfo[i]))) {
      ++i;
    }
    std::string key(conninfo.substr(key_start, i - key_start));
    skip_space();
    if (i >= conninfo.size() || conninfo[i] != '=') return "(unparsable connection string)";
    ++i;
    skip_space();
    size_t value_start = i;
    if (i < conninfo.size() && conninfo[i] == '\'') {
      ++i;
      while (i < conninfo.size() && conninfo[i] != '\'') i += conninfo[i] == '\\' ? 2 : 1;
      ++i;
    } else {
      while (i < conninfo.size() && !std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
    }
    i = std::min(i, conninfo.size());
    if (!out.empty()) out += ' ';
    out += key + "=";
    out += key == "password" ? "***" : std::string(conninfo.substr(value_start, i - value_start));
  }
  return out;
}

std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds timeout) {
  if (timeout.count() <= 0 || conninfo.find("connect_timeout") != std::string::npos) {
    return conninfo;
  }
  std::string setting = "connect_timeout=" + std::to_string(timeout.count());
  if (is_uri(conninfo)) {
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + setting;
  }
  return conninfo.empty() ? setting : conninfo + " " + setting;
}

std::string without_prefix(std::string message) {
  constexpr std::string_view kPrefix = "postgres: ";
  if (message.starts_with(kPrefix)) message.erase(0, kPrefix.size());
  return message;
}

// libpq reports every connect failure the same way; these ones will not go
// away by waiting, so retrying them only delays the real error.
std::optional<ErrorCode> permanent_connect_failure(std::string_view message) {
  for (std::string_view s : {"invalid connection option", "missing \"=\" after",
                             "unterminated quoted string", "invalid URI", "invalid integer value"}) {
    if (message.find(s) != std::string_view::npos) return ErrorCode::kInvalidArgument;
  }
  for (std::string_view s : {"password authentication failed", "no pg_hba.conf entry",
                             "password is required"}) {
    if (message.find(s) != std::string_view::npos) return ErrorCode::kPermissionDenied;
  }
  auto role = message.find("role \"");
  if (role != std::string_view::npos && message.find("\" does not exist", role) != std::string_view::npos) {
    return ErrorCode::kPermissionDenied;
  }
  return std::nullopt;
}

Status validate(const RetryPolicy& p) {
  if (p.max_attempts < 1) {
    return make_error(ErrorCode::kInvalidArgument, "retry.max_attempts must be at least 1, got " +
                                                       std::to_string(p.max_attempts));
  }
  if (p.initial_backoff.count() < 0 || p.max_backoff < p.initial_backoff) {
    return make_error(ErrorCode::kInvalidArgument,
                      "retry backoff must satisfy 0 <= initial_backoff <= max_backoff, got " +
                          std::to_string(p.initial_backoff.count()) + " ms and " +
                          std::to_string(p.max_backoff.count()) + " ms");
  }
  if (!(p.multiplier >= 1.0)) {
    return make_error(ErrorCode::kInvalidArgument, "retry.multiplier must be at least 1");
  }
  return ok();
}

}  // namespace

std::chrono::milliseconds backoff_after(const RetryPolicy& policy, int attempt) {
  double delay = static_cast<double>(policy.initial_backoff.count()) *
                 std::pow(policy.multiplier, std::max(0, attempt - 1));
  double cap = static_cast<double>(policy.max_backoff.count());
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(delay, cap)));
}

Database::Database(DatabaseOptions options)
    : options_(std::move(options)),
      effective_connection_string_(
          with_connect_timeout(options_.connection_string, options_.connect_timeout)),
      description_(redact(options_.connection_string)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::connect(DatabaseOptions options) {
  if (Status valid = validate(options.retry); !valid) return std::unexpected(valid.error());
  std::unique_ptr<Database> db(new Database(std::move(options)));
  std::lock_guard lock(db->mu_);
  if (Status connected = db->connect_locked(db->options_.retry); !connected) {
    return std::unexpected(connected.error());
  }
  return db;
}

Status Database::connect_locked(const RetryPolicy& policy) {
  connection_.reset();
  std::string last_error;
  int attempt = 1;
  for (;; ++attempt) {
    try {
      connection_ = std::make_unique<pqxx::connection>(effective_connection_string_);
      return ok();
    } catch (const std::exception& e) {
      if (auto code = permanent_connect_failure(e.what())) {
        return make_error(*code, "cannot connect to PostgreSQL at " + description_ + ": " +
                                     without_prefix(error_from_exception(e).message));
      }
      last_error = without_prefix(error_from_exception(e).message);
    }
    if (attempt >= policy.max_attempts) break;
    options_.sleep(backoff_after(policy, attempt));
  }
  return make_error(ErrorCode::kUnavailable,
                    "cannot connect to PostgreSQL at " + description_ + " after " +
                        std::to_string(attempt) + (attempt == 1 ? " attempt: " : " attempts: ") +
                        last_error);
}

Status Database::transact(const std::function<Status(pqxx::work&)>& body) {
  std::lock_guard lock(mu_);
  const int attempts = std::max(1, options_.transaction_attempts);
  for (int attempt = 1;; ++attempt) {
    if (!connection_ || !connection_->is_open()) {
      if (Status connected = connect_locked(options_.retry); !connected) return connected;
    }
    bool committing = false;
    try {
      pqxx::work tx(*connection_);
      Status result = body(tx);
      if (!result) return result;  // ~work rolls back
      committing = true;
      tx.commit();
      return ok();
    } catch (const pqxx::in_doubt_error& e) {
      connection_.reset();
      return std::unexpected(error_from_exception(e));
    } catch (const std::exception& e) {
      Error error = error_from_exception(e);
      const bool connection_lost = dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
                                   !connection_->is_open();
      if (connection_lost) {
        connection_.reset();
        if (committing) {
          return make_error(ErrorCode::kUnavailable,
                            "postgres: commit outcome unknown (connection lost during COMMIT; "
                            "check whether the transaction took effect before retrying): " +
                                without_prefix(error.message));
        }
        // Nothing was committed: running the body again is safe.
        if (attempt < attempts) continue;
        error.code = ErrorCode::kUnavailable;
        return std::unexpected(error);
      }
      if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr && attempt < attempts) {
        continue;  // serialization failure or deadlock: the server rolled back
      }
      return std::unexpected(error);
    }
  }
}

Status Database::execute(std::string_view sql) {
  std::string statement(sql);
  return transact([&](pqxx::work& tx) -> Status {
    tx.exec(statement);
    return ok();
  });
}

Status Database::ping() {
  std::lock_guard lock(mu_);
  if (!connection_ || !connection_->is_open()) {
    if (Status connected = connect_locked(RetryPolicy{.max_attempts = 1}); !connected) {
      return connected;
    }
  }
  try {
    pqxx::nontransaction tx(*connection_);
    tx.exec("SELECT 1");
    return ok();
  } catch (const std::exception& e) {
    Error error = error_from_exception(e);
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr || !connection_->is_open()) {
      connection_.reset();
      error.code = ErrorCode::kUnavailable;
    }
    return std::unexpected(error);
  }
}

}  // namespace tp::store
