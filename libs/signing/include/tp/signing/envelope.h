// The signed envelope: metadata that travels in NATS headers next to a
// protobuf body, and the canonical string the HMAC covers.
//
// The wire protocol is specified in docs/protocol.md; this header is its C++
// form. Every field of Envelope except `signature` is covered by the
// signature, and so is the SHA-256 of the payload bytes and the subject.
//
//   Envelope e = ...;                       // filled by Signer::sign
//   Headers h = to_headers(e);               // -> NATS headers
//   auto back = from_headers(h);             // <- NATS headers (Result)
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::signing {

inline constexpr std::string_view kProtocolVersion = "1";
inline constexpr std::string_view kCanonicalPrefix = "TP-HMAC-SHA256";

// NATS header names. Nats-Msg-Id is JetStream's own de-duplication header;
// we reuse it as the signed message id.
inline constexpr std::string_view kHeaderVersion = "Tp-Version";
inline constexpr std::string_view kHeaderMessageId = "Nats-Msg-Id";
inline constexpr std::string_view kHeaderType = "Tp-Type";
inline constexpr std::string_view kHeaderProducer = "Tp-Producer";
inline constexpr std::string_view kHeaderKeyId = "Tp-Key-Id";
inline constexpr std::string_view kHeaderTimestamp = "Tp-Timestamp";
inline constexpr std::string_view kHeaderNonce = "Tp-Nonce";
inline constexpr std::string_view kHeaderCorrelationId = "Tp-Correlation-Id";
inline constexpr std::string_view kHeaderSignature = "Tp-Signature";

// Header name -> value. Single-valued; names are matched exactly.
using Headers = std::map<std::string, std::string, std::less<>>;

struct Envelope {
  std::string subject;         // NATS subject the message is published on
  std::string message_id;      // deterministic id, also Nats-Msg-Id
  std::string message_type;    // full protobuf name, e.g. "trading.v1.Bar"
  std::string producer;        // producing service or strategy id
  std::string key_id;          // id of the HMAC key in the key ring
  int64_t timestamp_ns = 0;    // signing time, ns since the Unix epoch
  std::string nonce;           // 32 lowercase hex chars (16 random bytes)
  std::string correlation_id;  // may be empty
  std::string signature;       // 64 lowercase hex chars: HMAC-SHA256 of canonical_string

  bool operator==(const Envelope&) const = default;
};

// Lowercase hex SHA-256 of the payload bytes.
std::string payload_digest_hex(std::string_view payload);

// The exact bytes the HMAC is computed over (docs/protocol.md, "Canonical
// string"): eleven lines joined by '\n', no trailing newline. Only
// meaningful for an envelope that passes validate_fields (no field may hold a
// newline, which is what makes the encoding unambiguous).
std::string canonical_string(const Envelope& envelope, std::string_view payload);

// Checks that every field is well formed (no newline or control characters,
// non-empty where required, nonce and signature are hex of the right length).
// The error message names the first offending field, e.g.
// "invalid envelope: producer is empty".
[[nodiscard]] Status validate_fields(const Envelope& envelope);

// Envelope (minus subject, which is the NATS subject itself) to NATS headers.
Headers to_headers(const Envelope& envelope);

// NATS headers plus the subject back to an Envelope. Missing or malformed
// headers are kInvalidArgument errors naming the header, e.g.
// "missing header Tp-Signature".
[[nodiscard]] Result<Envelope> from_headers(std::string_view subject, const Headers& headers);

}  // namespace tp::signing
