// Signs outgoing messages and verifies incoming ones (docs/protocol.md).
//
//   tp::signing::Signer signer(ring, "ingester", clock);
//   auto env = signer.sign("md.bar.binance-us.BTCUSDT.1m", msg_id,
//                          "trading.v1.Bar", correlation_id, payload);
//   // publish payload with to_headers(*env)
//
//   tp::signing::Verifier verifier(ring, {});
//   auto checked = verifier.verify(subject, headers, payload, stored_ns);
//   if (!checked) dead_letter(checked.error().reason, checked.error().message);
//
// Verification is stateless: headers well formed, protocol version known,
// key known and active, key owned by the claimed producer, subject allowed
// for the key, signature correct (constant-time compare), timestamp within
// the freshness window around `reference_ns`. Uniqueness (replays) is the
// ReplayGuard's job, because it needs state.
//
// `reference_ns` is the time the broker stored the message (JetStream
// metadata), not the consumer's clock: a consumer catching up on a backlog
// must not reject old but legitimately stored messages as stale, while a
// captured message injected later gets a new store time and is stale.
//
// Thread safety: Signer and Verifier are const after construction and safe
// to share; the key ring is held by shared_ptr and never mutated.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tp/core/clock.h"
#include "tp/core/error.h"
#include "tp/signing/envelope.h"
#include "tp/signing/key_ring.h"

namespace tp::signing {

// Why a message was refused. Labels (to_string) are used as the `reason`
// label of reject metrics and the Tp-Dlq-Reason header, so they are stable.
enum class RejectReason {
  kMissingHeader,       // "missing_header"
  kMalformedHeader,     // "malformed_header"
  kUnsupportedVersion,  // "unsupported_version"
  kUnknownKey,          // "unknown_key": not in the ring, or retired
  kProducerMismatch,    // "producer_mismatch": key belongs to another producer
  kSubjectNotAllowed,   // "subject_not_allowed": key may not publish here
  kBadSignature,        // "bad_signature"
  kStale,               // "stale": older than the freshness window
  kFuture,              // "future": further ahead than the allowed clock skew
  kReplay,              // "replay": message id seen before in another stream position
  kReplayGuardFull,     // "replay_guard_full": transient, retry later
};

std::string_view to_string(RejectReason reason);

struct Rejection {
  RejectReason reason;
  std::string message;  // e.g. "bad signature for key ingester-1 on md.bar.x.Y.1m"
};

// Returns 32 lowercase hex characters; the default draws 16 random bytes.
using NonceSource = std::function<std::string()>;
NonceSource random_nonce_source();

class Signer {
 public:
  // The ring must have a signing key owned by `producer`.
  [[nodiscard]] static Result<Signer> create(std::shared_ptr<const KeyRing> ring,
                                             std::string producer, const Clock& clock,
                                             NonceSource nonces = random_nonce_source());

  [[nodiscard]] Result<Envelope> sign(std::string_view subject, std::string message_id,
                                      std::string message_type, std::string correlation_id,
                                      std::string_view payload) const;

  const std::string& producer() const { return producer_; }
  const std::string& key_id() const;

 private:
  Signer(std::shared_ptr<const KeyRing> ring, std::string producer, const Clock& clock,
         NonceSource nonces);
  std::shared_ptr<const KeyRing> ring_;
  std::string producer_;
  const Clock* clock_;
  NonceSource nonces_;
};

struct FreshnessWindow {
  int64_t max_age_ns = 120 * kNanosPerSecond;   // oldest accepted signature
  int64_t max_future_ns = 5 * kNanosPerSecond;  // tolerated clock skew ahead
};

class Verifier {
 public:
  Verifier(std::shared_ptr<const KeyRing> ring, FreshnessWindow window);

  std::expected<Envelope, Rejection> verify(std::string_view subject, const Headers& headers,
                                            std::string_view payload,
                                            int64_t reference_ns) const;

  const FreshnessWindow& window() const { return window_; }

 private:
  std::shared_ptr<const KeyRing> ring_;
  FreshnessWindow window_;
};

}  // namespace tp::signing
