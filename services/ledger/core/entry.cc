// The low-level SHA-256 API is deprecated in OpenSSL 3 but is the fast path
// for millions of small inputs (see entry.h).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ledger/core/entry.h"

#include <openssl/sha.h>

namespace tp::ledger {

namespace {

void put_u64(std::string& out, uint64_t v) {
  char bytes[8];
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(bytes, 8);
}

void put_i64(std::string& out, int64_t v) { put_u64(out, static_cast<uint64_t>(v)); }

void put_bytes(std::string& out, std::string_view b) {
  const auto n = static_cast<uint32_t>(b.size());
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                       static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  out.append(len, 4);
  out.append(b);
}

}  // namespace

const std::string& zero_hash() {
  static const std::string kZero(kHashSize, '\0');
  return kZero;
}

void sha256_into(std::string_view data, unsigned char* out) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out, &ctx);
}

void sha256_into2(std::string_view a, std::string_view b, unsigned char* out) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a.data(), a.size());
  SHA256_Update(&ctx, b.data(), b.size());
  SHA256_Final(out, &ctx);
}

std::string sha256(std::string_view data) {
  std::string out(kHashSize, '\0');
  sha256_into(data, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

void append_canonical(const Entry& e, std::string& out) {
  put_bytes(out, kEncodingTag);
  put_u64(out, e.index);
  put_bytes(out, e.stream);
  put_u64(out, e.stream_sequence);
  put_bytes(out, e.subject);
  put_bytes(out, e.message_id);
  put_bytes(out, e.producer);
  put_bytes(out, e.message_type);
  put_bytes(out, e.key_id);
  put_bytes(out, e.payload_sha256);
  put_i64(out, e.published_ns);
  put_i64(out, e.received_ns);
  put_bytes(out, e.correlation_id);
  put_bytes(out, e.previous_hash);
}

std::string canonical_encoding(const Entry& entry) {
  std::string out;
  append_canonical(entry, out);
  return out;
}

std::string entry_hash(const Entry& entry, std::string& scratch) {
  scratch.clear();
  append_canonical(entry, scratch);
  return sha256(scratch);
}

void entry_and_leaf_hash(const Entry& entry, std::string& scratch, unsigned char* entry_out,
                         unsigned char* leaf_out) {
  scratch.clear();
  append_canonical(entry, scratch);
  sha256_into(scratch, entry_out);
  sha256_into2(std::string_view("\0", 1), scratch, leaf_out);
}

std::string entry_hash(const Entry& entry) {
  std::string scratch;
  return entry_hash(entry, scratch);
}

}  // namespace tp::ledger
