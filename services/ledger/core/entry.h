// One audit-log entry and its hash: the canonical encoding that chains the
// ledger (docs/ledger.md, "Entry hash", is the normative version).
//
//   tp::ledger::Entry e{.index = 0, .stream = "MD", ...,
//                       .previous_hash = tp::ledger::zero_hash()};
//   e.payload_sha256 = tp::ledger::sha256(e.payload);
//   e.entry_hash = tp::ledger::entry_hash(e);   // 32 raw bytes
//
// The encoding is length-prefixed and fixed-order, so no two different
// entries encode to the same bytes. It covers every field except the payload
// itself (whose SHA-256 it covers) and entry_hash (which it produces).
//
// Thread safety: pure functions; Entry is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tp::ledger {

inline constexpr size_t kHashSize = 32;

// The previous_hash of entry 0: 32 zero bytes.
const std::string& zero_hash();

// Raw 32-byte SHA-256 (OpenSSL).
std::string sha256(std::string_view data);
// The same into a 32-byte buffer. OpenSSL's low-level SHA256_Init/Update/
// Final: OpenSSL 3's one-shot SHA256() fetches the algorithm on every call
// and is ~7x slower on small inputs.
void sha256_into(std::string_view data, unsigned char* out);
void sha256_into2(std::string_view a, std::string_view b, unsigned char* out);  // SHA-256(a || b)

struct Entry {
  uint64_t index = 0;
  std::string stream;
  uint64_t stream_sequence = 0;
  std::string subject;
  std::string message_id;
  std::string producer;
  std::string message_type;
  std::string key_id;
  std::string payload;         // the message bytes, verbatim
  std::string payload_sha256;  // raw 32 bytes
  int64_t published_ns = 0;    // signed timestamp of the envelope
  int64_t received_ns = 0;     // broker store time (reproducible on replay)
  std::string correlation_id;
  std::string previous_hash;   // raw 32 bytes
  std::string entry_hash;      // raw 32 bytes

  bool operator==(const Entry&) const = default;
};

// The domain tag that opens every encoding; bumping it versions the format.
inline constexpr std::string_view kEncodingTag = "tp-ledger-entry/1";

// Appends the canonical encoding of `entry` to `out` (reuse `out` across
// calls to avoid allocations when hashing many entries).
void append_canonical(const Entry& entry, std::string& out);
std::string canonical_encoding(const Entry& entry);

// SHA-256 of the canonical encoding: raw 32 bytes. `scratch` is a reusable
// buffer.
std::string entry_hash(const Entry& entry);
std::string entry_hash(const Entry& entry, std::string& scratch);

// Both hashes of an entry from one encoding: entry_hash = SHA-256(encoding)
// and the Merkle leaf hash SHA-256(0x00 || encoding) (docs/ledger.md).
// Raw 32-byte outputs; `scratch` is a reusable buffer.
void entry_and_leaf_hash(const Entry& entry, std::string& scratch, unsigned char* entry_out,
                         unsigned char* leaf_out);

}  // namespace tp::ledger
