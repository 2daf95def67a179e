// HMAC-SHA256 and SHA-256 through OpenSSL, plus hex helpers and a
// constant-time comparison.
//
//   auto mac = tp::signing::hmac_sha256(key, message);  // 32 raw bytes
//   tp::signing::to_hex(mac)                             // 64 hex chars
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::signing {

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string sha256(std::string_view data);                                // raw 32 bytes

std::string to_hex(std::string_view bytes);  // lowercase
[[nodiscard]] Result<std::string> from_hex(std::string_view hex);

// Compares without an early exit, so timing does not reveal the first
// differing byte. Different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

// n cryptographically random bytes (OpenSSL RAND_bytes).
std::string random_bytes(size_t n);

}  // namespace tp::signing
