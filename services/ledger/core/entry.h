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

}  // namespace tp::ledger
