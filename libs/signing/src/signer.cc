#include "tp/signing/signer.h"

#include <cstdio>
#include <cstdlib>

#include "envelope_rules.h"
#include "tp/signing/hmac.h"

namespace tp::signing {
namespace {

constexpr size_t kNonceBytes = 16;

std::unexpected<Rejection> reject(RejectReason reason, std::string message) {
  return std::unexpected(Rejection{reason, std::move(message)});
}

bool key_allows_subject(const Key& key, std::string_view subject) {
  if (key.subjects.empty()) return true;
  for (const auto& pattern : key.subjects) {
    if (subject_matches(pattern, subject)) return true;
  }
  return false;
}

std::string decimal(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    const int d = static_cast<int>(v % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (d < 0 ? -d : d)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

std::string sign_canonical(const Key& key, const Envelope& e, std::string_view payload) {
  return to_hex(hmac_sha256(key.secret, canonical_string(e, payload)));
}

}  // namespace

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::kMissingHeader: return "missing_header";
    case RejectReason::kMalformedHeader: return "malformed_header";
    case RejectReason::kUnsupportedVersion: return "unsupported_version";
    case RejectReason::kUnknownKey: return "unknown_key";
    case RejectReason::kProducerMismatch: return "producer_mismatch";
    case RejectReason::kSubjectNotAllowed: return "subject_not_allowed";
    case RejectReason::kBadSignature: return "bad_signature";
    case RejectReason::kStale: return "stale";
    case RejectReason::kFuture: return "future";
    case RejectReason::kReplay: return "replay";
    case RejectReason::kReplayGuardFull: return "replay_guard_full";
  }
  return "unknown";
}

NonceSource random_nonce_source() {
  return [] { return to_hex(random_bytes(kNonceBytes)); };
}

// ---------------------------------------------------------------- Signer

Signer::Signer(std::shared_ptr<const KeyRing> ring, std::string producer, const Clock& clock,
               NonceSource nonces)
    : ring_(std::move(ring)),
      producer_(std::move(producer)),
      clock_(&clock),
      nonces_(std::move(nonces)) {}

Result<Signer> Signer::create(std::shared_ptr<const KeyRing> ring, std::string producer,
                              const Clock& clock, NonceSource nonces) {
  if (ring == nullptr) return make_error(ErrorCode::kInvalidArgument, "signer: key ring is null");
  if (!nonces) return make_error(ErrorCode::kInvalidArgument, "signer: nonce source is empty");
  const Key* key = ring->signing_key();
  if (key == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "signer: key ring has no signing key (set signing_key)");
  }
  if (key->producer != producer) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "signer: signing key " + key->id + " belongs to producer " + key->producer +
                          ", not " + producer);
  }
  return Signer(std::move(ring), std::move(producer), clock, std::move(nonces));
}

const std::string& Signer::key_id() const { return ring_->signing_key()->id; }

Result<Envelope> Signer::sign(std::string_view subject, std::string message_id,
                              std::string message_type, std::string correlation_id,
                              std::string_view payload) const {
  const Key& key = *ring_->signing_key();
  // Refuse here rather than publish a message every verifier rejects.
  if (!key_allows_subject(key, subject)) {
    return make_error(ErrorCode::kPermissionDenied,
                      "signer: key " + key.id + " may not sign subject " + std::string(subject));
  }
  Envelope e;
  e.subject = std::string(subject);
  e.message_id = std::move(message_id);
  e.message_type = std::move(message_type);
  e.producer = producer_;
  e.key_id = key.id;
  e.timestamp_ns = clock_->now_ns();
  e.nonce = nonces_();
  e.correlation_id = std::move(correlation_id);
  e.signature = sign_canonical(key, e, payload);
  if (auto valid = validate_fields(e); !valid) return std::unexpected(std::move(valid.error()));
  return e;
}

// ---------------------------------------------------------------- Verifier

Verifier::Verifier(std::shared_ptr<const KeyRing> ring, FreshnessWindow window)
    : ring_(std::move(ring)), window_(window) {
  // A verifier without keys or with a negative window is a wiring bug.
  if (ring_ == nullptr || window_.max_age_ns < 0 || window_.max_future_ns < 0) {
    std::fprintf(stderr, "tp::signing::Verifier: null key ring or negative freshness window\n");
    std::abort();
  }
}

std::expected<Envelope, Rejection> Verifier::verify(std::string_view subject,
                                                    const Headers& headers,
                                                    std::string_view payload,
                                                    int64_t reference_ns) const {
  auto parsed = detail::parse_headers(subject, headers);
  if (!parsed) {
    switch (parsed.error().problem) {
      case detail::HeaderProblem::kMissing:
        return reject(RejectReason::kMissingHeader, std::move(parsed.error().message));
      case detail::HeaderProblem::kMalformed:
        return reject(RejectReason::kMalformedHeader, std::move(parsed.error().message));
      case detail::HeaderProblem::kUnsupportedVersion:
        return reject(RejectReason::kUnsupportedVersion, std::move(parsed.error().message));
    }
  }
  Envelope& e = *parsed;

  const Key* key = ring_->find(e.key_id);
  if (key == nullptr) {
    return reject(RejectReason::kUnknownKey, "unknown key " + detail::quoted(e.key_id));
  }
  if (key->status != KeyStatus::kActive) {
    return reject(RejectReason::kUnknownKey, "key " + key->id + " is retired");
  }
  if (key->producer != e.producer) {
    return reject(RejectReason::kProducerMismatch, "key " + key->id + " belongs to producer " +
                                                       key->producer + ", not " +
                                                       detail::quoted(e.producer));
  }
  if (!key_allows_subject(*key, e.subject)) {
    return reject(RejectReason::kSubjectNotAllowed,
                  "key " + key->id + " may not sign subject " + e.subject);
  }
  if (!constant_time_equal(sign_canonical(*key, e, payload), e.signature)) {
    return reject(RejectReason::kBadSignature,
                  "bad signature for key " + key->id + " on " + e.subject);
  }

  // Freshness last: only a correctly signed timestamp is worth judging, and
  // the comparison in 128 bits cannot overflow at the int64 extremes.
  const __int128 ts = e.timestamp_ns;
  const __int128 ref = reference_ns;
  if (ts < ref - window_.max_age_ns) {
    return reject(RejectReason::kStale,
                  "stale message: timestamp_ns " + std::to_string(e.timestamp_ns) + " is " +
                      decimal(ref - ts) +
                      " ns older than reference_ns " + std::to_string(reference_ns) +
                      " (max_age_ns " + std::to_string(window_.max_age_ns) + ")");
  }
  if (ts > ref + window_.max_future_ns) {
    return reject(RejectReason::kFuture,
                  "message from the future: timestamp_ns " + std::to_string(e.timestamp_ns) +
                      " is " + decimal(ts - ref) +
                      " ns ahead of reference_ns " + std::to_string(reference_ns) +
                      " (max_future_ns " + std::to_string(window_.max_future_ns) + ")");
  }
  return std::move(e);
}

}  // namespace tp::signing
