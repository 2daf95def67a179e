#include "tp/signing/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace tp::signing {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// OpenSSL failing to hash in memory means the library is broken or out of
// memory: nothing a caller could handle, so crash loudly.
[[noreturn]] void openssl_failed(const char* what) {
  std::fprintf(stderr, "tp::signing: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  // A null key pointer means "reuse the previous key" in some OpenSSL paths;
  // always pass a valid pointer, even for an empty key.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  const unsigned char* msg_ptr =
      message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), msg_ptr, message.size(), out,
           &out_len) == nullptr) {
    openssl_failed("HMAC");
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &out_len, EVP_sha256(), nullptr) != 1) {
    openssl_failed("EVP_Digest");
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHexDigits[b >> 4];
    out[2 * i + 1] = kHexDigits[b & 0x0f];
  }
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid hex: odd length " + std::to_string(hex.size()));
  }
  std::string out;
  out.resize(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      const size_t bad = hi < 0 ? i : i + 1;
      return make_error(ErrorCode::kInvalidArgument,
                        "invalid hex: non-hex character at offset " + std::to_string(bad));
    }
    out[i / 2] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are public (a signature is always 64 hex characters).
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    openssl_failed("RAND_bytes");
  }
  return out;
}

}  // namespace tp::signing
