// A secret configuration value (HMAC key, database password) that cannot be
// printed by accident.
//
//   tp::config::Secret key = reader.secret("signing.hmac_key");
//   std::cout << key;                  // prints <redacted>
//   spdlog::info("key {}", key);       // logs "key <redacted>"
//   hmac.init(key.reveal());           // the one explicit way to read it
//
// Secrets reach a Reader from a file ({"file": "/run/secrets/x"}) or another
// environment variable ({"env": "VAR"}); see docs/configuration.md. The bytes
// are wiped (explicit_bzero) when a Secret is destroyed or overwritten, which
// shortens, but cannot end, the time a secret sits in memory: whoever calls
// reveal() owns whatever copies it makes.
//
// A value type: not synchronised; a const Secret may be read from any thread.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tp::config {

class Secret {
 public:
  static constexpr std::string_view kRedacted = "<redacted>";

  Secret() = default;
  // `origin` says where the value came from without revealing it, e.g.
  // "file /run/secrets/db" or "env DB_PASSWORD"; describe() shows it.
  Secret(std::string value, std::string origin);
  Secret(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  // The secret itself. Named so that every use stands out in review.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  const std::string& origin() const { return origin_; }

  // Always "<redacted>".
  std::string to_string() const { return std::string(kRedacted); }

  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << kRedacted; }

  // No operator==: comparing secrets needs a constant-time compare
  // (CRYPTO_memcmp), not std::string's early-exit one.

 private:
  std::string value_;
  std::string origin_;
};

}  // namespace tp::config

template <>
struct fmt::formatter<tp::config::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const tp::config::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(tp::config::Secret::kRedacted, ctx);
  }
};
